"""Hotline callers recorded by surname and honorific (王先生, 李女士, 老赵): a partial name.

It fits any full name of its surname (and sex) on the same phone, is never enough on
its own, and never joins two different full names.
"""

from __future__ import annotations

import pandas as pd
import pytest

from xinfang.matching import plan_matters
from xinfang.normalize.names import name_key, partial_fits, partial_name

LETTER = "我与恒达建材有限公司借款纠纷一案判决对方支付35万元，至今没有执行。"
CALL = "来电人反映恒达建材欠款35万元的案子一直没执行。"
MALE_ID = "110101199003074514"  # 17th digit 1: male
FEMALE_ID = "110101199003074522"  # 17th digit 2: female


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "item_id": i + 1,
                "case_id": -1,
                "case_case_number": None,
                "petitioner_name": r.get("name"),
                "id_number": r.get("id"),
                "phone": r.get("phone"),
                "name_key": name_key(r.get("name")),
                "case_number": r.get("cn"),
                "content_normalized": r.get("text", LETTER),
            }
            for i, r in enumerate(rows)
        ]
    )


def _cases(rows: list[dict]) -> list[int]:
    return plan_matters(_frame(rows)).target.tolist()


@pytest.mark.parametrize(
    ("name", "surname", "sex"),
    [
        ("王先生", "王", "m"),
        ("李女士", "李", "f"),
        ("张阿姨", "张", "f"),
        ("刘老师", "刘", ""),
        ("老赵", "赵", ""),
        ("小王", "王", ""),
        ("陈师傅", "陈", ""),
        ("赵大爷", "赵", "m"),
        ("欧阳先生", "欧阳", "m"),
        ("王　先生", "王", "m"),
    ],
)
def test_partial_names(name, surname, sex):
    assert partial_name(name) == (surname, sex)


@pytest.mark.parametrize("name", ["王伟", "李先强", "张", "", None, "欧阳娜娜", "先生"])
def test_full_names_are_not_partial(name):
    assert partial_name(name) is None


def test_partial_fits_surname_and_sex():
    assert partial_fits("wang", "m", "wang wei")
    assert not partial_fits("wang", "m", "wang wei", "f")
    assert not partial_fits("wang", "", "huang wei")
    assert partial_fits("ou yang", "m", "ou yang na na")
    assert not partial_fits("wang", "", None)


def test_surname_caller_joins_the_full_name_on_the_same_phone():
    rows = [
        {"name": "王建国", "id": MALE_ID, "phone": "13812345678"},
        {"name": "王先生", "phone": "13812345678", "text": CALL},
    ]
    first, call = _cases(rows)
    assert first == call


def test_a_partial_name_alone_is_never_enough():
    # two 王先生 without a phone, or on different phones: different callers
    assert len(set(_cases([{"name": "王先生"}, {"name": "王先生"}]))) == 2
    rows = [{"name": "王先生", "phone": "13812345678"}, {"name": "王先生", "phone": "13900001111"}]
    assert len(set(_cases(rows))) == 2


def test_partial_name_of_another_surname_or_sex_does_not_join():
    rows = [
        {"name": "王建国", "id": MALE_ID, "phone": "13812345678"},
        {"name": "李女士", "phone": "13812345678", "text": CALL},
    ]
    assert len(set(_cases(rows))) == 2
    rows = [
        {"name": "王芳菲", "id": FEMALE_ID, "phone": "13812345678"},
        {"name": "王先生", "phone": "13812345678", "text": CALL},
    ]
    assert len(set(_cases(rows))) == 2


def test_partial_name_never_joins_two_different_full_names():
    # a family phone: 王建国 and 王建军 both call; 王先生 could be either
    rows = [
        {"name": "王建国", "id": MALE_ID, "phone": "13812345678"},
        {"name": "王晓军", "phone": "13812345678", "text": "离婚纠纷抚养费的问题"},
        {"name": "王先生", "phone": "13812345678", "text": CALL},
    ]
    a, b, c = _cases(rows)
    assert a != b
    assert c not in (a, b)


def test_rarer_surname_with_a_two_character_honorific():
    assert partial_name("洪女士") == ("洪", "f")
    assert partial_name("佘先生") == ("佘", "m")
    assert partial_name("犇姐") is None  # one-character honorifics: known surnames only


def test_partial_name_on_another_phone_joins_by_case_number():
    # the caller rings from a relative's phone but names the case: the one 徐 on it
    cn = "(2020)冀10民初3108号"
    rows = [
        {"name": "徐玉珍", "id": FEMALE_ID, "phone": "13812345678", "cn": cn},
        {"name": "徐阿姨", "phone": "13900001111", "cn": cn, "text": CALL},
        {"name": "武建国", "id": MALE_ID, "phone": "13700002222", "cn": cn},  # the other party
        {"name": "武先生", "phone": "13600003333", "cn": cn, "text": CALL},
    ]
    first, call, other, other_call = _cases(rows)
    assert first == call
    assert other == other_call != first
    # two people of the surname on the case number: the partial name stays apart
    rows.insert(1, {"name": "徐建华", "phone": "13500004444", "cn": cn})
    got = _cases(rows)
    assert got[2] not in (got[0], got[1])
