"""Every channel, format and encoding of docs/channels.md, on files written by the generator.

Each loaded item is compared with the generator's truth: the canonical ID number,
phone, case number, name and date, and that the text came out simplified with the
pinyin annotations gone.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import pytest
import sqlalchemy as sa
from conftest import BOTH

from xinfang.intake.sweep import sweep_channel
from xinfang.normalize.names import clean_name
from xinfang.normalize.text import to_simplified
from xinfang.schema import intake_item
from xinfang_dev.synth.campaign import generate_campaign
from xinfang_dev.synth.files import ENCODINGS, FORMATS, write_channel_file

PINYIN = re.compile(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
COMBOS = [
    (channel, fmt, encoding)
    for channel in ("letter", "visit", "online", "hotline", "referral")
    for fmt in FORMATS[channel]
    for encoding in (ENCODINGS if fmt == "csv" else ("utf-8",))
]


@cache
def campaign():
    return generate_campaign(
        seed=20230703, n_items=1200, start=dt.date(2023, 7, 3), end=dt.date(2023, 7, 14)
    )


def channel_items(channel: str, encoding: str) -> list[dict]:
    items = [it for it in campaign().items if it["channel"] == channel]
    if encoding == "gbk":  # a GBK export cannot hold characters outside GBK
        items = [it for it in items if _encodable(it, "gbk")]
    return items[:60]


def _encodable(item: dict, encoding: str) -> bool:
    try:
        for value in item.values():
            if isinstance(value, str):
                value.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def check_item(row, item: dict) -> None:
    c = campaign()
    tags = set(item["tags"])
    person = c.persons[item["truth_person"]]
    truth_case = c.cases[item["truth_case"]]
    where = f"{item['item_key']} {sorted(tags)}"

    assert row.received_at.date() == item["received_at"].date(), where
    if row.received_at.time() != dt.time(0):
        assert abs(row.received_at - item["received_at"]) < dt.timedelta(minutes=1), where

    if "id_typo" in tags:
        assert row.id_number is None and row.id_invalid, where
    elif row.id_number is not None:
        assert row.id_number == person.id18, where
    elif item["channel"] != "hotline" and "id_missing" not in tags:
        pytest.fail(f"ID number lost: {where}")

    if "phone_missing" not in tags:
        assert row.phone, where
        phones = {_digits(person.mobile), _digits(person.landline)} - {""}
        assert any(_digits(row.phone).endswith(p[-7:]) for p in phones), where

    if truth_case.case_number and not ({"cn_missing", "text_only"} & tags):
        assert row.case_number == truth_case.case_number, where

    if "homophone" not in tags and "group" not in tags and row.petitioner_name:
        assert row.petitioner_name == clean_name(person.name), where

    text = row.content_normalized or ""
    assert not PINYIN.search(text), where
    assert to_simplified(text) == text, where
    assert "　" not in text and "  " not in text, where


@BOTH
@pytest.mark.parametrize(("channel", "fmt", "encoding"), COMBOS)
def test_channel_file_loads_every_item_with_canonical_values(engine, dirs, channel, fmt, encoding):
    items = channel_items(channel, encoding)
    assert items, f"the generator made no {channel} items"
    path = dirs["landing"] / channel / "incoming" / f"{channel}_test.{fmt}"
    write_channel_file(items, channel, path, fmt, encoding)
    results = sweep_channel(channel, engine, day=dt.date(2023, 7, 14))
    assert [r.outcome for r in results] == ["loaded"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(intake_item).order_by(intake_item.c.source_row)).all()
        rejects = conn.execute(sa.text("SELECT source_row, reason FROM intake_reject")).all()
    assert rejects == []
    assert [r.source_row for r in rows] == list(range(1, len(items) + 1))
    for row, item in zip(rows, items, strict=True):
        assert row.channel == channel and row.source_file == path.name
        assert row.raw and row.content
        check_item(row, item)


def test_every_value_variant_is_exercised():
    """The fixtures above cover each spelling the contract lists."""
    tags = {t for it in campaign().items for t in it["tags"]}
    wanted = {
        "date_iso", "date_slash", "date_dot", "date_cn", "date_time",
        "id15", "id_lower_x", "id_fullwidth", "id_spaces", "id_typo",
        "phone_prefix", "phone_spaces", "phone_dashes", "phone_fullwidth", "landline",
        "cn_fullwidth", "cn_liuhe", "cn_square", "cn_none", "cn_spaces", "cn_no_hao",
        "traditional", "pinyin", "fullwidth_text", "group_visit",
    }  # fmt: skip
    assert wanted <= tags, wanted - tags
