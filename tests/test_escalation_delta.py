"""The sweep after a small batch stays proportional to it (issue 18).

A sweep of some cases keeps the watermark's fact totals (only its count of case_sweep
rows moves), so the next whole-ledger sweep is still a delta sweep, and ends where one
sweep over the same facts does. A first sweep writes the rows of cases that have none
yet by a plain INSERT; a never-swept case that already has one keeps it.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import (
    D,
    add_case,
    add_item,
    add_progress,
    case_row,
    events,
    sweep_from_nothing,
    swept_state,
)

from xinfang import escalation
from xinfang.schema import escalation_event, notification, risk_flag


def _load(engine) -> list[int]:
    cases = []
    with engine.begin() as conn:
        for n in range(3):
            first = D("2023-07-03") + dt.timedelta(days=n)
            cases.append(add_case(conn, first))
            add_item(conn, cases[-1], first)
        named = add_case(conn, D("2023-07-04"))  # a judge named: the tier-2 recipient
        add_item(conn, named, D("2023-07-04"))
        add_progress(conn, named, D("2023-07-05"), None, judge="李法官")
        cases.append(named)
    return cases


@BOTH
def test_a_sweep_of_some_cases_leaves_the_next_daily_sweep_a_delta_sweep(engine):
    a, b, *_ = _load(engine)
    day = D("2023-07-14")
    escalation.sweep(engine, day)
    with engine.begin() as conn:  # the day's batch: a new case and a repeat item on a
        new = add_case(conn, day)
        add_item(conn, new, day)
        add_item(conn, a, day)
    out = escalation.sweep(engine, day, case_ids=[new, a])
    assert out["cases"] == 2 and out["cases_derived"] == 2
    with engine.begin() as conn:  # later that day: an item on b, outside that scope
        add_item(conn, b, day)
        add_progress(conn, a, day, "paused")
    later = D("2023-07-19")
    out = escalation.sweep(engine, later)
    assert out["working_set"] == "delta"
    daily = swept_state(engine)
    assert escalation.sweep(engine, later)["working_set"] == "delta"  # a rerun: still
    assert swept_state(engine) == daily
    assert daily == sweep_from_nothing(engine, later)


@BOTH
def test_a_sweep_of_some_cases_of_an_earlier_day_is_caught_up(engine):
    a, b, *_ = _load(engine)
    escalation.sweep(engine, D("2023-07-14"))
    with engine.begin() as conn:
        add_progress(conn, b, D("2023-07-10"), "closed", disposition="resolved")  # late
    escalation.sweep(engine, D("2023-07-12"), case_ids=[a, b])
    out = escalation.sweep(engine, D("2023-07-20"))
    assert out["working_set"] == "delta"
    assert swept_state(engine) == sweep_from_nothing(engine, D("2023-07-20"))


@BOTH
def test_a_never_swept_case_keeps_its_rows_and_the_others_go_in_plainly(engine, caplog):
    """The first sweep writes the rows of cases with none yet by a plain INSERT; a
    case never swept that already has one (put in by hand, say, or sent) is written
    with ON CONFLICT: its row is kept, not doubled, and no plain INSERT has to be
    undone (that would log a warning)."""
    cases = _load(engine)
    day = D("2023-07-14")
    with engine.connect() as conn, conn.begin() as trans:  # what the first sweep writes
        escalation.sweep(conn, day)
        all_notices = conn.execute(sa.select(notification)).all()
        all_events = conn.execute(sa.select(escalation_event)).all()
        trans.rollback()
    named = cases[-1]
    sent = dt.datetime(2023, 7, 14, 9, 0)
    kept_notice = next(n for n in all_notices if n.case_id == named and n.tier == 2)
    kept_event = next(e for e in all_events if e.case_id == cases[0])
    with engine.begin() as conn:
        conn.execute(notification.insert(), [{**kept_notice._asdict(), "sent_at": sent}])
        conn.execute(escalation_event.insert(), [kept_event._asdict()])
        # another kind's notice (risk screening's) does not make a case's rows old
        other = {**all_notices[0]._asdict(), "kind": "risk", "sent_at": None}
        conn.execute(notification.insert(), [other])

    with caplog.at_level(logging.WARNING, logger="xinfang.escalation"):
        out = escalation.sweep(engine, day)
    assert "expected new were there already" not in caplog.text
    assert out["notifications_inserted"] == len(all_notices) - 1
    assert out["events_inserted"] == len(all_events) - 1
    with engine.connect() as conn:
        got = conn.execute(sa.select(notification).where(notification.c.kind != "risk")).all()
    assert sorted(r[:5] for r in got) == sorted(r[:5] for r in all_notices)
    assert [(r.case_id, r.tier) for r in got if r.sent_at is not None] == [(named, 2)]
    assert len(events(engine)) == len(all_events)


def _flag(conn, case_id: int, on: dt.date, kind: str = "threat") -> None:
    conn.execute(risk_flag.insert().values(case_id=case_id, kind=kind, detected_on=on))


@BOTH
def test_risk_keys_are_facts_like_the_others(engine):
    """A key flag added, or dated into view, puts its case in the next delta sweep; a
    case made key earlier and not touched since is not derived again (its key day
    holds, as its items' facts do)."""
    a, b, c, d = _load(engine)
    day = D("2023-07-14")
    with engine.begin() as conn:
        _flag(conn, a, D("2023-07-05"))
        _flag(conn, d, D("2023-07-17"))  # dated after the first sweep: not in view then
        _flag(conn, d, D("2023-07-06"), kind="repeat")  # not a key kind
    escalation.sweep(engine, day)
    assert case_row(engine, a).is_key and not case_row(engine, d).is_key
    with engine.begin() as conn:  # the next batch: an item on b, nothing on a
        add_item(conn, b, day)
    out = escalation.sweep(engine, day)
    assert (out["working_set"], out["cases_derived"]) == ("delta", 1)
    with engine.begin() as conn:
        _flag(conn, c, D("2023-07-14"), kind="group")
    later = D("2023-07-19")
    out = escalation.sweep(engine, later)
    assert out["working_set"] == "delta"
    assert case_row(engine, c).is_key and case_row(engine, d).is_key
    assert case_row(engine, d).key_since == D("2023-07-17")
    assert swept_state(engine) == sweep_from_nothing(engine, later)


@BOTH
def test_progress_keeps_a_risk_key_day_earlier_than_a_referral(engine):
    """A threat makes a case key on 7-05, a referral item comes on 7-10: the sweep's key
    day is 7-05. The progress step of the next intake (over the whole ledger) used to set
    it back to the referral's 7-10, and the next delta sweep, which does not derive that
    case again, left it there: a ledger a sweep from scratch does not give."""
    from xinfang import progress

    a, *_ = _load(engine)
    with engine.begin() as conn:
        _flag(conn, a, D("2023-07-05"))
        add_item(conn, a, D("2023-07-10"), channel="referral")
    day = D("2023-07-14")
    escalation.sweep(engine, day)
    assert case_row(engine, a).key_since == D("2023-07-05")
    with engine.begin() as conn:
        progress.apply_progress(conn)
    assert case_row(engine, a).key_since == D("2023-07-05")
    later = D("2023-07-19")
    assert escalation.sweep(engine, later)["working_set"] == "delta"
    assert swept_state(engine) == sweep_from_nothing(engine, later)
