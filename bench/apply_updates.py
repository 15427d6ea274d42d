"""Where ``apply_updates`` spends its time on the intake DAG's first run (issue 18).

    python bench/apply_updates.py --prepare            # once: a ledger after deduplicate
    python bench/apply_updates.py --base <db> [--batch 3000]

``--prepare`` loads the ``bench/dag_intake.py`` landing set (~274k items) into a kept
PostgreSQL database through the intake DAG's own steps (migrate, load_channel ×5,
deduplicate, load_progress) and prints its name. Each timed run copies that database
(``CREATE DATABASE ... TEMPLATE``), runs ``xinfang.pipeline.apply_updates`` on the copy
with each step timed, prints a fingerprint of every ledger table (rows ordered, the
columns stamped with the wall clock
and serial ids left out) and drops the copy. Run it once with the
old code on ``PYTHONPATH`` and once with the new, back to back: same fingerprints, two
step tables. ``--batch N`` then times the next day's two intakes of N items (repeats of
the ledger's petitioners), each deduplicated and followed by ``apply_updates``: the
sweep after a small batch (issue 18); with ``--check``, a whole-ledger sweep from
nothing (no ``case_sweep`` rows, no watermark) on a copy of the result must give the
same ``ledger_case``, events, notices and ``case_sweep`` as the daily sweeps did.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import os
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import ADMIN_URL, throwaway_database

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "bench" / "dag_intake" / "m100000_s1"
CLOCK_COLUMNS = {
    "loaded_at", "updated_at", "sent_at", "computed_at", "decided_at", "created_at",
    "recorded_at", "rejected_at", "screened_at",
}  # fmt: skip
"""Columns stamped with the time the run happened: left out of the fingerprint."""
ORDER_COLUMNS = {"history_id", "flag_id", "facts"}
"""Serial ids (and sweep_watermark.facts, sums over them) number rows in the order one
statement happened to produce them: left out too, the rows are compared by content."""

STEPS: dict[str, list[float]] = {}
"""step → [wall seconds, Python CPU seconds, backend CPU seconds (steps given a connection)]"""


def _backend_cpu(conn) -> tuple[int, float] | None:
    """(pid, CPU seconds so far) of the PostgreSQL backend serving ``conn`` (same machine)."""
    if not isinstance(conn, sa.Connection):
        return None
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return pid, _cpu_of(pid)


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        backend = _backend_cpu(args[0])
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            key = f"{label}({args[2]!r})" if label == "history.record" else label
            step = STEPS.setdefault(key, [0.0, 0.0, 0.0])
            step[0] += time.perf_counter() - t0
            step[1] += time.process_time() - c0
            if backend:
                step[2] += _cpu_of(backend[0]) - backend[1]

    setattr(owner, name, wrapper)


def _use(url: str, home: Path) -> None:
    os.environ["AIRFLOW_CONN_XINFANG_LEDGER"] = url.replace("postgresql+psycopg2", "postgresql")
    os.environ["XINFANG_LANDING_DIR"] = str(home / "landing")
    (home / "xinfang.yaml").write_text("intake:\n  settle_seconds: 0\n", encoding="utf-8")
    os.environ["XINFANG_CONFIG"] = str(home / "xinfang.yaml")


def prepare(day: dt.date) -> None:
    import shutil
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="xinfang_applyb_"))
    shutil.copytree(DATA / "landing", home / "landing")
    with throwaway_database("bench_apply_base", keep=True) as url:
        _use(url, home)
        from xinfang import db
        from xinfang.intake.sweep import sweep_channel
        from xinfang.ledger import assign_cases

        t0 = time.perf_counter()
        db.upgrade()
        for channel in ("letter", "visit", "online", "hotline", "referral"):
            sweep_channel(channel, day=day)
        print(f"loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        print("deduplicate:", assign_cases(db.get_engine()), flush=True)
        sweep_channel("progress", day=day)
        db.get_engine().dispose()
    shutil.rmtree(home)


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        for table in sorted(tables):
            cols = [c["name"] for c in sa.inspect(conn).get_columns(table)]
            keep = ", ".join(f'"{c}"' for c in cols if c not in CLOCK_COLUMNS | ORDER_COLUMNS)
            rows = conn.exec_driver_sql(
                f'SELECT {keep} FROM "{table}" ORDER BY {keep}'
            ).all()  # fmt: skip
            digest = hashlib.md5(repr(rows).encode()).hexdigest()[:12]
            out[table] = (len(rows), digest)
    engine.dispose()
    return out


def add_batch(url: str, n: int, received: dt.datetime, tag: str) -> int:
    """A day's intake: ``n`` items copied from the ledger's (same petitioners: repeats,
    a sample fixed by ``tag``), received at ``received``, not yet deduplicated."""
    engine = sa.create_engine(url)
    skip = {"item_id", "case_id", "received_at", "loaded_at", "source_file", "source_row"}
    skip |= {"file_id", "row_key", "corrects_item_id"}
    with engine.begin() as conn:
        cols = [c["name"] for c in sa.inspect(conn).get_columns("intake_item")]
        kept = ", ".join(c for c in cols if c not in skip)
        added = conn.execute(
            sa.text(
                f"""INSERT INTO intake_item ({kept}, received_at, loaded_at, source_file,
                  source_row)
                SELECT {kept}, :received, :received, :file, ROW_NUMBER() OVER (ORDER BY item_id)
                FROM (SELECT * FROM intake_item WHERE case_id IS NOT NULL
                      ORDER BY md5(item_id::text || :file) LIMIT :n) x"""
            ),
            {"received": received, "file": f"batch_{tag}.csv", "n": n},
        ).rowcount
    engine.dispose()
    return added


def timed_batches(url: str, day: dt.date, n: int) -> None:
    """Two intakes of ``n`` items the next day, each deduplicated and followed by
    ``apply_updates`` (timed): the DAG's runs after its first."""
    from xinfang import db, pipeline
    from xinfang.ledger import assign_cases

    next_day = day + dt.timedelta(days=1)
    for run, hour in (("morning", 9), ("afternoon", 15)):
        received = dt.datetime.combine(next_day, dt.time(hour))
        added = add_batch(url, n, received, f"{next_day:%Y%m%d}_{run}")
        t0, c0 = time.perf_counter(), time.process_time()
        cases = _count(url, "ledger_case")
        done = assign_cases(db.get_engine())
        folded = cases + done["new_cases"] - _count(url, "ledger_case")
        print(
            f"{run} batch: {added} items, deduplicated in {time.perf_counter() - t0:.1f} s"
            f" ({time.process_time() - c0:.1f} s Python CPU), {folded} cases folded"
        )
        STEPS.clear()
        t0 = time.perf_counter()
        summary = pipeline.apply_updates(next_day)
        swept = summary["escalation"]
        print(
            f"apply_updates {time.perf_counter() - t0:.1f} s ({swept['working_set']} sweep,"
            f" {swept['cases_derived']:,} cases derived)"
        )
        _print_steps()


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one()
    engine.dispose()
    return n


SWEPT_TABLES = ("ledger_case", "escalation_event", "notification", "case_sweep")


def check_from_nothing(admin: sa.Engine, name: str, as_of: dt.date) -> bool:
    """A copy of database ``name`` swept as of ``as_of`` from nothing (its case_sweep rows
    and watermark deleted: every case derived in full) has the sweep's tables of the
    original: the daily sweeps ended where one sweep over the same facts does."""
    from xinfang import escalation

    copy = f"{name}_check"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    url = admin.url.set(database=copy).render_as_string(hide_password=False)
    try:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM case_sweep")
            conn.exec_driver_sql("DELETE FROM sweep_watermark")
        t0 = time.perf_counter()
        out = escalation.sweep(engine, as_of)
        engine.dispose()
        print(
            f"check: sweep from nothing {time.perf_counter() - t0:.1f} s"
            f" ({out['working_set']}, {out['cases_derived']:,} cases derived)"
        )
        mine = admin.url.set(database=name).render_as_string(hide_password=False)
        daily, once = fingerprint(mine), fingerprint(url)
        same = True
        for table in SWEPT_TABLES:
            ok = daily[table] == once[table]
            same &= ok
            print(f"    {table:<28} daily {daily[table]}  from nothing {once[table]}"
                  f"  {'same' if ok else 'DIFFERENT'}")  # fmt: skip
        if daily["ledger_case"] != once["ledger_case"]:
            _show_differences(mine, url, "ledger_case", "case_id")
        return same
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


def _show_differences(url_a: str, url_b: str, table: str, key: str) -> None:
    """Which columns of ``table`` differ between two databases, on how many rows."""
    rows = []
    for url in (url_a, url_b):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            result = conn.exec_driver_sql(f'SELECT * FROM "{table}"')
            cols = [c for c in result.keys() if c not in CLOCK_COLUMNS]  # noqa: SIM118
            rows.append({r._mapping[key]: r._mapping for r in result})
        engine.dispose()
    a, b = rows
    by_column: dict[str, list] = {}
    for k in a.keys() & b.keys():
        for c in cols:
            if a[k][c] != b[k][c]:
                by_column.setdefault(c, []).append((k, a[k][c], b[k][c]))
    for c, diffs in by_column.items():
        print(
            f"    {table}.{c}: {len(diffs)} rows differ, e.g. (key, daily, from nothing) {diffs[:3]}"
        )


def _print_steps() -> None:
    print(f"    {'step':<34} {'wall':>7}   {'Python CPU':>10}   {'backend CPU':>11}")
    for step, (wall, cpu, backend) in STEPS.items():
        print(f"    {step:<34} {wall:7.1f} s {cpu:10.1f} s {backend:11.1f} s")
    print(f"    load average {os.getloadavg()[0]:.2f}")


def timed_run(base: str, day: dt.date, home: Path, batch: int = 0, check: bool = False) -> None:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"bench_apply_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        _use(url, home)
        from xinfang import escalation, history, pipeline, progress, risk

        _timed(history, "record", "history.record")
        _timed(progress, "apply_progress", "progress.apply_progress")
        _timed(risk, "screen", "risk.screen")
        _timed(escalation, "sweep", "escalation.sweep")
        t0 = time.perf_counter()
        summary = pipeline.apply_updates(day)
        total = time.perf_counter() - t0
        print(f"apply_updates {total:.1f} s; history rows {summary['history_rows']:,}")
        _print_steps()
        if batch:
            timed_batches(url, day, batch)
        from xinfang import db

        db.get_engine().dispose()
        for table, (rows, digest) in fingerprint(url).items():
            print(f"    {table:<28} {rows:>9,} {digest}")
        if check:
            check_from_nothing(admin, name, day + dt.timedelta(days=1 if batch else 0))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prepare", action="store_true")
    ap.add_argument("--base", help="the database --prepare printed")
    ap.add_argument("--day", default="2026-12-08", help="the run's date (as_of)")
    ap.add_argument("--verbose", action="store_true", help="the steps' own timing log lines")
    ap.add_argument(
        "--batch",
        type=int,
        default=0,
        help="then two intakes of this many items the next day, each with apply_updates",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="at the end, a sweep from nothing on a copy must give the same swept tables",
    )
    args = ap.parse_args()
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        logging.getLogger("xinfang.escalation").setLevel(logging.DEBUG)
    day = dt.date.fromisoformat(args.day)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    if args.prepare:
        prepare(day)
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="xinfang_applyb_") as home:
        timed_run(args.base, day, Path(home), args.batch, args.check)


if __name__ == "__main__":
    main()
