"""CPU per row of the intake's parse alone (``parse_file``), without a database.

    python bench/intake_parse.py                    # the bench set of bench/dag_intake.py
    python bench/intake_parse.py --landing DIR --profile 30

Reads every file of the petition channels under a landing folder (``<channel>/incoming``),
parses it as a pool worker does (``config_in_force``, the collector paused, chunks of
2,000 rows, one process, the normalizers warmed first) and prints the CPU seconds
(``time.process_time``) per row and a digest of everything the loader would write: each
chunk's good values (every column), row-key texts and rejects. Run it with another
checkout's ``include/`` first on ``PYTHONPATH`` to compare two versions: equal digests,
same output.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO / "data" / "bench" / "dag_intake" / "m100000_s1" / "landing"
CHANNELS = ("letter", "visit", "online", "hotline", "referral")


def files_of(landing: Path) -> list[tuple[str, Path]]:
    return [
        (channel, path)
        for channel in CHANNELS
        for path in sorted((landing / channel / "incoming").glob("*"))
        if path.is_file()
    ]


def parse_all(files: list[tuple[str, Path]], day: dt.date) -> tuple[int, float, str]:
    """(rows, CPU seconds of the parse, digest of the output)."""
    from xinfang.config import get_config
    from xinfang.intake.base import FileError
    from xinfang.intake.channels import spec
    from xinfang.intake.items import config_in_force
    from xinfang.intake.loader import collector_paused
    from xinfang.intake.parse import parse_file

    limits = get_config().intake
    blobs = [(channel, path, path.read_bytes()) for channel, path in files]
    digest = hashlib.sha256()
    rows, cpu = 0, 0.0
    for channel, path, data in blobs:
        sha = hashlib.sha256(data).hexdigest()
        c0 = time.process_time()
        try:
            with config_in_force(), collector_paused():
                parsed = parse_file(spec(channel), path, data, sha, day, limits, 2000)
                chunks = list(parsed.chunks)
        except FileError as exc:
            cpu += time.process_time() - c0
            digest.update(f"{path.name}\tFileError\t{exc}\n".encode())
            continue
        cpu += time.process_time() - c0
        digest.update(f"{path.name}\t{parsed.encoding}\n".encode())
        for chunk in chunks:
            rows += len(chunk.good) + len(chunk.bad)
            for values in chunk.good:
                digest.update(repr(sorted(values.items())).encode("utf-8", "backslashreplace"))
            digest.update(repr(chunk.key_texts).encode("utf-8", "backslashreplace"))
            digest.update(repr(chunk.bad).encode("utf-8", "backslashreplace"))
    return rows, cpu, digest.hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--landing", type=Path, default=DEFAULT)
    ap.add_argument("--day", default="2026-12-31")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    ap.add_argument("--profile", type=int, default=0, help="print the N top functions")
    args = ap.parse_args()
    from xinfang.normalize import warm_up

    warm_up()
    files = files_of(args.landing)
    if args.limit:
        files = files[: args.limit]
    day = dt.date.fromisoformat(args.day)
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
    rows, cpu, digest = parse_all(files, day)
    if args.profile:
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
    import xinfang

    print(
        f"{len(files)} files, {rows:,} rows: parse CPU {cpu:.2f} s = {cpu / max(rows, 1) * 1e6:.1f}"
        f" µs/row; digest {digest}; code {Path(xinfang.__file__).parent.parent}; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
