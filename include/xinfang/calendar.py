"""The Chinese working calendar (工作日历) the SLA clocks count in.

The ``chinese-calendar`` package carries the State Council's holiday table with
the weekend days worked in lieu (调休) for the years it knows; ``XINFANG_CONFIG``
adds or overrides single dates (``calendar.holidays`` / ``calendar.workdays``)
and may declare whole years the package lacks (``calendar.years``), which are
then judged as Monday-Friday plus those lists. Any other date raises
:class:`CalendarError` before any clock is run: a weekday guess for an unknown
year would silently move every escalation date around the Spring Festival.
:func:`horizon` gives the warning ahead of that stop (``calendar.warn_days``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import chinese_calendar
import sqlalchemy as sa

from xinfang.config import Config, get_config


class CalendarError(ValueError):
    """A date the working calendar cannot judge."""


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    """Years the installed ``chinese-calendar`` package has data for."""
    known = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    years = set()
    for year in range(min(known), max(known) + 1):
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            continue
        years.add(year)
    return frozenset(years)


def _daterange(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    for n in range((end - start).days + 1):
        yield start + dt.timedelta(days=n)


class WorkCalendar:
    """Working days: the package's table, then the configured overrides."""

    def __init__(self, config: Config | None = None) -> None:
        config = config or get_config()
        self.extra_holidays = frozenset(config.extra_holidays)
        self.extra_workdays = frozenset(config.extra_workdays)
        clash = self.extra_holidays & self.extra_workdays
        if clash:
            raise CalendarError(
                "calendar.holidays and calendar.workdays both list "
                + ", ".join(sorted(d.isoformat() for d in clash))
            )
        self.configured_years = frozenset(config.calendar_years)
        self.package_years = package_years()
        self._cache: dict[dt.date, bool] = {}

    # -- judging single dates -------------------------------------------------
    def can_judge(self, year: int) -> bool:
        return year in self.package_years or year in self.configured_years

    def check_year(self, year: int) -> None:
        """Raise :class:`CalendarError` unless ``year`` can be judged."""
        if not self.can_judge(year):
            lo, hi = min(self.package_years), max(self.package_years)
            raise CalendarError(
                f"the working calendar has no data for {year}: the chinese-calendar package "
                f"covers {lo}-{hi}. Upgrade it (pip install -U chinesecalendar) once the State "
                f"Council has published {year}'s holidays, or list the year in XINFANG_CONFIG "
                f"as calendar: {{years: [{year}], holidays: [...], workdays: [...]}} with that "
                f"year's public holidays and 调休 working weekend days."
            )

    def check_range(self, start: dt.date, end: dt.date) -> None:
        """Fail early when any date in [start, end] cannot be judged."""
        for year in range(start.year, end.year + 1):
            self.check_year(year)

    def is_workday(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            day = day.date()
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if day in self.extra_workdays:
            result = True
        elif day in self.extra_holidays:
            result = False
        elif day.year in self.package_years:
            result = bool(chinese_calendar.is_workday(day))
        elif day.year in self.configured_years:
            result = day.weekday() < 5
        else:
            self.check_year(day.year)
            raise AssertionError("unreachable")
        self._cache[day] = result
        return result

    def is_holiday(self, day: dt.date) -> bool:
        return not self.is_workday(day)

    # -- counting -------------------------------------------------------------
    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: the SLA count on ``end`` of a tier entered on ``start``."""
        if end <= start:
            return 0
        return sum(1 for d in _daterange(start + dt.timedelta(days=1), end) if self.is_workday(d))

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (n >= 1); ``start`` itself when n == 0."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def next_workday(self, day: dt.date) -> dt.date:
        return self.add_workdays(day, 1)

    def workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        return [d for d in _daterange(start, end) if self.is_workday(d)]

    def rows(self, start: dt.date, end: dt.date) -> list[dict]:
        """Calendar rows for [start, end]: date, is_workday, workday_index.

        ``workday_index`` is the number of working days from ``start`` up to and
        including the date, so "the n-th working day after d" is the working day
        whose index is index(d) + n, and working days in (a, b] are
        index(b) - index(a).
        """
        self.check_range(start, end)
        return [dict(r) for r in _rows(self, start, end)]

    def _key(self) -> tuple:
        return (self.extra_holidays, self.extra_workdays, self.configured_years)

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkCalendar) and self._key() == other._key()


@lru_cache(maxsize=16)
def _rows(cal: WorkCalendar, start: dt.date, end: dt.date) -> tuple[dict, ...]:
    out = []
    index = 0
    for d in _daterange(start, end):
        work = cal.is_workday(d)
        index += work
        out.append({"day": d, "is_workday": work, "workday_index": index})
    return tuple(out)


_current: tuple[Config, WorkCalendar] | None = None


def get_calendar() -> WorkCalendar:
    """The calendar of the configuration in force (rebuilt when the configuration changes)."""
    global _current
    config = get_config()
    if _current is None or _current[0] is not config:
        _current = (config, WorkCalendar(config))
    return _current[1]


def calendar_bounds(config: Config | None = None) -> tuple[dt.date, dt.date]:
    """The widest range the calendar can judge contiguously around the package's data."""
    cal = WorkCalendar(config)
    years = sorted(cal.package_years | cal.configured_years)
    lo = hi = years[0]
    for y in years[1:]:
        if y != hi + 1:
            break
        hi = y
    return dt.date(lo, 1, 1), dt.date(hi, 12, 31)


def horizon(as_of: dt.date, config: Config | None = None) -> dict[str, Any]:
    """How far past ``as_of`` the calendar can judge, with a warning for operations
    when that is less than ``calendar.warn_days``: the sweeps stop after it, and the
    State Council publishes the next year's holidays only weeks before."""
    config = config or get_config()
    known_until = calendar_bounds(config)[1]
    days_left = (known_until - as_of).days
    warning = None
    if days_left < config.calendar_warn_days:
        year = known_until.year + 1
        todo = (
            f"add {year}'s public holidays and 调休 working days to XINFANG_CONFIG as "
            f"calendar: {{years: [{year}], holidays: [...], workdays: [...]}}, or upgrade "
            f"the chinese-calendar package once it has {year}"
        )
        if days_left < 0:
            warning = (
                f"the working calendar has no data after {known_until}, so the sweeps stop: {todo}."
            )
        else:
            warning = (
                f"the working calendar knows dates up to {known_until}, {days_left} days after "
                f"{as_of}; the sweeps stop after that: {todo}."
            )
    return {"known_until": known_until.isoformat(), "days_left": days_left, "warning": warning}


def materialize(
    conn: sa.Connection,
    start: dt.date,
    end: dt.date,
    calendar: WorkCalendar | None = None,
) -> int:
    """(Re)write ``work_calendar`` for [start, end] so SQL can join on working days.

    The whole table is rewritten when it does not already cover the range with
    the same calendar (indexes are cumulative from the table's first date), which
    keeps the operation idempotent and cheap (a few thousand rows).
    Returns the number of rows written (0 when it was up to date).
    """
    from xinfang.schema import work_calendar

    calendar = calendar or WorkCalendar()
    calendar.check_range(start, end)
    existing = conn.execute(
        sa.select(sa.func.min(work_calendar.c.day), sa.func.max(work_calendar.c.day))
    ).one()
    lo = min(start, existing[0]) if existing[0] else start
    hi = max(end, existing[1]) if existing[1] else end
    rows = calendar.rows(lo, hi)
    if existing[0] == lo and existing[1] == hi:
        # same range: compare a fingerprint (an override moves some workday_index)
        stored = conn.execute(
            sa.select(sa.func.count(), sa.func.sum(work_calendar.c.workday_index))
        ).one()
        if tuple(stored) == (len(rows), sum(r["workday_index"] for r in rows)):
            return 0
    conn.execute(work_calendar.delete())
    conn.execute(work_calendar.insert(), rows)
    return len(rows)


def years_of(dates: Iterable[dt.date]) -> set[int]:
    return {d.year for d in dates}
