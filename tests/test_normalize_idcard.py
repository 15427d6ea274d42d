"""Resident ID numbers: folding, checksum, birth date, 15-digit conversion, masking."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.normalize.idcard import compute_check_char, parse_id_number

VALID = "11010519491231002X"  # the GB 11643 standard's own example


def test_check_char_of_the_standard_example() -> None:
    assert compute_check_char(VALID[:17]) == "X"
    assert compute_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    "bad", ["", "1234", "1101051949123100X", "１１０１０５１９４９１２３１００２"]
)
def test_check_char_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        compute_check_char(bad)


@pytest.mark.parametrize(
    "spelling",
    [
        "11010519491231002X",
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "110105\u300019491231\u3000002X",
        "110105491231002",  # legacy 15 digits
        110105491231002,  # legacy 15 digits as a spreadsheet number
    ],
)
def test_spellings_give_the_canonical_form(spelling: object) -> None:
    parsed = parse_id_number(spelling)
    assert parsed.canonical == VALID
    assert not parsed.invalid
    assert parsed.reason is None
    assert parsed.birth_date == date(1949, 12, 31)


@pytest.mark.parametrize("missing", [None, "", "   ", "\u3000"])
def test_missing_is_not_invalid(missing: object) -> None:
    parsed = parse_id_number(missing)
    assert parsed.canonical is None
    assert not parsed.invalid


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("110105194912310021", "校验位"),  # wrong check character: not fixed
        ("110105194902300028", "出生日期"),  # 30 February
        ("110105194913310021", "出生日期"),  # month 13
        ("110105491331002", "出生日期"),  # 15-digit form, month 13
        ("11010519491231002", "格式"),  # 17 digits
        ("1101051949123100XX", "格式"),
        ("010105194912310021", "格式"),  # area code cannot start with 0
        ("abc", "格式"),
        ("1.10105194912310e17", "格式"),
        (1.10105194912310e17, "数字"),  # an 18-digit number that Excel rounded
    ],
)
def test_invalid_numbers_are_flagged_with_a_reason(value: object, words: str) -> None:
    parsed = parse_id_number(value)
    assert parsed.canonical is None
    assert parsed.invalid
    assert parsed.reason is not None and words in parsed.reason
    if isinstance(value, str):
        assert value in parsed.reason  # the clerk can find the number


def test_birth_date_after_today_is_invalid() -> None:
    first17 = "11010520300101001"
    number = first17 + compute_check_char(first17)
    assert parse_id_number(number, today=date(2029, 12, 31)).invalid
    assert parse_id_number(number, today=date(2030, 1, 1)).canonical == number


# -- property tests -------------------------------------------------------------------------

_BIRTH = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))
_AREA = st.integers(min_value=110000, max_value=829999).map(str)
_SEQ = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    first17 = draw(_AREA) + draw(_BIRTH).strftime("%Y%m%d") + draw(_SEQ)
    return first17 + compute_check_char(first17)


_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@st.composite
def spelled(draw: st.DrawFn, canonical: str) -> str:
    """The same number as a clerk might type it."""
    chars = list(canonical.lower() if draw(st.booleans()) else canonical)
    out = []
    for ch in chars:
        out.append(ch)
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from([" ", "-", "\u3000", "－"])))
    text = "".join(out)
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", " ", "\t"]))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_spelling_of_a_valid_id_round_trips(data: st.DataObject) -> None:
    canonical = data.draw(valid_ids())
    parsed = parse_id_number(data.draw(spelled(canonical)))
    assert parsed.canonical == canonical
    assert not parsed.invalid
    assert parse_id_number(parsed.canonical) == parsed  # idempotent


@settings(max_examples=200, deadline=None)
@given(valid_ids(), st.integers(min_value=0, max_value=10))
def test_a_wrong_check_char_is_never_fixed(canonical: str, shift: int) -> None:
    chars = "0123456789X"
    wrong = chars[(chars.index(canonical[-1]) + 1 + shift % 10) % 11]
    parsed = parse_id_number(canonical[:17] + wrong)
    assert parsed.canonical is None
    assert parsed.invalid


@settings(max_examples=200, deadline=None)
@given(_AREA, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), _SEQ)
def test_legacy_15_digit_form_converts(area: str, born: date, seq: str) -> None:
    legacy = area + born.strftime("%y%m%d") + seq
    first17 = area + born.strftime("%Y%m%d") + seq
    parsed = parse_id_number(legacy)
    assert parsed.canonical == first17 + compute_check_char(first17)
    assert parsed.birth_date == born


@pytest.mark.parametrize(
    "placeholder", ["无", "不详", " 暂无 ", "-", "——", "/", "N/A", float("nan")]
)
def test_placeholders_clerks_type_are_missing_not_invalid(placeholder: object) -> None:
    parsed = parse_id_number(placeholder)
    assert parsed.canonical is None
    assert not parsed.invalid


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789Xx -１２", min_size=14, max_size=22))
def test_whatever_is_accepted_is_canonical_and_stable(text: str) -> None:
    parsed = parse_id_number(text)
    assert parsed.canonical is None or not parsed.invalid
    if parsed.canonical is not None:
        assert len(parsed.canonical) == 18
        assert parsed.canonical[17] == compute_check_char(parsed.canonical[:17])
        assert parse_id_number(parsed.canonical) == parsed


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[0-9]{17}", fullmatch=True))
def test_check_char_is_the_weighted_sum_of_the_standard(first17: str) -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert compute_check_char(first17) == "10X98765432"[total % 11]
