"""Row checks before the database (docs/channels.md): what PostgreSQL would refuse, or the
escalation sweep could not count, is refused here with its reason, row by row.

SQLite would store a 400-character name or a NUL; PostgreSQL refuses both, and one
such value used to stop the whole file. A date before the working calendar's first
year (a mistyped 2003) stopped the escalation sweep for every case.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import String, Table

from xinfang.config import IntakeLimits
from xinfang.intake.base import RowError
from xinfang.schema import ledger_case

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

EVENT_DATES = ("received_at", "progress_date", "accepted_on", "replied_on")
"""The day something happened: from ``earliest_date`` to the run's date plus ``days_ahead``."""
DEADLINES = ("due_on", "hearing_date", "extended_to", "supervision_due_on")
"""Days ahead of the event: from ``earliest_date`` to ``deadline_days_ahead`` after the run."""


def control_character(raw: Mapping[str, Any]) -> str | None:
    """The reason a raw row is refused for a control character (NUL…), or None."""
    try:
        joined = "".join(raw.values())  # a CSV row: text only
    except TypeError:  # numbers, dates, empty cells of a workbook or a JSON line
        joined = "".join([value for value in raw.values() if type(value) is str])
    if not _CONTROL.search(joined):  # nearly every row: one search
        return None
    for column, value in raw.items():
        if isinstance(value, str) and (found := _CONTROL.search(value)):
            return (
                f"{column} holds the control character U+{ord(found.group()):04X} "
                "(not text a clerk types; the file may be damaged)"
            )
    return None


LOADER_COLUMNS = frozenset({"channel", "source_file", "row_key"})
"""Columns the loader fills itself, never from a row's values."""


def string_lengths(table: Table) -> dict[str, int]:
    """Column name -> the most characters the ledger keeps in it (of the columns a row's
    values fill)."""
    return {
        c.name: c.type.length
        for c in table.columns
        if isinstance(c.type, String) and c.type.length is not None and c.name not in LOADER_COLUMNS
    }


AS_TYPED: dict[str, str] = {
    "name": "petitioner_name",
    "court_name": "court_name",
    "handler": "handler",
    "referral_unit": "referral_unit",
    "external_id": "external_id",
    "case_number": "case_number",
    "ledger_no": "ledger_no",
    "department": "department",
    "judge": "judge",
    "leader": "leader",
}
"""Fields kept as typed (not re-spelled like ID and phone numbers) -> the column that
holds them: a value typed longer than its column is refused, never cut or misread."""


def typed_limits(lengths: Mapping[str, int]) -> dict[str, int]:
    """Field -> the most characters it may be typed with (``lengths``: the target table's;
    a progress row's 台账编号 is looked up in ``ledger_case``)."""
    lengths = {**string_lengths(ledger_case), **lengths}
    return {field: lengths[column] for field, column in AS_TYPED.items() if column in lengths}


def _check_lengths(
    values: Mapping[str, Any], limits: Mapping[str, int], labels: Mapping[str, str], strip: bool
) -> None:
    """Raise RowError for the first value longer than its limit (``strip``: as typed, the
    spaces around it not counted). The hot path: one type test and one length a value."""
    get = values.get
    for name, limit in limits.items():
        value = get(name)
        if type(value) is str and len(value) > limit:
            length = len(value.strip()) if strip else len(value)
            if length > limit:
                raise RowError(
                    f"{labels.get(name, name)} is {length} characters long; "
                    f"the ledger keeps at most {limit}"
                )


def check_typed(
    fields: Mapping[str, Any], limits: Mapping[str, int], labels: Mapping[str, str]
) -> None:
    """Raise RowError for a value typed longer than the column that keeps it."""
    _check_lengths(fields, limits, labels, strip=True)


@lru_cache(maxsize=64)
def _bounds_of(
    limits: IntakeLimits, run_day: dt.date
) -> tuple[tuple[tuple[str, ...], dt.date], ...]:
    return (
        (EVENT_DATES, run_day + dt.timedelta(days=limits.days_ahead)),
        (DEADLINES, run_day + dt.timedelta(days=limits.deadline_days_ahead)),
    )


_LAST_BOUNDS: list = [None, None, ()]
"""The bounds of the last (limits, run day) asked: every row of a file asks the same, and
hashing the frozen ``IntakeLimits`` for the cache costs a microsecond a row."""


def _date_bounds(
    limits: IntakeLimits, run_day: dt.date
) -> tuple[tuple[tuple[str, ...], dt.date], ...]:
    last = _LAST_BOUNDS
    if last[0] is limits and last[1] == run_day:
        return last[2]
    bounds = _bounds_of(limits, run_day)
    last[:] = [limits, run_day, bounds]
    return bounds


def check_values(
    values: Mapping[str, Any],
    lengths: Mapping[str, int],
    labels: Mapping[str, str],
    limits: IntakeLimits,
    run_day: dt.date,
) -> None:
    """Raise RowError for a value too long for its column or a date out of range."""
    _check_lengths(values, lengths, labels, strip=False)
    for names, latest in _date_bounds(limits, run_day):
        for name in names:
            value = values.get(name)
            if value is None:
                continue
            day = value.date() if isinstance(value, dt.datetime) else value
            if not limits.earliest_date <= day <= latest:
                raise RowError(
                    f"{labels.get(name, name)} {day.isoformat()} is outside the plausible "
                    f"range {limits.earliest_date.isoformat()} to {latest.isoformat()} "
                    "(a mistyped year?)"
                )
