"""Traditional characters and pinyin annotations, as in the scraped seed document.

The seed reads ``結(jié)合全市開(kāi)展的``: traditional text where some of the
characters that differ from their simplified form carry their pinyin in
parentheses. Which ones looks arbitrary per document, so a per-text subset is
annotated here. OpenCC gives three regional conventions (臺/台, 裏/裡).
"""

from __future__ import annotations

import random
from functools import lru_cache

import opencc
from pypinyin import Style, pinyin

_CONFIGS = ("s2t", "s2tw", "s2hk")


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_traditional(text: str, rng: random.Random) -> str:
    """The text in traditional characters, in one of three regional conventions."""
    return _converter(rng.choice(_CONFIGS)).convert(text)


def with_pinyin(simplified: str, traditional: str, rng: random.Random) -> str:
    """Traditional text with tone-marked pinyin after some characters that changed form."""
    if len(simplified) != len(traditional):
        return traditional
    rate, salt = rng.uniform(0.45, 0.9), rng.randrange(100)
    readings = pinyin(simplified, style=Style.TONE, errors=lambda s: [None] * len(s))
    if len(readings) != len(simplified):
        return traditional
    out: list[str] = []
    for s_ch, t_ch, reading in zip(simplified, traditional, readings, strict=True):
        out.append(t_ch)
        if s_ch != t_ch and reading and reading[0] and (hash_char(t_ch) + salt) % 100 < rate * 100:
            out.append(f"({reading[0]})")
    return "".join(out)


def hash_char(ch: str) -> int:
    """A stable per-character number (Python's hash of str is salted per process)."""
    return (ord(ch) * 2654435761) % 4294967296 // 7


_FW = {
    c: chr(ord(c) + 0xFEE0)
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
}
_FW_TABLE = str.maketrans(_FW | {",": "，", ":": "：", ";": "；", "!": "！", "?": "？"})


def fullwidth_ascii(text: str) -> str:
    """ASCII letters and digits in full width, as typed with a full-width input mode."""
    return text.translate(_FW_TABLE)
