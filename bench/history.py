"""Benchmark: the cost of ``case_history`` on the daily escalation sweep (PostgreSQL).

The ledger of ``bench/escalation.py`` (N open cases, July 2023; its ``populate`` and
``a_days_facts``), then, day by day, the sweep and the history step timed back to back
in one run: ``escalation.sweep`` (which now ends with ``progress.withdraw_keys``), then
``history.record`` of what it changed, in the same transaction as the pipeline runs them.
Also the first record (every case new: one 'created' row each) and a rerun (nothing).

    .venv/bin/python bench/history.py [--cases 300000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import throwaway_database

from xinfang import db, escalation, history, progress
from xinfang.timeutil import now_local

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_escalation", HERE / "escalation.py")
bench_escalation = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_escalation)


def _timed(fn, *args, **kw) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def day(engine: sa.Engine, as_of: dt.date, label: str) -> None:
    with engine.begin() as conn:
        started = now_local()
        t_sweep, out = _timed(escalation.sweep, conn, as_of)
        t_keys, _ = _timed(progress.withdraw_keys, conn, as_of)
        t_hist, rows = _timed(history.record, conn, as_of, "escalation", since=started)
    print(
        f"{label}: sweep {t_sweep:.2f} s (cases_changed={out['cases_changed']:,}); "
        f"history.record {t_hist:.3f} s ({rows:,} rows) = {100 * t_hist / t_sweep:.1f}% of the "
        f"sweep; withdraw_keys alone {t_keys:.3f} s; load {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=300_000)
    args = ap.parse_args()
    with throwaway_database("xinfang_bench_hist") as url:
        os.environ["AIRFLOW_CONN_XINFANG_LEDGER"] = url.replace("postgresql+psycopg2", "postgresql")
        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            bench_escalation.populate(engine, args.cases)
            print(f"machine: {machine()}; {args.cases:,} open cases")
            with engine.begin() as conn:
                t, n = _timed(history.record, conn, dt.date(2023, 7, 31), "intake")
            print(f"first record (every case new): {t:.2f} s, {n:,} rows")
            with engine.begin() as conn:
                t, n = _timed(history.record, conn, dt.date(2023, 7, 31), "intake")
            print(f"rerun (nothing changed): {t:.3f} s, {n:,} rows")
            day(engine, dt.date(2023, 7, 31), "sweep as of 2023-07-31 (cold)")
            bench_escalation.a_day_later(engine)
            day(engine, dt.date(2023, 8, 1), "daily sweep as of 2023-08-01")
            bench_escalation.a_days_facts(engine, args.cases)
            bench_escalation.a_day_later(engine)
            day(engine, dt.date(2023, 8, 2), "daily sweep as of 2023-08-02 (a day's facts)")
            day(engine, dt.date(2023, 8, 2), "rerun of 2023-08-02")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
