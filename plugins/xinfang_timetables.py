"""A timetable that runs on Chinese working days (调休 included, public holidays excluded).

Use it in a DAG file (the plugins folder is on ``sys.path`` wherever Airflow runs)::

    from datetime import time
    from xinfang_timetables import ChineseWorkdayTimetable

    @dag(schedule=ChineseWorkdayTimetable(at=time(9, 0)), ...)

Each run is a trigger at ``at`` local time on one working day; its logical date
and data interval are that moment, so ``ds`` is the working day itself. The
working calendar is the project's (``xinfang.calendar``: the chinese-calendar
package plus the holidays/workdays of ``XINFANG_CONFIG``). Past the package's
last year (2027 for chinese-calendar 1.11) it runs on the provisional calendar:
Monday-Friday minus that year's statutory public holidays, no 调休 (the scheduler
log warns once per year); add the year's official table to the configuration's
``calendar`` section (or upgrade the package) and the runs follow it. Only a year
the calendar cannot judge at all (before 2004, or past the holidays package's
lunar tables) stops scheduling, with an error in the scheduler log.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.plugins_manager import AirflowPlugin
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable
from pendulum import DateTime

log = logging.getLogger(__name__)

# Longest stretch without a working day the search walks before giving up
# (the longest Chinese holiday block is 9 days; a whole-year gap means no data).
_MAX_GAP_DAYS = 60


class CalendarUnavailable(RuntimeError):
    """The working calendar cannot answer for a date (no data for its year)."""


_warned_provisional: set[int] = set()


def _is_workday(day: dt.date) -> bool:
    """Ask the project's working calendar (``XINFANG_CONFIG`` overrides included)."""
    from xinfang.calendar import CalendarError, get_calendar

    cal = get_calendar()
    try:
        result = bool(cal.is_workday(day))
    except CalendarError as exc:
        raise CalendarUnavailable(str(exc)) from exc
    if day.year not in _warned_provisional and cal.is_provisional(day.year):
        _warned_provisional.add(day.year)
        log.warning(
            "ChineseWorkdayTimetable: provisional calendar for %s (statutory public holidays "
            "only, no 调休): add the year's official table to XINFANG_CONFIG calendar: or "
            "upgrade chinese-calendar",
            day.year,
        )
    return result


def _parse_time(at: dt.time | str) -> dt.time:
    if isinstance(at, dt.time):
        return at.replace(tzinfo=None)
    return dt.time.fromisoformat(str(at))


class ChineseWorkdayTimetable(Timetable):
    """Run once per Chinese working day at ``at`` (local time of ``timezone``)."""

    periodic = True
    can_be_scheduled = True

    def __init__(self, at: dt.time | str = dt.time(9, 0), timezone: str = "Asia/Shanghai") -> None:
        self.at = _parse_time(at)
        self.timezone_name = str(getattr(timezone, "name", timezone))
        self._tz = pendulum.timezone(self.timezone_name)
        self.description = (
            f"每个工作日 {self.at.strftime('%H:%M')} ({self.timezone_name}): "
            "Chinese working days, 调休 included, holidays skipped"
        )

    # -- serialization -------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "timezone": self.timezone_name}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> ChineseWorkdayTimetable:
        return cls(at=data["at"], timezone=data.get("timezone", "Asia/Shanghai"))

    def __eq__(self, other: object) -> bool:
        # By name: the plugin loader may import this module a second time.
        if type(other).__name__ != type(self).__name__ or not hasattr(other, "serialize"):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash((self.at, self.timezone_name))

    def __repr__(self) -> str:
        return f"ChineseWorkdayTimetable(at={self.at!r}, timezone={self.timezone_name!r})"

    @property
    def summary(self) -> str:
        return f"workdays {self.at.strftime('%H:%M')} {self.timezone_name}"

    # -- calendar arithmetic ---------------------------------------------------------
    def run_time(self, day: dt.date) -> DateTime:
        """The run of working day ``day``, as an aware UTC time."""
        local = pendulum.datetime(
            day.year,
            day.month,
            day.day,
            self.at.hour,
            self.at.minute,
            self.at.second,
            self.at.microsecond,
            tz=self._tz,
        )
        return local.in_timezone(pendulum.UTC)

    def _local_day(self, moment: dt.datetime) -> dt.date:
        return pendulum.instance(moment).in_timezone(self._tz).date()

    @staticmethod
    def _walk(day: dt.date, step: int) -> dt.date:
        for _ in range(_MAX_GAP_DAYS):
            if _is_workday(day):
                return day
            day += dt.timedelta(days=step)
        raise CalendarUnavailable(f"no working day within {_MAX_GAP_DAYS} days of {day}")

    def next_run_at_or_after(self, moment: dt.datetime) -> DateTime:
        """The first run time that is not earlier than ``moment``."""
        moment = pendulum.instance(moment)
        day = self._local_day(moment)
        if _is_workday(day) and self.run_time(day) >= moment:
            return self.run_time(day)
        return self.run_time(self._walk(day + dt.timedelta(days=1), 1))

    def last_run_at_or_before(self, moment: dt.datetime) -> DateTime:
        """The latest run time that is not later than ``moment``."""
        moment = pendulum.instance(moment)
        day = self._local_day(moment)
        if _is_workday(day) and self.run_time(day) <= moment:
            return self.run_time(day)
        return self.run_time(self._walk(day - dt.timedelta(days=1), -1))

    def next_run_after(self, moment: dt.datetime) -> DateTime:
        """The first run time strictly after ``moment``."""
        return self.next_run_at_or_after(pendulum.instance(moment).add(microseconds=1))

    # -- Timetable protocol ----------------------------------------------------------
    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        return DataInterval.exact(run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        try:
            if restriction.catchup:
                if last_automated_data_interval is not None:
                    nxt = self.next_run_after(last_automated_data_interval.end)
                elif restriction.earliest is None:
                    nxt = self.last_run_at_or_before(pendulum.now(pendulum.UTC))
                else:
                    nxt = self.next_run_at_or_after(restriction.earliest)
            else:
                # Like CronTriggerTimetable: skip missed runs, but do the latest one.
                candidates = [self.last_run_at_or_before(pendulum.now(pendulum.UTC))]
                if last_automated_data_interval is not None:
                    candidates.append(self.next_run_after(last_automated_data_interval.end))
                if restriction.earliest is not None:
                    candidates.append(self.next_run_at_or_after(restriction.earliest))
                nxt = max(candidates)
        except CalendarUnavailable as exc:
            log.error("ChineseWorkdayTimetable cannot schedule: %s", exc)
            return None
        if restriction.latest is not None and nxt > restriction.latest:
            return None
        return DagRunInfo.exact(nxt)


class XinfangTimetablesPlugin(AirflowPlugin):
    """Registers the timetable so serialized DAGs can be read back by the scheduler."""

    name = "xinfang_timetables"
    timetables = [ChineseWorkdayTimetable]  # noqa: RUF012
