"""Text normalization: width folding, pinyin removal, simplification, idempotence."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.normalize.text import fold_width, normalize_text, strip_pinyin, to_simplified


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("（２０２３）", "(2023)"),
        ("全角\u3000空格", "全角 空格"),
        ("plain ascii", "plain ascii"),
        ("中文，标点；", "中文,标点;"),
    ],
)
def test_fold_width(raw: str, expected: str) -> None:
    assert fold_width(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("結(jié)合", "結合"),
        ("領(lǐng)域", "領域"),
        ("簡(jiǎn)稱(chēng)", "簡稱"),
        ("開(kāi)展的", "開展的"),
        ("信訪(fǎng)問(wèn)題", "信訪問題"),
        ("結（jié）合", "結合"),  # full-width parentheses
        ("結( jié )合", "結合"),  # spaces inside
        ("結(jie2)合", "結合"),  # tone digit
        ("結合(jiéhé)", "結合"),  # one annotation for a two-character word
        ("結合(jié hé)", "結合"),
        ("字(zì)(zì)", "字"),  # repeated annotation
        ("的(de)", "的"),  # neutral tone, no mark: a reading of 的
        ("過(guo)", "過"),
        ("女(nǚ)", "女"),
        ("綠(lǜ)", "綠"),
        ("綠(lv4)", "綠"),  # v for ü, tone digit
        ("調(diào)", "調"),
        ("乾(gan)淨", "乾淨"),  # toneless reading of the simplified form 干
    ],
)
def test_strip_pinyin_removes_annotations(raw: str, expected: str) -> None:
    assert strip_pinyin(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "(2023)冀1003民初1234号",
        "制定《方案》(以下简称《方案》)",
        "下载手机(app)办理",
        "一个词(an English word)",
        "附件(a)",  # a syllable, but not a reading of 件 and no tone mark
        "单位(ABC)",
        "安(AN)",  # upper-case: an acronym, not pinyin
        "见第(3)项",
        "jié(jié)",  # not after a CJK character
        "字 (zì)",  # separated by a space: not an inserted annotation
        "(zì)",
        "结合(jiéhéxyz)",
        "人民(rén mín fǎ)",  # more syllables than preceding characters
    ],
)
def test_strip_pinyin_keeps_legitimate_parentheses(kept: str) -> None:
    assert strip_pinyin(kept) == kept


def test_strip_pinyin_nested_in_legitimate_parentheses() -> None:
    assert strip_pinyin("(以下簡稱(chēng)《方案》)") == "(以下簡稱《方案》)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("信訪問題專項治理", "信访问题专项治理"),
        ("乾淨的頭髮", "干净的头发"),
        ("乾隆", "乾隆"),  # phrase-aware: the emperor's name keeps 乾
        ("臺賬", "台账"),
        ("简体不变", "简体不变"),
        ("薴", "苎"),  # OpenCC chains 薴 -> 苧 -> 苎; applied to a fixed point
    ],
)
def test_to_simplified(raw: str, expected: str) -> None:
    assert to_simplified(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", ""),
        ("   ", ""),
        ("  結(jié)合  全市\n\n開(kāi)展\t的 ", "结合 全市 开展 的"),
        ("ＡＢＣ　信訪", "ABC 信访"),
        ("零\u200b宽\ufeff字符", "零宽字符"),
        ("控制\x00字符", "控制字符"),
        ("（以下簡稱(chēng)《方案》）", "(以下简称《方案》)"),
        ("结合（jié）", "结合"),
        (12345, "12345"),
    ],
)
def test_normalize_text(raw: object, expected: str | None) -> None:
    assert normalize_text(raw) == expected  # type: ignore[arg-type]


# Fragments that exercise every stage: traditional text, annotations, full-width forms,
# whitespace, legitimate parentheses, stray Latin letters.
_FRAGMENTS = st.sampled_from(
    [
        "結",
        "合",
        "開",
        "展",
        "乾",
        "淨",
        "頭",
        "髮",
        "薴",
        "苧",
        "信訪",
        "問題",
        "干",
        "的",
        "(jié)",
        "(hé)",
        "(de)",
        "(gan)",
        "(zì)",
        "（kāi）",
        "(jiéhé)",
        "(jié hé)",
        "(lv4)",
        "(app)",
        "(2023)",
        "(以下簡稱",
        "《方案》)",
        "(",
        ")",
        "（",
        "）",
        " ",
        "\u3000",
        "\n",
        "\t",
        "ＡＢＣ",
        "１２３",
        "a",
        "n",
        "\u200b",
        "\u0301",
    ]
)
_CJK_CHAR = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_MIXED_TEXT = st.lists(st.one_of(_FRAGMENTS, _CJK_CHAR), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_MIXED_TEXT, st.text(max_size=60)))
def test_normalize_text_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@settings(max_examples=300, deadline=None)
@given(st.one_of(_MIXED_TEXT, st.text(max_size=60)))
def test_fold_width_and_to_simplified_are_idempotent(s: str) -> None:
    folded = fold_width(s)
    assert fold_width(folded) == folded
    simplified = to_simplified(s)
    assert to_simplified(simplified) == simplified


_TONED = st.sampled_from(
    ["jié", "lǐng", "fǎng", "wèn", "zhuān", "xiàng", "lǜ", "nǚ", "ēn", "ér", "shuǎ", "qióng"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["結", "合", "開", "展", "信", "訪", "中", "院"]), _TONED),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["()", "（）"]),
)
def test_every_toned_annotation_is_removed(pairs: list[tuple[str, str]], parens: str) -> None:
    """Whatever the characters, ``X(<syllable with tone mark>)`` loses the annotation."""
    annotated = "".join(f"{c}{parens[0]}{py}{parens[1]}" for c, py in pairs)
    assert strip_pinyin(annotated) == "".join(c for c, _ in pairs)


def test_nan_cell_is_none() -> None:
    assert normalize_text(float("nan")) is None  # type: ignore[arg-type]
