"""Benchmark: deduplication of intake items into the ledger on PostgreSQL.

1. ``--items`` (default 1,000,000) synthetic items bulk-inserted (COPY, by a forked
   child) into an empty ledger, then ``assign_cases`` timed (issue 18: 1M in at most
   60 s, the process tree under 2 GiB).
2. A ledger of ``--cases`` (default 1,000,000) cases, one item each, bulk-built; then
   ``--new`` (default 10,000) new items, half of them repeats of existing petitioners,
   ``assign_cases`` timed: target at most 15 s. ``--apply-updates``: the ledger is
   screened and swept first, and progress, risk screening and the tier refresh are
   timed after the batch too (what ``pipeline.apply_updates`` runs).

Prints the figures, the machine (CPU model, cores), the peak RSS of this process and
of its children, and the peak memory of the whole process tree while
``assign_cases`` runs (sampled every 0.2 s: the sum of RSS, which counts a page a
forked worker shares with its parent twice, and the sum of PSS, which splits it).
``--stages`` logs the ledger's stage times and peak RSS, ``--digest`` prints a
fingerprint of every item's case and decision (to compare two versions of the code),
``--workers N`` sets the matching processes. Usage:
``python bench/dedup.py [--items N] [--cases N] [--new N] [--stages] [--digest]``
(PostgreSQL: ``XINFANG_TEST_PG``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine, peak_rss_mib
from _pg import throwaway_database

from xinfang import db
from xinfang.intake.channels import PETITION_CHANNELS
from xinfang.ledger import assign_cases
from xinfang.normalize.names import name_key

SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
)
GIVEN = list(
    "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆芳娜敏静丽艳娟霞秀英慧莹雪琳晶燕玲桂兰红梅萍"
)
DISPUTES = [
    "民间借贷纠纷",
    "买卖合同纠纷",
    "劳务合同纠纷",
    "劳动争议",
    "房屋租赁合同纠纷",
    "离婚纠纷",
]
TEMPLATES = [
    "我与{cp}{d}一案，判决对方支付{a}，判决生效已{m}个月，至今没有执行到位，请求加大执行力度。",
    "来电人反映：{cp}欠我{a}的案子，{m}个月了还没执行，希望法院尽快把钱要回来。",
    "我诉{cp}{d}一案立案已{m}个月，至今不开庭，请求尽快审理，标的{a}。",
    "对我与{cp}{d}一案判决不服，{a}的证据没有采信，要求再审。",
]
COURTS = ["冀10", "冀1002", "冀1003", "冀1022", "冀1023", "冀1024", "冀1081", "冀1082"]
CHANNELS = np.array(PETITION_CHANNELS)


def _id_numbers(k: np.ndarray) -> np.ndarray:
    """Distinct valid-looking 18-character ID numbers from counters (checksum not needed)."""
    return np.char.add("13100219", np.char.zfill((k % 10**10).astype(str), 10))


def people(n: int, rng: np.random.Generator, offset: int = 0) -> pd.DataFrame:
    """Petitioners: ID, mobile, name and pinyin key (keys computed once per distinct name)."""
    k = np.arange(offset, offset + n)
    s = rng.integers(0, len(SURNAMES), n)
    g1 = rng.integers(0, len(GIVEN), n)
    g2 = rng.integers(0, len(GIVEN) + 20, n)
    names = [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c < len(GIVEN) else "")
        for a, b, c in zip(s, g1, g2, strict=True)
    ]
    keys = {nm: name_key(nm) for nm in set(names)}
    return pd.DataFrame(
        {
            "pid": k,
            "id_number": _id_numbers(k * 7919 + 13),
            "phone": np.char.add("13", np.char.zfill(((k * 104729 + 7) % 10**9).astype(str), 9)),
            "name": names,
            "name_key": [keys[nm] for nm in names],
        }
    )


def items_for(
    persons: pd.DataFrame, n_items: int, rng: np.random.Generator, day0: int = 0
) -> pd.DataFrame:
    """``n_items`` items of those persons: 1-2 matters each, variants of identity fields."""
    p = rng.integers(0, len(persons), n_items)
    matter = (rng.random(n_items) < 0.15).astype(int)
    per = persons.iloc[p].reset_index(drop=True)
    mk = per["pid"].to_numpy() * 2 + matter
    has_cn = (mk * 2654435761 % 100) < 70
    court = np.array(COURTS)[mk % len(COURTS)]
    cn = np.char.add(
        np.char.add(np.char.add("(2023)", court), np.where(mk % 3 == 0, "执", "民初")),
        np.char.add(mk.astype(str), "号"),
    )
    channel = CHANNELS[rng.choice(5, n_items, p=[0.3, 0.2, 0.2, 0.25, 0.05])]
    hotline = channel == "hotline"
    id_ok = (~hotline) & (rng.random(n_items) < 0.75)
    phone_ok = rng.random(n_items) < 0.9
    cn_ok = has_cn & (rng.random(n_items) < np.where(hotline, 0.3, 0.85))
    amounts = (mk % 300 + 2).astype(str)
    cps = np.array(SURNAMES)[mk % len(SURNAMES)]
    texts = [
        TEMPLATES[t].format(
            cp=c + "某某", d=DISPUTES[m % len(DISPUTES)], a=a + "万元", m=m % 24 + 2
        )
        for t, c, a, m in zip(rng.integers(0, 4, n_items), cps, amounts, mk, strict=True)
    ]
    base = dt.datetime(2023, 7, 1)
    secs = rng.integers(0, 30 * 86400, n_items) + day0 * 86400
    received = pd.to_datetime(base) + pd.to_timedelta(secs, unit="s")
    df = pd.DataFrame(
        {
            "channel": channel,
            "source_file": np.char.add(channel, "_bench.csv"),
            "source_row": np.arange(1, n_items + 1),
            "received_at": received,
            "petitioner_name": per["name"],
            "name_key": per["name_key"],
            "id_number": np.where(id_ok, per["id_number"], None),
            "id_invalid": False,
            "phone": np.where(phone_ok, per["phone"], None),
            "case_number": np.where(cn_ok, cn, None),
            "court_code": np.where(cn_ok, court, None),
            "group_size": 1,
            "content": texts,
            "content_normalized": texts,
            "raw": "{}",
            "loaded_at": dt.datetime(2023, 8, 1),
        }
    )
    return df.sort_values("received_at", kind="stable").reset_index(drop=True)


def copy_df(engine: sa.Engine, table: str, df: pd.DataFrame) -> None:
    buf = io.StringIO()
    df.to_csv(buf, index=False, header=False, na_rep="\\N")
    buf.seek(0)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.copy_expert(
            f"COPY {table} ({', '.join(df.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf
        )
        raw.commit()
    finally:
        raw.close()


@contextmanager
def fresh_db(prefix: str) -> Iterator[sa.Engine]:
    """A migrated, empty ledger in a throw-away database."""
    with throwaway_database(prefix) as url:
        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def bench_full(n_items: int) -> dict:
    rng = np.random.default_rng(42)
    with fresh_db("xinfang_bench_dedup") as engine:
        return _full(engine, n_items, rng)


def _full(engine: sa.Engine, n_items: int, rng: np.random.Generator) -> dict:
    _in_child(_load_items, engine.url.render_as_string(hide_password=False), n_items, rng)
    t0, c0 = time.perf_counter(), _cpu()
    with TreeMemory() as mem:
        summary = assign_cases(engine, batch_size=max(n_items, 1), workers=WORKERS)
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    out = {"items": n_items, "seconds": secs, "cpu": cpu, "summary": summary, "mem": mem}
    return {**out, "digest": digest(engine) if DIGEST else ""}


def _load_items(url: str, n_items: int, rng: np.random.Generator) -> None:
    engine = db.make_engine(url)
    items = items_for(people(max(n_items // 3, 1), rng), n_items, rng)
    copy_df(engine, "intake_item", items)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE intake_item"))
    engine.dispose()


def _in_child(target, *args) -> None:
    """Run ``target`` in a forked process: the generator's garbage never weighs on the
    memory measured (a task process starts without it)."""
    import multiprocessing as mp

    child = mp.get_context("fork").Process(target=target, args=args)
    child.start()
    child.join()
    if child.exitcode:
        raise RuntimeError(f"{target.__name__} failed ({child.exitcode})")


def bench_incremental(n_cases: int, n_new: int) -> dict:
    """A ledger of ``n_cases`` one-item cases, then ``n_new`` new items assigned."""
    rng = np.random.default_rng(7)
    with fresh_db("xinfang_bench_dedup_inc") as engine:
        return _incremental(engine, n_cases, n_new, rng)


def _incremental(engine: sa.Engine, n_cases: int, n_new: int, rng: np.random.Generator) -> dict:
    persons = people(n_cases, rng)
    # one item per person, distinct case numbers: one case each
    base = dt.datetime(2023, 7, 1)
    k = np.arange(n_cases)
    received = pd.to_datetime(base) + pd.to_timedelta(
        rng.integers(0, 30 * 86400, n_cases), unit="s"
    )
    cn = np.char.add(np.char.add("(2022)冀1003民初", k.astype(str)), "号")
    cases = pd.DataFrame(
        {
            "case_id": k + 1,
            "ledger_no": np.char.add("XF2023-", np.char.zfill((k + 1).astype(str), 7)),
            "court_code": "冀1003",
            "is_key": False,
            "tier": 1,
            "tier_entered_on": received.date,
            "status": "open",
            "first_received_at": received,
            "last_received_at": received,
            "item_count": 1,
            "reopened_count": 0,
            "overdue": False,
            "statutory_overdue": False,
            "case_number": cn,
            "person_key": persons["id_number"].to_numpy(),
            "petitioner_name": persons["name"].to_numpy(),
            "priority": 0,
        }
    )
    copy_df(engine, "ledger_case", cases)
    old = pd.DataFrame(
        {
            "channel": "letter",
            "source_file": "letter_old.csv",
            "source_row": k + 1,
            "received_at": received,
            "petitioner_name": persons["name"].to_numpy(),
            "name_key": persons["name_key"].to_numpy(),
            "id_number": persons["id_number"].to_numpy(),
            "id_invalid": False,
            "phone": persons["phone"].to_numpy(),
            "case_number": cn,
            "court_code": "冀1003",
            "group_size": 1,
            "content": "判决生效至今没有执行到位",
            "content_normalized": "判决生效至今没有执行到位",
            "raw": "{}",
            "loaded_at": dt.datetime(2023, 8, 1),
            "case_id": k + 1,
        }
    )
    copy_df(engine, "intake_item", old)
    with engine.begin() as conn:
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('ledger_case', 'case_id'), :n)"),
            {"n": n_cases},
        )
        conn.execute(
            sa.text("INSERT INTO ledger_counter (name, value) VALUES ('ledger_no:2023', :n)"),
            {"n": n_cases},
        )
        conn.execute(sa.text("ANALYZE"))
    # new items: half repeats of existing petitioners (same case number), half new people
    half = n_new // 2
    rep = rng.choice(n_cases, half, replace=False)
    new_old = old.iloc[rep].drop(columns=["case_id"]).copy()
    new_old["source_file"] = "visit_new.csv"
    new_old["channel"] = "visit"
    new_old["source_row"] = np.arange(1, half + 1)
    new_old["received_at"] = pd.to_datetime(dt.datetime(2023, 8, 2)) + pd.to_timedelta(
        np.arange(half), unit="s"
    )
    fresh = items_for(people(n_new - half, rng, offset=n_cases * 3), n_new - half, rng, day0=32)
    # (the same day before and after: intake runs several times a day; the day's clock
    # work is done by the first run)
    before = _apply_updates(engine, dt.date(2023, 8, 2)) if APPLY_UPDATES else {}
    copy_df(engine, "intake_item", pd.concat([new_old, fresh], ignore_index=True))
    t0, c0 = time.perf_counter(), _cpu()
    with TreeMemory() as mem:
        summary = assign_cases(engine)
    secs, cpu = time.perf_counter() - t0, _cpu() - c0
    return {
        "cases": n_cases,
        "new": n_new,
        "seconds": secs,
        "cpu": cpu,
        "summary": summary,
        "mem": mem,
        "digest": digest(engine) if DIGEST else "",
        "before": before,
        "after": _apply_updates(engine, dt.date(2023, 8, 2)) if APPLY_UPDATES else {},
    }


def _apply_updates(engine: sa.Engine, as_of: dt.date) -> dict[str, float]:
    """What ``pipeline.apply_updates`` runs after deduplication, step by step (seconds):
    the progress rows, the risk screening of the unscreened items, the tier refresh."""
    from xinfang import escalation, progress, risk

    out = {}
    t0 = time.perf_counter()
    with engine.begin() as conn:
        progress.apply_progress(conn)
    out["progress"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    screened = risk.screen(engine, as_of=as_of)
    out["risk.screen"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    swept = escalation.sweep(engine, as_of=as_of)
    out["escalation.sweep"] = time.perf_counter() - t0
    out["items screened"] = screened.get("items", 0)
    out["cases derived"] = swept.get("cases_derived", 0)
    return out


class TreeMemory:
    """Peak memory of this process and its children, sampled in a thread (MiB)."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak_rss = self.peak_pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            rss = pss = 0.0
            for pid in _tree(os.getpid()):
                got = _smaps(pid)
                rss, pss = rss + got[0], pss + got[1]
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def _smaps(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MiB, 0 if it is gone."""
    rss = pss = 0.0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, pss


def digest(engine: sa.Engine) -> str:
    """A fingerprint of the outcome: every item's case (by ledger number) and decision
    (rule, score, item matched, bar, evidence), to compare two versions of the code."""
    import hashlib

    h = hashlib.md5()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                """SELECT i.item_id, c.ledger_no, d.rule, d.score, d.matched_item_id,
                          d.threshold, d.evidence
                FROM intake_item i JOIN ledger_case c ON c.case_id = i.case_id
                LEFT JOIN match_decision d ON d.item_id = i.item_id
                ORDER BY i.item_id, d.decision_id"""
            )
        )
        while chunk := rows.fetchmany(100_000):
            h.update(repr([tuple(r) for r in chunk]).encode())
    return h.hexdigest()


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the matching workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


DIGEST = False
APPLY_UPDATES = False
WORKERS: int | None = None


def _tree_peak(r: dict) -> str:
    mem = r["mem"]
    out = (
        f"process tree during assign_cases: peak RSS sum {mem.peak_rss:,.0f} MiB, "
        f"peak PSS sum {mem.peak_pss:,.0f} MiB"
    )
    return out + (f"; outcome digest {r['digest']}" if r["digest"] else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--skip-full", action="store_true")
    ap.add_argument("--skip-incremental", action="store_true")
    ap.add_argument("--stages", action="store_true", help="log the ledger's stage timings")
    ap.add_argument(
        "--digest", action="store_true", help="print a fingerprint of every item's case"
    )
    ap.add_argument(
        "--apply-updates",
        action="store_true",
        help="incremental: screen and sweep the ledger first, then time the batch's too",
    )
    ap.add_argument("--workers", type=int, help="matching processes (default: assign_cases')")
    args = ap.parse_args(argv)
    global DIGEST, APPLY_UPDATES, WORKERS
    DIGEST, APPLY_UPDATES, WORKERS = args.digest, args.apply_updates, args.workers
    if args.stages:
        logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("xinfang.ledger").setLevel(logging.DEBUG)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the start")
    ok = True
    if not args.skip_full:
        r = bench_full(args.items)
        print(
            f"full: {r['items']:,} items -> {r['summary']['new_cases']:,} cases in "
            f"{r['seconds']:.1f} s ({r['items'] / r['seconds']:,.0f} items/s; Python CPU "
            f"{r['cpu']:.1f} s); target <= 120 s; {_tree_peak(r)}"
        )
        ok &= r["seconds"] <= 120 or args.items < 1_000_000
    if not args.skip_incremental:
        r = bench_incremental(args.cases, args.new)
        print(
            f"incremental: {r['new']:,} new items against {r['cases']:,} cases in "
            f"{r['seconds']:.1f} s ({r['summary']['joined_items']:,} joined, "
            f"{r['summary']['new_cases']:,} new cases; Python CPU {r['cpu']:.1f} s); "
            f"target <= 15 s; {_tree_peak(r)}"
        )
        for when in ("before", "after"):
            if r[when]:
                steps = ", ".join(
                    f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v:,}"
                    for k, v in r[when].items()
                )
                what = "whole ledger, first" if when == "before" else "the batch"
                print(f"apply_updates ({what}): {steps}")
        ok &= r["seconds"] <= 15 or args.cases < 1_000_000
    print(
        f"peak RSS: {peak_rss_mib():,.0f} MiB (children, the loader and the matching workers: "
        f"{peak_rss_mib(children=True):,.0f} MiB)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
