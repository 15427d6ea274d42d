"""Synthetic data generator throughput: items generated, and items written to channel files.

    python bench/synth.py --items 1000000

1. ``iter_items``: items generated and thrown away (the generator alone);
2. ``python -m xinfang_dev.synth --stream --workers 2``: items generated and written shard by
   shard to channel files (CSV in all five encodings and JSON Lines; referrals XLSX) plus
   truth.csv, the shards shared by worker processes.
Prints seconds, items/s, peak RSS and the machine. Target: 1,000,000 items well under a
minute, memory bounded by a few shards.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine, peak_rss_mib

from xinfang_dev.synth.__main__ import main as synth_main
from xinfang_dev.synth.campaign import iter_items


def _cpu_with_children() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument("--workers", type=int, default=2, help="processes for the file writing")
    args = parser.parse_args()

    t0, c0 = time.perf_counter(), time.process_time()
    n = sum(1 for _ in iter_items(args.seed, args.items))
    gen_s, gen_cpu = time.perf_counter() - t0, time.process_time() - c0
    gen_rss = peak_rss_mib()
    print(
        f"generate: {n:,} items in {gen_s:.1f} s wall, {gen_cpu:.1f} s CPU "
        f"= {n / gen_s:,.0f} items/s ({n / gen_cpu:,.0f} per CPU second)"
    )

    with tempfile.TemporaryDirectory(prefix="xinfang-synth-") as tmp:
        out = Path(tmp)
        t0, c0 = time.perf_counter(), _cpu_with_children()
        synth_main(["--items", str(args.items), "--seed", str(args.seed), "--out", str(out),
                    "--stream", "--formats", args.formats, "--workers", str(args.workers)])  # fmt: skip
        write_s, write_cpu = time.perf_counter() - t0, _cpu_with_children() - c0
        files = list(out.glob("*/incoming/*"))
        size = sum(p.stat().st_size for p in files) / 2**20
    print(
        f"generate + write: {args.items:,} items to {len(files)} files ({size:,.0f} MiB, "
        f"formats {args.formats}, {args.workers} workers) in {write_s:.1f} s wall, "
        f"{write_cpu:.1f} s CPU (all processes) "
        f"= {args.items / write_s:,.0f} items/s"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (a shared machine: see CPU seconds)")
    print(f"peak RSS: {gen_rss:,.0f} MiB generating, {peak_rss_mib():,.0f} MiB overall")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
