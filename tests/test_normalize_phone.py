"""Phone numbers: prefixes, separators, full-width digits, landlines with area codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinfang.normalize.phone import canonical_phone


@pytest.mark.parametrize(
    "spelling",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "+8613812345678",
        "8613812345678",
        "86 138 1234 5678",
        "0086 13812345678",
        "(+86)13812345678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
        "013812345678",  # a trunk 0 dialled before a mobile
        "手机：13812345678",
        13812345678,
        13812345678.0,
    ],
)
def test_mobile_spellings(spelling: object) -> None:
    assert canonical_phone(spelling) == "13812345678"


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("0316-2345678", "0316-2345678"),
        ("0316 2345678", "0316-2345678"),
        ("03162345678", "0316-2345678"),
        ("(0316)2345678", "0316-2345678"),
        ("（０３１６）２３４５６７８", "0316-2345678"),
        ("+86 316 2345678", "0316-2345678"),
        ("0086-316-2345678", "0316-2345678"),
        ("2345678", "0316-2345678"),  # no area code: the default one
        ("234-5678", "0316-2345678"),
        ("23456789", "0316-23456789"),
        ("0316-2345678转801", "0316-2345678"),  # extension dropped
        ("0316-2345678-801", "0316-2345678"),
        ("0316-23456789-12", "0316-23456789"),
        ("010-62345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("+86 10 6234 5678", "010-62345678"),
        ("021 87654321", "021-87654321"),
        ("0311-87654321", "0311-87654321"),
        ("0755 2345 6789", "0755-23456789"),
        ("400-123-4567", "4001234567"),
    ],
)
def test_landline_spellings(spelling: str, expected: str) -> None:
    assert canonical_phone(spelling) == expected


def test_default_area_code_is_configurable() -> None:
    assert canonical_phone("2345678", default_area_code="0311") == "0311-2345678"


def test_several_numbers_in_one_cell_take_the_first_usable() -> None:
    assert canonical_phone("13812345678 / 0316-2345678") == "13812345678"
    assert canonical_phone("无、0316-2345678") == "0316-2345678"


@pytest.mark.parametrize(
    "garbage",
    [
        None,
        "",
        "  ",
        "无",
        "不详",
        "12345",
        "12368",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12012345678",  # 12x is not a mobile prefix
        "0123456789",
        "010-12345678",  # local numbers do not start with 1
        "+1 415 555 0100",  # foreign
        "abc13812345678",
        True,
    ],
)
def test_garbage_gives_none(garbage: object) -> None:
    assert canonical_phone(garbage) is None


# -- property tests -------------------------------------------------------------------------

_FULL_WIDTH = str.maketrans("0123456789+()-", "０１２３４５６７８９＋（）－")
_SEP = st.sampled_from(["", "", "", " ", "-", "\u3000"])


def _sprinkle(draw: st.DrawFn, digits: str) -> str:
    return "".join(ch + draw(_SEP) for ch in digits).rstrip(" -\u3000")


@st.composite
def mobile_spellings(draw: st.DrawFn) -> tuple[str, str]:
    canonical = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86", "86-", "0086", "0086 ", "(+86)"]))
    text = prefix + _sprinkle(draw, canonical)
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return canonical, text


_AREA_CODES = st.sampled_from(["0316", "0311", "0312", "0755", "0571", "010", "021", "022", "029"])


@st.composite
def landline_spellings(draw: st.DrawFn) -> tuple[str, str]:
    area = draw(_AREA_CODES)
    length = 8 if len(area) == 3 else draw(st.sampled_from([7, 8]))
    local = draw(st.from_regex(rf"[2-9][0-9]{{{length - 1}}}", fullmatch=True))
    canonical = f"{area}-{local}"
    style = draw(st.sampled_from(["dash", "space", "paren", "plain", "intl", "local"]))
    if style == "local" and area == "0316":
        text = _sprinkle(draw, local)
    elif style == "paren":
        text = f"({area}){_sprinkle(draw, local)}"
    elif style == "intl":
        text = f"+86 {area[1:]} {_sprinkle(draw, local)}"
    else:
        sep = {"dash": "-", "space": " "}.get(style, "")
        text = area + sep + _sprinkle(draw, local)
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return canonical, text


@settings(max_examples=300, deadline=None)
@given(st.one_of(mobile_spellings(), landline_spellings()))
def test_spellings_round_trip(case: tuple[str, str]) -> None:
    canonical, text = case
    assert canonical_phone(text) == canonical
    assert canonical_phone(canonical) == canonical  # idempotent


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-() 86０１", max_size=20))
def test_canonical_phone_is_idempotent_on_anything(text: str) -> None:
    once = canonical_phone(text)
    if once is not None:
        assert canonical_phone(once) == once
