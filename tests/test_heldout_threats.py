"""The held-out threat sentences (heldout/threat_sentences.jsonl): well-formed and balanced.

The set was written blind to the screening code; these tests check its shape only,
never how any screen scores on it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "heldout" / "threat_sentences.jsonl"

FIELDS = {"id", "text", "channel", "label", "category", "trap", "script"}
CHANNELS = {"letter", "visit", "online", "hotline", "referral"}
CATEGORIES = {"self_harm", "violence", "escalation", "collective"}
SCRIPTS = {"simplified", "traditional", "pinyin"}
THREAT_TRAPS = {
    "explicit",
    "implicit",
    "conditional",
    "third_person_summary",
    "no_keyword",
    "mixed",
    "dialect",
    "buried",
}
NEGATIVE_TRAPS = {
    "keyword_other_person",
    "case_fact",
    "official_act",
    "negated",
    "hearsay",
    "idiom",
    "past_event",
    "lawful_channel",
    "media_fact",
}
PINYIN = re.compile(r"[\u4e00-\u9fff]\([a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ]+\)")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    out = []
    with PATH.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            assert line.strip(), f"blank line {n}"
            out.append(json.loads(line))
    return out


def test_size_and_ids(rows):
    assert len(rows) >= 400
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"H\d{4}", i) for i in ids)
    texts = [r["text"] for r in rows]
    assert len(set(texts)) == len(texts)


def test_fields_valid(rows):
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert isinstance(r["text"], str) and r["text"].strip(), r["id"]
        assert r["channel"] in CHANNELS, r["id"]
        assert r["script"] in SCRIPTS, r["id"]
        assert r["label"] in {"threat", "none"}, r["id"]
        if r["label"] == "threat":
            assert r["category"] in CATEGORIES, r["id"]
            assert r["trap"] in THREAT_TRAPS, r["id"]
        else:
            assert r["category"] is None, r["id"]
            assert r["trap"] in NEGATIVE_TRAPS, r["id"]


def test_balance(rows):
    threats = sum(r["label"] == "threat" for r in rows)
    assert 0.45 <= threats / len(rows) <= 0.55
    per_category = Counter(r["category"] for r in rows if r["label"] == "threat")
    for c in CATEGORIES:
        assert per_category[c] >= 45, (c, per_category[c])
    per_trap = Counter(r["trap"] for r in rows if r["label"] == "none")
    for t in NEGATIVE_TRAPS:
        assert per_trap[t] >= 15, (t, per_trap[t])
    assert set(Counter(r["channel"] for r in rows)) == CHANNELS


def test_scripts(rows):
    n = Counter(r["script"] for r in rows)
    assert n["traditional"] / len(rows) >= 0.10
    assert n["pinyin"] / len(rows) >= 0.05
    for r in rows:
        annotated = bool(PINYIN.search(r["text"]))
        assert annotated == (r["script"] == "pinyin"), r["id"]
    for label in ("threat", "none"):
        scripts = {r["script"] for r in rows if r["label"] == label}
        assert scripts == SCRIPTS, label
