"""How people type values: the spellings of docs/channels.md, each with the tag it earns.

Every function takes the canonical value and an ``rng`` and returns ``(typed, tag)``,
the tag naming the variant so tests and evaluations can count the hard cases.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import re
from functools import lru_cache
from itertools import accumulate

import opencc
from pypinyin import Style, pinyin

from xinfang_dev.synth.people import homophone_typo, id15_of


def cumulative(weights: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(accumulate(weights))


def pick(rng: random.Random, population: tuple, cum: tuple[float, ...]):  # type: ignore[no-untyped-def]
    """``rng.choices(population, weights)[0]`` without rebuilding the cumulative weights."""
    return population[bisect.bisect(cum, rng.random() * cum[-1])]


_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))}
_FULLWIDTH_TABLE = str.maketrans(_FULLWIDTH)
_FULLWIDTH_DIGITS = str.maketrans({c: _FULLWIDTH[c] for c in "0123456789"})
_TONED = frozenset("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ")


def fullwidth(s: str) -> str:
    """Every printable ASCII character to its full-width form (ＡＢ１２（）)."""
    return s.translate(_FULLWIDTH_TABLE)


def fullwidth_digits(s: str) -> str:
    return s.translate(_FULLWIDTH_DIGITS)


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def traditional(s: str) -> str:
    return _s2t().convert(s)


@lru_cache(maxsize=20000)
def _pinyin_of(ch: str) -> str | None:
    """Tone-marked pinyin of one character; None for neutral tone (no mark) or non-Han."""
    syl = pinyin(ch, style=Style.TONE, errors="ignore")
    if not syl or not syl[0]:
        return None
    value = syl[0][0]
    return value if any(c in _TONED for c in value) else None


@lru_cache(maxsize=20000)
def _changed(ch: str) -> bool:
    """Whether a traditional character differs from its simplified form (an annotated one)."""
    return _t2s().convert(ch) != ch


def pinyin_annotated(trad: str, rng: random.Random, rate: float = 0.6) -> str:
    """Traditional text with pinyin after some traditional characters, as scraped: 結(jié)合."""
    out: list[str] = []
    for ch in trad:
        out.append(ch)
        if "\u4e00" <= ch <= "\u9fff" and _changed(ch) and rng.random() < rate:
            py = _pinyin_of(ch)
            if py:
                out.append(f"({py})")
    return "".join(out)


def text_variant(text: str, rng: random.Random, p_trad: float = 0.07, p_pinyin: float = 0.05,
                 p_full: float = 0.05) -> tuple[str, list[str]]:  # fmt: skip
    """Simplified text as typed, or traditional, pinyin-annotated traditional, full-width."""
    tags: list[str] = []
    r = rng.random()
    if r < p_pinyin:
        text = pinyin_annotated(traditional(text), rng)
        tags += ["traditional", "pinyin"]
    elif r < p_pinyin + p_trad:
        text = traditional(text)
        tags.append("traditional")
    if rng.random() < p_full:
        text = fullwidth_digits(text).replace("(", "（").replace(")", "）")
        tags.append("fullwidth_text")
    return text, tags


def name_variant(name: str, rng: random.Random, *, homophone: float = 0.0,
                 trad: float = 0.04, space: float = 0.04) -> tuple[str, list[str]]:  # fmt: skip
    """A name as typed: homophone typo (hotline), traditional, a space inside, padded."""
    tags: list[str] = []
    if homophone and rng.random() < homophone:
        typo = homophone_typo(name, rng)
        if typo:
            name = typo
            tags.append("homophone")
    r = rng.random()
    if r < trad:
        t = traditional(name)
        if t != name:
            name = t
            tags.append("name_traditional")
    elif r < trad + space and len(name) >= 2:
        sep = rng.choice((" ", " ", "\u3000", "  "))
        name = name[0] + sep + name[1:] if len(name) <= 3 else name[:2] + sep + name[2:]
        tags.append("name_space")
    if rng.random() < 0.03:
        name = rng.choice((" ", "\u3000", "")) + name + rng.choice((" ", "\t", " "))
    return name, tags


def id_variant(id18: str, rng: random.Random, p_missing: float) -> tuple[str, list[str]]:
    """An ID number as typed: missing, 15-digit legacy, x/X, full-width, spaced, a typo."""
    r = rng.random()
    if r < p_missing:
        return "", ["id_missing"]
    tags: list[str] = []
    value = id18
    r = rng.random()
    if r < 0.06 and id15_of(id18):
        value = id15_of(id18) or id18
        tags.append("id15")
    elif r < 0.075:  # a mistyped digit: the checksum no longer holds
        i = rng.randrange(6, 17)
        value = value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1 :]
        tags.append("id_typo")
    if value.endswith("X"):
        if rng.random() < 0.4:
            value = value[:-1] + "x"
            tags.append("id_lower_x")
        else:
            tags.append("id_upper_x")
    r = rng.random()
    if r < 0.05:
        value = fullwidth(value)
        tags.append("id_fullwidth")
    elif r < 0.10:
        if len(value) == 18:
            value = rng.choice(
                (
                    f"{value[:6]} {value[6:14]} {value[14:]}",
                    f"{value[:6]} {value[6:10]} {value[10:14]} {value[14:]}",
                )
            )
        else:
            value = f"{value[:6]} {value[6:12]} {value[12:]}"
        tags.append("id_spaces")
    elif r < 0.12:
        value = f" {value} "
    return value, tags


def mobile_variant(mobile: str, rng: random.Random) -> tuple[str, list[str]]:
    """A mobile as typed: +86/86/0086 prefixes, spaces, dashes, full-width."""
    r = rng.random()
    if r < 0.72:
        value, tags = mobile, []
    elif r < 0.80:
        value, tags = f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", ["phone_spaces"]
    elif r < 0.85:
        value, tags = f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", ["phone_dashes"]
    elif r < 0.97:
        prefix = rng.choice(("+86", "+86 ", "+86-", "86", "0086", "0086-", "0086 "))
        value, tags = prefix + mobile, ["phone_prefix"]
    else:
        value, tags = fullwidth(mobile), ["phone_fullwidth"]
    return value, tags


def landline_variant(landline: str, rng: random.Random) -> tuple[str, list[str]]:
    """A 0316 landline as typed: dashes, parentheses, spaces or without the area code."""
    area, local = landline[:4], landline[4:]
    value = rng.choice(
        (
            f"{area}-{local}",
            f"{area}-{local}",
            f"({area}){local}",
            f"{area} {local}",
            landline,
            local,
        )
    )
    return value, ["landline"] + (["landline_no_area"] if value == local else [])


def case_number_variant(canon: str, rng: random.Random) -> tuple[str, list[str]]:
    """A 案号 as typed: ASCII/full-width parentheses, 〔〕, [], none, spaces, missing 号."""
    year, rest = canon[1:5], canon[6:]
    style = pick(rng, _CN_STYLES, _CN_CUM)
    if style == "ascii":
        value = canon
    elif style == "fullwidth":
        value = f"（{year}）{rest}"
    elif style == "liuhe":
        value = f"〔{year}〕{rest}"
    elif style == "square":
        value = f"[{year}]{rest}"
    elif style == "none":
        value = f"{year}{rest}"
    elif style == "spaces":
        m = _CANON.fullmatch(canon)
        assert m, canon
        _, code, kind, seq = m.groups()
        value = (
            f"({year}) {code} {kind} {seq} 号"
            if rng.random() < 0.5
            else f"( {year} ){code}{kind}{seq}号"
        )
    elif style == "no_hao":
        value = canon.removesuffix("号")
    else:
        value = fullwidth_digits(f"（{year}）{rest}")
    if rng.random() < 0.03:
        value = f" {value} "
    return value, [f"cn_{style}"]


_CANON = re.compile(r"\((\d{4})\)(冀\d*)(\D+?)(\d+)号")

_CN_STYLES = (
    "ascii",
    "fullwidth",
    "liuhe",
    "square",
    "none",
    "spaces",
    "no_hao",
    "fullwidth_digits",
)
_CN_CUM = cumulative((30, 25, 10, 6, 7, 8, 8, 6))
_DATE_STYLES = ("iso", "slash", "dot", "cn", "slash_padded", "iso_compact")


_DATE_CUM = cumulative((35, 25, 10, 20, 7, 3))


def date_variant(
    when: dt.datetime | dt.date, rng: random.Random, with_time: bool
) -> tuple[str, list[str]]:
    """A date as typed: 2023-07-03, 2023/7/3, 2023.7.3, 2023年7月3日, with or without a time."""
    d = when.date() if isinstance(when, dt.datetime) else when
    style = pick(rng, _DATE_STYLES, _DATE_CUM)
    if style == "iso":
        s = f"{d:%Y-%m-%d}"
    elif style == "slash":
        s = f"{d.year}/{d.month}/{d.day}"
    elif style == "dot":
        s = f"{d.year}.{d.month}.{d.day}"
    elif style == "cn":
        s = f"{d.year}年{d.month}月{d.day}日"
    elif style == "slash_padded":
        s = f"{d:%Y/%m/%d}"
    else:
        s = f"{d:%Y-%m-%d}"
    tags = [f"date_{style}"]
    if with_time and isinstance(when, dt.datetime):
        t = rng.choice((f"{when:%H:%M}", f"{when:%H:%M:%S}", f"{when.hour}:{when:%M}"))
        s = f"{s} {t}" if style != "iso_compact" else f"{d:%Y-%m-%d}T{when:%H:%M:%S}"
        tags.append("date_time")
    return s, tags


def iso_timestamp(when: dt.datetime, rng: random.Random) -> tuple[str, list[str]]:
    """ISO 8601 for the web portal: +08:00 mostly, sometimes UTC 'Z' or naive (Shanghai)."""
    r = rng.random()
    if r < 0.8:
        return when.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00", ["iso_offset"]
    if r < 0.9:
        utc = when - dt.timedelta(hours=8)
        return utc.strftime("%Y-%m-%dT%H:%M:%S") + "Z", ["iso_utc"]
    return when.strftime("%Y-%m-%dT%H:%M:%S"), ["iso_naive"]
