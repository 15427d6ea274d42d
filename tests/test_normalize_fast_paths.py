"""The intake's fast paths (issue #18) agree with the full rules they skip.

Each fast path answers the common clean shape of a value (a simplified name, a
canonical phone number, an ISO date, text with no case number or traditional
character) without running the rules; on anything else it must give exactly what
the rules give, or hand the value to them.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.intake.rowkey import ITEM_FIELDS, _text, _values_text
from xinfang.normalize import case_number, dates, names, phone, text

# Characters that make values tricky: full-width digits and letters, spaces of every
# kind, traditional characters and phrases, pinyin, brackets, separators.
TRICKY = (
    "0123456789０１２３４５６７８９-－—/.:：T Z+年月日号时分上下午"
    " \t\u3000\u00a0\u2003\n"
    "張偉张伟李強李强王芳深沈乾隆於菟覆蓋結合jiéhé()（）〔〕【】"
    "冀京沪滬最高法民初终执字第、,，;等人名位和一二三五十"
    "xX转分机ext+86"
)
tricky_text = st.text(alphabet=TRICKY, max_size=24)


def _converted(s: str) -> str:
    return text._converter().convert(s)


# --- traditional -> simplified ---------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(tricky_text)
def test_text_t2s_would_not_change_is_never_wrong(s):
    if not text.t2s_may_change(s):
        assert _converted(s) == s


def test_every_character_t2s_changes_is_flagged():
    astral = [chr(c) for c in (0x20000, 0x2000B, 0x2F800, 0x2FA1D, 0x3134F, 0x1F600)]
    chars = text.bmp_characters() + astral
    out = _converted("\n".join(chars)).split("\n")
    missed = [c for c, o in zip(chars, out, strict=True) if o != c and not text.t2s_may_change(c)]
    assert missed == []
    assert all(text.t2s_may_change(c) for c in astral)


def _opencc_dict(name: str, tmp_path: Path) -> list[tuple[str, str]]:
    clib = Path(opencc.__file__).parent / "clib"
    tool, source = clib / "bin" / "opencc_dict", clib / "share" / "opencc" / f"{name}.ocd2"
    if not tool.exists() or not source.exists():
        pytest.skip("the OpenCC wheel's opencc_dict tool or dictionary is not installed")
    out = tmp_path / f"{name}.txt"
    env = {"LD_LIBRARY_PATH": str(clib / "lib64")}
    subprocess.run(
        [str(tool), "-i", str(source), "-o", str(out), "-f", "ocd2", "-t", "text"],
        check=True,
        env=env,
        capture_output=True,
    )
    rows = (line.rstrip("\n").split("\t") for line in out.read_text("utf-8").splitlines())
    return [(key, values.split(" ")[0]) for key, values in rows]


def test_phrase_only_changes_are_listed(tmp_path):
    """Every t2s phrase that changes text either holds a character t2s changes alone or
    has its changed characters in ``T2S_PHRASE_CHANGES``."""
    for key, value in _opencc_dict("TSPhrases", tmp_path):
        if key == value or any(text.t2s_may_change(c) for c in key):
            continue
        if len(key) == len(value):
            changed = {k for k, v in zip(key, value, strict=True) if k != v}
        else:
            changed = set(key)
        assert changed <= set(text.T2S_PHRASE_CHANGES), (key, value)


@pytest.mark.parametrize("s", ["深沈的夜", "張偉", "乾隆", "我叫蒋静洁", "覆蓋", "𠀀", "結(jié)合"])
def test_to_simplified_as_opencc(s):
    out = _converted(s)
    for _ in range(2):
        if _converted(out) == out:
            break
        out = _converted(out)
    assert text.to_simplified(s) == out


# --- names ----------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(tricky_text.filter(bool))
def test_split_group_as_the_rules(s):
    assert names.split_group.__wrapped__(s) == names._split_group_rules(s)


@pytest.mark.parametrize(
    "s", ["张伟", "張偉", "王一名", "张伟等", "李和平", "张伟和李强", "深沈", "欧阳娜娜", "王"]
)
def test_split_group_plain_names(s):
    assert names.split_group.__wrapped__(s) == names._split_group_rules(s)


# --- phones ---------------------------------------------------------------------


PHONES = [
    "13812345678",
    "１３８１２３４５６７８",
    "138-1234-5678",
    "+86 138 1234 5678",
    "8613812345678",
    "0316-2345678",
    "0316-23456789",
    "010-12345678",
    "010-22345678",
    "021-3456789",
    "0213-4567890",
    "(0316)2345678",
    "2345678",
    "0316-2345678-801",
    "4001234567",
    "12345678901",
    " 13812345678",
]


@pytest.mark.parametrize("s", PHONES)
def test_phone_as_the_rules(s):
    assert phone._canonical.__wrapped__(s, "0316") == phone._canonical_rules(s, "0316")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789-+ ()０１３８转x/", max_size=16))
def test_phone_as_the_rules_generated(s):
    assert phone._canonical.__wrapped__(s, "0316") == phone._canonical_rules(s, "0316")


# --- dates ----------------------------------------------------------------------


def _outcome(parse, value: str):
    try:
        return parse(value)
    except dates.DateParseError as exc:
        return str(exc)


DATES = [
    "2023-07-03",
    "2023-07-03 14:05",
    "2023-07-03 14:05:09",
    "2023-07-03T14:05:09",
    "2023-07-03T14:05:09Z",
    "2023-07-01T01:39:54+08:00",
    "2023-07-01T01:39:54-05:30",
    "2023-07-01T01:39:54+14:59",
    "2023-02-30",
    "2023-13-01",
    "2023-07-03 24:00",
    "2023-07-03 23:59:60",
    "0000-01-01",
    "０２０２３-07-03",
    "2023-07-03  14:05",
    "2023/7/3",
    "2023/07/03 14:05",
    "2023.7.3 9:5:7",
    "2023-7-3 14:05",
    "2023/7.3",
    "2023年7月3日",
    "2023年7月3号 08:04:00",
    "2023年7月31 08:04",
    "2023年7月31日08:04",
    "2023/7/3114:05",
    "2023/2/29",
    "2024/2/29 24:00",
    "2023年13月1日",
    "0000/1/1",
    "2023/7/3 14:05:60",
    " 2023/7/3",
]


@pytest.mark.parametrize("s", DATES)
def test_date_as_the_rules(s):
    assert _outcome(dates._parse_text.__wrapped__, s) == _outcome(dates._parse_text_rules, s)


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    st.sampled_from(["", "Z", "+08:00", "-03:30", "+13:45"]),
)
def test_date_as_the_rules_generated(at, form, zone):
    s = at.strftime(form) + (zone if "%H" in form else "")
    assert _outcome(dates._parse_text.__wrapped__, s) == _outcome(dates._parse_text_rules, s)


CLERK_PARTS = st.text(alphabet="0123456789", min_size=1, max_size=3)


@settings(max_examples=600, deadline=None)
@given(
    st.text(alphabet="0123456789", min_size=4, max_size=4),
    CLERK_PARTS,
    CLERK_PARTS,
    st.sampled_from(["/", ".", "-", "年月日", "年月号", "年月", "/.", "年月日 "]),
    st.one_of(st.just(""), st.tuples(CLERK_PARTS, CLERK_PARTS, st.one_of(st.none(), CLERK_PARTS))),
)
def test_clerk_dates_as_the_rules(year, month, day, seps, clock):
    """2023/7/3, 2023.7.3, 2023年7月3日 with or without a time: read as the rules read them."""
    if seps[0] == "年":
        s = f"{year}年{month}月{day}{seps[2:]}"
    else:
        s = f"{year}{seps[0]}{month}{seps[-1]}{day}"
    if clock:
        s += f" {clock[0]}:{clock[1]}" + (f":{clock[2]}" if clock[2] is not None else "")
    assert _outcome(dates._parse_text.__wrapped__, s) == _outcome(dates._parse_text_rules, s)


# --- case numbers in text -------------------------------------------------------


@pytest.mark.parametrize(
    "s",
    [
        "本人为蒋博文故意伤害罪一案(2021)冀1028刑初366号提出申诉",
        "案号 2021 冀 1028 民初 1 号",
        "〔2022〕冀10民终12号",
        "(2023)最高法民申1号",
        "2023年7月执行完毕",
        "（２０２３）冀１０民终１６１４号",
        "2019滬01民初5号",
    ],
)
def test_case_numbers_as_the_rules(s):
    assert case_number.find_case_numbers(s) == case_number._find_case_numbers_rules(s)


@settings(max_examples=400, deadline=None)
@given(tricky_text.filter(bool))
def test_case_numbers_as_the_rules_generated(s):
    assert case_number.find_case_numbers(s) == case_number._find_case_numbers_rules(s)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1980, 2099),
    st.sampled_from(["冀1003", "最高法", "京", "兵0101"]),
    st.text(alphabet="民刑初终执申字", min_size=1, max_size=6),
    st.integers(1, 9_999_999),
)
def test_case_numbers_built_as_the_dataclass_builds_them(year, court, kind, seq):
    built, made = (
        case_number._new(year, court, kind, seq),
        case_number.CaseNumber(year, court, kind, seq),
    )
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert built.canonical == made.canonical and vars(built) == vars(made)


# --- row keys -------------------------------------------------------------------


VALUES = st.one_of(
    st.none(),
    tricky_text,
    st.integers(-3, 300),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(dt.UTC)),
)


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({f: VALUES for f in ITEM_FIELDS}))
def test_row_text_as_value_by_value(values):
    assert _values_text(values, ITEM_FIELDS) == "\x1f".join(_text(values[f]) for f in ITEM_FIELDS)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.datetimes(), st.datetimes(timezones=st.just(dt.UTC))))
def test_datetime_text_as_before(at):
    assert _text(at) == at.replace(microsecond=0).isoformat(sep=" ")
