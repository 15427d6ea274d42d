"""case_history (issue 17): one row per change of a case's tracked fields, merge and split.

A small ledger is loaded through intake (test_match_review's letters and calls); case A
(张建华: a letter on Monday 3 July 2023, a call on 5 July) then lives through the
pipeline's steps, the courts' progress rows and the staff commands, and every row of its
history is checked against what the contract says should happen, by hand.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import add_progress
from test_match_review import load

from xinfang import admin, history, ledger, pipeline, timeutil
from xinfang.schema import case_history, intake_item, ledger_case


def D(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def case_of_item(engine, item_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(intake_item.c.case_id).where(intake_item.c.item_id == item_id)
        ).scalar_one()


def ledger_no(engine, case_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(ledger_case.c.ledger_no).where(ledger_case.c.case_id == case_id)
        ).scalar_one()


def rows(engine, case_id: int, skip: int = 0) -> list[tuple]:
    """(field, old, new, changed_on, source, via, by, reason) of a case, oldest first."""
    with engine.connect() as conn:
        got = history.rows_of(conn, case_id)
    return [
        (
            r["field"],
            r["old_value"],
            r["new_value"],
            str(r["changed_on"])[:10],
            r["source"],
            r["via"],
            r["actor"],
            r["reason"],
        )
        for r in got
    ][skip:]


def total(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(case_history)).scalar_one()


def on_day(monkeypatch, day: str) -> None:
    """The day people's commands take effect."""
    monkeypatch.setattr(timeutil, "today_local", lambda: D(day))


def admin_ok(engine, *argv: str, source: str = "admin") -> list[str]:
    return admin.run(engine, list(argv), source=source)


def by_hand(field, old, new, day, via, by=None, reason=None):
    source = history.SOURCES[via]
    return (field, old, new, day, source, via, by, reason)


@BOTH
def test_a_case_life_is_its_history(engine, dirs, monkeypatch):
    it = load(engine, dirs["landing"])
    a = case_of_item(engine, it["A1"])
    no = ledger_no(engine, a)
    court = "冀1003"  # 广阳区人民法院, named in the letter
    expected = [
        by_hand("created", None, court, "2023-07-11", "intake"),
        # registered Monday 3 July: tier 2 on 11 July (CONTRACT §4's example)
        by_hand("tier", "1", "2", "2023-07-11", "escalation"),
    ]
    pipeline.apply_updates(D("2023-07-11"), engine)
    assert rows(engine, a) == expected

    with engine.begin() as conn:
        add_progress(conn, a, D("2023-07-12"), "open", judge="王法官", department="民一庭")
        add_progress(conn, a, D("2023-07-12"), None, leader="李院长")
    pipeline.apply_updates(D("2023-07-12"), engine)
    expected += [
        by_hand("judge", None, "王法官", "2023-07-12", "progress"),
        by_hand("department", None, "民一庭", "2023-07-12", "progress"),
        by_hand("leader", None, "李院长", "2023-07-12", "progress"),
    ]
    assert rows(engine, a) == expected
    n = total(engine)
    pipeline.apply_updates(D("2023-07-12"), engine)  # a rerun of the day adds nothing
    assert total(engine) == n

    with engine.begin() as conn:
        add_progress(conn, a, D("2023-07-14"), "closed", disposition="resolved")
    pipeline.apply_updates(D("2023-07-14"), engine)
    expected += [
        by_hand("status", "open", "closed", "2023-07-14", "progress"),
        by_hand("disposition", None, "resolved", "2023-07-14", "progress"),
    ]
    assert rows(engine, a) == expected

    staff = ("--reason", "复核发现未化解", "--by", "王芳")
    steps = [
        ("2023-07-17", ["reopen", no]),
        ("2023-07-18", ["assign", no, "--judge", "赵法官", "--leader", "钱院长"]),
        ("2023-07-19", ["mark-key", no]),
        ("2023-07-20", ["close", no, "--disposition", "aid"]),
    ]
    for day, argv in steps:
        on_day(monkeypatch, day)
        out = admin_ok(engine, *argv, *staff)
        assert out[0].startswith(f"{argv[0]} case {no} on {day}: "), out
        pipeline.apply_updates(D(day), engine)  # the day's run undoes none of it
    person = ("王芳", "复核发现未化解")
    expected += [
        by_hand("status", "closed", "open", "2023-07-17", "admin", *person),
        by_hand("disposition", "resolved", None, "2023-07-17", "admin", *person),
        by_hand("judge", "王法官", "赵法官", "2023-07-18", "admin", *person),
        by_hand("leader", "李院长", "钱院长", "2023-07-18", "admin", *person),
        # key: the key tier (4) the day it becomes key (CONTRACT §3)
        by_hand("tier", "2", "4", "2023-07-19", "admin", *person),
        by_hand("is_key", "false", "true", "2023-07-19", "admin", *person),
        by_hand("status", "open", "closed", "2023-07-20", "admin", *person),
        by_hand("disposition", None, "aid", "2023-07-20", "admin", *person),
    ]
    assert rows(engine, a) == expected

    # a court's row dated before the actions loads later: it does not undo them
    with engine.begin() as conn:
        add_progress(conn, a, D("2023-07-16"), "open", judge="孙法官")
    pipeline.apply_updates(D("2023-07-21"), engine)
    assert rows(engine, a) == expected
    # one dated after them changes the field again
    with engine.begin() as conn:
        add_progress(conn, a, D("2023-07-24"), None, judge="周法官")
    pipeline.apply_updates(D("2023-07-24"), engine)
    expected += [by_hand("judge", "赵法官", "周法官", "2023-07-24", "progress")]
    assert rows(engine, a) == expected

    # a rebuild re-derives the ledger: the actions stand, nothing is recorded for A
    on_day(monkeypatch, "2023-07-25")
    ledger.rebuild(engine)
    pipeline.apply_updates(D("2023-07-25"), engine)
    assert rows(engine, a) == expected
    with engine.connect() as conn:
        case = conn.execute(sa.select(ledger_case).where(ledger_case.c.case_id == a)).one()
    assert (case.status, case.disposition, case.judge, case.leader) == (
        "closed",
        "aid",
        "周法官",
        "钱院长",
    )
    assert (case.is_key, case.tier) == (True, 4)
    with engine.connect() as conn:
        stamp = conn.execute(
            sa.select(case_history.c.changed_at, case_history.c.actor, case_history.c.recorded_at)
            .where(case_history.c.case_id == a, case_history.c.via == "admin")
            .limit(1)
        ).one()
    assert stamp.actor == "王芳" and stamp.changed_at is not None


@BOTH
def test_merges_and_splits_are_recorded_once(engine, dirs, monkeypatch):
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    b, c1, c2 = (case_of_item(engine, it[k]) for k in ("B1", "C1", "C2"))
    assert c1 != c2 and case_of_item(engine, it["B2"]) == b
    b_no, c1_no, c2_no = ledger_no(engine, b), ledger_no(engine, c1), ledger_no(engine, c2)
    start = {k: len(rows(engine, k)) for k in (b, c1)}
    staff = ("--reason", "同一事项", "--by", "李明")

    on_day(monkeypatch, "2023-07-12")  # C2's case vanishes into C1's
    admin_ok(engine, "merge", str(it["C2"]), str(it["C1"]), *staff)
    person = ("李明", "同一事项")
    assert rows(engine, c1, start[c1]) == [
        by_hand("merge", c2_no, c1_no, "2023-07-12", "admin", *person)
    ]

    on_day(monkeypatch, "2023-07-13")  # B2 out of B's case: a new case, its first row
    admin_ok(engine, "split", str(it["B2"]), *staff, source="console")
    new = case_of_item(engine, it["B2"])
    new_no = ledger_no(engine, new)
    assert rows(engine, new) == [by_hand("split", b_no, new_no, "2023-07-13", "console", *person)]
    assert rows(engine, b, start[b]) == []  # B's own fields did not move

    on_day(monkeypatch, "2023-07-14")  # and back: the new case vanishes into B's
    admin_ok(engine, "merge", str(it["B2"]), str(it["B1"]), *staff)
    assert rows(engine, b, start[b]) == [
        by_hand("merge", new_no, b_no, "2023-07-14", "admin", *person)
    ]
    pipeline.apply_updates(D("2023-07-14"), engine)  # other cases reach tier 2
    n = total(engine)
    pipeline.apply_updates(D("2023-07-14"), engine)
    ledger.rebuild(engine)  # the staff decisions replayed: the same cases, nothing new
    ledger.rebuild(engine)
    assert total(engine) == n


@BOTH
def test_deduplication_folding_two_cases_is_a_merge(engine, dirs):
    """An automatic fold (a new item bridging two cases) is recorded by the next step."""
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    c1, c2 = case_of_item(engine, it["C1"]), case_of_item(engine, it["C2"])
    c1_no, c2_no = ledger_no(engine, c1), ledger_no(engine, c2)
    with engine.begin() as conn:  # as ledger._merge_cases does
        ledger._merge_cases(conn, {c2: c1}, timeutil.now_local())
    pipeline.apply_updates(D("2023-07-12"), engine)
    merged = [r for r in rows(engine, c1) if r[0] == "merge"]
    assert merged == [by_hand("merge", c2_no, c1_no, "2023-07-12", "intake")]
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM case_history_state WHERE case_id = :c"), {"c": c2}
            ).scalar_one()
            == 0
        )


@BOTH
def test_a_withdrawn_key_stays_withdrawn(engine, dirs, monkeypatch):
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    e = case_of_item(engine, it["E1"])
    no = ledger_no(engine, e)
    staff = ("--reason", "误标", "--by", "王芳")
    on_day(monkeypatch, "2023-07-12")
    admin_ok(engine, "mark-key", no, *staff)
    pipeline.apply_updates(D("2023-07-12"), engine)
    on_day(monkeypatch, "2023-07-13")
    admin_ok(engine, "mark-key", no, "--unset", *staff)
    for day in ("2023-07-13", "2023-07-20"):
        pipeline.apply_updates(D(day), engine)
    with engine.connect() as conn:
        case = conn.execute(sa.select(ledger_case).where(ledger_case.c.case_id == e)).one()
    # the tier stays where the key took it and climbs on: tier 4 on 12 July, its count
    # passes 5 on the sixth working day after (13, 14, 17, 18, 19, 20 July): tier 5
    assert (case.is_key, case.key_since, case.tier) == (False, None, 5)
    keys = [r[1:4] for r in rows(engine, e) if r[0] == "is_key"]
    assert keys == [("false", "true", "2023-07-12"), ("true", "false", "2023-07-13")]
    # a court's 重点案件=是 dated after the withdrawal makes it key again
    with engine.begin() as conn:
        add_progress(conn, e, D("2023-07-21"), None, is_key=True)
    pipeline.apply_updates(D("2023-07-21"), engine)
    with engine.connect() as conn:
        assert conn.execute(
            sa.select(ledger_case.c.is_key).where(ledger_case.c.case_id == e)
        ).scalar_one()


@pytest.mark.parametrize("via", ["bogus"])
def test_an_unknown_source_is_refused(via):
    with pytest.raises(ValueError, match="unknown history source"):
        history.record(None, D("2023-07-01"), via)  # type: ignore[arg-type]


@BOTH
def test_the_view_names_the_court_and_masks_nothing_it_needs_not(engine, dirs, monkeypatch):
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    a = case_of_item(engine, it["A1"])
    no = ledger_no(engine, a)
    on_day(monkeypatch, "2023-07-12")
    admin_ok(
        engine,
        "assign",
        no,
        "--judge",
        "赵法官",
        "--reason",
        "信访人电话13812345678",
        "--by",
        "王芳",
    )
    with engine.connect() as conn:
        got = conn.execute(
            sa.text(
                "SELECT ledger_no, court_name, field, old_value, new_value, source, via, "
                "actor, reason FROM v_case_history WHERE case_id = :c ORDER BY history_id"
            ),
            {"c": a},
        ).all()
    assert [tuple(r) for r in got][-1] == (
        no,
        "广阳区人民法院",
        "judge",
        None,
        "赵法官",
        "manual",
        "admin",
        "王芳",
        "信访人电话138****5678",
    )
    assert got[0].field == "created" and got[0].court_name == "广阳区人民法院"
