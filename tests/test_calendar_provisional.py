"""The provisional calendar past the chinese-calendar package's last year (2027 for 1.11):
Monday-Friday minus the statutory public holidays of the holidays package, no 调休."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from calendar_helpers import config_with
from conftest import BOTH

from xinfang import calendar as workcal
from xinfang.calendar import CalendarError, WorkCalendar

D = dt.date.fromisoformat

# 放假办法 (2024 revision): 元旦 1, 春节 4 (除夕-初三), 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3
STATUTORY_2027 = {
    D(s)
    for s in (
        "2027-01-01",
        "2027-02-05",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-04-05",
        "2027-05-01",
        "2027-05-02",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
        "2027-10-02",
        "2027-10-03",
    )
}


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(config_with())


def test_the_package_stops_at_2026_and_2027_is_provisional(cal):
    assert max(cal.package_years) == 2026
    assert cal.is_official(2026) and not cal.is_provisional(2026)
    assert cal.is_provisional(2027) and not cal.is_official(2027)
    assert cal.provisional_years(D("2026-12-01"), D("2028-01-05")) == [2027, 2028]
    assert cal.provisional_years(D("2023-01-01"), D("2026-12-31")) == []
    assert workcal.calendar_bounds(config_with()) == (D("2004-01-01"), D("2026-12-31"))


def test_statutory_days_only(cal):
    assert workcal.provisional_holidays(2027) == frozenset(STATUTORY_2027)
    year = [D("2027-01-01") + dt.timedelta(days=n) for n in range(365)]
    off = {d for d in year if not cal.is_workday(d)}
    weekends = {d for d in year if d.weekday() >= 5}
    assert off == weekends | STATUTORY_2027
    # no 调休: no weekend day is worked; no "observed" make-up day is taken off
    assert not any(cal.is_workday(d) for d in weekends)
    assert cal.is_workday(D("2027-02-09")) and cal.is_workday(D("2027-05-03"))
    assert cal.is_workday(D("2027-10-04"))


def test_package_substitute_days_are_never_taken():
    # 2026 has the State Council's table in the holidays package too: its
    # "substituted" days off (2 Jan, for Sunday 4 Jan worked) and observed days are left out
    days = workcal.provisional_holidays(2026)
    assert D("2026-01-01") in days and D("2026-02-17") in days
    assert D("2026-01-02") not in days and D("2026-04-06") not in days


def test_counting_across_new_year(cal):
    assert cal.add_workdays(D("2026-12-31"), 1) == D("2027-01-04")
    assert cal.workdays_between(D("2026-12-30"), D("2027-01-08")) == 6  # 31 Dec, 4-8 Jan
    # Spring Festival: 除夕 Friday 5 Feb, 初一-初二 weekend, 初三 Monday 8 Feb
    assert cal.add_workdays(D("2027-02-04"), 1) == D("2027-02-09")


def test_config_overrides_apply_on_top(cal):
    over = WorkCalendar(config_with(holidays=["2027-02-09"], workdays=["2027-02-20"]))
    assert over.is_provisional(2027)  # single dates do not make the year official
    assert not over.is_workday(D("2027-02-09")) and over.is_workday(D("2027-02-20"))
    assert cal.is_workday(D("2027-02-09")) and not cal.is_workday(D("2027-02-20"))


def test_a_configured_year_is_official_not_provisional():
    official = WorkCalendar(config_with(years=[2027], holidays=["2027-01-01"]))
    assert official.is_official(2027) and not official.is_provisional(2027)
    # judged from the configured lists alone: 8 February is worked unless listed
    assert official.is_workday(D("2027-02-08")) and not official.is_workday(D("2027-01-01"))
    assert workcal.calendar_bounds(config_with(years=[2027]))[1] == D("2027-12-31")


def test_before_2004_and_past_the_lunar_tables_stay_unjudgeable(cal):
    assert not cal.can_judge(2003) and not cal.is_provisional(2003)
    assert cal.first_day == D("2004-01-01")
    with pytest.raises(CalendarError, match="2003"):
        cal.is_workday(D("2003-12-31"))
    assert workcal.provisional_holidays(2101) is None and not cal.can_judge(2101)
    with pytest.raises(CalendarError, match="2101"):
        cal.is_workday(D("2101-01-03"))
    # a configured year adjoining the package moves the first day
    early = WorkCalendar(config_with(years=[2003]))
    assert early.first_day == D("2003-01-01") and early.is_workday(D("2003-12-31"))


@BOTH
def test_materialize_rewrites_when_the_official_table_arrives(engine):
    from xinfang.schema import work_calendar

    provisional = WorkCalendar(config_with())
    # one holiday moved by two days and a Saturday worked, the week's count unchanged
    official = WorkCalendar(
        config_with(
            years=[2027],
            holidays=["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"],
            workdays=["2027-02-20"],
        )
    )
    with engine.begin() as conn:
        assert workcal.materialize(conn, D("2026-01-01"), D("2027-12-31"), provisional) == 730
        assert workcal.materialize(conn, D("2026-01-01"), D("2027-12-31"), provisional) == 0
        assert workcal.materialize(conn, D("2026-01-01"), D("2027-12-31"), official) == 730
        worked = conn.execute(
            sa.select(work_calendar.c.is_workday).where(work_calendar.c.day == D("2027-02-20"))
        ).scalar_one()
        assert worked


@BOTH
def test_the_official_table_arriving_re_derives_the_cases(engine):
    """Swept daily across New Year on the provisional calendar; then the official 2027
    table (an extra holiday on Monday 4 January, Saturday 9 January worked) is added
    to the configuration: the next sweep moves the escalations and notices by itself."""
    from escalation_helpers import events, new_case, notices

    from xinfang import escalation
    from xinfang.escalation_rules import CaseFacts, ItemFact, timeline

    cid = new_case(engine, D("2026-12-28"))
    day = D("2026-12-28")
    while day <= D("2027-01-20"):
        out = escalation.sweep(engine, day, config=config_with())
        day += dt.timedelta(days=1)
    # provisional: 29, 30, 31 Dec, 4, 5 Jan counted -> tier 2 on 6 Jan; then 7, 8, 11-14
    assert events(engine, cid) == [
        (1, 2, D("2027-01-06"), "sla"),
        (2, 3, D("2027-01-14"), "sla"),
    ]
    assert ("warning", 1, D("2027-01-04")) in [n[:3] for n in notices(engine, cid)]
    assert out["working_set"] == "delta"

    official = config_with(
        years=[2027], holidays=["2027-01-01", "2027-01-04"], workdays=["2027-01-09"]
    )
    assert escalation.config_signature(official) != escalation.config_signature(config_with())
    out = escalation.sweep(engine, D("2027-01-20"), config=official)
    assert out["working_set"] == "all"
    assert (out["events_deleted"], out["events_inserted"]) == (1, 1)
    # official: 29, 30, 31 Dec, 5, 6 Jan -> tier 2 on 7 Jan; 8, 9 (Saturday worked), 11-14
    expected = [(1, 2, D("2027-01-07"), "sla"), (2, 3, D("2027-01-14"), "sla")]
    assert events(engine, cid) == expected
    nts = [n[:3] for n in notices(engine, cid)]
    # day 4 of tier 1: 5 January (4 January a holiday now); of tier 2: 8, 9, 11, 12
    assert ("warning", 1, D("2027-01-05")) in nts and ("warning", 1, D("2027-01-04")) not in nts
    assert ("warning", 2, D("2027-01-12")) in nts
    # what the reference rules give on the official calendar
    ref = timeline(
        CaseFacts((ItemFact(D("2026-12-28")),)), D("2027-01-20"), WorkCalendar(official), official
    )
    assert [(e.from_tier, e.to_tier, e.on, e.reason) for e in ref.events] == expected
    # and the next daily sweep goes on from there
    out = escalation.sweep(engine, D("2027-01-21"), config=official)
    assert events(engine, cid) == expected


def test_the_signature_names_the_provisional_calendar(monkeypatch):
    from xinfang import escalation

    base = escalation.config_signature(config_with())
    monkeypatch.setattr(workcal, "holidays_version", lambda: "0.999")
    assert escalation.config_signature(config_with()) != base
