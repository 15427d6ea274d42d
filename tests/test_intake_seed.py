"""Seed-style documents dropped as letters come out as the clean simplified text
(``docs/channels.md``: letters; the texts are those of ``test_normalize``)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa
from conftest import BOTH
from test_normalize import SEED_TEXTS, SeedText, first_difference

from xinfang.intake.sweep import sweep_channel
from xinfang.schema import intake_item

HEADER = ["登记日期", "信访人", "身份证号", "联系电话", "住址", "涉及案号", "反映法院", "信访内容"]


def letter_bytes(content: str, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(["2023年7月3日", "張偉", "", "13800138000", "", "", "廊坊中院", content])
    return out.getvalue().encode(encoding)


@BOTH
@SEED_TEXTS
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_seed_letter_normalizes_character_by_character(engine, dirs, encoding, text: SeedText):
    seed = text.read()
    folder = dirs["landing"] / "letter" / "incoming"
    folder.mkdir(parents=True)
    (folder / "seed.csv").write_bytes(letter_bytes(seed, encoding))
    [result] = sweep_channel("letter", engine, day=dt.date(2023, 7, 3))
    assert (result.outcome, result.items, result.rejects) == ("loaded", 1, 0)
    with engine.connect() as conn:
        row = conn.execute(sa.select(intake_item)).one()
    expected = text.expected_text()
    assert row.content == seed.strip(), "content is kept as received"
    assert row.content_normalized == expected, first_difference(row.content_normalized, expected)
    assert row.petitioner_name == "张伟"
    assert row.court_code == "冀10"
