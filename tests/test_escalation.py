"""The escalation sweep on real calendar edges (docs/tiers.md), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import (
    D,
    add_item,
    add_progress,
    case_row,
    events,
    new_case,
    notices,
)

from xinfang import escalation
from xinfang.calendar import CalendarError, WorkCalendar
from xinfang.config import build, get_config, load_raw
from xinfang.escalation_rules import CaseFacts, ItemFact, ProgressFact, timeline
from xinfang.schema import escalation_event, notification

OFFICE, JUDGE, TRIBUNAL, VP, PRESIDENT = (get_config().tiers[n].role for n in range(1, 6))


@BOTH
def test_worked_example_of_the_contract(engine):
    cid = new_case(engine, D("2023-07-03"))  # Monday 3 July 2023
    escalation.sweep(engine, D("2023-08-13"))
    row = case_row(engine, cid)
    assert (row.tier, row.tier_entered_on, row.status, row.overdue) == (
        5,
        D("2023-08-04"),
        "open",
        False,
    )
    assert events(engine, cid) == [
        (1, 2, D("2023-07-11"), "sla"),
        (2, 3, D("2023-07-19"), "sla"),
        (3, 4, D("2023-07-27"), "sla"),
        (4, 5, D("2023-08-04"), "sla"),
    ]
    escalation.sweep(engine, D("2023-08-14"))
    assert case_row(engine, cid).overdue is True
    assert notices(engine, cid) == [
        ("warning", 1, D("2023-07-07"), OFFICE),
        ("escalation", 2, D("2023-07-11"), JUDGE),
        ("warning", 2, D("2023-07-17"), JUDGE),
        ("escalation", 3, D("2023-07-19"), TRIBUNAL),
        ("warning", 3, D("2023-07-25"), TRIBUNAL),
        ("escalation", 4, D("2023-07-27"), VP),
        ("warning", 4, D("2023-08-02"), VP),
        ("escalation", 5, D("2023-08-04"), PRESIDENT),
        ("warning", 5, D("2023-08-10"), PRESIDENT),
        ("overdue", 5, D("2023-08-14"), PRESIDENT),
    ]
    assert case_row(engine, cid).statutory_due_on == D("2023-09-01")


@BOTH
def test_rerunning_a_date_changes_nothing(engine):
    cid = new_case(engine, D("2023-07-03"))
    first = escalation.sweep(engine, D("2023-07-31"))
    assert first["events_inserted"] == 3
    before = (events(engine), notices(engine), tuple(case_row(engine, cid))[:-1])
    again = escalation.sweep(engine, D("2023-07-31"))
    assert again["events_inserted"] == again["notifications_inserted"] == 0
    assert again["cases_changed"] == 0
    assert (events(engine), notices(engine), tuple(case_row(engine, cid))[:-1]) == before


@BOTH
def test_dragon_boat_2023(engine):
    # 22-24 June off, Sunday 25 June worked: Monday 19 June -> tier 2 on Wednesday 28 June
    cid = new_case(engine, D("2023-06-19"))
    escalation.sweep(engine, D("2023-06-30"))
    assert events(engine, cid) == [(1, 2, D("2023-06-28"), "sla")]
    assert ("warning", 1, D("2023-06-26"), OFFICE) in notices(engine, cid)


@BOTH
def test_national_day_2023(engine):
    # 29 Sept - 6 Oct off, Saturday 7 and Sunday 8 Oct worked
    cid = new_case(engine, D("2023-09-25"))
    escalation.sweep(engine, D("2023-10-06"))
    assert case_row(engine, cid).tier == 1
    escalation.sweep(engine, D("2023-10-10"))
    assert events(engine, cid) == [(1, 2, D("2023-10-09"), "sla")]
    assert ("warning", 1, D("2023-10-07"), OFFICE) in notices(engine, cid)


@BOTH
def test_spring_festival_2024(engine):
    # 10-17 Feb 2024 off, Sunday 18 Feb worked: Monday 5 Feb -> tier 2 on 19 Feb
    cid = new_case(engine, D("2024-02-05"))
    escalation.sweep(engine, D("2024-02-20"))
    assert events(engine, cid) == [(1, 2, D("2024-02-19"), "sla")]
    assert ("warning", 1, D("2024-02-09"), OFFICE) in notices(engine, cid)
    assert case_row(engine, cid).tier_entered_on == D("2024-02-19")


@BOTH
def test_item_received_on_a_holiday_counts_from_the_next_working_day(engine):
    cid = new_case(engine, D("2023-10-01"))
    escalation.sweep(engine, D("2023-10-19"))
    # counted: 7, 8, 9, 10, 11 October; escalates on the 6th working day, 12 October
    assert events(engine, cid) == [(1, 2, D("2023-10-12"), "sla")]


@BOTH
def test_pause_spanning_national_day(engine):
    cid = new_case(engine, D("2023-09-25"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-09-27"), "paused", note="等待鉴定")
        add_progress(conn, cid, D("2023-10-10"), "open", note="恢复办理")
    escalation.sweep(engine, D("2023-10-05"))
    row = case_row(engine, cid)
    assert (row.status, row.tier) == ("paused", 1)
    escalation.sweep(engine, D("2023-10-20"))
    # counted: 26 Sept (1); paused 27 Sept - 9 Oct; 10 (2), 11, 12 (4), 13 (5), 16 Oct (6)
    assert events(engine, cid) == [(1, 2, D("2023-10-16"), "sla")]
    assert ("warning", 1, D("2023-10-12"), OFFICE) in notices(engine, cid)
    assert case_row(engine, cid).status == "open"


@BOTH
def test_open_ended_pause_stops_the_clock(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-05"), "paused")
    escalation.sweep(engine, D("2023-08-31"))
    row = case_row(engine, cid)
    assert (row.tier, row.status, row.overdue) == (1, "paused", False)
    assert events(engine, cid) == []
    assert row.statutory_overdue is False


@BOTH
def test_key_case_by_progress_row_goes_to_tier_4_that_day(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-12"), is_key=True, leader="李副院长")
    escalation.sweep(engine, D("2023-07-31"))
    assert events(engine, cid) == [
        (1, 2, D("2023-07-11"), "sla"),
        (2, 4, D("2023-07-12"), "key_case"),
        (4, 5, D("2023-07-20"), "sla"),
    ]
    row = case_row(engine, cid)
    assert (row.is_key, row.key_since, row.tier) == (True, D("2023-07-12"), 5)
    assert ("escalation", 4, D("2023-07-12"), "李副院长") in notices(engine, cid)


@BOTH
def test_referral_is_key_from_its_first_day(engine):
    cid = new_case(engine, D("2023-07-03"), channel="referral", due_on=D("2023-07-20"))
    escalation.sweep(engine, D("2023-07-24"))
    assert events(engine, cid) == [
        (1, 4, D("2023-07-03"), "key_case"),
        (4, 5, D("2023-07-11"), "sla"),
    ]
    row = case_row(engine, cid)
    # the referral's 办结时限 is earlier than 60 days
    assert (row.statutory_due_on, row.statutory_overdue) == (D("2023-07-20"), True)
    assert ("statutory", 5, D("2023-07-21"), PRESIDENT) in notices(engine, cid)


@BOTH
def test_key_case_already_above_key_tier_stays(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-08-07"), is_key=True)
    escalation.sweep(engine, D("2023-08-14"))
    assert [e[3] for e in events(engine, cid)] == ["sla"] * 4
    row = case_row(engine, cid)
    assert (row.tier, row.is_key, row.overdue) == (5, True, True)


@BOTH
def test_closed_the_day_before_it_would_escalate(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-10"), "closed", disposition="resolved")
    escalation.sweep(engine, D("2023-07-31"))
    row = case_row(engine, cid)
    assert (row.status, row.closed_on, row.disposition, row.tier) == (
        "closed",
        D("2023-07-10"),
        "resolved",
        1,
    )
    assert events(engine, cid) == []
    assert notices(engine, cid) == [("warning", 1, D("2023-07-07"), OFFICE)]


@BOTH
def test_closed_on_the_escalation_day_does_not_escalate(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-11"), "closed", disposition="aid")
    escalation.sweep(engine, D("2023-07-31"))
    assert events(engine, cid) == []
    assert case_row(engine, cid).status == "closed"


@BOTH
def test_repeat_item_reopens_a_closed_case_at_its_tier(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-13"), "closed", disposition="resolved")
        add_item(conn, cid, D("2023-07-20"), channel="visit")
    escalation.sweep(engine, D("2023-07-27"))
    row = case_row(engine, cid)
    assert (row.status, row.tier, row.tier_entered_on, row.reopened_count) == (
        "open",
        2,
        D("2023-07-20"),
        1,
    )
    assert (row.closed_on, row.disposition) == (None, None)
    escalation.sweep(engine, D("2023-08-01"))
    # entered tier 2 again on Thursday 20 July: 21, 24, 25, 26, 27, 28 -> tier 3 on 28 July
    assert events(engine, cid) == [(1, 2, D("2023-07-11"), "sla"), (2, 3, D("2023-07-28"), "sla")]


@BOTH
def test_progress_reopen_and_close_again(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-05"), "closed", disposition="review")
        add_progress(conn, cid, D("2023-07-17"), "open", note="当事人申请复查")
        add_progress(conn, cid, D("2023-07-19"), "closed", disposition="procedure")
    escalation.sweep(engine, D("2023-07-31"))
    row = case_row(engine, cid)
    assert (row.status, row.closed_on, row.disposition, row.reopened_count) == (
        "closed",
        D("2023-07-19"),
        "procedure",
        0,
    )


@BOTH
def test_late_progress_row_corrects_the_past(engine):
    cid = new_case(engine, D("2023-07-03"))
    escalation.sweep(engine, D("2023-07-20"))
    assert [e[2] for e in events(engine, cid)] == [D("2023-07-11"), D("2023-07-19")]
    with engine.begin() as conn:  # loaded late, dated in the past
        add_progress(conn, cid, D("2023-07-14"), "paused")
        add_progress(conn, cid, D("2023-07-18"), "open")
    out = escalation.sweep(engine, D("2023-07-20"))
    assert out["events_deleted"] == 1
    # paused 14, 17 July: tier 2 from 11 July counts 12, 13, 18, 19, 20
    assert events(engine, cid) == [(1, 2, D("2023-07-11"), "sla")]
    assert case_row(engine, cid).tier == 2


@BOTH
def test_recipient_is_the_named_person_as_of_the_notice(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-04"), judge="王法官", department="民一庭")
        add_progress(conn, cid, D("2023-07-18"), judge="赵法官")
    escalation.sweep(engine, D("2023-07-20"))
    got = notices(engine, cid)
    assert ("escalation", 2, D("2023-07-11"), "王法官") in got
    assert ("warning", 2, D("2023-07-17"), "王法官") in got
    assert ("escalation", 3, D("2023-07-19"), "民一庭") in got


@BOTH
def test_sent_notifications_are_kept(engine):
    cid = new_case(engine, D("2023-07-03"))
    escalation.sweep(engine, D("2023-07-12"))
    with engine.begin() as conn:
        conn.execute(notification.update().values(sent_at=dt.datetime(2023, 7, 12, 9)))
        add_progress(conn, cid, D("2023-07-04"), "closed", disposition="resolved")
    escalation.sweep(engine, D("2023-07-12"))
    assert case_row(engine, cid).status == "closed"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(escalation_event)).scalar() == 0
        # already e-mailed: history, not deleted
        assert conn.execute(sa.select(sa.func.count()).select_from(notification)).scalar() == 2


@BOTH
def test_scope_to_some_cases(engine):
    a = new_case(engine, D("2023-07-03"))
    b = new_case(engine, D("2023-07-03"))
    out = escalation.sweep(engine, D("2023-07-12"), case_ids=[a])
    assert out["cases"] == 1
    assert case_row(engine, a).tier == 2 and case_row(engine, b).tier == 1
    assert events(engine, b) == []


@BOTH
def test_past_the_package_the_sweep_runs_on_the_provisional_calendar(engine):
    cid = new_case(engine, D("2026-12-01"))
    out = escalation.sweep(engine, D("2027-01-10"))
    assert out["cases"] == 1 and out["problems"] == 0
    # tier 5 after 28, 29, 30, 31 Dec and 4 Jan (1 Jan a statutory holiday): 5 January
    row = case_row(engine, cid)
    assert (row.tier, row.tier_entered_on) == (5, D("2027-01-05"))
    assert row.sweep_problem is None


@BOTH
def test_an_as_of_the_calendar_cannot_judge_fails_before_writing(engine):
    cid = new_case(engine, D("2023-07-03"))
    with pytest.raises(CalendarError, match="2101"):
        escalation.sweep(engine, D("2101-01-10"))
    assert events(engine, cid) == [] and notices(engine, cid) == []
    raw = load_raw()
    raw["calendar"] = {"years": [2027], "holidays": ["2027-01-01"], "workdays": []}
    assert escalation.sweep(engine, D("2023-07-12"), config=build(raw))["cases"] == 1
    assert case_row(engine, cid).tier == 2


def test_reference_timeline_matches_the_worked_example():
    cal = WorkCalendar(get_config())
    tl = timeline(CaseFacts((ItemFact(D("2023-07-03")),)), D("2023-08-14"), cal, get_config())
    assert [e.on for e in tl.events] == [
        D(s) for s in ("2023-07-11", "2023-07-19", "2023-07-27", "2023-08-04")
    ]
    assert tl.overdue and tl.tier == 5
    paused = CaseFacts(
        (ItemFact(D("2023-09-25")),),
        (ProgressFact(1, D("2023-09-27"), "paused"), ProgressFact(2, D("2023-10-10"), "open")),
    )
    tl = timeline(paused, D("2023-10-20"), cal, get_config())
    assert [e.on for e in tl.events] == [D("2023-10-16")]


@BOTH
def test_a_threat_found_by_risk_screening_makes_the_case_key(engine):
    from xinfang.schema import risk_flag

    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        conn.execute(
            risk_flag.insert().values(
                case_id=cid, kind="threat", detected_on=D("2023-07-05"), evidence="要去北京上访"
            )
        )
    escalation.sweep(engine, D("2023-07-14"))
    assert events(engine, cid) == [
        (1, 4, D("2023-07-05"), "key_case"),
        (4, 5, D("2023-07-13"), "sla"),
    ]
    row = case_row(engine, cid)
    assert (row.is_key, row.key_since) == (True, D("2023-07-05"))


@BOTH
def test_backfilling_an_earlier_date_then_catching_up(engine):
    cid = new_case(engine, D("2023-07-03"))
    other = new_case(engine, D("2023-07-10"))
    escalation.sweep(engine, D("2023-08-14"))
    full = (events(engine), notices(engine))
    escalation.sweep(engine, D("2023-07-20"))  # the ledger as it stood on 20 July
    assert events(engine, cid) == [(1, 2, D("2023-07-11"), "sla"), (2, 3, D("2023-07-19"), "sla")]
    assert case_row(engine, cid).tier == 3
    escalation.sweep(engine, D("2023-07-25"), case_ids=[other])
    escalation.sweep(engine, D("2023-08-14"))
    assert (events(engine), notices(engine)) == full
    assert case_row(engine, cid).tier == 5 and case_row(engine, other).tier == 5


@BOTH
def test_a_merged_away_case_leaves_no_events_or_notices_behind(engine):
    """case_id of escalation_event/notification is not a declared foreign key: the
    ledger's merge must take the emptied case's derived rows with it."""
    from xinfang import ledger

    keep = new_case(engine, D("2023-06-01"))
    gone = new_case(engine, D("2023-06-02"))
    escalation.sweep(engine, D("2023-07-20"))
    with engine.connect() as conn:
        item_of = dict(
            conn.execute(
                sa.text("SELECT case_id, MIN(item_id) FROM intake_item GROUP BY case_id")
            ).all()
        )
        before = conn.execute(
            sa.select(sa.func.count()).where(notification.c.case_id == gone)
        ).scalar_one()
    assert before > 0  # it had escalated and been notified
    assert ledger.merge(engine, item_of[gone], item_of[keep], reason="same matter", by="t") == keep
    with engine.connect() as conn:
        for table in ("escalation_event", "notification", "risk_flag", "case_progress"):
            orphans = conn.execute(
                sa.text(
                    f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS"
                    " (SELECT 1 FROM ledger_case c WHERE c.case_id = t.case_id)"
                )
            ).scalar_one()
            assert orphans == 0, table
    assert escalation.sweep(engine, D("2023-07-20"))["cases"] == 1
