"""Many small files through one channel: the per-file cost of the write path (issue 18).

    python bench/intake_small_files.py --old /tmp/old-checkout --files 400 --rows 3

Drops ``--files`` letter files of ``--rows`` rows each and loads them with
``sweep_channel`` (one worker: the sweep reads, parses and writes), once with the code of
``--old`` (a checkout: its ``include/`` is imported) and once with this checkout's, each
into a fresh PostgreSQL ledger, alternating ``--rounds`` times. With a handful of rows a
file, what is measured is what every file costs besides its rows: its connection,
look-ups, lock, ``intake_file`` row and commit. Prints wall and CPU seconds and commits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import throwaway_database

REPO = Path(__file__).resolve().parent.parent
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"

RUN = r"""
import datetime as dt, json, sys, time
from pathlib import Path
import sqlalchemy as sa
from xinfang import db
from xinfang.intake.sweep import sweep_channel

landing = Path(sys.argv[1])
engine = db.get_engine()
db.upgrade(engine)
engine.dispose()
commits = []
sa.event.listen(engine, "commit", lambda conn: commits.append(1))
t0, c0 = time.perf_counter(), time.process_time()
results = sweep_channel("letter", engine, landing, dt.date(2023, 7, 31))
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
items = sum(r.items for r in results)
print(json.dumps({"wall": wall, "cpu": cpu, "items": items, "commits": len(commits)}))
"""


def drop_files(landing: Path, files: int, rows: int) -> None:
    incoming = landing / "letter" / "incoming"
    incoming.mkdir(parents=True)
    for f in range(files):
        body = [
            f"2023-07-03,张{f}_{r}号,,1380013{r:04d},,(2023)冀1003民初{f * 100 + r}号,,诉求{f}-{r}"
            for r in range(rows)
        ]
        text = "\n".join([LETTER, *body]) + "\n"
        (incoming / f"f{f:05d}.csv").write_text(text, encoding="utf-8")
        os.utime(incoming / f"f{f:05d}.csv", (1_600_000_000 + f, 1_600_000_000 + f))


def load(code: Path, work: Path, label: str, files: int, rows: int) -> dict:
    landing = work / f"landing-{label}"
    drop_files(landing, files, rows)
    config = work / "config.yaml"
    config.write_text("intake:\n  settle_seconds: 0\n  workers: 1\n", encoding="utf-8")
    with throwaway_database("batch_small") as url:
        env = {
            **os.environ,
            "PYTHONPATH": str(code / "include"),
            "AIRFLOW_CONN_XINFANG_LEDGER": url.replace("postgresql+psycopg2", "postgresql"),
            "XINFANG_CONFIG": str(config),
        }
        out = subprocess.run(
            [sys.executable, "-c", RUN, str(landing)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="a checkout of the code before")
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--rows", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    print(machine())
    for n in range(args.rounds):
        for label, code in (("old", args.old), ("new", REPO)):
            with tempfile.TemporaryDirectory(prefix="batch_small_") as work:
                r = load(code, Path(work), f"{label}{n}", args.files, args.rows)
            per_file = 1000 * r["wall"] / args.files
            print(
                f"round {n + 1} {label}: {args.files} files, {r['items']:,} items, "
                f"{r['commits']} commits; {r['wall']:.1f} s wall ({per_file:.1f} ms a file), "
                f"{r['cpu']:.1f} s CPU; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
