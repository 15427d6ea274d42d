"""The working calendar: real 2023/2024 holiday edges, overrides, unknown years."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH

from xinfang import calendar as workcal
from xinfang.calendar import CalendarError, WorkCalendar
from xinfang.config import build, load_raw

D = dt.date.fromisoformat


def config_with(**calendar):
    raw = load_raw()
    raw["calendar"] = {"holidays": [], "workdays": [], "years": [], **calendar}
    return build(raw)


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
    with pytest.raises(CalendarError, match="2027") as err:
        cal.is_workday(D("2027-03-01"))
    assert "calendar" in str(err.value) and "years" in str(err.value)
    with pytest.raises(CalendarError, match="2027"):
        cal.check_range(D("2026-12-01"), D("2027-01-05"))
    with pytest.raises(CalendarError, match="2003"):
        cal.is_workday(D("2003-05-01"))


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
    with pytest.raises(CalendarError, match="2028"):
        cal.is_workday(D("2028-01-03"))


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
        with pytest.raises(CalendarError, match="2027"):
            workcal.materialize(conn, D("2026-01-01"), D("2027-02-01"), cal)


def test_horizon_warns_before_the_calendar_runs_out():
    config = config_with()
    end = workcal.calendar_bounds(config)[1]
    nxt = end.year + 1
    far = workcal.horizon(end - dt.timedelta(days=100), config)
    assert far == {"known_until": end.isoformat(), "days_left": 100, "warning": None}
    near = workcal.horizon(end - dt.timedelta(days=30), config)
    assert near["days_left"] == 30
    assert f"up to {end}" in near["warning"] and f"years: [{nxt}]" in near["warning"]
    after = workcal.horizon(end + dt.timedelta(days=1), config)
    assert after["days_left"] == -1 and f"no data after {end}" in after["warning"]
    # warn_days is configurable; a configured next year moves the horizon
    assert (
        workcal.horizon(end - dt.timedelta(days=30), config_with(warn_days=20))["warning"] is None
    )
    extended = workcal.horizon(end - dt.timedelta(days=30), config_with(years=[nxt]))
    assert extended["known_until"] == f"{nxt}-12-31" and extended["warning"] is None


def test_daily_sweep_logs_the_calendar_warning(engine, caplog):
    from xinfang.pipeline import daily_sweep

    end = workcal.calendar_bounds()[1]
    with caplog.at_level("WARNING", logger="xinfang.pipeline"):
        out = daily_sweep(end - dt.timedelta(days=10), engine)
    assert out["calendar"]["days_left"] == 10
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        out["calendar"]["warning"]
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="xinfang.pipeline"):
        assert daily_sweep(D("2023-07-31"), engine)["calendar"]["warning"] is None
    assert not [r for r in caplog.records if r.name == "xinfang.pipeline"]
