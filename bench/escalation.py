"""Benchmark: the escalation sweep over 1,000,000 open cases on PostgreSQL.

Builds a throw-away PostgreSQL database and fills it with INSERT ... SELECT
generate_series: N open cases whose first item arrived between 1 and 31 July
2023 (one item each; 2% of them referrals, i.e. key cases with a 办结时限;
5% with a 中止/办理中 pause of a few days; 3% with a judge named), then times:

1. the first sweep as of 31 July (no earlier sweep: every event of the month
   is derived and written: the cold start, or a rebuild after a config change);
2. the next day's sweep as of 1 August (the daily run: only that day's events);
3. a rerun of 1 August (nothing to do);
4. the sweep as of 2 August (the next daily run), after a day's new facts
   (``a_days_facts``): 3,000 new cases, 3,000 repeat items on open cases, and
   progress rows that close 1,000 cases, pause 500 and name a judge on 1,000.

Before each sweep after the first: VACUUM (ANALYZE) and a CHECKPOINT, as the
hours between two daily runs would have done (see ``a_day_later``); with
``--no-settle`` the sweeps follow each other at once, autovacuum still busy.

Target: one sweep in at most 10 s. Prints the figures and the machine.

    .venv/bin/python bench/escalation.py [--cases 1000000] [--no-settle] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine, peak_rss_mib
from _pg import throwaway_database

from xinfang import db, escalation

COURTS = ["冀10", "冀1002", "冀1003", "冀1022", "冀1023", "冀1024", "冀1025", "冀1026", "冀1028", "冀1081", "冀1082"]  # fmt: skip


def populate(engine: sa.Engine, n: int) -> None:
    courts = "ARRAY[" + ",".join(f"'{c}'" for c in COURTS) + "]"
    steps = [
        f"""INSERT INTO ledger_case (case_id, ledger_no, court_code, is_key, tier, tier_entered_on,
              status, first_received_at, last_received_at, item_count, reopened_count,
              overdue, statutory_overdue, priority)
            SELECT g, 'XF' || lpad(g::text, 8, '0'), ({courts})[1 + (g % 11)], false, 1,
              DATE '2023-07-01' + (g % 31),
              'open', TIMESTAMP '2023-07-01 09:00' + (g % 31) * INTERVAL '1 day',
              TIMESTAMP '2023-07-01 09:00' + (g % 31) * INTERVAL '1 day', 1, 0, false, false, 0
            FROM generate_series(1, {n}) g""",
        f"""INSERT INTO intake_item (item_id, channel, source_file, source_row, received_at,
              petitioner_name, due_on, raw, case_id, loaded_at, id_invalid, group_size)
            SELECT g, CASE WHEN g % 50 = 7 THEN 'referral' ELSE 'letter' END, 'bench.csv', g,
              TIMESTAMP '2023-07-01 09:00' + (g % 31) * INTERVAL '1 day', '张三',
              CASE WHEN g % 50 = 7 THEN DATE '2023-07-01' + (g % 31) + 20 END, '{{}}', g,
              TIMESTAMP '2023-08-01 00:00', false, 1
            FROM generate_series(1, {n}) g""",
        f"""INSERT INTO case_progress (case_id, progress_date, status, loaded_at)
            SELECT g, DATE '2023-07-01' + (g % 31) + 1 + (g % 3), 'paused', TIMESTAMP '2023-08-01'
            FROM generate_series(1, {n}) g WHERE g % 20 = 3
            UNION ALL
            SELECT g, DATE '2023-07-01' + (g % 31) + 6 + (g % 5), 'open', TIMESTAMP '2023-08-01'
            FROM generate_series(1, {n}) g WHERE g % 20 = 3""",
        f"""INSERT INTO case_progress (case_id, progress_date, judge, loaded_at)
            SELECT g, DATE '2023-07-01' + (g % 31), '法官' || (g % 97), TIMESTAMP '2023-08-01'
            FROM generate_series(1, {n}) g WHERE g % 33 = 5""",
        "SELECT setval(pg_get_serial_sequence('ledger_case', 'case_id'), (SELECT max(case_id) FROM ledger_case))",
        "SELECT setval(pg_get_serial_sequence('intake_item', 'item_id'), (SELECT max(item_id) FROM intake_item))",
        "ANALYZE",
    ]
    with engine.begin() as conn:
        for sql in steps:
            conn.exec_driver_sql(sql.replace("%", "%%"))


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in (
                "ledger_case",
                "intake_item",
                "case_progress",
                "escalation_event",
                "notification",
            )
        }


def a_day_later(engine: sa.Engine) -> None:
    """What the hours between two daily sweeps do: autovacuum has cleaned up after the
    last one (here it would still be busy with a million updated rows, on the other of
    two cores), and a checkpoint has passed (each page the sweep changes is then
    written to the WAL whole, once)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
        conn.exec_driver_sql("CHECKPOINT")


def a_days_facts(engine: sa.Engine, n: int) -> None:
    """What the 1 August intake and progress files add (as the intake and dedup
    tasks write them), so the 2 August sweep also derives cases whose facts changed."""
    steps = [
        """INSERT INTO ledger_case (case_id, ledger_no, court_code, is_key, tier, tier_entered_on,
              status, first_received_at, last_received_at, item_count, reopened_count,
              overdue, statutory_overdue, priority)
            SELECT m + g, 'XF' || lpad((m + g)::text, 8, '0'), '冀10', false, 1, DATE '2023-08-01',
              'open', TIMESTAMP '2023-08-01 10:00', TIMESTAMP '2023-08-01 10:00', 1, 0, false,
              false, 0
            FROM (SELECT max(case_id) AS m FROM ledger_case) c, generate_series(1, 3000) g""",
        f"""INSERT INTO intake_item (item_id, channel, source_file, source_row, received_at,
              petitioner_name, raw, case_id, loaded_at, id_invalid, group_size)
            SELECT i.m + g, 'visit', 'bench-0801.csv', g, TIMESTAMP '2023-08-01 10:00', '李四',
              '{{}}', CASE WHEN g <= 3000 THEN c.m - 3000 + g ELSE (g * 331) % {n} + 1 END,
              TIMESTAMP '2023-08-02 00:10', false, 1
            FROM (SELECT max(item_id) AS m FROM intake_item) i,
                 (SELECT max(case_id) AS m FROM ledger_case) c, generate_series(1, 6000) g""",
        f"""UPDATE ledger_case SET item_count = item_count + 1,
              last_received_at = TIMESTAMP '2023-08-01 10:00'
            WHERE case_id IN (SELECT (g * 331) % {n} + 1 FROM generate_series(3001, 6000) g)""",
        f"""INSERT INTO case_progress (case_id, progress_date, status, disposition, judge,
              loaded_at)
            SELECT (g * 7919) % {n} + 1, DATE '2023-08-01',
              CASE WHEN g <= 1000 THEN 'closed' WHEN g <= 1500 THEN 'paused' END,
              CASE WHEN g <= 1000 THEN 'resolved' END,
              CASE WHEN g > 1500 THEN '法官' || (g % 97) END, TIMESTAMP '2023-08-02 00:20'
            FROM generate_series(1, 2500) g""",
        "SELECT setval(pg_get_serial_sequence('ledger_case', 'case_id'), (SELECT max(case_id) FROM ledger_case))",
        "SELECT setval(pg_get_serial_sequence('intake_item', 'item_id'), (SELECT max(item_id) FROM intake_item))",
    ]
    with engine.begin() as conn:
        for sql in steps:
            conn.exec_driver_sql(sql.replace("%", "%%"))


def timed(engine: sa.Engine, as_of: dt.date) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = escalation.sweep(engine, as_of)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument(
        "--no-settle",
        action="store_true",
        help="no VACUUM (ANALYZE) and CHECKPOINT between the sweeps",
    )
    args = ap.parse_args()

    with throwaway_database("xinfang_bench_esc", keep=args.keep) as url:
        os.environ["AIRFLOW_CONN_XINFANG_LEDGER"] = url.replace("postgresql+psycopg2", "postgresql")
        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            t0 = time.perf_counter()
            populate(engine, args.cases)
            print(f"machine: {machine()}")
            print(
                f"populated {args.cases:,} open cases in {time.perf_counter() - t0:.1f} s: {counts(engine)}"
            )
            runs = [
                ("first sweep as of 2023-07-31 (cold, all of July)", dt.date(2023, 7, 31)),
                ("daily sweep as of 2023-08-01", dt.date(2023, 8, 1)),
                ("rerun of 2023-08-01", dt.date(2023, 8, 1)),
                ("daily sweep as of 2023-08-02", dt.date(2023, 8, 2)),
            ]
            for n, (label, as_of) in enumerate(runs):
                if as_of == dt.date(2023, 8, 2):
                    a_days_facts(engine, args.cases)
                if n and not args.no_settle:
                    a_day_later(engine)
                seconds, out = timed(engine, as_of)
                keys = (
                    "cases",
                    "cases_derived",
                    "cases_changed",
                    "events_inserted",
                    "notifications_inserted",
                    "cases_reopened_path",
                )
                print(
                    f"{label}: {seconds:.2f} s  "
                    + ", ".join(f"{k}={out[k]:,}" for k in keys)
                    + f", working_set={out['working_set']}, load {os.getloadavg()[0]:.1f}"
                )
            print(f"after: {counts(engine)}")
            print(f"peak RSS of this process: {peak_rss_mib():.0f} MiB")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
