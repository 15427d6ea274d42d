"""The one masking rule for the dashboard and the reports (the views' SQL is checked
against it in test_views)."""

from __future__ import annotations

from xinfang.masking import mask_id, mask_phone


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
