"""Throughput of the value normalizers: items/s of normalize_text + the four parsers.

    .venv/bin/python bench/normalize.py [--items 200000] [--workers 2]

One item = the values one intake row carries, each in a randomly chosen spelling:
its text (60-400 characters: 50% simplified with full-width punctuation, 20%
traditional, 20% full-width digits and letters, 10% traditional with pinyin after
every few characters as in the seed document), an ID number, a phone number, a case
number and a date. Values are generated before timing. Prints CPU time on one core
(the machine is shared, so wall time counts other people's work), per-function
figures on values not seen before (the parsers cache recurring values), and the
wall-clock rate of ``--workers`` processes. Issue 2's target for the whole intake
(parse + normalize + load) is 20,000 items/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine

from xinfang.normalize import (
    canonical_phone,
    compute_check_char,
    normalize_text,
    parse_case_number,
    parse_datetime,
    parse_id_number,
)
from xinfang.normalize.text import strip_pinyin

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "000_725f8f67a1437f0b.txt"
SIMPLIFIED = REPO / "tests" / "data" / "seed_simplified.txt"
_FALLBACK = (
    "近日,廊坊中院結(jié)合全市開(kāi)展的2023年“涉法涉訴領(lǐng)域信訪(fǎng)問(wèn)題專(zhuān)項(xiàng)治理行動(dòng)”。"
    * 10
)
_FULL_WIDTH = str.maketrans("0123456789()-ABCabc", "０１２３４５６７８９（）－ＡＢＣａｂｃ")
_CHINESE_PUNCT = str.maketrans({",": "，", ";": "；", ":": "："})

Item = tuple[str, str, str, str, str]


def _sources() -> tuple[str, str, str]:
    """(traditional with pinyin, traditional, simplified) source texts."""
    annotated = os.environ.get("XINFANG_SHARED_DIR")
    path = SEED if SEED.is_file() else Path(annotated or "/nonexistent") / "seed" / SEED.name
    pinyin = path.read_text(encoding="utf-8") if path.is_file() else _FALLBACK
    simplified = SIMPLIFIED.read_text(encoding="utf-8").translate(_CHINESE_PUNCT)
    return pinyin, strip_pinyin(pinyin), simplified


def _window(rng: random.Random, text: str) -> str:
    length = rng.randint(60, 400)
    start = rng.randrange(0, max(len(text) - length, 1))
    return text[start : start + length]


def make_items(n: int, seed: int) -> list[Item]:
    rng = random.Random(seed)
    pinyin, traditional, simplified = _sources()
    items = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.5:
            text = _window(rng, simplified)
        elif kind < 0.7:
            text = _window(rng, traditional)
        elif kind < 0.9:
            text = _window(rng, simplified + "（2023）ABC abc 123").translate(_FULL_WIDTH)
        else:
            text = _window(rng, pinyin)
        born = f"{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first17 = f"{rng.randint(110000, 829999)}{born}{rng.randint(0, 999):03d}"
        id_number = first17 + compute_check_char(first17)
        id_number = rng.choice(
            [id_number, id_number.lower(), f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"]
        )
        mobile = f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}"
        phone = rng.choice(
            [
                mobile,
                f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                f"0316-{rng.randint(2000000, 9999999)}",
            ]
        )
        court = rng.choice(["冀10", "冀1003", "冀1022", "冀1082"])
        case = f"(2023){court}{rng.choice(['民初', '民终', '执', '执异'])}{rng.randint(1, 9999)}号"
        case = rng.choice(
            [case, case.replace("(", "〔").replace(")", "〕"), case.translate(_FULL_WIDTH)]
        )
        day = f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        when = rng.choice(
            [day, f"{day} {rng.randint(8, 17)}:{rng.randint(0, 59):02d}", day.replace("-", "/")]
        )
        items.append((text, id_number, phone, case, when))
    return items


def run(items: list[Item]) -> float:
    """CPU seconds to normalize every value of every item."""
    start = time.process_time()
    for text, id_number, phone, case, when in items:
        normalize_text(text)
        parse_id_number(id_number)
        canonical_phone(phone)
        parse_case_number(case)
        parse_datetime(when)
    return time.process_time() - start


def run_one(items: list[Item], field: int, fn: Callable[[object], object]) -> float:
    start = time.process_time()
    for item in items:
        fn(item[field])
    return time.process_time() - start


def _worker(args: tuple[int, int]) -> tuple[float, float]:
    """One process: generate (untimed), then return (start, end) wall times of the run."""
    n, seed = args
    run(make_items(1000, seed + 1000))  # load OpenCC and pypinyin dictionaries
    items = make_items(n, seed)
    start = time.time()
    run(items)
    return start, time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    n = args.items
    load = os.getloadavg()[0]

    run(make_items(2000, 1))  # load OpenCC and pypinyin dictionaries
    items = make_items(n, 20230703)
    chars = sum(len(item[0]) for item in items)
    cpu = run(items)
    print(f"machine: {machine()}")
    print(f"load average at start: {load:.1f} (shared machine: one-core figures are CPU time)")
    print(f"items: {n:,}, text {chars / n:.0f} characters on average")
    print(
        f"normalize_text + 4 parsers, one core: {n / cpu:,.0f} items/s ({cpu / n * 1e6:.1f} µs an item)"
    )
    for seed, (name, field, fn) in enumerate(
        [
            ("normalize_text", 0, normalize_text),
            ("parse_id_number", 1, parse_id_number),
            ("canonical_phone", 2, canonical_phone),
            ("parse_case_number", 3, parse_case_number),
            ("parse_datetime", 4, parse_datetime),
        ],
        start=2,
    ):
        fresh = make_items(min(n, 50_000), seed)
        cpu = run_one(fresh, field, fn)
        print(
            f"  {name:<18} {len(fresh) / cpu:>10,.0f} values/s  {cpu / len(fresh) * 1e6:6.1f} µs each"
        )

    with ProcessPoolExecutor(args.workers) as pool:
        spans = list(pool.map(_worker, [(n // args.workers, 100 + w) for w in range(args.workers)]))
    wall = max(end for _, end in spans) - min(start for start, _ in spans)
    done = n // args.workers * args.workers
    print(f"{args.workers} processes, wall clock: {done / wall:,.0f} items/s ({wall:.2f} s)")


if __name__ == "__main__":
    main()
