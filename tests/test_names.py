"""Names: cleaning, group lists, the pinyin key and the common-name list."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinfang.normalize.names import (
    COMMON_NAMES,
    chinese_number,
    clean_name,
    is_common_name,
    name_key,
    names_compatible,
    split_group,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("張 偉", "张伟"),
        ("  王芳 ", "王芳"),
        ("劉洋。", "刘洋"),
        ("ＺＨＡＮＧ", "ZHANG"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("张伟、李强等5人", ("张伟", ("李强",), 5)),
        ("张伟,李强", ("张伟", ("李强",), 2)),
        ("张伟，李强，王芳", ("张伟", ("李强", "王芳"), 3)),
        ("张伟等三人", ("张伟", (), 3)),
        ("张伟等十二人", ("张伟", (), 12)),
        ("張偉、李強等５人", ("张伟", ("李强",), 5)),
        ("张伟 李强", ("张伟", ("李强",), 2)),
        ("张 伟", ("张伟", (), 1)),
        ("张伟", ("张伟", (), 1)),
        ("张伟等人", ("张伟", (), 2)),
        ("张伟、李强等2人", ("张伟", ("李强",), 2)),
        ("张伟、李强、王芳等2人", ("张伟", ("李强", "王芳"), 3)),
        ("", ("", (), 0)),
    ],
)
def test_split_group(raw, expected):
    assert split_group(raw) == expected


@pytest.mark.parametrize(
    ("raw", "n"),
    [
        ("五", 5),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("两", 2),
        ("二十三", 23),
        ("一百零五", 105),
        ("7", 7),
        ("x", None),
    ],
)
def test_chinese_number(raw, n):
    assert chinese_number(raw) == n


def test_name_key_survives_homophones_and_traditional():
    assert name_key("张伟") == "zhang wei"
    assert name_key("张玮") == name_key("张伟") == name_key("張偉") == name_key("章 伟")
    assert name_key("刘洋") == name_key("刘阳")
    assert name_key("王芳") != name_key("王刚")
    assert name_key("") is None
    assert name_key(None) is None


def test_common_names():
    assert len(COMMON_NAMES) >= 50
    for n in ("王伟", "张伟", "李娜", "王芳", "李伟", "刘洋"):
        assert is_common_name(n)
    assert is_common_name("张玮")  # sounds like 张伟
    assert is_common_name("張偉")
    assert not is_common_name("诸葛明远")
    assert not is_common_name("郝建国")
    assert is_common_name("")  # no name identifies nobody


def test_names_compatible():
    assert names_compatible("zhang wei", "zhang wei")
    assert names_compatible("zhang wei", None)
    assert names_compatible("li qiang", "li jiang")
    assert not names_compatible("zhang wei", "li wei")
    assert not names_compatible("zhang wei", "zhang xiao wei")
    assert not names_compatible("wang fang", "wang gang ming")


@given(st.text(max_size=12))
def test_name_functions_total_and_idempotent(s):
    c = clean_name(s)
    assert clean_name(c) == c
    assert name_key(s) == name_key(c)
    lead, others, count = split_group(s)
    assert count >= len(others) + (1 if lead else 0)
