"""``python -m xinfang_dev.synth --items 3000 --seed 7 --out DIR``: a campaign's files and truth.

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
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from xinfang_dev.synth.campaign import ShardMaker, generate_campaign
from xinfang_dev.synth.files import (
    FORMATS,
    write_bad_files,
    write_campaign,
    write_items_file,
    write_truth,
    write_truth_cases,
)

STREAM_ABOVE = 200_000


def _write_shards(seed: int, n_items: int, start: dt.date, end: dt.date, out: Path,
                  formats: tuple[str, ...], shards: list[int], parts: Path) -> tuple[int, int]:  # fmt: skip
    """Write the files of ``shards`` and their truth parts; (files, truth cases)."""
    maker = ShardMaker(seed, n_items, start, end)
    n_files = n_cases = 0
    for shard in shards:
        campaign = maker.shard(shard)
        rng = random.Random(f"files:{seed}:{shard}")
        by_channel: dict[str, list[dict]] = {}
        for item in campaign.items:
            by_channel.setdefault(item["channel"], []).append(item)
        rows = []
        for channel, items in by_channel.items():
            allowed = [f for f in FORMATS[channel] if f in formats] or list(FORMATS[channel])
            rows += write_items_file(items, channel, out / channel / "incoming", start, rng,
                                     part=f"_p{shard:04d}", formats=allowed)  # fmt: skip
            n_files += 1
        write_truth(rows, parts / f"truth_{shard:05d}.csv")
        write_truth_cases(campaign, parts / f"cases_{shard:05d}.csv")
        n_cases += len(campaign.cases)
    return n_files, n_cases


def _merge(parts: list[Path], target: Path) -> None:
    """Concatenate CSV parts that each start with the same header line."""
    with target.open("wb") as out:
        for i, part in enumerate(parts):
            with part.open("rb") as fh:
                header = fh.readline()
                if i == 0:
                    out.write(header)
                shutil.copyfileobj(fh, out)


def write_stream(seed: int, n_items: int, start: dt.date, end: dt.date, out: Path,
                 formats: tuple[str, ...], workers: int = 1) -> tuple[int, int]:  # fmt: skip
    """Shard-by-shard files, ``workers`` processes sharing the shards; (files, truth cases)."""
    shards = ShardMaker(seed, n_items, start, end).shards
    with tempfile.TemporaryDirectory(prefix="xinfang-synth-truth-") as tmp:
        parts = Path(tmp)
        if workers <= 1:
            n_files, n_cases = _write_shards(seed, n_items, start, end, out, formats,
                                             list(range(shards)), parts)  # fmt: skip
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = []
                for w in range(workers):
                    mine = list(range(w, shards, workers))
                    args = (seed, n_items, start, end, out, formats, mine, parts)
                    futures.append(pool.submit(_write_shards, *args))
                done = [f.result() for f in futures]
            n_files, n_cases = sum(d[0] for d in done), sum(d[1] for d in done)
        _merge(sorted(parts.glob("truth_*.csv")), out / "truth.csv")
        _merge(sorted(parts.glob("cases_*.csv")), out / "truth_cases.csv")
    return n_files, n_cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m xinfang_dev.synth", description=__doc__.splitlines()[0]
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
    ap.add_argument("--workers", type=int, default=1, help="processes writing shards (stream mode)")
    ap.add_argument("--bad", action="store_true", help="also drop the bad-input files")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    truth_path, cases_path = out / "truth.csv", out / "truth_cases.csv"
    n_files = n_cases = 0
    if args.stream or args.items > STREAM_ABOVE:
        formats = tuple(args.formats.split(","))
        n_files, n_cases = write_stream(
            args.seed, args.items, args.start, args.end, out, formats, args.workers
        )
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
