"""The held-out petition generator (heldout/): deterministic, complete, varied.

These tests read the generator's output with their own small readers, not the
project's intake, so they check the files against the contract's columns only.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from heldout.generate import generate
from heldout.writers import COLUMNS

CHANNELS = ("letter", "visit", "online", "hotline", "referral")


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding family) of a CSV as the generator may write it."""
    if raw.startswith(b"\xff\xfe"):
        return raw.decode("utf-16"), "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030"), "gb"


def _read(path: Path) -> tuple[list[str], list[dict[str, object]], str]:
    """(header, data rows, format) of one drop file."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        return header, [dict(zip(header, r, strict=True)) for r in rows[1:]], "xlsx"
    if path.suffix == ".jsonl":
        text = path.read_bytes().decode("utf-8-sig")
        recs = [json.loads(line) for line in text.splitlines()]
        return list(recs[0]), recs, "jsonl"
    text, enc = _decode(path.read_bytes())
    delim = "\t" if enc == "utf-16" else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    header = rows[0]
    for r in rows[1:]:
        assert len(r) == len(header), path
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]], f"csv:{enc}"


def _truth(out: Path) -> list[dict[str, str]]:
    with (out / "truth.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 600-matter set: large enough for every variation to show up."""
    out = tmp_path_factory.mktemp("heldout600")
    generate(600, 7, out)
    return out


def _tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_set(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(60, 3, a)
    generate(60, 3, b)
    generate(60, 4, c)
    assert _tree(a) == _tree(b)
    assert (a / "truth.csv").read_bytes() != (c / "truth.csv").read_bytes()


def test_every_channel_and_format_is_written(big: Path) -> None:
    formats: Counter[str] = Counter()
    for ch in CHANNELS:
        files = list((big / "landing" / ch / "incoming").iterdir())
        assert len(files) >= 3, ch
        for p in files:
            header, _, fmt = _read(p)
            formats[f"{ch}:{fmt.split(':')[0]}"] += 1
            formats[fmt] += 1
            names = [h.strip(" \u3000") for h in header]
            assert [n for n in names if n not in ("序号", "备注")] == list(COLUMNS[ch]), p
    for key in (
        "letter:csv",
        "letter:xlsx",
        "visit:csv",
        "visit:xlsx",
        "online:jsonl",
        "hotline:csv",
        "referral:xlsx",
    ):
        assert formats[key], key
    for enc in ("csv:utf-8", "csv:utf-8-sig", "csv:gb", "csv:utf-16"):
        assert formats[enc], enc


def test_truth_rows_are_unique_and_cover_every_data_row(big: Path) -> None:
    truth = _truth(big)
    keys = [(t["channel"], t["source_file"], int(t["source_row"])) for t in truth]
    assert len(keys) == len(set(keys))
    written = set()
    for ch in CHANNELS:
        for p in (big / "landing" / ch / "incoming").iterdir():
            _, rows, _ = _read(p)
            written |= {(ch, p.name, i) for i in range(1, len(rows) + 1)}
    assert written == set(keys)
    matters = {
        r["matter_id"]: r for r in csv.DictReader((big / "matters.csv").open(encoding="utf-8"))
    }
    for t in truth:
        assert matters[t["matter_id"]]["person_id"] == t["person_id"]


def test_event_dates_lie_in_the_period(big: Path) -> None:
    lo, hi = date(2023, 1, 1), date(2026, 11, 30)
    for p in (big / "landing" / "online" / "incoming").iterdir():
        _, rows, _ = _read(p)
        for r in rows:
            ts = datetime.fromisoformat(str(r["submitted_at"]).replace("Z", "+00:00"))
            assert lo - date.resolution <= ts.date() <= hi
    for p in (big / "landing" / "referral" / "incoming").iterdir():
        _, rows, _ = _read(p)
        for r in rows:
            v = (
                r["交办日期"]
                if "交办日期" in r
                else next(v for k, v in r.items() if k.strip(" \u3000") == "交办日期")
            )
            if isinstance(v, datetime):
                assert lo <= v.date() <= hi


def test_every_variation_appears(big: Path) -> None:
    tags = Counter(t for row in _truth(big) for t in row["variations"].split(";") if t)
    for tag in (
        "honorific_name",
        "no_case_number",
        "traditional",
        "pinyin",
        "spaced_name",
        "homophone_name",
        "spaced_id",
        "id15",
        "fullwidth_id",
        "relative_phone",
        "landline",
        "phone_format",
        "same_person_other_matter",
        "shared_name",
        "shared_case_number",
        "relative_filer",
        "group_visit",
        "case_fullwidth",
        "case_brackets",
        "case_no_hao",
        "case_spaced",
        "case_in_text_only",
    ):
        assert tags[tag], tag
    n = sum(1 for _ in _truth(big))
    assert 0.18 <= tags["no_case_number"] / n <= 0.35


def test_one_person_has_several_matters(big: Path) -> None:
    matters = list(csv.DictReader((big / "matters.csv").open(encoding="utf-8")))
    by_person = Counter(m["person_id"] for m in matters)
    several = {p for p, k in by_person.items() if k >= 2}
    assert several
    truth = _truth(big)
    items_of = Counter((t["person_id"], t["matter_id"]) for t in truth)
    assert any(sum(1 for (p, _m) in items_of if p == person) >= 2 for person in several)
    kinds = {m["kind"] for m in matters}
    assert len(kinds) >= 12
