"""The Chinese working calendar (工作日历) the SLA clocks count in.

The ``chinese-calendar`` package carries the State Council's holiday table with
the weekend days worked in lieu (调休) for the years it knows (from 2004 to its
release year); ``XINFANG_CONFIG`` adds or overrides single dates
(``calendar.holidays`` / ``calendar.workdays``) and may declare whole years the
package lacks (``calendar.years``), which are then judged as Monday-Friday plus
those lists. Together these are the *official* calendar.

A later year that neither declares (2027 for chinese-calendar 1.11) is judged on a
*provisional* calendar, so the sweeps and the working-day timetable keep running
over New Year: Monday-Friday except that year's statutory public holidays
(法定节假日, as the ``holidays`` package computes them from the 放假办法, lunar
dates included), with the configured overrides on top. It has no 调休: the State
Council's arrangement for the year (the bridging days off and the weekend days
worked for them) is published each November and is never guessed. So the
provisional calendar takes only the statutory days themselves: neither the
package's "observed" days (a statutory day falling on a weekend made up on a
weekday, which the State Council folds into its 调休 arrangement) nor its
"substituted" days off (whose working weekend days it does not list).
:func:`horizon` says which years are provisional and what to do; once a year's
official table is added (config or a package upgrade) the escalation sweep sees
a new configuration signature and re-derives every case.

Dates before the calendar's first year (2004, or an earlier configured year
adjoining it) and years the provisional calendar cannot compute (past the
``holidays`` package's lunar tables) raise :class:`CalendarError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import chinese_calendar
import holidays as holidays_pkg
import sqlalchemy as sa

from xinfang.config import Config, get_config

PROVISIONAL_RULE = "statutory-holidays-only, no observed days, no 调休"
"""What the provisional calendar takes from the ``holidays`` package (part of the
escalation sweep's configuration signature: changing it re-derives the cases)."""


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


def holidays_version() -> str:
    return str(getattr(holidays_pkg, "__version__", ""))


def _holidays_range() -> tuple[int, int]:
    china = holidays_pkg.China
    return int(getattr(china, "start_year", 1950)), int(getattr(china, "end_year", 2100))


@lru_cache(maxsize=64)
def provisional_holidays(year: int) -> frozenset[dt.date] | None:
    """The statutory public holidays of ``year`` (``holidays`` package, China), or None
    when the package cannot compute that year (no lunar table for it)."""
    lo, hi = _holidays_range()
    if not lo <= year <= hi:
        return None
    table = holidays_pkg.China(years=year, observed=False, language="en_US")
    days = frozenset(
        d for d, name in table.items() if d.year == year and "substitut" not in name.lower()
    )
    # no Spring Festival: the package has no lunar data for the year
    if not any(d.month in (1, 2) and d.day > 1 for d in days):
        return None
    return days


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
        self.official_years = self.package_years | self.configured_years
        first = min(self.package_years)
        while first - 1 in self.configured_years:
            first -= 1
        self.first_day = dt.date(first, 1, 1)
        """The first day judged: the package's first year, or an earlier configured
        year adjoining it (before it, a date cannot be judged)."""
        self._cache: dict[dt.date, bool] = {}

    # -- judging single dates -------------------------------------------------
    def is_official(self, year: int) -> bool:
        """The year has the State Council's table (the package or ``calendar.years``)."""
        return year in self.official_years

    def is_provisional(self, year: int) -> bool:
        """The year is judged on the provisional calendar (statutory holidays, no 调休)."""
        return (
            year not in self.official_years
            and year >= self.first_day.year
            and provisional_holidays(year) is not None
        )

    def provisional_years(self, start: dt.date, end: dt.date) -> list[int]:
        """The years of [start, end] judged on the provisional calendar."""
        return [y for y in range(start.year, end.year + 1) if self.is_provisional(y)]

    def can_judge(self, year: int) -> bool:
        return self.is_official(year) or self.is_provisional(year)

    def check_year(self, year: int) -> None:
        """Raise :class:`CalendarError` unless ``year`` can be judged."""
        if self.can_judge(year):
            return
        lo, hi = min(self.package_years), max(self.package_years)
        if year < self.first_day.year:
            raise CalendarError(
                f"the working calendar has no data for {year}: it starts on {self.first_day} "
                f"(the chinese-calendar package covers {lo}-{hi}). A date before it cannot be "
                f"judged: correct the date, or list the year in XINFANG_CONFIG as calendar: "
                f"{{years: [{year}], holidays: [...], workdays: [...]}} with that year's "
                f"public holidays and 调休 working weekend days."
            )
        raise CalendarError(
            f"the working calendar has no data for {year}: the chinese-calendar package "
            f"covers {lo}-{hi} and the provisional calendar (statutory holidays of the "
            f"holidays package {holidays_version()}) reaches {_holidays_range()[1]}. List the "
            f"year in XINFANG_CONFIG as calendar: {{years: [{year}], holidays: [...], "
            f"workdays: [...]}} with that year's public holidays and 调休 working weekend days."
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
        elif self.is_provisional(day.year):
            statutory = provisional_holidays(day.year) or frozenset()
            result = day.weekday() < 5 and day not in statutory
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
    """The widest range the *official* calendar (package and configured years) covers
    contiguously around the package's data; past it the calendar is provisional."""
    cal = WorkCalendar(config)
    lo = hi = cal.first_day.year
    while hi + 1 in cal.official_years:
        hi += 1
    return dt.date(lo, 1, 1), dt.date(hi, 12, 31)


def _years_text(years: list[int]) -> str:
    return ", ".join(str(y) for y in years)


def horizon(as_of: dt.date, config: Config | None = None) -> dict[str, Any]:
    """What the sweeps around ``as_of`` count on, with a warning for operations.

    ``known_until``/``days_left``: the last day of the official calendar. ``provisional``:
    the years judged on the provisional calendar around ``as_of`` (its own year, and the
    next once ``as_of`` is within ``calendar.warn_days`` of the year's end): the sweeps
    keep running on them, and the warning says so and how to add the official table
    (the State Council publishes it only weeks before the year). A year the calendar
    cannot judge at all there (``stops``) stops the sweeps.
    """
    config = config or get_config()
    cal = WorkCalendar(config)
    known_until = calendar_bounds(config)[1]
    days_left = (known_until - as_of).days
    years = [as_of.year]
    if (dt.date(as_of.year, 12, 31) - as_of).days < config.calendar_warn_days:
        years.append(as_of.year + 1)
    provisional = [y for y in years if cal.is_provisional(y)]
    stops = [y for y in years if not cal.can_judge(y)]
    parts = []
    if provisional:
        first = provisional[0]
        since = (
            f"from {first}-01-01, in {(dt.date(first, 1, 1) - as_of).days} days"
            if first > as_of.year
            else f"in force on {as_of}"
        )
        parts.append(
            f"provisional calendar for {_years_text(provisional)} ({since}): the official "
            f"calendar (chinese-calendar {_version()} and XINFANG_CONFIG) ends on "
            f"{known_until}, so the sweeps count working days on Monday-Friday minus the "
            f"statutory public holidays (holidays package {holidays_version()}), without "
            f"调休; escalation dates there may move. Add the official table to XINFANG_CONFIG "
            f"as calendar: {{years: [{first}], holidays: [...], workdays: [...]}} (the State "
            f"Council's days off and 调休 working weekend days), or upgrade the "
            f"chinese-calendar package once it has {first}: the escalation sweep then "
            f"re-derives the affected cases by itself."
        )
    if stops:
        year = stops[0]
        parts.append(
            f"the working calendar has no data for {year}, so the sweeps stop there: add "
            f"{year}'s public holidays and 调休 working days to XINFANG_CONFIG as calendar: "
            f"{{years: [{year}], holidays: [...], workdays: [...]}}."
        )
    return {
        "known_until": known_until.isoformat(),
        "days_left": days_left,
        "provisional": provisional,
        "stops": stops,
        "warning": " ".join(parts) or None,
    }


def _version() -> str:
    return str(getattr(chinese_calendar, "__version__", "?"))


def materialize(
    conn: sa.Connection,
    start: dt.date,
    end: dt.date,
    calendar: WorkCalendar | None = None,
) -> int:
    """(Re)write ``work_calendar`` for [start, end] so SQL can join on working days.

    The whole table is rewritten when it does not already cover the range with
    the same working days (indexes are cumulative from the table's first date),
    which keeps the operation idempotent and cheap (a few thousand rows).
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
        # same range: compare the working days themselves (an override, a provisional
        # year made official or a package upgrade moves some)
        stored = conn.execute(
            sa.select(work_calendar.c.day, work_calendar.c.is_workday).order_by(work_calendar.c.day)
        ).all()
        if [bool(w) for _, w in stored] == [r["is_workday"] for r in rows] and len(stored) == len(
            rows
        ):
            return 0
    conn.execute(work_calendar.delete())
    conn.execute(work_calendar.insert(), rows)
    return len(rows)
