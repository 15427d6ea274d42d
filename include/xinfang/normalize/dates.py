"""Dates and times as clerks type them, as Excel stores them, and as ISO 8601.

Everything becomes a naive ``datetime`` on the Asia/Shanghai wall clock, the
clock every deadline of the ledger is counted on.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache

from xinfang.timeutil import TZ

SHANGHAI = TZ
_EXCEL_EPOCH = datetime(1899, 12, 30)
# Excel serials accepted as dates: 1950-01-01 .. 2099-12-31. Anything outside is more
# likely a count or an ID than a date.
_EXCEL_MIN, _EXCEL_MAX = 18264, 73050

_DATE = (
    r"(?P<y>\d{4})\s*(?:"
    r"(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?"
    r")"
)
_COMPACT = r"(?P<y3>\d{4})(?P<m3>\d{2})(?P<d3>\d{2})"
_TIME = (
    r"(?:\s*T\s*|\s+|(?<=[日号]))"
    r"(?P<ampm>上午|下午|晚上|凌晨|中午)?\s*"
    r"(?P<H>\d{1,2})\s*"
    r"(?:"
    r":\s*(?P<M>\d{1,2})(?:\s*:\s*(?P<S>\d{1,2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"|[时点]\s*(?:(?P<M2>\d{1,2})\s*分\s*(?:(?P<S2>\d{1,2})\s*秒)?|(?P<half>半))?"
    r")"
)
_TZ = r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
_PATTERN = re.compile(rf"(?:{_DATE}|{_COMPACT})(?:{_TIME})?{_TZ}", re.IGNORECASE)
# 2023-07-03, 2023-07-03 14:05, 2023-07-03T14:05:09+08:00 (an offset of at most 14 hours,
# as ``_tz`` allows), ASCII digits: ``fromisoformat`` reads these exactly as ``_PATTERN``.
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9])?)?"
)


# The other common clerk spellings, ASCII digits: 2023/7/3, 2023.7.3, 2023-7-3, 2023年7月3日 (号), each
# with nothing or " 14:05[:09]" after it (one space). ``_PATTERN`` reads them as these groups.
_CLERK = re.compile(
    r"([0-9]{4})(?:([-/.])([0-9]{1,2})\2([0-9]{1,2})|年([0-9]{1,2})月([0-9]{1,2})[日号]?)"
    r"(?: ([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?)?"
)


class DateParseError(ValueError):
    """A value that is not a date; the message names it for the clerk."""


def _fail(value: object, why: str, verdict: str = "无法识别") -> DateParseError:
    return DateParseError(f"日期“{value}”{verdict}：{why}")


def _to_wall_clock(dt: datetime) -> datetime:
    """Aware datetimes are moved to Asia/Shanghai; the zone is then dropped."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt
    return dt.astimezone(SHANGHAI).replace(tzinfo=None)


def _from_excel(value: float, original: object) -> datetime:
    if math.isnan(value) or not (_EXCEL_MIN <= value < _EXCEL_MAX + 1):
        raise _fail(original, "数字不在Excel日期的合理范围内（1950年至2099年）")
    days = math.floor(value)
    seconds = round((value - days) * 86400)
    # Serials after 60 count Excel's fictitious 1900-02-29; the epoch 1899-12-30 absorbs it.
    return _EXCEL_EPOCH + timedelta(days=days, seconds=seconds)


def _tz(text: str) -> timezone:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError(f"时区偏移{text}不存在")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _from_text(text: str, original: object) -> datetime:
    m = _PATTERN.fullmatch(text)
    if m is None:
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return _from_excel(float(text), original)
        raise _fail(
            original, "请写成 2023-07-03、2023/7/3、2023.7.3 或 2023年7月3日，可带时间 14:05"
        )
    g = m.groupdict()
    year = int(g["y"] or g["y3"])
    month = int(g["m"] or g["m2"] or g["m3"])
    day = int(g["d"] or g["d2"] or g["d3"])
    hour = int(g["H"] or 0)
    minute = int(g["M"] or g["M2"] or (30 if g["half"] else 0))
    second = int(g["S"] or g["S2"] or 0)
    micro = int((g["f"] or "0")[:6].ljust(6, "0"))
    ampm = g["ampm"]
    if (ampm in ("下午", "晚上") and 1 <= hour < 12) or (ampm == "中午" and hour < 11):
        hour += 12
    elif ampm == "凌晨" and hour == 12:
        hour = 0
    try:
        if not 1 <= month <= 12:
            raise ValueError(f"没有{month}月")
        try:
            day_ok = date(year, month, day)
        except ValueError:
            raise ValueError(f"{year}年{month}月没有{day}日") from None
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"时间{hour}:{minute:02d}:{second:02d}不存在")
        result = datetime.combine(day_ok, time(hour, minute, second, micro))
        if g["tz"]:
            result = result.replace(tzinfo=_tz(g["tz"]))
    except ValueError as exc:
        raise _fail(original, str(exc), "不是有效日期") from None
    return _to_wall_clock(result)


def parse_datetime(value: object) -> datetime:
    """A naive Asia/Shanghai datetime from any accepted spelling; raises DateParseError.

    Accepted: ``2023-07-03``, ``2023/7/3``, ``2023.7.3``, ``2023年7月3日`` and
    ``20230703``, each optionally with ``14:05``, ``14:05:09`` or ``14时5分``; ISO 8601
    with ``Z`` or an offset (converted to Asia/Shanghai); ``datetime``/``date`` objects
    (Excel cells); Excel serial numbers (1900 date system); full-width digits.
    """
    if type(value) is str:  # nearly every cell that is not a workbook's date
        return _parse_text(value)
    if value is None or value != value:  # None, NaN, pandas NaT: an empty cell
        raise DateParseError("日期为空")
    if isinstance(value, datetime):
        if type(value) is not datetime and hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()  # pandas Timestamp
        return _to_wall_clock(value)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        raise _fail(value, "不是日期")
    if isinstance(value, numbers.Integral):
        if 19000101 <= int(value) <= 21001231:
            return _from_text(str(int(value)), value)
        return _from_excel(float(value), value)
    if isinstance(value, numbers.Real):
        return _from_excel(float(value), value)
    if not isinstance(value, str):
        raise _fail(value, f"不支持的类型 {type(value).__name__}")
    return _parse_text(value)


@lru_cache(maxsize=8192)
def _parse_text(value: str) -> datetime:
    """Cached: the same date strings recur all day long (datetimes are immutable)."""
    if _ISO.fullmatch(value):  # the usual cell: what the full pattern reads, if it exists
        try:
            return _to_wall_clock(datetime.fromisoformat(value))
        except ValueError:
            pass  # 2023-02-30: the full rules say why
    elif m := _CLERK.fullmatch(value):
        y, _, mo, d, mo2, d2, hh, mm, ss = m.groups()
        try:
            return datetime(
                int(y), int(mo or mo2), int(d or d2), int(hh or 0), int(mm or 0), int(ss or 0)
            )
        except ValueError:
            pass  # 2023/2/30, 25:00: the full rules say why
    return _parse_text_rules(value)


def _parse_text_rules(value: str) -> datetime:
    """``parse_datetime`` of a text, rule by rule."""
    text = value.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise DateParseError("日期为空")
    return _from_text(text, value.strip())


def parse_date(value: object) -> date:
    """The calendar date (Asia/Shanghai) of any value ``parse_datetime`` accepts."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_datetime(value).date()
