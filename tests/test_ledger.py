"""Deduplication into ledger cases: the rules of docs/cases.md on hand-made items."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH
from dedup_helpers import case_of, insert, item, partition

from xinfang.ledger import assign_cases, merge, rebuild, split
from xinfang.schema import case_link, intake_item, ledger_case, manual_override, match_decision

ID_A = "110101199003077777"
ID_B = "13100219850101002X"
CN1 = "(2023)冀1003民初1234号"
CN2 = "(2022)冀1081执567号"
LOAN = "我与廊坊市恒达建材有限公司民间借贷纠纷一案，判决对方支付35万元，至今没有执行到位，请求法院加大执行力度。"
LOAN_HOTLINE = (
    "来电人反映：恒达建材有限公司欠我35万元的案子，8个月了还没执行，希望法院尽快把钱要回来。"
)
HOUSE = "我的房子（广阳区新华小区12号楼）被法院错误查封，被执行人是赵德才，我提出的执行异议一直没有结果。"
DELAY = "我诉孙立明房屋租赁合同纠纷一案在广阳区人民法院立案已9个月，至今不开庭，请求尽快审理。"


def cases(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(ledger_case))]


@BOTH
def test_same_id_across_channels_is_one_case(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, phone="13800000001", case_number=CN1, text=LOAN),
            item(
                name="郝 建國", id_number=ID_A, case_number=CN1, text=LOAN, channel="online", day=5
            ),
            item(
                name="郝建国",
                id_number=ID_A,
                phone="13900000009",
                case_number=CN1,
                channel="visit",
                text="要求执行",
                day=9,
            ),
        ],
    )
    summary = assign_cases(engine)
    got = case_of(engine)
    assert len({got[i] for i in ids}) == 1
    assert summary["new_cases"] == 1
    (case,) = cases(engine)
    assert case["item_count"] == 3
    assert case["first_received_at"] == dt.datetime(2023, 7, 3, 9)
    assert case["last_received_at"] == dt.datetime(2023, 7, 9, 9)
    assert case["case_number"] == CN1
    assert case["court_code"] == "冀1003"
    assert case["tier"] == 1 and case["status"] == "open" and not case["is_key"]
    assert case["tier_entered_on"] == dt.date(2023, 7, 3)
    assert case["ledger_no"] == "XF2023-000001"
    assert case["person_key"] == ID_A
    assert case["petitioner_name"] == "郝建国"
    with engine.connect() as conn:
        rules = dict(conn.execute(sa.select(match_decision.c.item_id, match_decision.c.rule)).all())
        matched = dict(
            conn.execute(
                sa.select(match_decision.c.item_id, match_decision.c.matched_item_id)
            ).all()
        )
    assert rules[ids[0]] == "new_case"
    assert rules[ids[1]] == "id_number+case_number"
    assert matched[ids[1]] == ids[0]
    # idempotent: nothing left to do, nothing changes
    assert assign_cases(engine)["items"] == 0
    assert case_of(engine) == got


def test_hotline_homophone_and_phone_join_without_id(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, phone="13800000001", case_number=CN1, text=LOAN),
            item(name="郝建郭", phone="13800000001", channel="hotline", text=LOAN_HOTLINE, day=6),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]]
    with engine.connect() as conn:
        rule = conn.execute(
            sa.select(match_decision.c.rule, match_decision.c.score).where(
                match_decision.c.item_id == ids[1]
            )
        ).one()
    assert rule.rule == "phone_name+facts"
    assert rule.score is not None and rule.score > 0


def test_phone_shared_by_a_family_is_not_one_person(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", phone="13800000001", text=LOAN),
            item(name="郝丽萍", phone="13800000001", text=LOAN, day=4),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] != got[ids[1]]


def test_common_name_alone_is_never_enough(engine):
    ids = insert(
        engine,
        [
            item(name="张伟", text=DELAY, tag="1"),
            item(name="张伟", text=DELAY, day=4, tag="2"),
            item(name="张玮", phone="13700000001", text=DELAY, day=5),
            item(name="張偉", phone="13700000002", text=DELAY, day=6),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert len({got[i] for i in ids}) == 4


def test_common_name_with_the_same_case_number_is_more_than_a_name(engine):
    ids = insert(
        engine,
        [
            item(name="张伟", phone="13700000001", case_number=CN1, text=DELAY),
            item(name="張偉", phone="13700000002", case_number=CN1, text=DELAY, day=6),
            item(name="张伟", phone="13700000003", case_number=CN2, text=DELAY, day=7),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]] != got[ids[2]]


def test_uncommon_name_telling_the_same_grievance_joins(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, phone="03162345678", text=LOAN),
            item(name="郝建国", phone="13800000001", text=LOAN + "希望领导重视。", day=5),
            item(name="李娜", phone="13800000002", text=LOAN, day=6),
            item(name="李娜", phone="13800000003", text=LOAN, day=7),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]]
    assert got[ids[2]] != got[ids[3]]  # a common name never, however alike the texts


def test_amounts_tell_two_matters_apart(engine):
    one = "申请执行廊坊德信建材有限公司106万元，执行案件久拖不结，对方转移财产。"
    two = "申请执行廊坊德信建材有限公司19万元，执行案件久拖不结，对方转移财产。"
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, case_number=CN1, text=one),
            item(name="郝建国", id_number=ID_A, case_number=CN2, text=two, day=4),
            item(name="郝建国", phone="13800000001", id_number=ID_A, text=two, day=5),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[2]] == got[ids[1]] != got[ids[0]]


def test_rare_name_and_case_number_join(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", case_number=CN1, text=LOAN, channel="letter"),
            item(
                name="郝建郭",
                phone="13800000001",
                case_number=CN1,
                text="要求执行",
                channel="hotline",
                day=4,
            ),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]]


@BOTH
def test_same_person_other_case_number_is_another_case(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN),
            item(name="郝建国", id_number=ID_A, case_number=CN2, text=LOAN, day=4),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] != got[ids[1]]


@BOTH
def test_two_parties_of_one_lawsuit_are_linked(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN),
            item(
                name="赵德才", id_number=ID_B, case_number=CN1, text="对判决不服，要求再审", day=4
            ),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] != got[ids[1]]
    with engine.connect() as conn:
        links = set(
            conn.execute(
                sa.select(case_link.c.case_id, case_link.c.related_case_id, case_link.c.reason)
            ).all()
        )
    a, b = got[ids[0]], got[ids[1]]
    assert links == {(a, b, "same_case_number"), (b, a, "same_case_number")}


def test_different_ids_never_join_even_on_phone_and_name(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, phone="13800000001", text=LOAN),
            item(name="郝建国", id_number=ID_B, phone="13800000001", text=LOAN, day=4),
            item(name="郝建国", phone="13800000001", text=LOAN, day=5),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] != got[ids[1]]


def test_unnumbered_items_split_by_grievance(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, text=LOAN),
            item(name="郝建国", id_number=ID_A, text=HOUSE, day=4),
            item(
                name="郝建国",
                phone="13800000001",
                id_number=ID_A,
                text=LOAN_HOTLINE,
                day=5,
                channel="hotline",
            ),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] != got[ids[1]]
    assert got[ids[2]] == got[ids[0]]


def test_hotline_first_then_numbered_letter(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", phone="13800000001", text=LOAN_HOTLINE, channel="hotline"),
            item(
                name="郝建国",
                id_number=ID_A,
                phone="13800000001",
                case_number=CN1,
                text=LOAN,
                day=4,
            ),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]]
    (case,) = cases(engine)
    assert case["case_number"] == CN1
    assert case["court_code"] == "冀1003"


def test_group_visit_joins_lead_case(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, phone="13800000001", case_number=CN1, text=LOAN),
            item(
                name="郝建国、李强等5人",
                phone="13800000001",
                case_number=CN1,
                text="集体来访要求执行",
                channel="visit",
                day=4,
            ),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]]


@BOTH
def test_repeat_after_closing_joins_the_closed_case(engine):
    ids = insert(engine, [item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN)])
    assign_cases(engine)
    with engine.begin() as conn:
        conn.execute(
            ledger_case.update().values(
                status="closed", closed_on=dt.date(2023, 7, 10), disposition="resolved"
            )
        )
    ids += insert(
        engine,
        [item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN, day=20, channel="visit")],
    )
    summary = assign_cases(engine)
    got = case_of(engine)
    assert got[ids[0]] == got[ids[1]]
    assert summary == {**summary, "new_cases": 0, "joined_items": 1}
    (case,) = cases(engine)
    assert case["item_count"] == 2
    assert case["last_received_at"] == dt.datetime(2023, 7, 20, 9)
    assert case["status"] == "closed"  # the escalation sweep reopens it from the facts


@BOTH
def test_referral_makes_a_key_case_at_tier_4(engine):
    insert(
        engine,
        [
            item(
                name="郝建国",
                id_number=ID_A,
                case_number=CN2,
                text=LOAN,
                channel="referral",
                due_on=dt.date(2023, 8, 15),
            )
        ],
    )
    insert(engine, [item(name="赵德才", id_number=ID_B, text=HOUSE)])
    assign_cases(engine)
    by_name = {c["petitioner_name"]: c for c in cases(engine)}
    key = by_name["郝建国"]
    assert key["is_key"] and key["tier"] == 4 and key["key_since"] == dt.date(2023, 7, 3)
    assert key["referral_due_on"] == dt.date(2023, 8, 15)
    assert key["court_code"] == "冀1081"
    plain = by_name["赵德才"]
    assert not plain["is_key"] and plain["tier"] == 1
    assert plain["court_code"] == "冀10"  # no case number, no court named: the intermediate court
    # a referral joining an existing case later makes it key from that day
    insert(engine, [item(name="赵德才", id_number=ID_B, text=HOUSE, channel="referral", day=12)])
    assign_cases(engine)
    plain = {c["petitioner_name"]: c for c in cases(engine)}["赵德才"]
    assert (
        plain["is_key"] and plain["tier"] == 4 and plain["tier_entered_on"] == dt.date(2023, 7, 12)
    )
    assert plain["item_count"] == 2


def test_court_rule(engine):
    insert(
        engine,
        [
            item(
                name="甲乙丙",
                id_number=ID_A,
                case_number="(2023)京0105民初1号",
                court_name="香河县人民法院",
                text=LOAN,
            ),
            item(name="丁戊己", id_number=ID_B, court_name="三河", text=HOUSE),
        ],
    )
    assign_cases(engine)
    by_name = {c["petitioner_name"]: c["court_code"] for c in cases(engine)}
    assert by_name == {"甲乙丙": "冀1024", "丁戊己": "冀1082"}


def test_items_without_identity_are_never_merged(engine):
    ids = insert(
        engine,
        [
            item(text=LOAN, case_number=CN1),
            item(text=LOAN, case_number=CN1, day=4),
            item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN, day=5),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    assert len({got[i] for i in ids}) == 3
    with engine.connect() as conn:
        rule = conn.execute(
            sa.select(match_decision.c.rule).where(match_decision.c.item_id == ids[0])
        ).scalar()
    assert rule == "new_case:no_identity"


@BOTH
def test_ledger_numbers_are_stable_and_never_reused(engine):
    insert(engine, [item(name="郝建国", id_number=ID_A, text=LOAN)])
    assign_cases(engine)
    insert(engine, [item(name="赵德才", id_number=ID_B, text=HOUSE, day=2)])
    insert(
        engine,
        [
            dict(
                item(name="钱多多", phone="13600000001", text=DELAY),
                received_at=dt.datetime(2024, 1, 2),
            )
        ],
    )
    assign_cases(engine)
    nos = sorted(c["ledger_no"] for c in cases(engine))
    assert nos == ["XF2023-000001", "XF2023-000002", "XF2024-000001"]
    by_name = {c["petitioner_name"]: c["ledger_no"] for c in cases(engine)}
    assert by_name["郝建国"] == "XF2023-000001"  # the first case keeps its number


def _campaign() -> list[dict]:
    rows = []
    for k, day in enumerate((1, 3, 5, 8, 12, 15)):
        rows.append(
            item(
                name="郝建国",
                id_number=ID_A if k % 2 else None,
                phone="13800000001",
                case_number=CN1 if k % 3 else None,
                text=LOAN if k % 2 else LOAN_HOTLINE,
                day=day,
                tag=f"a{k}",
                channel="hotline" if k % 2 == 0 else "letter",
            )
        )
        rows.append(
            item(
                name="赵德才",
                id_number=ID_B,
                case_number=CN1,
                text="对判决不服，要求再审",
                day=day + 1,
                tag=f"b{k}",
            )
        )
        rows.append(
            item(
                name="钱多多",
                phone="13600000001",
                text=HOUSE if k < 3 else DELAY,
                day=day + 2,
                tag=f"c{k}",
            )
        )
        rows.append(item(name="张伟", phone=f"1350000000{k}", text=DELAY, day=day, tag=f"d{k}"))
    return rows


@BOTH
def test_three_daily_batches_give_the_same_cases_as_one(engine, tmp_path):
    rows = _campaign()
    insert(engine, rows)
    assign_cases(engine)
    at_once = partition(engine)

    other = sa.create_engine(f"sqlite:///{tmp_path / 'batches.sqlite'}")
    from xinfang import db

    db.upgrade(other)
    for lo, hi in ((0, 6), (6, 11), (11, 99)):
        insert(other, [r for r in rows if lo <= r["received_at"].day < hi])
        assign_cases(other)
    assert partition(other) == at_once
    assert len(at_once) >= 5


@BOTH
def test_batch_size_does_not_change_the_partition(engine):
    insert(engine, _campaign())
    assign_cases(engine, batch_size=3)
    small = partition(engine)
    rebuild(engine)
    assert partition(engine) == small


@BOTH
def test_manual_split_and_merge_are_honoured_by_rebuild(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN, tag="x1"),
            item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN, day=4, tag="x2"),
            item(name="赵德才", id_number=ID_B, text=HOUSE, day=5, tag="y1"),
        ],
    )
    assign_cases(engine)
    got = case_of(engine)
    old_no = {c["case_id"]: c["ledger_no"] for c in cases(engine)}
    assert got[ids[0]] == got[ids[1]]
    new_case = split(engine, ids[1], reason="different lawsuit after all", by="admin")
    got = case_of(engine)
    assert got[ids[1]] == new_case != got[ids[0]]
    merged = merge(engine, ids[2], ids[0], reason="same family matter", by="admin")
    got = case_of(engine)
    assert got[ids[2]] == got[ids[0]] == merged
    with engine.connect() as conn:
        ov = conn.execute(sa.select(manual_override.c.action, manual_override.c.created_by)).all()
    assert sorted(ov) == [("merge", "admin"), ("split", "admin")]
    before = partition(engine)
    nos_before = {c["case_id"]: c["ledger_no"] for c in cases(engine)}
    # a later run and a full rebuild keep the manual decisions and the ledger numbers
    insert(
        engine, [item(name="郝建国", id_number=ID_A, case_number=CN1, text=LOAN, day=9, tag="x3")]
    )
    assign_cases(engine)
    assert case_of(engine)[ids[1]] == new_case
    after_run = partition(engine)
    summary = rebuild(engine)
    assert partition(engine) == after_run
    assert summary["kept_cases"] == len(after_run)
    assert {c["case_id"]: c["ledger_no"] for c in cases(engine)} == {
        **nos_before,
        **{
            k: v
            for k, v in {c["case_id"]: c["ledger_no"] for c in cases(engine)}.items()
            if k not in nos_before
        },
    }
    # the case emptied by the merge is gone and its number is not given out again
    emptied = set(old_no.values()) - {c["ledger_no"] for c in cases(engine)}
    assert emptied == {"XF2023-000002"}
    assert len(before) == 2 and len(after_run) == 2
    counts = {c["case_id"]: c["item_count"] for c in cases(engine)}
    with engine.connect() as conn:
        real = dict(
            conn.execute(
                sa.select(intake_item.c.case_id, sa.func.count()).group_by(intake_item.c.case_id)
            ).all()
        )
    assert counts == real


def test_merge_needs_reason(engine):
    ids = insert(
        engine,
        [
            item(name="郝建国", id_number=ID_A, text=LOAN),
            item(name="赵德才", id_number=ID_B, text=HOUSE),
        ],
    )
    assign_cases(engine)
    with pytest.raises(ValueError):
        merge(engine, ids[0], ids[1], reason="", by="admin")
