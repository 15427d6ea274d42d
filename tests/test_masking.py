"""The one masking rule for the dashboard and the reports (the views' SQL is checked
against it in test_views)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xinfang.masking import mask_id, mask_phone, mask_text


def test_id_numbers_keep_first_six_and_last_four() -> None:
    assert mask_id("131002198001011234") == "131002********1234"
    assert mask_id("13100219800101123X") == "131002********123X"
    assert mask_id("131002800101123") == "131002********1123"  # 15-digit, first generation
    assert mask_id(" 131002198001011234 ") == "131002********1234"


def test_phones_keep_first_three_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0316-2345678") == "031****5678"
    assert mask_phone("03162345678") == "031****5678"


def test_short_or_missing_values_tell_nothing() -> None:
    assert mask_id("12345") == mask_id("123456789") == "********"
    assert mask_phone("12345") == mask_phone("123456") == "****"
    assert mask_id(None) is None and mask_id("") is None
    assert mask_phone(None) is None and mask_phone("") is None


# (free text, what mask_text makes of it)
MASKED = [
    # mobiles: plain, spaced, dashed, full-width, ideographic spaces, prefixed
    ("电话13812345678", "电话138****5678"),
    ("138 1234 5678", "138****5678"),
    ("138-1234-5678", "138****5678"),
    ("１３８１２３４５６７８", "138****5678"),
    # a phone after the letters of a 台账编号 is not one (found by the property test below)
    ("XF0086-13912345678", "XF139****5678"),
    ("XF2023-13912345678", "XF2023-139****5678"),
    ("１３８\u3000１２３４\u3000５６７８", "138****5678"),
    ("+86 138 1234 5678", "138****5678"),
    ("+8613812345678", "138****5678"),
    ("(+86)13812345678", "138****5678"),
    ("0086-13812345678", "138****5678"),
    ("8613812345678", "138****5678"),
    ("13812345678 13912345678", "138****5678 139****5678"),
    ("13812345678X", "138****5678X"),
    # landlines with their area code
    ("0316-2345678", "031****5678"),
    ("(0316)2345678", "031****5678"),
    ("（0316）2345678", "031****5678"),
    ("(0316) 234 5678", "031****5678"),
    ("０３１６－２３４５６７８", "031****5678"),
    ("+86 316 2345678", "031****5678"),
    ("0316-2345678-123", "031****5678-123"),
    # a local number only where the text says it is a phone
    ("联系电话：2345678", "联系电话：****"),
    # resident IDs: 18 (check X/x), 15, spaced, full-width, the check character dropped
    ("110101199003074514", "110101********4514"),
    ("11010119900307451X", "110101********451X"),
    ("11010119900307451x号", "110101********451X号"),
    ("110101 19900307 4514", "110101********4514"),
    ("110101 1990 0307 451x", "110101********451X"),
    ("１１０１０１１９９００３０７４５１Ｘ", "110101********451X"),
    ("110101900307451", "110101********7451"),
    ("11010119900307451", "110101********7451"),
    ("ID110101199003074514", "ID110101********4514"),
    # inside the text around them
    (
        "身份证110101 1990 0307 4514，手机+86 139-1234-5678，座机(0316) 234 5678",
        "身份证110101********4514，手机139****5678，座机031****5678",
    ),
    ("Key (phone)=(13812345678) already exists", "Key (phone)=(138****5678) already exists"),
    ("2023-07-03 13812345678", "2023-07-03 138****5678"),
    ("20230703 13812345678", "20230703 138****5678"),
    ("2023年来电13812345678", "2023年来电138****5678"),
    ("(2023)来电13812345678", "(2023)来电138****5678"),
    ("(2023)冀1003民初1234号，13812345678", "(2023)冀1003民初1234号，138****5678"),
]
# text that holds digits but no ID or phone: left as it is
KEPT = [
    "2023-07-03",
    "2023/7/3",
    "2023.7.3",
    "2023年7月3日",
    "２０２３年７月３日来访",
    "2023-07-03至2023-07-05",
    "2023-07-03 10:30:00",
    "12000000元",
    "赔偿13500000000元",
    "(2023)冀1003民初1234号",
    "（２０２３）冀１００３民初１２３４号",
    "〔2023〕冀10民终56号",
    "[2023]冀1082执异12号",
    "2023冀1003民初1234号",
    "XF2023-000123",
    "XF2023-1000123",
    "12368-2023070300000001",
    "WS2023070300000001",
    "来访人数5人，第1-3条",
    "已化解，销号",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_mask_text_masks_ids_and_phones(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert mask_text(expected) == expected  # masking the masked text changes nothing


@pytest.mark.parametrize("text", KEPT)
def test_mask_text_keeps_dates_amounts_case_and_ledger_numbers(text: str) -> None:
    assert mask_text(text) == text


def test_mask_text_of_nothing() -> None:
    assert mask_text(None) is None
    assert mask_text("") == ""


_WORDS = st.text(alphabet="信访人电话联系身份证号，。：；、（）() -/abcXF", max_size=12)
_SEPARATORS = st.sampled_from(["", " ", "-", "\u3000", "  ", " - "])


@settings(max_examples=300, deadline=None)
@given(
    before=_WORDS,
    after=_WORDS,
    mobile=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    id_number=st.from_regex(
        r"[1-6][0-9]{5}(19[5-9][0-9]|200[0-9])(0[1-9]|1[0-2])[0-2][1-9][0-9]{3}[0-9X]",
        fullmatch=True,
    ),
    sep=_SEPARATORS,
    prefix=st.sampled_from(["", "+86", "+86 ", "0086-", "86"]),
    wide=st.booleans(),
)
@example(  # 'XF' then '0086-' once read as a 台账编号 (XF + four digits)
    before="XF",
    after="",
    mobile="13000000000",
    id_number="100000200001010000",
    sep="",
    prefix="0086-",
    wide=False,
)
def test_no_full_number_survives(before, after, mobile, id_number, sep, prefix, wide):
    """However a phone and an ID are spaced, prefixed or widened inside digit-free text,
    neither comes out whole."""
    phone = prefix + sep.join([mobile[:3], mobile[3:7], mobile[7:]])
    card = sep.join([id_number[:6], id_number[6:14], id_number[14:]])
    text = f"{before}{phone}{after}，{card}{before}"
    if wide:
        text = text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    out = unicodedata.normalize("NFKC", mask_text(text))
    digits = re.sub(r"[^0-9X]", "", out.upper())
    assert mobile not in digits
    assert id_number[:-1] not in digits
    assert out.count("****") >= 2
