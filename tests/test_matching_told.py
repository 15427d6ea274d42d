"""The matter's facts kept while it grows (``TextIndex._told``) equal the ones built afresh."""

from __future__ import annotations

import dataclasses

from xinfang.facts import case_kinds, extract
from xinfang.matching import TextIndex, _union_facts, _union_two, _with_case

TEXTS = [
    "被执行人刘东欠我12万元，(2023)冀1003执456号至今没有执行到位。",
    "来电人反映：恒达建材公司拖欠货款3万元，东王村的厂房被查封。",
    "执行法官王建国2023年5月12日说过尽快执行，至今没有消息。",
    "催促尽快判决。",
    "",
    "前夫季强不给抚养费，每月两千元，(2022)冀1002民初88号判决生效。",
    "新华小区物业费纠纷，物业公司起诉我，要求再审。",
]


def _fresh(index: TextIndex, members: list[int], case_number: str | None):
    facts = _with_case(_union_facts([index.facts(j) for j in members]), case_number)
    return facts, "\n".join(index._texts[j] for j in members)


def test_a_growing_matter_tells_what_a_fresh_build_tells():
    index = TextIndex(TEXTS)
    cache: dict = {}
    members: list[int] = []
    for j in range(len(TEXTS)):
        members.append(j)
        for cn in (None, "(2023)冀1003执456号", "(2021)冀10民终7号"):
            assert index._told(members, cn, cache) == _fresh(index, members, cn)
            assert index._told(members, cn, cache) == _fresh(index, members, cn)  # kept


def test_a_window_that_slides_is_built_again():
    """Over ``max_texts_per_matter`` the first and last texts are compared: not a prefix."""
    index = TextIndex(TEXTS)
    cache: dict = {}
    for window in ([0, 1, 2], [0, 1, 2, 3], [0, 1, 3, 4], [0, 5], [2, 5, 6], [2, 5, 6, 0]):
        assert index._told(window, None, cache) == _fresh(index, window, None)


def test_union_two_is_the_union():
    facts = [extract(t) for t in TEXTS]
    for a in facts:
        for b in facts:
            assert _union_two(a, b) == _union_facts([a, b])


def test_with_case_is_the_replaced_facts():
    for text in TEXTS:
        f = extract(text)
        for cn in ("(2023)冀1003执456号", "(2023)冀1003执异9号", "(2022)冀1002民初88号"):
            expected = (
                f
                if cn in f.cases
                else dataclasses.replace(f, cases=f.cases | {cn}, kinds=f.kinds | case_kinds(cn))
            )
            assert _with_case(f, cn) == expected
        assert _with_case(f, None) is f
