"""An item's own risk flags (threat, group, referral) belong to the case that holds the
item, whatever moves it: deduplication's fold, a staff merge or split, a rebuild.

An item is screened once; a threat flag left on the case its item left, or deleted with
that case when a fold emptied it, would never be raised again, and the case holding the
threat would not be key.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from dedup_helpers import insert, item
from test_escalation_fold import _strict

from xinfang import escalation, ledger, risk
from xinfang.risk.screen import ITEM_KINDS
from xinfang.schema import intake_item, ledger_case, risk_flag

THREAT = "我诉孙立明房屋租赁合同纠纷一案立案已9个月，至今不开庭，再不解决我就到法院门口自焚。"
HOUSE = "我的房子（广阳区新华小区12号楼）被法院错误查封，我提出的执行异议一直没有结果。"
AS_OF = dt.date(2023, 7, 31)


def _misplaced(engine) -> list[tuple]:
    """Item flags not on their item's case (none is right)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(risk_flag.c.kind, risk_flag.c.case_id, intake_item.c.case_id)
            .join(intake_item, intake_item.c.item_id == risk_flag.c.item_id)
            .where(
                risk_flag.c.kind.in_(ITEM_KINDS),
                risk_flag.c.case_id != intake_item.c.case_id,
            )
        ).all()


def _threats(engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(risk_flag.c.case_id, risk_flag.c.item_id).where(risk_flag.c.kind == "threat")
        ).all()


def _of(engine, tag: str, column: str = "case_id") -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(intake_item.c[column]).where(intake_item.c.raw.like(f'%"{tag}"%'))
        ).scalar_one()


def _is_key(engine, case_id: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(ledger_case.c.is_key).where(ledger_case.c.case_id == case_id)
        ).scalar_one()


def _screened_person_with_two_cases(engine) -> None:
    insert(
        engine,
        [
            item(name="欧阳修远", phone="13700000007", text=HOUSE, day=5, tag="house"),
            item(name="欧阳修远", id_number="13100219850101002X", text=THREAT, day=6, tag="threat"),
            item(name="路人0001", id_number="131002199000000011", text="请求执行。", day=7),
        ],
    )
    ledger.assign_cases(engine)
    assert _of(engine, "house") != _of(engine, "threat")
    risk.screen(engine, as_of=AS_OF)
    assert _threats(engine) == [(_of(engine, "threat"), _of(engine, "threat", "item_id"))]


@BOTH
def test_a_fold_carries_the_threat_flag_to_the_case_kept(engine):
    _screened_person_with_two_cases(engine)
    bridge = item(
        name="欧阳修远",
        phone="13700000007",
        id_number="13100219850101002X",
        text=THREAT,
        day=26,
        tag="bridge",
    )
    insert(engine, [bridge])
    ledger.assign_cases(engine)
    kept = _of(engine, "bridge")
    assert _of(engine, "house") == _of(engine, "threat") == kept  # folded
    assert [case for case, _ in _threats(engine)] == [kept]
    assert _misplaced(engine) == []
    escalation.sweep(engine, AS_OF)
    assert _is_key(engine, kept)


@BOTH
def test_a_staff_split_and_merge_take_the_flag_along(engine):
    _screened_person_with_two_cases(engine)
    threat_item, house_item = _of(engine, "threat", "item_id"), _of(engine, "house", "item_id")
    ledger.merge(engine, threat_item, house_item, "同一人同一事项", by="王")
    assert _threats(engine) == [(_of(engine, "house"), threat_item)]
    alone = ledger.split(engine, threat_item, "不是同一事项", by="王")
    assert _threats(engine) == [(alone, threat_item)]
    assert _misplaced(engine) == []
    escalation.sweep(engine, AS_OF)
    assert _is_key(engine, alone) and not _is_key(engine, _of(engine, "house"))


@BOTH
def test_a_rebuild_leaves_every_item_flag_on_its_items_case(engine):
    _screened_person_with_two_cases(engine)
    ledger.merge(
        engine, _of(engine, "threat", "item_id"), _of(engine, "house", "item_id"), "同一", by="王"
    )
    ledger.rebuild(engine, _strict())  # nothing joins on the text: the two part again
    assert _misplaced(engine) == []
    assert [case for case, _ in _threats(engine)] == [_of(engine, "threat")]
