"""Benchmark: month-end statistics (disposition_monthly + kpi_monthly) over a 1M-case ledger.

Builds a throw-away PostgreSQL database, bulk-inserts a synthetic ledger
directly with INSERT ... SELECT generate_series (1,000,000 cases over seven
months, ~1.6M intake items, ~0.9M progress rows, ~1M escalation events), then
times ``xinfang.stats.compute_month`` for the last, busiest month. Target: at
most 10 s. Prints the figures and the machine.

    .venv/bin/python bench/monthly.py [--cases 1000000] [--runs 3] [--reports]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import throwaway_database

from xinfang import db, stats

COURTS = ["冀10", "冀1002", "冀1003", "冀1022", "冀1023", "冀1024", "冀1025", "冀1026", "冀1028", "冀1081", "冀1082"]  # fmt: skip
DISPOSITIONS = list(stats.DISPOSITIONS)
CHANNELS = list(stats.CHANNELS)


def backends_cpu(engine: sa.Engine) -> dict[int, float]:
    """CPU seconds (user + system) of each local PostgreSQL backend of the database, from /proc."""
    with engine.connect() as conn:
        pids = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars()
        out = {}
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def populate(engine: sa.Engine, n: int) -> dict[str, int]:
    """The synthetic ledger: cases received 2023-01-01 .. 2023-07-31, ~40% closed."""
    courts, disps, chans = _arr(COURTS), _arr(DISPOSITIONS), _arr(CHANNELS)
    steps = [
        "SELECT setseed(0.42)",
        # cases: first item at a random time in the 212 days to 2023-07-31
        f"""
        INSERT INTO ledger_case (ledger_no, court_code, is_key, key_since, tier, tier_entered_on,
            status, disposition, first_received_at, last_received_at, item_count, closed_on,
            reopened_count, overdue, statutory_due_on, statutory_overdue, priority)
        SELECT 'XF' || lpad(g::text, 8, '0'),
               ({courts})[1 + (g % 11)],
               g % 20 = 0, CASE WHEN g % 20 = 0 THEN d::date + 3 END,
               1 + (g % 5), d::date, 'open', NULL, d, d, 1, NULL, 0,
               g % 10 = 0, d::date + 60, false, 0
        FROM (SELECT g, timestamp '2023-01-01' + random() * interval '212 days' AS d
              FROM generate_series(1, {n}) g) s
        """,
        # ~40% closed 5..64 days after arrival (only if before 2023-08-10), some reopened
        f"""
        UPDATE ledger_case SET status = 'closed',
               closed_on = first_received_at::date + 5 + (case_id % 60)::int,
               disposition = ({disps})[1 + (case_id % 5)]
        WHERE case_id % 5 IN (1, 2) AND first_received_at::date + 5 + (case_id % 60)::int < date '2023-08-10'
        """,
        # first items, one per case
        f"""
        INSERT INTO intake_item (channel, source_file, source_row, received_at, petitioner_name,
            id_number, id_invalid, group_size, phone, court_code, raw, case_id, loaded_at)
        SELECT ({chans})[1 + (case_id % 5)], 'bench.csv', case_id, first_received_at, '张伟',
               '110101199003074514', false, 1, '13812345678', court_code, '{{}}', case_id, now()
        FROM ledger_case
        """,
        # repeat items for 60% of cases, 0..40 days later (some after closing)
        f"""
        INSERT INTO intake_item (channel, source_file, source_row, received_at, court_code, raw,
            case_id, loaded_at, id_invalid, group_size)
        SELECT ({chans})[1 + ((case_id / 7) % 5)], 'bench-repeat.csv', case_id,
               first_received_at + ((case_id % 41)::int || ' days')::interval + interval '3 hours',
               court_code, '{{}}', case_id, now(), false, 1
        FROM ledger_case WHERE case_id % 5 IN (0, 1, 3)
        """,
        """
        UPDATE ledger_case c SET last_received_at = i.m, item_count = i.n
        FROM (SELECT case_id, max(received_at) m, count(*) n FROM intake_item GROUP BY case_id) i
        WHERE i.case_id = c.case_id AND i.n > 1
        """,
        # progress: the closing row of each closed case, plus a note on half the cases
        # (2% of them with a hearing)
        """
        INSERT INTO case_progress (case_id, progress_date, note, status, disposition, loaded_at)
        SELECT case_id, closed_on, '已销号', 'closed', disposition, now()
        FROM ledger_case WHERE closed_on IS NOT NULL
        """,
        # a repeat after closing reopens the case, as the escalation sweep records it:
        # open again, no closed_on, reopened_count (the closing progress row stays)
        """
        UPDATE ledger_case SET reopened_count = 1, status = 'open', closed_on = NULL,
               disposition = NULL
        WHERE closed_on IS NOT NULL AND last_received_at >= closed_on + 1
        """,
        """
        INSERT INTO case_progress (case_id, progress_date, note, status, hearing_date, loaded_at)
        SELECT case_id, first_received_at::date + 2, '正在办理', 'open',
               CASE WHEN case_id % 50 = 0 THEN first_received_at::date + 2 END, now()
        FROM ledger_case WHERE case_id % 2 = 0
        """,
        # escalations: every case climbs (tier - 1) steps, 8 days apart
        """
        INSERT INTO escalation_event (case_id, from_tier, to_tier, escalated_on, reason)
        SELECT c.case_id, t - 1, t, c.first_received_at::date + 8 * (t - 1), 'sla'
        FROM ledger_case c CROSS JOIN generate_series(2, 5) t
        WHERE t <= c.tier
        """,
        "VACUUM ANALYZE",
    ]
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT", no_parameters=True)
        for sql in steps:
            conn.exec_driver_sql(sql)
        counts = {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("ledger_case", "intake_item", "case_progress", "escalation_event")
        }
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--month", default="2023-07")
    parser.add_argument("--reports", action="store_true", help="also time write_month")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    with throwaway_database("xinfang_bench_monthly", keep=args.keep) as url:
        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            t0 = time.perf_counter()
            counts = populate(engine, args.cases)
            load_s = time.perf_counter() - t0
            stats.compute_month(engine, args.month)  # warm-up: the pool's connections exist
            times, cpus = [], []
            summary = {}
            for _ in range(args.runs):
                before = backends_cpu(engine)
                t0 = time.perf_counter()
                summary = stats.compute_month(engine, args.month)
                times.append(time.perf_counter() - t0)
                after = backends_cpu(engine)
                cpus.append(sum(v - before.get(pid, 0.0) for pid, v in after.items()))
            print(f"machine: {machine()}")
            with engine.connect() as conn:
                print("server:", conn.exec_driver_sql("SHOW server_version").scalar_one())
            print("ledger:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            print(f"synthetic load: {load_s:.1f} s")
            print(
                f"compute_month({args.month}) over {counts['ledger_case']:,} cases: "
                f"best {min(times):.2f} s, median {statistics.median(times):.2f} s "
                f"over {len(times)} runs (target <= 10 s)"
            )
            if cpus:
                print(
                    f"PostgreSQL backends' CPU per run (both queries): best {min(cpus):.2f} s, "
                    f"median {statistics.median(cpus):.2f} s (the load average was "
                    f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
                )
            print("month totals:", {k: v for k, v in summary.items() if k != "month"})
            if args.reports:
                import tempfile

                os.environ["XINFANG_REPORTS_DIR"] = tempfile.mkdtemp(prefix="xinfang-bench-")
                from xinfang.reports.monthly import write_month

                t0 = time.perf_counter()
                files = write_month(engine, args.month)
                print(f"write_month: {len(files)} files in {time.perf_counter() - t0:.2f} s")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
