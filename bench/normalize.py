"""Throughput of the value normalizers: items/s of normalize_text + every parser.

One item = the values one intake row carries: its text (simplified, traditional,
traditional with pinyin annotations or full-width; 60-400 characters), an ID number,
a phone number, a case number and a date, each in a randomly chosen spelling.
Runs on one core; the intake target is 20,000 items/s end to end on 2 cores.

    .venv/bin/python bench/normalize.py [N]      (default 200,000 items)
"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from xinfang.normalize import (
    canonical_phone,
    compute_check_char,
    normalize_text,
    parse_case_number,
    parse_datetime,
    parse_id_number,
)

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_725f8f67a1437f0b.txt"
_FALLBACK_TEXT = (
    "近日,廊坊中院結(jié)合全市開(kāi)展的2023年“涉法涉訴領(lǐng)域信訪(fǎng)問(wèn)題專(zhuān)項(xiàng)治理行動(dòng)”,"
    "制定印發《關於開(kāi)展“集中辦訪(fǎng)月”活動(dòng)的實(shí)施方案》(以下簡(jiǎn)稱(chēng)《方案》)。"
)
_SIMPLIFIED = (
    "本人于2022年起诉的借款合同纠纷一案，法院判决后对方至今未履行，申请执行后执行法官"
    "长期不予答复，请求法院依法督促执行，尽快解决我的合理诉求。"
)
_FULL_WIDTH = str.maketrans("0123456789()-", "０１２３４５６７８９（）－")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def make_items(n: int, rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    seed = SEED.read_text(encoding="utf-8") if SEED.is_file() else _FALLBACK_TEXT
    items = []
    for _ in range(n):
        start = rng.randrange(0, max(len(seed) - 400, 1))
        kind = rng.random()
        if kind < 0.4:
            text = _SIMPLIFIED[: rng.randint(60, len(_SIMPLIFIED))]
        elif kind < 0.8:
            text = seed[start : start + rng.randint(60, 400)]
        else:
            text = (_SIMPLIFIED + "（ＡＢＣ　１２３）").translate(_FULL_WIDTH)
        first17 = f"{rng.randint(110000, 829999)}{rng.randint(1940, 2005)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{rng.randint(0, 999):03d}"
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
        case = f"(2023)冀10{rng.choice(['03', '22', '82', ''])}{rng.choice(['民初', '民终', '执', '执异'])}{rng.randint(1, 9999)}号"
        case = rng.choice(
            [case, case.replace("(", "〔").replace(")", "〕"), case.translate(_FULL_WIDTH)]
        )
        day = f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        when = rng.choice([day, day + " 14:05", day.replace("-", "/"), "2023年7月3日14时5分"])
        items.append((text, id_number, phone, case, when))
    return items


def run(items: list[tuple[str, str, str, str, str]]) -> float:
    """CPU seconds of this process (the machine is shared; wall time would count others)."""
    start = time.process_time()
    for text, id_number, phone, case, when in items:
        normalize_text(text)
        parse_id_number(id_number)
        canonical_phone(phone)
        parse_case_number(case)
        parse_datetime(when)
    return time.process_time() - start


def run_one(items: list[tuple[str, str, str, str, str]], field: int, fn: Callable) -> float:
    start = time.process_time()
    for item in items:
        fn(item[field])
    return time.process_time() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    load = os.getloadavg()[0]
    run(make_items(2000, random.Random(1)))  # load OpenCC and pypinyin dictionaries
    items = make_items(n, random.Random(20230703))
    chars = sum(len(item[0]) for item in items)
    wall = time.perf_counter()
    elapsed = run(items)
    wall = time.perf_counter() - wall
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at start: {load:.1f} (the machine is shared; figures are CPU time)")
    print(f"items: {n:,} (text: {chars / n:.0f} characters on average)")
    print(
        f"normalize_text + 4 parsers: {n / elapsed:,.0f} items per CPU-second on one core "
        f"({elapsed:.2f} s CPU, {wall:.2f} s wall)"
    )
    # Each function on values it has not seen (the parsers cache recurring values).
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
        fresh = make_items(min(n, 50_000), random.Random(seed))
        cpu = run_one(fresh, field, fn)
        print(
            f"  {name:<18} {len(fresh) / cpu:>10,.0f} values/s  {cpu / len(fresh) * 1e6:6.1f} µs each"
        )


if __name__ == "__main__":
    main()
