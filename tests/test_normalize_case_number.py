"""Case numbers (案号): parsing, canonical form, extraction from free text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.normalize.case_number import CaseNumber, find_case_numbers, parse_case_number

CANONICAL = "(2023)冀1003民初1234号"


@pytest.mark.parametrize(
    "spelling",
    [
        "(2023)冀1003民初1234号",
        "（2023）冀1003民初1234号",
        "〔2023〕冀1003民初1234号",
        "[2023]冀1003民初1234号",
        "【2023】冀1003民初1234号",
        "2023冀1003民初1234号",
        "(2023)冀1003民初1234",
        "( 2023 ) 冀 1003 民初 1234 号",
        "(2023)冀1003民初01234号",
        "（２０２３）冀１００３民初１２３４号",
        " (2023)冀1003民初1234号\n",
    ],
)
def test_spellings_give_the_canonical_form(spelling: str) -> None:
    case = parse_case_number(spelling)
    assert case is not None
    assert case.canonical == CANONICAL
    assert (case.year, case.court_code, case.type_code, case.seq) == (2023, "冀1003", "民初", 1234)


@pytest.mark.parametrize(
    ("spelling", "court", "type_code", "seq"),
    [
        ("(2022)冀10民终56号", "冀10", "民终", 56),
        ("(2023)冀1082执12号", "冀1082", "执", 12),
        ("(2023)冀1082执异3号", "冀1082", "执异", 3),
        ("(2023)冀1082执恢7号", "冀1082", "执恢", 7),
        ("(2023)冀1082执保7号", "冀1082", "执保", 7),
        ("(2023)冀10民申88号", "冀10", "民申", 88),
        ("(2023)冀10民再9号", "冀10", "民再", 9),
        ("(2023)冀1002行初4号", "冀1002", "行初", 4),
        ("(2023)冀1002刑初44号", "冀1002", "刑初", 44),
        ("(2023)冀10司救民1号", "冀10", "司救民", 1),
        ("(2023)京0105民初100号", "京0105", "民初", 100),
        ("(2023)冀民终1号", "冀", "民终", 1),  # the provincial high court
        ("(2023)最高法民申123号", "最高法", "民申", 123),
        ("（2023）冀1003執異12號", "冀1003", "执异", 12),  # traditional characters
    ],
)
def test_court_and_type_codes(spelling: str, court: str, type_code: str, seq: int) -> None:
    case = parse_case_number(spelling)
    assert case == CaseNumber(2023 if "2022" not in spelling else 2022, court, type_code, seq)


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "无",
        "2023年7月3日",
        "(2023)冀1003民初0号",  # sequence 0
        "(2023)冀1003民初号",
        "(2023)1003民初12号",  # no province
        "(23)冀1003民初12号",  # two-digit year
        "(2023)冀1003民初12号之一",
        "(2023)冀1003民初12号 (2023)冀1003民初13号",  # two numbers in one field
        "冀1003民初12号",
    ],
)
def test_unparseable_gives_none(garbage: str | None) -> None:
    assert parse_case_number(garbage) is None


def test_find_case_numbers_in_free_text() -> None:
    text = (
        "信访人不服（2022）冀1003民初123号判决，上诉后〔2023〕冀10民终45号维持原判；"
        "2023年7月3日又提出申请，另见(2022)冀1003民初123号。2023新冠3例。"
    )
    found = find_case_numbers(text)
    assert [c.canonical for c in found] == ["(2022)冀1003民初123号", "(2023)冀10民终45号"]


def test_find_case_numbers_without_court_digits_needs_the_full_form() -> None:
    assert [c.canonical for c in find_case_numbers("见(2023)冀民终1号裁定")] == ["(2023)冀民终1号"]
    assert find_case_numbers("2023冀民终1") == []
    assert find_case_numbers("") == []
    assert find_case_numbers(None) == []


# -- property tests -------------------------------------------------------------------------

_TYPES = st.sampled_from(
    ["民初", "民终", "民申", "民再", "执", "执异", "执恢", "执保", "行初", "刑初", "司救民"]
)
_COURTS = st.one_of(
    st.sampled_from(["冀10", "冀1002", "冀1003", "冀1022", "冀1082", "冀"]),
    st.builds(
        lambda p, d: p + d,
        st.sampled_from(list("京津冀晋辽沪苏浙粤川")),
        st.from_regex(r"[0-9]{2,4}", fullmatch=True),
    ),
)
_CASES = st.builds(
    CaseNumber,
    year=st.integers(min_value=1990, max_value=2099),
    court_code=_COURTS,
    type_code=_TYPES,
    seq=st.integers(min_value=1, max_value=999999),
)
_BRACKETS = [("(", ")"), ("（", "）"), ("〔", "〕"), ("[", "]"), ("【", "】"), ("", "")]
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def spellings(draw: st.DrawFn, case: CaseNumber) -> str:
    left, right = draw(st.sampled_from(_BRACKETS))
    zeros = "0" * draw(st.integers(0, 3))
    parts = [left, str(case.year), right, case.court_code, case.type_code, zeros + str(case.seq)]
    parts.append(draw(st.sampled_from(["号", ""])))
    text = "".join(p + draw(st.sampled_from(["", "", " ", "\u3000"])) for p in parts)
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return text


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_spellings_round_trip(data: st.DataObject) -> None:
    case = data.draw(_CASES)
    assert parse_case_number(data.draw(spellings(case))) == case
    assert parse_case_number(case.canonical) == case  # idempotent


@settings(max_examples=100, deadline=None)
@given(st.lists(_CASES, min_size=1, max_size=4))
def test_find_case_numbers_finds_every_canonical_mention(cases: list[CaseNumber]) -> None:
    text = "信访人反映：" + "；又称".join(c.canonical for c in cases) + "一案。"
    expected = list(dict.fromkeys(cases))
    assert find_case_numbers(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="()（）〔〕【】 0123456789２０冀京民初终执异号字第年", max_size=24))
def test_whatever_parses_round_trips(text: str) -> None:
    case = parse_case_number(text)
    if case is not None:
        assert parse_case_number(case.canonical) == case
        assert case.canonical.startswith(f"({case.year})")
    for found in find_case_numbers(text):
        assert parse_case_number(found.canonical) == found
