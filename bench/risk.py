"""Benchmark: risk screening of 1,000,000 intake items on PostgreSQL.

Builds a throw-away PostgreSQL database with a synthetic ledger (cases and items
bulk-inserted with INSERT ... SELECT generate_series; items spread uniformly over the cases,
each case keeping to one channel for 3 items in 4, 3% referrals, 1% group visits; texts from a pool of
complaints, about 10% of them sentences of the labelled threat set: threats, negations,
hearsay, neutral mentions of Beijing or a death), then times
``xinfang.risk.screen`` over every item (the first screening), a rerun (nothing new), an
incremental run over 10,000 new items, and ``xinfang.persons.refresh``. Target: the
first screening of 1M items in at most 30 s. Prints the figures and the machine.

    .venv/bin/python bench/risk.py [--items 1000000] [--cases 400000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import resource
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import throwaway_database

from xinfang import db, persons, risk
from xinfang.intake.channels import PETITION_CHANNELS
from xinfang.risk.evaluate import normalize
from xinfang_dev.labelled import GRIEVANCES, NEUTRAL_OTHER, NEUTRAL_PLACE, generate

CHANNELS = list(PETITION_CHANNELS)


COMPLAINTS = [
    *GRIEVANCES,
    "被告至今未履行生效判决确定的义务",
    "原告起诉后法院迟迟不开庭",
    "承办法官长期不接电话",
    "申请强制执行已经两年没有结果",
    "对方当事人名下有车有房却说没有财产",
    "鉴定费用过高且鉴定结论有误",
    "二审维持原判但事实没有查清",
    "请求依法追加被执行人的配偶为被执行人",
    "劳动争议仲裁后单位仍不支付工资",
    "交通事故赔偿款只执行了一部分",
    "法院查封的是我合法所有的房屋",
    "要求退还多扣划的银行存款",
    "申请司法救助至今没有答复",
    "再审申请被驳回后不知道该找谁",
    "执行和解协议对方没有履行",
    "民间借贷纠纷判决后对方下落不明",
]


def text_pool(size: int = 2000, seed: int = 11) -> list[str]:
    """Complaint texts: ~85% plain complaints, ~5% with a neutral mention of Beijing, the
    province or a death, ~10% with a sentence of the labelled set (threats among them)."""
    rng = random.Random(seed)
    labelled = [normalize(i.text) for i in generate()]
    neutral = [t.replace("{n}", "12") for t in NEUTRAL_PLACE + NEUTRAL_OTHER]
    pool = []
    for n in range(size):
        parts = [rng.choice(COMPLAINTS) for _ in range(rng.randint(2, 4))]
        if n % 20 == 1:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(neutral))
        if n % 10 == 0:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(labelled))
        pool.append("，".join(parts) + "，请求法院依法处理。")
    return pool


def populate(engine: sa.Engine, items: int, cases: int) -> None:
    pool = text_pool()
    chans = "ARRAY[" + ",".join(f"'{c}'" for c in CHANNELS) + "]"
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bench_text (n INTEGER PRIMARY KEY, t TEXT)"))
        conn.execute(
            sa.text("INSERT INTO bench_text (n, t) VALUES (:n, :t)"),
            [{"n": n, "t": t} for n, t in enumerate(pool)],
        )
        conn.execute(sa.text("SELECT setseed(0.7)"))
        conn.execute(
            sa.text(
                f"""
                INSERT INTO ledger_case (ledger_no, court_code, is_key, tier, tier_entered_on,
                    status, first_received_at, last_received_at, item_count, reopened_count,
                    overdue, statutory_overdue, priority, person_key, petitioner_name, leader)
                SELECT 'RB' || lpad(g::text, 8, '0'), '冀1003', false, 1, date '2023-01-01',
                       CASE WHEN g % 4 = 0 THEN 'closed' ELSE 'open' END,
                       timestamp '2023-01-01', timestamp '2023-01-01', 0, 0, false, false, 0,
                       lpad((g % {cases * 3 // 4})::text, 18, '1'), '张伟',
                       CASE WHEN g % 3 = 0 THEN '王副院长' END
                FROM generate_series(1, {cases}) g
                """
            )
        )
        conn.execute(
            sa.text(
                f"""
                INSERT INTO intake_item (channel, source_file, source_row, received_at,
                    petitioner_name, id_number, id_invalid, phone, group_size, content,
                    content_normalized, raw, case_id, loaded_at)
                SELECT CASE WHEN random() < 0.03 THEN 'referral'
                            WHEN random() < 0.75 THEN ({chans})[1 + x.c % 4]
                            ELSE ({chans})[1 + floor(random() * 4)::int] END,
                       'bench.csv', x.g,
                       timestamp '2023-01-01' + random() * interval '211 days',
                       '张伟', '110101199003074514', false, '13812345678',
                       CASE WHEN random() < 0.01 THEN 5 + floor(random() * 20)::int ELSE 1 END,
                       t.t, t.t, '{{}}', x.c, now()
                FROM (SELECT g, 1 + floor(random() * {cases})::int AS c
                      FROM generate_series(1, {items}) g) x
                JOIN bench_text t ON t.n = x.g % {len(pool)}
                """
            )
        )
        conn.execute(sa.text("DROP TABLE bench_text"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def reset(engine: sa.Engine) -> None:
    """A kept database back to the state populate() left (before any screening)."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM intake_item WHERE source_file = 'bench2.csv'"))
        conn.execute(sa.text("TRUNCATE risk_flag, risk_screened, notification, key_person"))
        conn.execute(
            sa.text(
                "UPDATE ledger_case SET priority = 0, is_key = false, key_since = NULL"
                " WHERE priority <> 0 OR is_key"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def add_new_items(engine: sa.Engine, n: int, cases: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"""
                INSERT INTO intake_item (channel, source_file, source_row, received_at,
                    id_invalid, group_size, content, content_normalized, raw, case_id, loaded_at)
                SELECT i.channel, 'bench2.csv', g,
                       timestamp '2023-08-01' + random() * interval '20 hours', false,
                       i.group_size, i.content, i.content_normalized, '{{}}',
                       1 + floor(random() * {cases})::int, now()
                FROM generate_series(1, {n}) g
                JOIN intake_item i ON i.item_id = g
                """
            )
        )


def _backend_cpu(engine: sa.Engine) -> float:
    """CPU seconds used so far by the PostgreSQL backend of the engine's one connection."""
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, engine: sa.Engine, fn) -> float:
    """Wall time, and CPU time (this process + the database backend), which a busy
    shared machine inflates less than the wall time."""
    cpu0, db0 = time.process_time(), _backend_cpu(engine)
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0 + _backend_cpu(engine) - db0
    print(f"{label}: {elapsed:.2f} s wall, {cpu:.2f} s CPU  {out}")
    return elapsed


def flag_digest(engine: sa.Engine) -> str:
    """md5 of every ``risk_flag`` row but its serial id, sorted: old and new code compared."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                """SELECT case_id, kind, detected_on, item_id, evidence, person_key
                FROM risk_flag ORDER BY case_id, kind, item_id"""
            )
        ).all()
    return f"{len(rows):,} rows, md5 {hashlib.md5(repr(rows).encode()).hexdigest()}"


def main() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="  %(name)s: %(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=400_000)
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument(
        "--database", help="reuse this populated database of an earlier --keep run (kept)"
    )
    parser.add_argument("--prefix", default="xinfang_bench_risk", help="of a new database's name")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with throwaway_database(args.prefix, keep=args.keep, reuse=args.database) as url:
        # one pooled connection, so its backend's CPU time is the database's share of the work
        engine = sa.create_engine(url, pool_size=1, max_overflow=0)
        try:
            db.upgrade(engine)
            if args.database:
                reset(engine)
                with engine.connect() as conn:
                    args.items = conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar()
                    args.cases = conn.execute(sa.text("SELECT count(*) FROM ledger_case")).scalar()
            else:
                t0 = time.perf_counter()
                populate(engine, args.items, args.cases)
                print(
                    f"populated {args.items:,} items / {args.cases:,} cases"
                    f" in {time.perf_counter() - t0:.1f} s"
                )
            first = timed(
                f"screen {args.items:,} items (first run)",
                engine,
                lambda: risk.screen(engine, as_of=dt.date(2023, 7, 31)),
            )
            print(f"flags after the first run: {flag_digest(engine)}")
            timed(
                "rerun, nothing new",
                engine,
                lambda: risk.screen(engine, as_of=dt.date(2023, 7, 31)),
            )
            add_new_items(engine, 10_000, args.cases)
            timed(
                "incremental: 10,000 new items",
                engine,
                lambda: risk.screen(engine, as_of=dt.date(2023, 8, 1)),
            )
            timed("persons.refresh", engine, lambda: persons.refresh(engine))
            timed("persons.refresh again (no change)", engine, lambda: persons.refresh(engine))
            with engine.connect() as conn:
                kinds = dict(
                    conn.execute(
                        sa.text("SELECT kind, count(*) FROM risk_flag GROUP BY kind")
                    ).all()
                )
                keys = conn.execute(
                    sa.text("SELECT count(*) FROM key_person WHERE is_key_person")
                ).scalar()
            print(f"flags: {kinds}; key persons: {keys:,}")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS: {rss:.0f} MB")
            print(f"first screening of {args.items:,} items: {first:.1f} s (target <= 30 s)")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
