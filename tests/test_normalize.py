"""Seed-style documents through ``normalize_text``, and the package's public names.

The seed-style texts (``tests/data/seed_style``) are written for these tests the way the
court's seed document is written: traditional characters, pinyin inserted after some of
them (``結(jié)合``), legitimate parentheses (a case number, a count) kept. Beside each,
``<name>.simplified.txt`` is the text written first in simplified characters by hand;
every traditional form was checked against it character by character. The real seed
document is used in addition when it is there (``../shared/seed`` beside the clone, or
``$XINFANG_SHARED_DIR/seed``), against ``tests/data/seed_simplified.txt``, written by hand
from it: every pinyin annotation removed, every traditional character replaced by its
simplified form after checking each of the 93 distinct conversions, legitimate
parentheses ``(以下简称《方案》)`` kept. One paragraph per line in the expected texts;
normalize_text collapses the line breaks to single spaces, so the tests join the lines
with one space.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import xinfang.normalize as normalize
from xinfang.normalize import normalize_text

DATA = Path(__file__).resolve().parent / "data"
SEED_STYLE = DATA / "seed_style"
SEED_NAME = "000_725f8f67a1437f0b.txt"
EXPECTED = DATA / "seed_simplified.txt"
"""The real seed document's text, simplified by hand."""


@dataclass(frozen=True)
class SeedText:
    """A traditional + pinyin document and its hand-written simplified text."""

    name: str
    raw: Path
    expected: Path

    def read(self) -> str:
        return self.raw.read_text(encoding="utf-8-sig")

    def expected_text(self) -> str:
        return " ".join(self.expected.read_text(encoding="utf-8").split("\n")).strip()


def shared_seed() -> Path | None:
    """The real seed document beside the repository or under $XINFANG_SHARED_DIR, if there."""
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "seed" / SEED_NAME]
    if shared := os.environ.get("XINFANG_SHARED_DIR"):
        candidates.append(Path(shared) / "seed" / SEED_NAME)
    return next((path for path in candidates if path.is_file()), None)


def seed_texts() -> list[SeedText]:
    """The repository's seed-style texts, and the real seed document when it is there."""
    texts = [
        SeedText(path.stem, path, path.with_suffix(".simplified.txt"))
        for path in sorted(SEED_STYLE.glob("*.txt"))
        if not path.name.endswith(".simplified.txt")
    ]
    if (seed := shared_seed()) is not None:
        texts.append(SeedText("shared_seed", seed, EXPECTED))
    return texts


SEED_TEXTS = pytest.mark.parametrize("text", seed_texts(), ids=lambda t: t.name)


def first_difference(actual: str, expected: str) -> str:
    """Where two texts first differ, with context, for a readable failure."""
    i = next(
        (k for k, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
        min(len(actual), len(expected)),
    )
    return (
        f"first difference at character {i} (of {len(actual)} actual, {len(expected)} expected): "
        f"actual {actual[i : i + 1]!r} in …{actual[max(i - 15, 0) : i + 15]}…, "
        f"expected {expected[i : i + 1]!r} in …{expected[max(i - 15, 0) : i + 15]}…"
    )


def test_seed_style_texts_are_in_the_repository() -> None:
    """A clone with nothing beside it still runs the seed tests on its own texts."""
    names = [t.name for t in seed_texts()]
    assert {"court_news", "petition_letter"} <= set(names)


@SEED_TEXTS
def test_seed_document_normalizes_to_the_clean_simplified_text(text: SeedText) -> None:
    raw = text.read()
    assert re.search(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", raw), "pinyin inserted"
    actual = normalize_text(raw)
    assert actual is not None
    assert actual == text.expected_text(), first_difference(actual, text.expected_text())


@pytest.mark.parametrize("path", sorted(SEED_STYLE.glob("*.simplified.txt")), ids=lambda p: p.name)
def test_the_seed_style_expectations_are_clean(path: Path) -> None:
    """Guards the hand-written expectations: no pinyin, no traditional characters left,
    and the legitimate parentheses (case numbers, counts) kept."""
    expected = path.read_text(encoding="utf-8")
    assert not re.search(r"[A-Za-z\u00c0-\u024f]", expected)
    traditional = set("結開領訪問題專項導強實嚴點進過責發稱簡聯臺賬辦個會議執後並號與萬兩錢請")
    assert not traditional.intersection(expected)
    assert expected.count("(") == expected.count(")") >= 1
    assert normalize_text(expected.replace("\n", " ")) == expected.replace("\n", " ").strip()


def test_the_shared_seed_expectation_is_clean() -> None:
    """Guards the hand-written expectation of the real seed (used when the seed is there)."""
    expected = EXPECTED.read_text(encoding="utf-8")
    assert not re.search(r"[A-Za-z\u00c0-\u024f]", expected)
    assert "(以下简称《方案》)" in expected
    assert expected.count("(") == expected.count(")") == 1
    traditional = set("結開領訪問題專項導強實嚴點進過責發稱簡聯臺賬辦個")
    assert not traditional.intersection(expected)
    assert normalize_text(expected.replace("\n", " ")) == expected.replace("\n", " ").strip()


def test_first_difference_points_at_the_character() -> None:
    message = first_difference("信访问题", "信访问提")
    assert "character 3" in message and "'题'" in message and "'提'" in message
    assert "character 2" in first_difference("信访", "信访人")


def test_public_names() -> None:
    for name in [
        "CaseNumber",
        "DateParseError",
        "IdNumber",
        "canonical_phone",
        "compute_check_char",
        "find_case_numbers",
        "fold_width",
        "normalize_text",
        "parse_case_number",
        "parse_date",
        "parse_datetime",
        "parse_id_number",
        "strip_pinyin",
        "to_simplified",
    ]:
        assert callable(getattr(normalize, name)), name
    assert issubclass(normalize.DateParseError, ValueError)
