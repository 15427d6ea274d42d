"""The matching rules without a database: text scores, amounts, persons, matters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xinfang import matching
from xinfang.matching import MatchParams, TextIndex, plan_matters, text_similarity, text_tokens
from xinfang.normalize.names import name_key

LOAN = "我与廊坊市恒达建材有限公司民间借贷纠纷一案，判决对方支付35万元，至今没有执行到位。"
LOAN_HOTLINE = "来电人反映：恒达建材有限公司欠我35万元的案子，8个月了还没执行。"
HOUSE = "我的房子（广阳区新华小区12号楼）被法院错误查封，被执行人是赵德才。"


def test_text_tokens_ignore_punctuation_and_boilerplate():
    assert text_tokens(None) == frozenset()
    assert text_tokens("") == frozenset()
    assert text_tokens("反映") == frozenset()  # boilerplate only
    assert text_tokens("执行，执行。") == text_tokens("执行")
    assert text_similarity(text_tokens(LOAN), text_tokens(LOAN)) == 1.0
    assert text_similarity(text_tokens(LOAN), frozenset()) == 0.0


def test_paraphrase_scores_above_another_grievance():
    t = TextIndex([LOAN, LOAN_HOTLINE, HOUSE])
    same = t.score(0, 1, 0.25, 0.5)
    other = t.score(0, 2, 0.25, 0.5)
    assert same > 0.4 > 0.1 > other


def test_amounts():
    t = TextIndex(["支付35万元，另欠2000元", "欠我350000元", "欠 1.5万元", None, "没有数"])
    assert t.amounts(0) == {350000, 2000}
    assert t.amounts(1) == {350000}
    assert t.amounts(2) == {15000}
    assert t.amounts(3) == frozenset() == t.amounts(4)
    # a shared sum raises the score, disjoint sums lower it
    assert t.score(0, 1, 0.25, 0.5) > t.score(0, 1, 0.0, 0.0)
    assert t.score(1, 2, 0.25, 0.5) == 0.0


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = []
    for i, r in enumerate(rows):
        name = r.get("name")
        out.append(
            {
                "item_id": i + 1,
                "case_id": r.get("case_id", -1),
                "case_case_number": r.get("case_case_number"),
                "id_number": r.get("id"),
                "phone": r.get("phone"),
                "name_key": name_key(name) if name else None,
                "case_number": r.get("cn"),
                "content_normalized": r.get("text"),
            }
        )
    return pd.DataFrame(out)


def _labels(plan) -> list[int]:
    return plan.target.tolist()


def test_plan_rules():
    df = _frame(
        [
            {"name": "郝建国", "id": "A", "phone": "1", "cn": "X", "text": LOAN},
            {"name": "郝建国", "phone": "1", "text": LOAN_HOTLINE},  # phone + name, text
            {"name": "郝建国", "id": "A", "cn": "Y", "text": LOAN},  # another case number
            {"name": "赵德才", "id": "B", "cn": "X", "text": LOAN},  # other party, same number
            {"name": "郝丽萍", "phone": "1", "text": LOAN},  # same phone, other name
            {"text": LOAN, "cn": "X"},  # nobody
        ]
    )
    plan = plan_matters(df)
    t = _labels(plan)
    assert t[0] == t[1]
    assert len({t[0], t[2], t[3], t[4], t[5]}) == 5
    assert plan.rule[1] == "phone_name+facts"
    assert plan.matched[1] == 1
    assert plan.rule[2] == "new_case:other_case_number"
    assert plan.rule[5] == "new_case:no_identity"
    assert plan.n_new == 5


def test_existing_cases_are_kept_and_joined():
    df = _frame(
        [
            {
                "name": "郝建国",
                "id": "A",
                "cn": "X",
                "text": LOAN,
                "case_id": 7,
                "case_case_number": "X",
            },
            {"name": "郝建国", "id": "A", "cn": "X", "text": LOAN},
            {"name": "郝建国", "id": "A", "text": LOAN_HOTLINE},
        ]
    )
    plan = plan_matters(df)
    assert plan.item_pos.tolist() == [1, 2]
    assert _labels(plan) == [7, 7]
    assert plan.rule == ["id_number+case_number", "id_number+facts"]


def test_caseless_existing_case_adopts_a_case_number():
    df = _frame(
        [
            {"name": "郝建国", "phone": "1", "text": LOAN_HOTLINE, "case_id": 3},
            {"name": "郝建国", "phone": "1", "id": "A", "cn": "X", "text": LOAN},
        ]
    )
    plan = plan_matters(df)
    assert _labels(plan) == [3]
    assert plan.adopt == {3: "X"}


def test_cannot_link_keeps_a_split_item_apart():
    df = _frame(
        [
            {"name": "郝建国", "id": "A", "cn": "X", "text": LOAN},
            {"name": "郝建国", "id": "A", "cn": "X", "text": LOAN},
        ]
    )
    t = _labels(plan_matters(df, cannot_link={2: {1}}))
    assert t[0] != t[1]
    t = _labels(plan_matters(df))
    assert t[0] == t[1]


def test_params_from_config():
    p = MatchParams.from_config({"text_threshold": 0.4, "unknown": 1})
    assert p.text_threshold == 0.4
    assert p.text_threshold_single == MatchParams().text_threshold_single


def test_parallel_plan_equals_serial(monkeypatch):
    rng = np.random.default_rng(3)
    rows = []
    for k in range(400):
        person = int(rng.integers(0, 120))
        rows.append(
            {
                "name": f"郝{'建国强明伟'[person % 5]}{'甲乙丙丁'[person % 4]}",
                "id": f"ID{person}" if rng.random() < 0.6 else None,
                "phone": f"P{person}" if rng.random() < 0.8 else None,
                "cn": f"CN{person}-{k % 2}" if rng.random() < 0.5 else None,
                "text": [LOAN, LOAN_HOTLINE, HOUSE][(person + k) % 3],
            }
        )
    df = _frame(rows)
    serial = plan_matters(df)
    monkeypatch.setattr(matching, "PARALLEL_MIN", 10)
    parallel = plan_matters(df, workers=2)

    def partition(plan) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for pos, t in zip(plan.item_pos.tolist(), plan.target.tolist(), strict=True):
            groups.setdefault(t, set()).add(pos)
        return {frozenset(g) for g in groups.values()}

    assert partition(parallel) == partition(serial)
    assert parallel.rule == serial.rule
