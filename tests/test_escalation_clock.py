"""Due cases whose facts did not change are derived from their stored clock.

A daily sweep puts a case whose only news is a milestone of its clock on the
``sw_fast`` path (events, tier, 超时 flag from ``case_sweep.due_tier``/``due_base``
and its ledger row); the end state must be the one a single sweep over the same
facts derives in full, for plain, paused, key and named-judge cases.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import LIFECYCLE, D, add_case, add_item, add_progress, events, notices

from xinfang import escalation
from xinfang.schema import case_sweep, escalation_event, ledger_case, notification


def _ledger(engine) -> dict[int, tuple]:
    cols = [ledger_case.c.case_id, *(ledger_case.c[c] for c in LIFECYCLE)]
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sa.select(*cols))}


def _state(engine):
    return _ledger(engine), events(engine), notices(engine)


def _load(engine) -> None:
    with engine.begin() as conn:
        for n in range(3):  # plain cases, a day apart
            first = D("2023-07-03") + dt.timedelta(days=n)
            add_item(conn, add_case(conn, first), first)
        paused = add_case(conn, D("2023-07-04"))  # paused a week, then resumed
        add_item(conn, paused, D("2023-07-04"))
        add_progress(conn, paused, D("2023-07-06"), "paused")
        add_progress(conn, paused, D("2023-07-13"), "open")
        key = add_case(conn, D("2023-07-05"))  # key from day 3, then at the key tier
        add_item(conn, key, D("2023-07-05"))
        add_progress(conn, key, D("2023-07-07"), None, is_key=True)
        named = add_case(conn, D("2023-07-03"))  # a judge named: the tier-2 recipient
        add_item(conn, named, D("2023-07-03"))
        add_progress(conn, named, D("2023-07-04"), None, judge="李法官")
        referral = add_case(conn, D("2023-07-06"))  # a 办结时限 ahead
        add_item(conn, referral, D("2023-07-06"), channel="referral", due_on=D("2023-09-30"))


@BOTH
def test_daily_sweeps_from_the_clock_match_one_full_sweep(engine):
    _load(engine)
    first = D("2023-07-14")
    from_clock = 0
    for n in range(40):
        out = escalation.sweep(engine, first + dt.timedelta(days=n))
        if n:
            assert out["working_set"] == "delta"
            from_clock += out["cases_from_clock"]
    daily = _state(engine)
    # the clock path was taken (else this test proves nothing about it)
    assert from_clock > 0

    with engine.begin() as conn:
        for t in (notification, escalation_event, case_sweep):
            conn.execute(t.delete())
        conn.exec_driver_sql("DELETE FROM sweep_watermark")
        conn.execute(ledger_case.update().values(tier=1, overdue=False, statutory_overdue=False))
    out = escalation.sweep(engine, first + dt.timedelta(days=39))
    assert out["cases_from_clock"] == 0
    once = _state(engine)
    assert daily == once
    # and a rerun of the last day changes nothing
    out = escalation.sweep(engine, first + dt.timedelta(days=39))
    assert (out["cases_changed"], out["events_inserted"], out["notifications_inserted"]) == (
        0,
        0,
        0,
    )
    assert _state(engine) == once


@BOTH
def test_clock_rows_already_there_are_kept_not_doubled(engine, caplog):
    """The clock path writes its events and notices with a plain INSERT (they should be
    new); one already there (a row put in by hand, say) is kept and the rest written."""
    _load(engine)
    last, day = D("2023-07-14"), D("2023-07-17")
    escalation.sweep(engine, last)
    with engine.connect() as conn, conn.begin() as trans:  # what the day's sweep adds
        assert escalation.sweep(conn, day)["cases_from_clock"] > 0
        new_notices = conn.execute(
            sa.select(notification).where(notification.c.created_on > last)
        ).all()
        new_events = conn.execute(
            sa.select(escalation_event).where(escalation_event.c.escalated_on > last)
        ).all()
        trans.rollback()
    assert new_notices and new_events
    sent = dt.datetime(2023, 7, 17, 9, 0)
    with engine.begin() as conn:
        conn.execute(notification.insert(), [{**new_notices[0]._asdict(), "sent_at": sent}])
        conn.execute(escalation_event.insert(), [new_events[0]._asdict()])

    out = escalation.sweep(engine, day)
    assert out["notifications_inserted"] == len(new_notices) - 1
    assert out["events_inserted"] == len(new_events) - 1
    assert "expected new were there already" in caplog.text
    with engine.connect() as conn:
        got = conn.execute(sa.select(notification).where(notification.c.created_on > last)).all()
    assert sorted(r[:4] for r in got) == sorted(r[:4] for r in new_notices)
    assert [r.sent_at for r in got if r.sent_at is not None] == [sent]
    assert sorted(e for e in events(engine) if e[3] > last) == sorted(
        (e.case_id, e.from_tier, e.to_tier, e.escalated_on, e.reason) for e in new_events
    )
