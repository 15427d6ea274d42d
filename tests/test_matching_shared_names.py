"""Rule 4 measures how rare a name is in the data itself (term frequency).

An uncommon name (郝建国, on no national list) telling the same grievance joins an item
without an ID number to the person of that name. When the ledger shows two different
ID numbers bearing the name, it is a name shared by several people here: the wording
alone no longer joins (petitions are told in stock phrases), the facts still do.
"""

from __future__ import annotations

import pandas as pd

from xinfang.matching import plan_matters
from xinfang.normalize.names import name_key

WAGES = "信访人在工地干了大半年一分钱工钱没拿到,案子立案后一直没开庭,要求政府和法院给农民工做主。"
WAGES_AGAIN = "来电人在工地干了大半年一分钱工钱没拿到,案子立案后一直没开庭,希望给农民工做主。"
FACTS = "信访人在华信建筑公司工地干活,华信建筑公司拖欠工资人民币51000元,要求尽快执行。"
FACTS_AGAIN = "来电人反映华信建筑公司欠其工资51000元一直不给。"
OTHER = "我与邻居宅基地纠纷,法院判决后对方拒不履行。"


def _frame(rows: list[tuple[str | None, str, str]]) -> pd.DataFrame:
    """Items of 郝建国: (ID number, phone, text) each, in this order."""
    return pd.DataFrame(
        [
            {
                "item_id": i + 1,
                "case_id": -1,
                "case_case_number": None,
                "id_number": idn,
                "phone": phone,
                "name_key": name_key("郝建国"),
                "case_number": None,
                "content_normalized": text,
            }
            for i, (idn, phone, text) in enumerate(rows)
        ]
    )


def _one_person(plan, a: int, b: int) -> bool:
    return plan.person[a] == plan.person[b]


def test_an_uncommon_name_joins_on_the_same_words():
    plan = plan_matters(
        _frame([("131002196501011234", "13900000001", WAGES), (None, "13900000003", WAGES_AGAIN)])
    )
    assert _one_person(plan, 0, 1)


def test_a_name_two_id_numbers_bear_joins_on_facts_not_words():
    other = ("131002197002022345", "13900000002", OTHER)  # another 郝建国, with an ID
    words = plan_matters(
        _frame(
            [
                ("131002196501011234", "13900000001", WAGES),
                other,
                (None, "13900000003", WAGES_AGAIN),
            ]
        )
    )
    assert not _one_person(words, 0, 2) and not _one_person(words, 1, 2)
    facts = plan_matters(
        _frame(
            [
                ("131002196501011234", "13900000001", FACTS),
                other,
                (None, "13900000003", FACTS_AGAIN),
            ]
        )
    )
    assert _one_person(facts, 0, 2) and not _one_person(facts, 1, 2)


def test_one_id_number_seen_twice_is_one_bearer():
    same = ("131002196501011234", "13900000002", OTHER)  # the same person, another phone
    plan = plan_matters(
        _frame(
            [("131002196501011234", "13900000001", WAGES), same, (None, "13900000003", WAGES_AGAIN)]
        )
    )
    assert _one_person(plan, 0, 2)
