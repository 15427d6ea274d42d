"""Same-day sequences of people's case actions, and actions racing the intake run.

By the reference rules (``escalation_rules.timeline``: within a day, progress rows in
the order recorded, then key status) a case marked key and closed on the same day ends
that day closed, so it takes no key jump then (a closed case never escalates); it is key,
and enters the key tier the day it is reopened."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from conftest import BOTH
from test_case_history import D, admin_ok, case_of_item, ledger_no, on_day, rows, total
from test_match_review import load

from xinfang import history, ledger, locks, pipeline
from xinfang.escalation_rules import CaseFacts, ItemFact, ProgressFact, timeline

STAFF = ["--reason", "r", "--by", "王芳"]


def _state(engine, no: str) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT tier, CAST(tier_entered_on AS VARCHAR(10)), status, is_key "
                    "FROM ledger_case WHERE ledger_no = :n"
                ),
                {"n": no},
            ).one()
        )


def test_the_reference_skips_the_key_jump_of_a_case_closed_that_day() -> None:
    from xinfang.calendar import WorkCalendar
    from xinfang.config import get_config

    config = get_config()
    facts = CaseFacts(
        (ItemFact(D("2023-07-03")),),
        (
            ProgressFact(1, D("2023-07-12"), is_key=True),
            ProgressFact(2, D("2023-07-12"), status="closed", disposition="resolved"),
            ProgressFact(3, D("2023-07-14"), status="open"),
        ),
    )
    cal = WorkCalendar(config)
    closed = timeline(facts, D("2023-07-12"), cal, config)
    assert (closed.tier, closed.status, closed.is_key) == (2, "closed", True)
    assert [e.reason for e in closed.events] == ["sla"]
    reopened = timeline(facts, D("2023-07-14"), cal, config)
    assert (reopened.tier, reopened.tier_entered_on) == (4, D("2023-07-14"))
    assert reopened.events[-1].reason == "key_case"


@BOTH
def test_mark_key_then_close_then_reopen_the_same_day(engine, dirs, monkeypatch) -> None:
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    case = case_of_item(engine, it["A1"])
    a = ledger_no(engine, case)
    on_day(monkeypatch, "2023-07-12")
    admin_ok(engine, "mark-key", a, *STAFF)
    assert _state(engine, a) == (4, "2023-07-12", "open", True)
    admin_ok(engine, "close", a, "--disposition", "resolved", *STAFF)
    pipeline.apply_updates(D("2023-07-12"), engine)
    # the rules' result for the day: closed before the key jump could happen
    assert _state(engine, a) == (2, "2023-07-11", "closed", True)
    n = total(engine)
    pipeline.apply_updates(D("2023-07-12"), engine)  # a rerun adds nothing
    assert total(engine) == n
    admin_ok(engine, "reopen", a, *STAFF)
    pipeline.apply_updates(D("2023-07-12"), engine)
    pipeline.apply_updates(D("2023-07-13"), engine)
    assert _state(engine, a) == (4, "2023-07-12", "open", True)
    n = total(engine)
    pipeline.apply_updates(D("2023-07-11"), engine)  # an earlier day again...
    pipeline.apply_updates(D("2023-07-13"), engine)  # ...then the latest: as it was
    assert _state(engine, a) == (4, "2023-07-12", "open", True)
    tiers = [(r[1], r[2], r[4]) for r in rows(engine, case) if r[0] == "tier"]
    assert tiers[:3] == [("1", "2", "sweep"), ("2", "4", "manual"), ("4", "2", "sweep")]


@BOTH
def test_assign_twice_the_same_day_keeps_the_latest(engine, dirs, monkeypatch) -> None:
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    case = case_of_item(engine, it["A1"])
    a = ledger_no(engine, case)
    on_day(monkeypatch, "2023-07-12")
    admin_ok(engine, "assign", a, "--judge", "赵法官", *STAFF)
    admin_ok(engine, "assign", a, "--judge", "钱法官", *STAFF)
    pipeline.apply_updates(D("2023-07-12"), engine)
    ledger.rebuild(engine)
    pipeline.apply_updates(D("2023-07-12"), engine)
    with engine.connect() as conn:
        judge = conn.execute(
            sa.text("SELECT judge FROM ledger_case WHERE ledger_no = :n"), {"n": a}
        ).scalar_one()
    assert judge == "钱法官"
    judges = [(r[1], r[2]) for r in rows(engine, case) if r[0] == "judge"]
    assert judges == [(None, "赵法官"), ("赵法官", "钱法官")]


@BOTH
def test_history_is_recorded_by_one_transaction_at_a_time(engine, dirs) -> None:
    """The intake run's recording (its first step after deduplication) and a person's
    action on a case deduplication just created: the action waits, then records only
    its own change (without the lock, both wrote the new case's state: a key error)."""
    it = load(engine, dirs["landing"])  # deduplicated, not yet recorded
    a = ledger_no(engine, case_of_item(engine, it["A1"]))
    errors: list[BaseException] = []
    with engine.connect() as conn:
        tx = conn.begin()
        history.record(conn, D("2023-07-11"), "intake")
        if engine.dialect.name == "postgresql":
            with engine.connect() as other:  # the lock is held by the recording
                got = other.execute(sa.text(f"SELECT pg_try_advisory_xact_lock({locks.LEDGER})"))
                assert got.scalar_one() is False

        def act() -> None:
            try:
                admin_ok(engine, "assign", a, "--judge", "赵法官", *STAFF)
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=act)
        if engine.dialect.name == "postgresql":
            worker.start()
            worker.join(1.0)  # it waits on the lock (or, without it, on the state's key)
            tx.commit()
        else:  # one writer at a time: the action runs after the recording
            tx.commit()
            worker.start()
        worker.join()
    assert not errors, errors
    with engine.connect() as conn:
        dupes = conn.execute(
            sa.text(
                "SELECT COUNT(*) FROM (SELECT case_id, field FROM case_history "
                "GROUP BY case_id, field, old_value, new_value, via HAVING COUNT(*) > 1) d"
            )
        ).scalar_one()
    assert dupes == 0
