"""Two versions of the intake code on the same heldout files: same tables, and their time.

    python bench/intake_compare.py --old /tmp/old-checkout --matters 20000
    python bench/intake_compare.py --old /tmp/old-checkout --new-workers 1

Loads the independently generated landing folder (``python -m heldout``, cached under
``data/bench/dag_intake/`` as ``bench/dag_intake.py`` does) once with the code of
``--old`` (a checkout: its ``include/`` is imported) and once with this checkout's, each
into a fresh PostgreSQL ledger, the five petition channels one after another through
``sweep_channel`` as ``airflow dags test`` runs the ``load_channel`` tasks. Then it
compares ``intake_item``, ``intake_reject`` and ``intake_file`` row by row (ordered by
row key, every column but the moment of loading) and prints each run's seconds, CPU and
items/s. Exit status 1 when a table differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import throwaway_database
from dag_intake import landing_set

REPO = Path(__file__).resolve().parent.parent
TABLES = {
    "intake_item": "row_key, item_id",
    "intake_reject": "source_file, source_row, reject_id",
    "intake_file": "file_id",
}
IGNORED = {"loaded_at", "rejected_at"}

RUN = r"""
import datetime as dt, json, os, resource, sys, time
from pathlib import Path
import sqlalchemy as sa
from xinfang import db
from xinfang.intake.sweep import summarize, sweep_channel

landing, dump, day = Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])
tables = json.loads(sys.argv[4])
engine = db.get_engine()
db.upgrade(engine)
engine.dispose()
t0, c0 = time.perf_counter(), time.process_time()
seconds = {}
for channel in ("letter", "visit", "online", "hotline", "referral"):
    t = time.perf_counter()
    summary = summarize(sweep_channel(channel, engine, landing, day))
    seconds[channel] = round(time.perf_counter() - t, 2)
wall = time.perf_counter() - t0
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = time.process_time() - c0 + kids.ru_utime + kids.ru_stime
with engine.connect() as conn, dump.open("w", encoding="utf-8") as out:
    for table, order in tables.items():
        columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
        kept = [c for c in columns if c not in ("loaded_at", "rejected_at")]
        rows = conn.execute(sa.text(f"SELECT {', '.join(kept)} FROM {table} ORDER BY {order}"))
        for row in rows:
            out.write(table + "\t" + json.dumps([str(v) for v in row], ensure_ascii=False) + "\n")
    items = conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar_one()
print(json.dumps({"wall": wall, "cpu": cpu, "items": items, "seconds": seconds}))
"""


def load(code: Path, landing_src: Path, work: Path, label: str, workers: int | None) -> dict:
    """One load of a fresh copy of the landing folder with the code of ``code``."""
    landing = work / f"landing-{label}"
    shutil.copytree(landing_src, landing)
    config = work / f"config-{label}.yaml"
    setting = f"  workers: {workers}\n" if workers is not None else ""
    config.write_text(f"intake:\n  settle_seconds: 0\n{setting}", encoding="utf-8")
    dump = work / f"dump-{label}.tsv"
    with throwaway_database(f"bench_cmp_{label}") as url:
        env = {
            **os.environ,
            "PYTHONPATH": str(code / "include"),
            "AIRFLOW_CONN_XINFANG_LEDGER": url.replace("postgresql+psycopg2", "postgresql"),
            "XINFANG_CONFIG": str(config),
        }
        out = subprocess.run(
            [sys.executable, "-c", RUN, str(landing), str(dump), "2026-12-31", json.dumps(TABLES)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["dump"] = dump
    return result


def same(old: Path, new: Path) -> bool:
    """Compare the two dumps line by line; print the first difference of each table."""
    differs = False
    with old.open(encoding="utf-8") as a, new.open(encoding="utf-8") as b:
        for n, (x, y) in enumerate(zip(a, b, strict=False), start=1):
            if x != y:
                print(f"first difference at line {n}:\n  old {x[:300]}\n  new {y[:300]}")
                differs = True
                break
    digests = [hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in (old, new)]
    print(f"table dumps: old {digests[0]}, new {digests[1]}")
    return not differs and digests[0] == digests[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="a checkout of the code before")
    ap.add_argument("--matters", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--new-workers", type=int, default=None, help="intake.workers for this code")
    args = ap.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    data = landing_set(args.matters, args.seed)
    with tempfile.TemporaryDirectory(prefix="xinfang-cmp-") as tmp:
        work = Path(tmp)
        runs = {
            "old": load(args.old.resolve(), data / "landing", work, "old", None),
            "new": load(REPO, data / "landing", work, "new", args.new_workers),
        }
        for label, r in runs.items():
            print(
                f"{label}: {r['items']:,} items in {r['wall']:.1f} s = "
                f"{r['items'] / r['wall']:,.0f} items/s; CPU {r['cpu']:.1f} s "
                f"({r['cpu'] / max(r['items'], 1) * 1e6:.0f} µs/item, this side of the database);"
                f" per channel {r['seconds']}",
                flush=True,
            )
        ok = same(runs["old"]["dump"], runs["new"]["dump"])
    print("same tables" if ok else "TABLES DIFFER")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
