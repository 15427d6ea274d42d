"""Phone numbers to one canonical form.

Mobiles: 11 digits (``13812345678``). Landlines: area code, dash, local number
(``0316-2345678``). The same caller then matches across channels however the
number was typed (``+86 138-1234-5678``, ``(0316)2345678``, full-width digits).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Separators people type inside a number; removed before matching.
_NOISE = re.compile(r"[\s\-\u2010-\u2015\u2212\uff0d\u30fc().\[\]\u3010\u3011]+")
# Several numbers in one cell: the first usable one counts.
_ALTERNATIVES = re.compile(r"[/,;\u3001\uff0c\uff1b|]|或")
# A trailing extension (转801, 分机801, ext. 801) is dropped.
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x)\s*\d{1,6}$", re.IGNORECASE)
_DASH_EXTENSION = re.compile(r"(.*\d[\s\-－]*\d{6,7})[\s]*[\-－][\s]*\d{1,5}")
_LABEL = re.compile(r"^(?:电话|手机|座机|tel|mobile|phone)[:：]?", re.IGNORECASE)

_MOBILE = re.compile(r"0?(1[3-9]\d{9})")
# 010 and 02x take 8-digit local numbers; other area codes 0xxx take 7 or 8 digits.
_LANDLINE_3 = re.compile(r"(0(?:10|2\d))([2-9]\d{7})")
_LANDLINE_4 = re.compile(r"(0[3-9]\d{2})([2-9]\d{6,7})")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
_SERVICE = re.compile(r"[48]00\d{7}")
# The canonical forms themselves, ASCII digits only: a mobile, or a landline with its dash.
_CANONICAL = re.compile(
    r"1[3-9][0-9]{9}|0(?:10|2[0-9])-[2-9][0-9]{7}|0[3-9][0-9]{2}-[2-9][0-9]{6,7}"
)


def _digits(value: object) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _LABEL.sub("", text.strip())
    text = _EXTENSION.sub("", text.strip())
    return _NOISE.sub("", text)


def _canonical_one(raw: str, default_area_code: str) -> str | None:
    international = False
    if raw.startswith("+"):
        raw = raw[1:]
        if not raw.startswith("86"):
            return None  # a foreign number: not ours to canonicalize
        raw, international = raw[2:], True
    elif raw.startswith("0086"):
        raw, international = raw[4:], True
    elif raw.startswith("86") and len(raw) == 13 and _MOBILE.fullmatch(raw[2:]):
        raw = raw[2:]
    if not raw.isdigit():
        return None
    if international and not raw.startswith("0") and not _MOBILE.fullmatch(raw):
        raw = "0" + raw  # +86 316 2345678: the trunk 0 is dropped after the country code
    if m := _MOBILE.fullmatch(raw):
        return m.group(1)
    if m := _LANDLINE_3.fullmatch(raw) or _LANDLINE_4.fullmatch(raw):
        return f"{m.group(1)}-{m.group(2)}"
    if _LOCAL.fullmatch(raw) and not international:
        return f"{default_area_code}-{raw}"
    if _SERVICE.fullmatch(raw):
        return raw
    return None


def canonical_phone(value: object, default_area_code: str = "0316") -> str | None:
    """Canonical phone number, or None when the value is empty or not a phone number.

    A bare 7/8-digit local number gets ``default_area_code`` (廊坊 0316). When a cell
    holds several numbers (``138..., 0316-...``) the first usable one is returned.
    """
    if value is None or isinstance(value, bool):
        return None
    return _canonical(value if isinstance(value, str) else _number_text(value), default_area_code)


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@lru_cache(maxsize=65536)
def _canonical(text: str, default_area_code: str) -> str | None:
    """Cached: a petitioner's number recurs with every item they send."""
    if _CANONICAL.fullmatch(text):
        return text  # already canonical (the usual cell): what the rules give
    return _canonical_rules(text, default_area_code)


def _canonical_rules(text: str, default_area_code: str) -> str | None:
    """``canonical_phone`` of a text, rule by rule."""
    if not text.strip():
        return None
    parts = _ALTERNATIVES.split(text) if _ALTERNATIVES.search(text) else [text]
    for part in parts:
        raw = _digits(part)
        if raw and (found := _canonical_one(raw, default_area_code)):
            return found
        # 0316-2345678-801: a landline with its extension after a second dash.
        m = _DASH_EXTENSION.fullmatch(part.strip())
        if m and (found := _canonical_one(_digits(m.group(1)), default_area_code)) and "-" in found:
            return found
    return None
