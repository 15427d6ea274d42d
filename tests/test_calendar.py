"""The working calendar: real 2023/2024 holiday edges, overrides, unknown years.

(The provisional calendar past the package's years: tests/test_calendar_provisional.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from calendar_helpers import config_with
from conftest import BOTH

from xinfang import calendar as workcal
from xinfang.calendar import CalendarError, WorkCalendar

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(config_with())


def test_dragon_boat_2023(cal):
    assert not any(cal.is_workday(D(f"2023-06-{d}")) for d in (22, 23, 24))
    assert cal.is_workday(D("2023-06-25"))  # a Sunday worked in lieu (调休)
    assert cal.is_workday(D("2023-06-21"))
    assert cal.workdays_between(D("2023-06-21"), D("2023-06-26")) == 2  # 25th, 26th
    assert cal.add_workdays(D("2023-06-21"), 1) == D("2023-06-25")


def test_national_day_2023(cal):
    off = [D("2023-09-29") + dt.timedelta(days=n) for n in range(8)]  # 29 Sept - 6 Oct
    assert not any(cal.is_workday(d) for d in off)
    assert cal.is_workday(D("2023-10-07")) and cal.is_workday(D("2023-10-08"))  # Sat, Sun
    assert cal.add_workdays(D("2023-09-28"), 1) == D("2023-10-07")
    assert cal.workdays_between(D("2023-09-28"), D("2023-10-09")) == 3


def test_spring_festival_2024(cal):
    # 10-17 Feb 2024 off; Sunday 4 Feb and Sunday 18 Feb worked
    assert cal.is_workday(D("2024-02-04"))
    assert not any(cal.is_workday(D(f"2024-02-{d:02d}")) for d in range(10, 18))
    assert cal.is_workday(D("2024-02-18"))
    assert cal.add_workdays(D("2024-02-09"), 1) == D("2024-02-18")


def test_plain_weekend_and_counting(cal):
    assert not cal.is_workday(D("2023-07-08")) and not cal.is_workday(D("2023-07-09"))
    assert cal.workdays_between(D("2023-07-03"), D("2023-07-11")) == 6
    assert cal.workdays_between(D("2023-07-11"), D("2023-07-03")) == 0
    assert cal.add_workdays(D("2023-07-03"), 6) == D("2023-07-11")
    assert cal.add_workdays(D("2023-07-03"), 0) == D("2023-07-03")


def test_unknown_year_is_an_error_naming_the_year(cal):
    # past the provisional calendar's reach (the holidays package's lunar tables)
    with pytest.raises(CalendarError, match="2101") as err:
        cal.is_workday(D("2101-03-01"))
    assert "calendar" in str(err.value) and "years" in str(err.value)
    with pytest.raises(CalendarError, match="2101"):
        cal.check_range(D("2100-12-01"), D("2101-01-05"))
    # before the calendar's first year
    with pytest.raises(CalendarError, match="2003") as err:
        cal.is_workday(D("2003-05-01"))
    assert "2004-01-01" in str(err.value)


def test_configured_year_and_overrides():
    cal = WorkCalendar(
        config_with(
            years=[2027],
            holidays=["2027-01-01", "2023-07-05"],
            workdays=["2027-01-02", "2023-07-08"],
        )
    )
    assert not cal.is_workday(D("2027-01-01"))  # a Friday made a holiday
    assert cal.is_workday(D("2027-01-02"))  # a Saturday worked
    assert cal.is_workday(D("2027-01-04")) and not cal.is_workday(D("2027-01-03"))
    # overrides also correct a year the package knows
    assert not cal.is_workday(D("2023-07-05")) and cal.is_workday(D("2023-07-08"))
    # the configured year is official; the next one provisional
    assert cal.is_official(2027) and not cal.is_provisional(2027)
    assert cal.is_provisional(2028) and cal.provisional_years(D("2026-06-01"), D("2028-02-01")) == [
        2028
    ]


def test_a_date_both_holiday_and_workday_is_refused():
    with pytest.raises(CalendarError, match="2023-07-05"):
        WorkCalendar(config_with(holidays=["2023-07-05"], workdays=["2023-07-05"]))


def test_rows_index_is_cumulative(cal):
    rows = cal.rows(D("2023-06-20"), D("2023-06-30"))
    by_day = {r["day"]: r for r in rows}
    assert by_day[D("2023-06-21")]["workday_index"] == 2  # 20th, 21st
    assert by_day[D("2023-06-24")]["workday_index"] == 2  # holiday: unchanged
    assert by_day[D("2023-06-25")]["workday_index"] == 3
    last = 0
    for r in rows:
        assert r["workday_index"] == last + r["is_workday"]
        last = r["workday_index"]


@BOTH
def test_materialize_work_calendar(engine):
    from xinfang.schema import work_calendar

    cal = WorkCalendar(config_with())
    with engine.begin() as conn:
        written = workcal.materialize(conn, D("2023-01-01"), D("2023-12-31"), cal)
        assert written == 365
        assert workcal.materialize(conn, D("2023-01-01"), D("2023-12-31"), cal) == 0
        rows = dict(
            conn.execute(
                sa.select(work_calendar.c.day, work_calendar.c.workday_index).where(
                    work_calendar.c.day.in_([D("2023-06-21"), D("2023-06-25"), D("2023-06-26")])
                )
            ).all()
        )
        assert rows[D("2023-06-25")] == rows[D("2023-06-21")] + 1
        assert rows[D("2023-06-26")] == rows[D("2023-06-25")] + 1
        with pytest.raises(CalendarError, match="2003"):
            workcal.materialize(conn, D("2003-12-01"), D("2004-02-01"), cal)


def test_horizon_warns_before_the_calendar_turns_provisional():
    config = config_with()
    end = workcal.calendar_bounds(config)[1]
    nxt = end.year + 1
    far = workcal.horizon(end - dt.timedelta(days=100), config)
    assert far == {
        "known_until": end.isoformat(),
        "days_left": 100,
        "provisional": [],
        "stops": [],
        "warning": None,
    }
    near = workcal.horizon(end - dt.timedelta(days=30), config)
    assert near["days_left"] == 30 and near["provisional"] == [nxt] and near["stops"] == []
    warning = near["warning"]
    assert warning.startswith(f"provisional calendar for {nxt} (from {nxt}-01-01, in 31 days)")
    assert f"ends on {end}" in warning and f"years: [{nxt}]" in warning
    assert "re-derives" in warning and "stop" not in warning
    after = workcal.horizon(end + dt.timedelta(days=1), config)
    assert after["days_left"] == -1 and after["provisional"] == [nxt]
    assert f"in force on {end + dt.timedelta(days=1)}" in after["warning"]
    # warn_days is configurable; a configured next year moves the horizon
    assert (
        workcal.horizon(end - dt.timedelta(days=30), config_with(warn_days=20))["warning"] is None
    )
    extended = workcal.horizon(end - dt.timedelta(days=30), config_with(years=[nxt]))
    assert extended["known_until"] == f"{nxt}-12-31" and extended["warning"] is None
    assert extended["provisional"] == []


def test_horizon_says_where_the_sweeps_stop():
    out = workcal.horizon(D("2100-12-20"), config_with())
    assert out["provisional"] == [2100] and out["stops"] == [2101]
    assert "no data for 2101, so the sweeps stop" in out["warning"]


def test_daily_sweep_logs_the_calendar_warning(engine, caplog):
    from xinfang.pipeline import daily_sweep

    end = workcal.calendar_bounds()[1]
    with caplog.at_level("WARNING", logger="xinfang.pipeline"):
        out = daily_sweep(end - dt.timedelta(days=10), engine)
    assert out["calendar"]["days_left"] == 10
    assert out["calendar"]["provisional"] == [end.year + 1]
    messages = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert messages == [out["calendar"]["warning"]]
    assert messages[0].startswith(f"provisional calendar for {end.year + 1}")
    caplog.clear()
    with caplog.at_level("WARNING", logger="xinfang.pipeline"):
        assert daily_sweep(D("2023-07-31"), engine)["calendar"]["warning"] is None
    assert not [r for r in caplog.records if r.name == "xinfang.pipeline"]
