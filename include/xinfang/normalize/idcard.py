"""Resident identity card numbers (居民身份证号码, GB 11643-1999).

The canonical form is the 18-character number with an upper-case check character.
A number whose checksum or birth date is wrong is flagged, never repaired: a typo
in one digit could make it somebody else's number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# GB 11643 weights 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 (= 2**(17-i) mod 11);
# the check character is _CHECK_CHARS[weighted sum mod 11].
_CHECK_CHARS = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d]+")
_ID18 = re.compile(r"[1-9]\d{16}[\dX]")
_ID15 = re.compile(r"[1-9]\d{14}")
_EARLIEST_BIRTH = date(1890, 1, 1)
_IMPORT_DAY = date.today()
# What clerks type into an ID cell when there is no number: missing, not invalid.
_PLACEHOLDERS = frozenset(
    [
        "无",
        "暂无",
        "没有",
        "不详",
        "未知",
        "未提供",
        "空",
        "/",
        "\\",
        "——",
        "NULL",
        "NONE",
        "N/A",
        "NA",
    ]
)


@dataclass(frozen=True)
class IdNumber:
    """A parsed ID number. ``canonical`` is None when it is missing or invalid."""

    canonical: str | None
    invalid: bool = False
    """Something was given but it is not a valid ID number."""
    reason: str | None = None
    """Why it is invalid, for the clerk."""
    birth_date: date | None = None


MISSING = IdNumber(None)


def compute_check_char(first17: str) -> str:
    """The GB 11643 check character (``0``-``9`` or ``X``) of the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"need the first 17 digits of an ID number, got {first17!r}")
    # The weights are 2**(17-i) mod 11, and 13 = 2 (mod 11): reading the digits as a
    # base-13 number gives the weighted sum / 2 (mod 11) in one C call.
    return _CHECK_CHARS[2 * int(first17, 13) % 11]


def _birth_date(digits8: str, today: date | None) -> date | None:
    try:
        born = date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None
    if born < _EARLIEST_BIRTH:
        return None
    # Dates only move forward: anything up to the import day needs no clock reading.
    if (today is not None or born > _IMPORT_DAY) and born > (today or date.today()):
        return None
    return born


def _as_text(value: object) -> str:
    """Cell value to text; Excel hands over long digit strings as numbers."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def parse_id_number(value: object, *, today: date | None = None) -> IdNumber:
    """Parse an ID number as typed: full-width digits, spaces, dashes, lower-case x, 15 digits.

    ``today`` bounds the birth date (default: the current date).
    """
    if value is None or value != value:  # None, NaN: an empty cell
        return MISSING
    if isinstance(value, str) and today is None:
        return _parse_cached(value)
    return _parse(value, today)


@lru_cache(maxsize=65536)
def _parse_cached(value: str) -> IdNumber:
    """Cached: a petitioner's number recurs with every item they send (IdNumber is frozen)."""
    return _parse(value, None)


def _parse(value: object, today: date | None) -> IdNumber:
    text = _as_text(value).strip()
    if not text:
        return MISSING
    if isinstance(value, float) and abs(value) >= 2**53:
        # An 18-digit number stored as a spreadsheet number lost its last digits.
        return IdNumber(
            None,
            True,
            f"身份证号“{text}”被表格存成了数字，末几位已丢失；请把该列设为文本后重新录入",
        )
    folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
    if not folded.isalnum():
        folded = _SEPARATORS.sub("", folded)
    folded = folded.upper()
    if not folded or folded in _PLACEHOLDERS:
        return MISSING

    if _ID18.fullmatch(folded):
        born = _birth_date(folded[6:14], today)
        if born is None:
            return IdNumber(
                None, True, f"身份证号“{text}”中的出生日期{folded[6:14]}不是有效日期", None
            )
        expected = compute_check_char(folded[:17])
        if folded[17] != expected:
            return IdNumber(
                None,
                True,
                f"身份证号“{text}”校验位不符（末位为{folded[17]}，按前17位应为{expected}），请核对号码",
                born,
            )
        return IdNumber(folded, False, None, born)

    if _ID15.fullmatch(folded):
        born = _birth_date("19" + folded[6:12], today)
        if born is None:
            return IdNumber(
                None, True, f"15位身份证号“{text}”中的出生日期19{folded[6:12]}不是有效日期", None
            )
        first17 = folded[:6] + "19" + folded[6:]
        return IdNumber(first17 + compute_check_char(first17), False, None, born)

    return IdNumber(None, True, f"身份证号“{text}”格式不对（应为18位，末位可为X，或旧式15位数字）")
