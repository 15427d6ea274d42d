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
