"""CLI: ``python -m heldout --matters 1500 --seed 1 --out DIR``."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from heldout.generate import generate


def main(argv: list[str] | None = None) -> int:
    """Write a held-out set and print its summary."""
    ap = argparse.ArgumentParser(prog="python -m heldout", description=__doc__)
    ap.add_argument(
        "--matters", type=int, default=1500, help="number of petition matters (default 1500)"
    )
    ap.add_argument(
        "--seed", type=int, default=1, help="random seed; the same seed writes the same set"
    )
    ap.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output directory (landing/, truth.csv, matters.csv)",
    )
    ap.add_argument("--force", action="store_true", help="replace a set already written in --out")
    ap.add_argument("--quiet", action="store_true", help="print only the one-line result")
    args = ap.parse_args(argv)
    if args.matters < 1:
        ap.error("--matters must be at least 1")
    landing = args.out / "landing"
    if landing.exists():
        if not args.force:
            ap.error(f"{landing} exists; pass --force to replace the set in {args.out}")
        shutil.rmtree(landing)
    t0 = time.perf_counter()
    summary = generate(args.matters, args.seed, args.out)
    elapsed = time.perf_counter() - t0
    if not args.quiet:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1))
    print(
        f"{summary.matters} matters, {summary.items} items, {sum(summary.files.values())} files "
        f"in {elapsed:.1f} s -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
