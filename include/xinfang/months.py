"""Calendar months: the one parser of ``YYYY-MM`` and the month's bounds.

The month-end statistics, their reports, the dashboard and the ``monthly_disposition``
DAG's ``month`` param all name a month the same way and read it here.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def month_start(value: dt.date | dt.datetime | str) -> dt.date:
    """First day of the month of ``value`` (a date, or ``YYYY-MM`` / ``YYYY-MM-DD`` text)."""
    if isinstance(value, str):
        return _parse(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def _parse(text: str) -> dt.date:
    stripped = text.strip()
    try:
        match = _MONTH.fullmatch(stripped)
        if match:
            return dt.date(int(match[1]), int(match[2]), 1)
        return dt.date.fromisoformat(stripped[:10]).replace(day=1)
    except ValueError as exc:
        raise ValueError(f"month must be YYYY-MM or a date, got {text!r}") from exc


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day, first day of the next month)."""
    start = month_start(month)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt - dt.timedelta(days=1), nxt


def previous_month(day: dt.date) -> dt.date:
    """First day of the month before the one ``day`` is in."""
    return month_start(month_start(day) - dt.timedelta(days=1))
