"""The threat rule's CPU on a ledger's texts: the Python half of the screening's batch.

    .venv/bin/python bench/threat_speed.py --database xf_apply_base [--runs 2]

Reads (SELECT only) every item with a case of the database, as the screening's COPY
hands them to ``risk.screen._Judge`` (item id, case, day, normalized text), then feeds
them to a fresh judge per run and prints CPU and wall seconds, the number of hits and an
md5 of them. Run it with the old code on ``PYTHONPATH`` and with the new, back to back:
same md5, two timings. (``bench/risk.py`` cannot show the rule's cost: its texts come from
a pool of 2,000, each judged once.)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import ADMIN_URL

from xinfang.risk.screen import _Judge
from xinfang.risk.threat import default_lexicon


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True, help="a populated ledger (only read)")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    engine = sa.create_engine(sa.make_url(ADMIN_URL).set(database=args.database))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                """SELECT item_id, case_id, 0, COALESCE(content_normalized, content)
                FROM intake_item WHERE case_id IS NOT NULL ORDER BY item_id"""
            )
        ).all()
    engine.dispose()
    print(f"{len(rows):,} items, {len({r[3] for r in rows}):,} distinct texts")
    lexicon = default_lexicon()
    for _ in range(args.runs):
        judge = _Judge(lexicon)
        cpu, wall = time.process_time(), time.perf_counter()
        for row in rows:
            judge.add(*row)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        digest = hashlib.md5(repr(judge.hits).encode()).hexdigest()
        print(f"judged: {wall:.2f} s wall, {cpu:.2f} s CPU; {len(judge.hits):,} hits, md5 {digest}")


if __name__ == "__main__":
    main()
