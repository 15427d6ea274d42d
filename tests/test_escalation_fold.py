"""A change of the ledger that moves facts between cases keeps the next sweep a delta
sweep (issue 18).

Deduplication's fold, a staff merge or split and a rebuild move items and progress
rows between cases (and drop the cases left empty); ``escalation.moving_facts`` keeps
the watermark's totals true and makes the cases touched candidates of the next sweep,
which derives them (and the due ones) only, and ends where one sweep over the same
facts does. A dropped case leaves no ``case_sweep`` row behind.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from conftest import BOTH
from dedup_helpers import case_of, insert, item
from escalation_helpers import D, add_progress, sweep_from_nothing, swept_state

from xinfang import escalation, ledger
from xinfang.matching import MatchParams
from xinfang.schema import (
    case_sweep,
    intake_item,
    ledger_case,
    manual_override,
    risk_flag,
)
from xinfang.timeutil import now_local

HOUSE = "我的房子（广阳区新华小区12号楼）被法院错误查封，我提出的执行异议一直没有结果。"
DELAY = "我诉孙立明房屋租赁合同纠纷一案立案已9个月，至今不开庭，请求尽快审理。"
SWEPT = D("2023-07-31")


def _people(n: int = 12) -> list[dict]:
    """``n`` unrelated petitioners, and one person under two cases (no key in common)."""
    return [
        *(
            item(
                name=f"路人{k:04d}",
                id_number=f"1310021990{k:06d}X",
                phone=f"139{k:08d}",
                text=f"请求执行第{k}号判决，对方欠款{k + 3}万元至今未还。",
                day=1 + k,
                tag=f"bg{k}",
            )
            for k in range(n)
        ),
        item(name="欧阳修远", phone="13700000007", text=HOUSE, day=5, tag="l4"),
        item(name="欧阳修远", id_number="13100219850101002X", text=DELAY, day=6, tag="l5"),
    ]


def _bridge() -> list[dict]:
    """A later item with both keys: it bridges the person's two cases (a fold)."""
    return [
        item(
            name="欧阳修远",
            phone="13700000007",
            id_number="13100219850101002X",
            text=DELAY,
            day=26,
            tag="n4",
        ),
        item(name="路人0003", id_number="1310021990000003X", text="再次来信。", day=27),
    ]


def _derived_by_a_full_check(engine, as_of) -> int:
    """How many cases a sweep that checks every case's signature would derive (undone)."""
    with engine.connect() as conn, conn.begin() as trans:
        conn.exec_driver_sql("UPDATE sweep_watermark SET facts = NULL")
        out = escalation.sweep(conn, as_of)
        trans.rollback()
    assert out["working_set"] == "all"
    return out["cases_derived"]


def _cases(engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(ledger_case.c.case_id)).scalars())


def _swept(engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(case_sweep.c.case_id)).scalars())


def _case_of(engine, tag: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(intake_item.c.case_id).where(intake_item.c.raw.like(f'%"{tag}"%'))
        ).scalar_one()


def _item_of(engine, tag: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(intake_item.c.item_id).where(intake_item.c.raw.like(f'%"{tag}"%'))
        ).scalar_one()


def _loaded(engine) -> tuple[int, int]:
    """The ledger of ``_people`` swept as of SWEPT; returns the person's two cases, with a
    progress row and a key flag on the later one (they move, or go, with a fold)."""
    insert(engine, _people())
    ledger.assign_cases(engine)
    first, second = _case_of(engine, "l4"), _case_of(engine, "l5")
    assert first != second
    with engine.begin() as conn:
        add_progress(conn, second, D("2023-07-10"), "paused")
        conn.execute(
            risk_flag.insert().values(case_id=second, kind="threat", detected_on=D("2023-07-08"))
        )
    escalation.sweep(engine, SWEPT)
    return first, second


@BOTH
def test_a_fold_in_deduplication_keeps_the_next_sweep_a_delta_sweep(engine):
    first, second = _loaded(engine)
    insert(engine, _bridge())
    ledger.assign_cases(engine)
    into = _case_of(engine, "n4")
    gone = ({first, second} - {into}).pop()
    assert _case_of(engine, "l4") == _case_of(engine, "l5") == into  # folded
    assert gone not in _cases(engine)
    assert gone not in _swept(engine)  # no case_sweep row left behind

    out = escalation.sweep(engine, SWEPT)  # the same day: nothing else is due
    # the case folded into (its items and the bridge) and the repeat's case only
    assert (out["working_set"], out["cases_derived"]) == ("delta", 2)
    assert _swept(engine) == _cases(engine)
    insert(engine, [item(name="路人0005", phone="13900000005", text="再来。", day=31, tag="r5")])
    ledger.merge(engine, _item_of(engine, "r5"), _item_of(engine, "bg5"), "同一人", by="王")
    later = D("2023-08-21")  # the moved cases, the new item's and those due since
    expected = _derived_by_a_full_check(engine, later)
    out = escalation.sweep(engine, later)
    assert (out["working_set"], out["cases_derived"]) == ("delta", expected)
    assert swept_state(engine) == sweep_from_nothing(engine, later)


@BOTH
def test_a_staff_merge_and_split_keep_the_next_sweep_a_delta_sweep(engine):
    first, second = _loaded(engine)
    ledger.merge(engine, _item_of(engine, "l5"), _item_of(engine, "l4"), "同一人", by="王")
    assert second not in _cases(engine) and second not in _swept(engine)
    out = escalation.sweep(engine, SWEPT)
    assert (out["working_set"], out["cases_derived"]) == ("delta", 1)

    alone = ledger.split(engine, _item_of(engine, "l4"), "不是同一事项", by="王")
    assert alone not in (first, second)
    out = escalation.sweep(engine, SWEPT)
    assert (out["working_set"], out["cases_derived"]) == ("delta", 2)
    ledger.merge(engine, _item_of(engine, "l4"), _item_of(engine, "l5"), "还是同一", by="李")
    assert alone not in _cases(engine) and alone not in _swept(engine)
    later = D("2023-08-21")
    expected = _derived_by_a_full_check(engine, later)
    out = escalation.sweep(engine, later)
    assert (out["working_set"], out["cases_derived"]) == ("delta", expected)
    assert swept_state(engine) == sweep_from_nothing(engine, later)


def _strict() -> MatchParams:
    """Every threshold out of reach: a rebuild with these joins nothing."""
    fields = [f.name for f in dataclasses.fields(MatchParams) if "threshold" in f.name]
    return dataclasses.replace(MatchParams(), **dict.fromkeys(fields, 1e6))


@BOTH
def test_a_rebuild_marks_the_cases_whose_items_moved(engine):
    _loaded(engine)
    insert(engine, _bridge())
    ledger.assign_cases(engine)
    escalation.sweep(engine, SWEPT)
    ledger.rebuild(engine)  # the same cases again: no fact moved
    out = escalation.sweep(engine, SWEPT)
    assert (out["working_set"], out["cases_derived"]) == ("delta", 0)

    before, cases_before = case_of(engine), _cases(engine)
    ledger.rebuild(engine, _strict())  # nothing joined on the text: the fold splits up
    after = case_of(engine)
    moved = {c for i in after if after[i] != before[i] for c in (before[i], after[i])}
    assert _cases(engine) - cases_before and _swept(engine) >= _cases(engine)
    out = escalation.sweep(engine, SWEPT)
    assert out["working_set"] == "delta"
    # the cases split up and those now holding their items, no other
    assert out["cases_derived"] == len(moved & _cases(engine))
    later = D("2023-08-21")
    assert escalation.sweep(engine, later)["working_set"] == "delta"
    assert swept_state(engine) == sweep_from_nothing(engine, later)


@BOTH
def test_a_replayed_split_in_a_rebuild_is_a_move_too(engine):
    _loaded(engine)
    insert(engine, _bridge())
    ledger.assign_cases(engine)
    escalation.sweep(engine, SWEPT)
    with engine.begin() as conn:  # recorded, not yet applied: the rebuild replays it
        conn.execute(
            manual_override.insert().values(
                action="split",
                item_id=_item_of(engine, "l5"),
                other_item_id=_item_of(engine, "l4"),
                reason="test",
                created_by="王",
                created_at=now_local(),
            )
        )
    before = case_of(engine)
    ledger.rebuild(engine)
    after = case_of(engine)
    assert after[_item_of(engine, "l5")] != after[_item_of(engine, "l4")]
    moved = {c for i in after if after[i] != before[i] for c in (before[i], after[i])}
    out = escalation.sweep(engine, SWEPT)
    assert (out["working_set"], out["cases_derived"]) == ("delta", len(moved & _cases(engine)))
    assert swept_state(engine) == sweep_from_nothing(engine, SWEPT)


@BOTH
def test_a_move_nobody_declared_still_checks_every_case(engine):
    _loaded(engine)
    insert(engine, _bridge())
    ledger.assign_cases(engine)
    escalation.sweep(engine, SWEPT)
    with engine.begin() as conn:  # by hand, behind the ledger's back
        conn.execute(
            intake_item.update()
            .where(intake_item.c.item_id == _item_of(engine, "l5"))
            .values(case_id=_case_of(engine, "bg1"))
        )
    out = escalation.sweep(engine, D("2023-08-21"))
    assert out["working_set"] == "all"
    assert swept_state(engine) == sweep_from_nothing(engine, D("2023-08-21"))


@BOTH
def test_nested_moves_are_counted_once(engine):
    """A fold inside another change (the rebuild's plan may fold): the outer change
    takes the inner one's cases, and the totals are moved once."""
    first, second = _loaded(engine)
    other = _case_of(engine, "bg1")
    with engine.begin() as conn, escalation.moving_facts(conn, [other]):
        ledger._merge_cases(conn, {second: first}, now_local())
    assert second not in _swept(engine)
    out = escalation.sweep(engine, SWEPT)
    assert (out["working_set"], out["cases_derived"]) == ("delta", 2)
    assert swept_state(engine) == sweep_from_nothing(engine, SWEPT)
