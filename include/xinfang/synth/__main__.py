"""``python -m xinfang.synth --items 3000 --seed 7 --out DIR``: a campaign's files and truth.

DIR becomes a landing root: ``DIR/<channel>/incoming/<channel>_<YYYYMMDD>.<ext>`` plus
``DIR/truth.csv`` (channel, source_file, source_row, truth_case) and ``DIR/truth_cases.csv``.
Large sets (``--stream``, default above 200,000 items) are written shard by shard, one file
per channel and shard (``letter_20230701_p0003.csv``), with memory bounded by one shard;
there ``--formats`` limits the formats (default CSV and JSON Lines: openpyxl writes XLSX at a
few thousand rows a second, so only referrals, which are XLSX only, stay XLSX).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from xinfang.synth.campaign import generate_campaign, iter_campaigns
from xinfang.synth.files import (
    FORMATS,
    write_bad_files,
    write_campaign,
    write_items_file,
    write_truth,
    write_truth_cases,
)

STREAM_ABOVE = 200_000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m xinfang.synth", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="landing root to write into")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 7, 1))
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2023, 7, 31))
    ap.add_argument("--stream", action="store_true", help="shard-by-shard files (large sets)")
    ap.add_argument(
        "--formats",
        default="csv,jsonl",
        help="formats allowed in stream mode (XLSX is slow to write; referrals are XLSX anyway)",
    )
    ap.add_argument("--bad", action="store_true", help="also drop the bad-input files")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    truth_path, cases_path = out / "truth.csv", out / "truth_cases.csv"
    n_files = n_cases = 0
    if args.stream or args.items > STREAM_ABOVE:
        formats = tuple(args.formats.split(","))
        write_truth([], truth_path)
        for shard, campaign in enumerate(
            iter_campaigns(args.seed, args.items, args.start, args.end)
        ):
            rng = random.Random(f"files:{args.seed}:{shard}")
            by_channel: dict[str, list[dict]] = {}
            for item in campaign.items:
                by_channel.setdefault(item["channel"], []).append(item)
            rows = []
            for channel, items in by_channel.items():
                allowed = [f for f in FORMATS[channel] if f in formats] or list(FORMATS[channel])
                rows += write_items_file(items, channel, out / channel / "incoming", args.start,
                                         rng, part=f"_p{shard:04d}", formats=allowed)  # fmt: skip
                n_files += 1
            write_truth(rows, truth_path, append=True)
            write_truth_cases(campaign, cases_path, append=shard > 0)
            n_cases += len(campaign.cases)
    else:
        campaign = generate_campaign(args.seed, args.items, args.start, args.end)
        rows = write_campaign(campaign, out)
        write_truth(rows, truth_path)
        write_truth_cases(campaign, cases_path)
        n_files = len({r.source_file for r in rows})
        n_cases = len(campaign.cases)
    if args.bad:
        bad = write_bad_files(out, args.seed)
        n_files += len(bad)
    print(
        f"{args.items} items, {n_cases} truth cases, {n_files} files in {out} "
        f"({time.perf_counter() - t0:.1f} s); truth: {truth_path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
