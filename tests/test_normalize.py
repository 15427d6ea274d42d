"""The seed document through ``normalize_text``, and the package's public names.

The expected text (tests/data/seed_simplified.txt) was written by hand from the seed:
every pinyin annotation removed, every traditional character replaced by its
simplified form after checking each of the 93 distinct conversions, legitimate
parentheses ``(以下简称《方案》)`` kept. One paragraph per line there; normalize_text
collapses the line breaks to single spaces, so the test joins the lines with one space.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import xinfang.normalize as normalize
from xinfang import settings
from xinfang.normalize import normalize_text

SEED_NAME = "000_725f8f67a1437f0b.txt"
EXPECTED = Path(__file__).parent / "data" / "seed_simplified.txt"


def seed_path() -> Path:
    """The shared seed next to the repository, else under $XINFANG_SHARED_DIR, else the
    copy in tests/data/seed (so a clone with nothing beside it runs the same tests)."""
    candidates = [Path(settings.REPO_ROOT).parent / "shared" / "seed" / SEED_NAME]
    if shared := os.environ.get("XINFANG_SHARED_DIR"):
        candidates.append(Path(shared) / "seed" / SEED_NAME)
    candidates.append(Path(__file__).resolve().parent / "data" / "seed" / SEED_NAME)
    for path in candidates:
        if path.is_file():
            return path
    pytest.fail(f"seed document not found; looked at {[str(p) for p in candidates]}")


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


def test_seed_document_normalizes_to_the_clean_simplified_text() -> None:
    raw = seed_path().read_text(encoding="utf-8-sig")
    expected = " ".join(EXPECTED.read_text(encoding="utf-8").split("\n")).strip()
    actual = normalize_text(raw)
    assert actual is not None
    assert actual == expected, first_difference(actual, expected)


def test_the_expected_text_is_clean() -> None:
    """Guards the hand-written expectation itself: no pinyin, no traditional characters."""
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
