"""History independence: daily, weekly and single sweeps agree, and agree with the rules.

Hypothesis draws small ledgers (items on several channels, referrals with
deadlines, pauses, resumes, closes, reopenings, key marks) around real holiday
seasons; the set-based sweep run every day, every week or once must leave the
same tiers, events and notifications, equal to the pure reference
:func:`xinfang.escalation_rules.timeline`.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from escalation_helpers import LIFECYCLE, add_case, add_item, add_progress, events, notices
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinfang import escalation
from xinfang.calendar import WorkCalendar
from xinfang.config import get_config
from xinfang.escalation_rules import CaseFacts, ItemFact, ProgressFact, timeline
from xinfang.schema import (
    case_progress,
    case_sweep,
    escalation_event,
    intake_item,
    ledger_case,
    notification,
)

BASES = [dt.date(2023, 6, 12), dt.date(2023, 9, 18), dt.date(2024, 1, 29)]
SPAN = 30  # days swept after the base (facts fall in the first 24)
DISPOSITIONS = ["review", "procedure", "resolved", "aid", "terminated"]

item_st = st.tuples(
    st.integers(0, 12),
    st.sampled_from(["letter", "visit", "online", "hotline", "referral"]),
    st.one_of(st.none(), st.integers(5, 45)),
)
row_st = st.tuples(
    st.integers(-2, 20),
    st.sampled_from([None, "open", "paused", "paused", "closed"]),
    st.sampled_from(DISPOSITIONS),
    st.sampled_from([None, None, None, True]),
)
case_st = st.tuples(
    st.integers(0, 12),
    st.lists(item_st, max_size=2),
    st.lists(row_st, max_size=4),
)
ledger_st = st.tuples(st.sampled_from(BASES), st.lists(case_st, min_size=1, max_size=4))


def _reset(engine) -> None:
    with engine.begin() as conn:
        for t in (notification, escalation_event, case_sweep, case_progress, intake_item):
            conn.execute(t.delete())
        conn.execute(ledger_case.delete())


def _clear_derived(engine) -> None:
    with engine.begin() as conn:
        for t in (notification, escalation_event, case_sweep):
            conn.execute(t.delete())
        conn.execute(
            ledger_case.update().values(
                tier=1, status="open", overdue=False, statutory_overdue=False, disposition=None
            )
        )


def _load(engine, base: dt.date, cases) -> dict[int, CaseFacts]:
    facts = {}
    with engine.begin() as conn:
        for first_off, extra, rows in cases:
            first = base + dt.timedelta(days=first_off)
            cid = add_case(conn, first)
            items = [ItemFact(first, "letter", None)]
            add_item(conn, cid, first)
            for off, channel, due in extra:
                day = first + dt.timedelta(days=off)
                due_on = day + dt.timedelta(days=due) if channel == "referral" and due else None
                add_item(conn, cid, day, channel=channel, due_on=due_on)
                items.append(ItemFact(day, channel, due_on))
            progress = []
            for off, status, disp, key in rows:
                day = first + dt.timedelta(days=off)
                disp = disp if status == "closed" else None
                add_progress(conn, cid, day, status, disposition=disp, is_key=key)
                progress.append((day, status, disp, key))
            ids = conn.execute(
                sa.select(case_progress.c.progress_id)
                .where(case_progress.c.case_id == cid)
                .order_by(case_progress.c.progress_id)
            ).scalars()
            facts[cid] = CaseFacts(
                tuple(items),
                tuple(ProgressFact(pid, *p) for pid, p in zip(ids, progress, strict=True)),
            )
    return facts


def _snapshot(engine):
    cols = [ledger_case.c.case_id, *(ledger_case.c[c] for c in LIFECYCLE)]
    with engine.connect() as conn:
        cases = {r[0]: tuple(r[1:]) for r in conn.execute(sa.select(*cols))}
    return cases, events(engine), notices(engine)


def _run(engine, dates) -> tuple:
    _clear_derived(engine)
    for d in dates:
        escalation.sweep(engine, d)
    return _snapshot(engine)


def check(engine, ledger) -> None:
    base, cases = ledger
    _reset(engine)
    facts = _load(engine, base, cases)
    final = base + dt.timedelta(days=SPAN)
    days = [base + dt.timedelta(days=n) for n in range(SPAN + 1)]
    once = _run(engine, [final])
    weekly = _run(engine, [*days[::7], final])
    daily = _run(engine, days)
    assert daily == once
    assert weekly == once
    # and the SQL agrees with the reference rules
    cal = WorkCalendar(get_config())
    config = get_config()
    state, evs, nts = once
    for cid, f in facts.items():
        tl = timeline(f, final, cal, config)
        got = dict(zip(LIFECYCLE, state[cid], strict=True))
        want = {
            c: getattr(tl, c if c != "tier_entered_on" else "tier_entered_on") for c in LIFECYCLE
        }
        assert {k: (bool(v) if isinstance(want[k], bool) else v) for k, v in got.items()} == want, (
            cid
        )
        assert sorted(e[1:] for e in evs if e[0] == cid) == sorted(
            (e.from_tier, e.to_tier, e.on, e.reason) for e in tl.events
        )
        assert sorted((n[1], n[2], n[3]) for n in nts if n[0] == cid) == sorted(
            (n.kind, n.tier, n.on) for n in tl.notices
        )


SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@settings(max_examples=10, **SETTINGS)
@given(ledger=ledger_st)
def test_daily_weekly_once_agree_with_the_rules_sqlite(engine, ledger):
    check(engine, ledger)


@pytest.mark.parametrize("ledger_url", ["postgres"], indirect=True)
@settings(max_examples=4, **SETTINGS)
@given(ledger=ledger_st)
def test_daily_weekly_once_agree_with_the_rules_postgres(engine, ledger):
    check(engine, ledger)


# Found by the property test: a key case that reached the top tier, then paused and
# resumed; on the day its 超时 flag fell due, the clock's path placed its tier entry
# after the pause (the pause length added back to an entry made before it).
PAUSED_AT_THE_TOP = (
    dt.date(2023, 6, 12),
    [
        (0, [], []),
        (0, [], []),
        (
            0,
            [],
            [
                (0, None, "review", None),
                (0, None, "review", True),
                (13, "paused", "review", None),
                (20, "open", "review", None),
            ],
        ),
    ],
)


@pytest.mark.parametrize("ledger_url", ["sqlite", "postgres"], indirect=True)
def test_a_tier_entered_before_a_pause_keeps_its_day(engine):
    check(engine, PAUSED_AT_THE_TOP)


def check_late(engine, ledger, lags, move_day) -> None:
    """Facts loaded days late (or early), an item moved between cases, sweeps every day
    meanwhile: the end state is that of one sweep over the final facts."""
    base, cases = ledger
    _reset(engine)
    final = base + dt.timedelta(days=SPAN)
    pending: list[tuple[dt.date, tuple]] = []
    with engine.begin() as conn:
        for first_off, extra, rows in cases:
            first = base + dt.timedelta(days=first_off)
            cid = add_case(conn, first)
            pending.append((first, ("item", cid, first, "letter", None)))
            for off, channel, due in extra:
                day = first + dt.timedelta(days=off)
                due_on = day + dt.timedelta(days=due) if channel == "referral" and due else None
                pending.append((day, ("item", cid, day, channel, due_on)))
            for off, status, disp, key in rows:
                day = first + dt.timedelta(days=off)
                disp = disp if status == "closed" else None
                pending.append((day, ("progress", cid, day, status, disp, key)))
    loads: dict[dt.date, list[tuple]] = {}
    for n, (day, fact) in enumerate(pending):
        load_on = min(max(day + dt.timedelta(days=lags[n % len(lags)]), base), final)
        loads.setdefault(load_on, []).append(fact)
    _clear_derived(engine)
    for n in range(SPAN + 1):
        day = base + dt.timedelta(days=n)
        with engine.begin() as conn:
            for fact in loads.get(day, ()):
                if fact[0] == "item":
                    add_item(conn, fact[1], fact[2], channel=fact[3], due_on=fact[4])
                else:
                    add_progress(
                        conn, fact[1], fact[2], fact[3], disposition=fact[4], is_key=fact[5]
                    )
            if n == move_day:  # deduplication moves an item to another case
                # (the latest one of a case that keeps another: an emptied case is dropped)
                row = conn.execute(
                    sa.select(intake_item.c.item_id, intake_item.c.case_id)
                    .where(
                        intake_item.c.case_id.in_(
                            sa.select(intake_item.c.case_id)
                            .group_by(intake_item.c.case_id)
                            .having(sa.func.count() > 1)
                        )
                    )
                    .order_by(intake_item.c.item_id.desc())
                ).first()
                other = (
                    row
                    and conn.execute(
                        sa.select(sa.func.min(ledger_case.c.case_id)).where(
                            ledger_case.c.case_id != row.case_id
                        )
                    ).scalar()
                )
                if other:
                    conn.execute(
                        intake_item.update()
                        .where(intake_item.c.item_id == row.item_id)
                        .values(case_id=other)
                    )
        escalation.sweep(engine, day)
    daily = _snapshot(engine)
    assert daily == _run(engine, [final])


late_st = st.lists(st.integers(-3, 6), min_size=1, max_size=12)
move_st = st.one_of(st.none(), st.integers(0, SPAN))


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@settings(max_examples=10, **SETTINGS)
@given(ledger=ledger_st, lags=late_st, move_day=move_st)
def test_late_facts_and_moves_agree_with_one_sweep_sqlite(engine, ledger, lags, move_day):
    check_late(engine, ledger, lags, move_day)


@pytest.mark.parametrize("ledger_url", ["postgres"], indirect=True)
@settings(max_examples=4, **SETTINGS)
@given(ledger=ledger_st, lags=late_st, move_day=move_st)
def test_late_facts_and_moves_agree_with_one_sweep_postgres(engine, ledger, lags, move_day):
    check_late(engine, ledger, lags, move_day)
