"""The threat rule's one-search gate (``Lexicon.gate``) turns away only texts no term matches.

The gate replaced a search per candidate term as the rule's first step; the verdicts must
not change. Checked on a large varied set built from every labelled sentence (as typed,
traditional, pinyin-annotated, full-width, normalized), sentences run together so terms
overlap and straddle the join, and character soup made of the lexicon's own strings
(near misses), and on random strings against patterns written to trip the construction.
"""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import pytest

from xinfang.config import get_config
from xinfang.normalize.text import normalize_text
from xinfang.risk.evaluate import read_jsonl
from xinfang.risk.threat import (
    _required_strings,
    compile_lexicon,
    default_lexicon,
    detect_threat,
)
from xinfang_dev.labelled import GRIEVANCES, generate
from xinfang_dev.synth.variants import text_variant

ROOT = Path(__file__).resolve().parent.parent


def _sentences() -> list[str]:
    out = [i.text for i in generate(seed=7)] + list(GRIEVANCES)
    for path in (
        ROOT / "heldout" / "threat_sentences.jsonl",
        ROOT / "heldout" / "threat_tuning.jsonl",
        ROOT / "tests" / "acceptance" / "threat_corpus.jsonl",
    ):
        if path.exists():
            out += [i.text for i in read_jsonl(str(path))]
    return out


def _soup_pieces(lex) -> list[str]:
    """The lexicon's literal characters and strings: texts made of them come close to
    terms without always making one."""
    pieces = set()
    for _, pattern in lex.terms:
        pieces |= _required_strings(list(re._parser.parse(pattern.pattern))) or set()
        pieces |= set(re.findall(r"[\u4e00-\u9fff]{1,4}", pattern.pattern))
    return sorted(pieces)


def _corpus(lex, seed: int = 18) -> list[str]:
    rng = random.Random(seed)
    sentences = _sentences()
    texts: list[str] = []
    for s in sentences:
        variant, _ = text_variant(s, rng, p_trad=0.4, p_pinyin=0.3, p_full=0.5)
        texts += [s, variant, normalize_text(variant) or ""]
    for _ in range(4000):  # run together, cut at random places: terms across the join
        a, b = rng.choice(sentences), rng.choice(sentences)
        joined = a[rng.randrange(len(a) + 1) :] + rng.choice(["", "，", "。"]) + b
        texts.append(joined[: rng.randrange(1, len(joined) + 1)])
    pieces = _soup_pieces(lex)
    filler = "我的案子法院执行款一直没有到位，。了不会去"
    for _ in range(8000):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 6))]
        parts += [rng.choice(filler) for _ in range(rng.randint(0, 4))]
        rng.shuffle(parts)
        texts.append("".join(parts))
    return texts


@pytest.fixture(scope="module")
def lexicon():
    return default_lexicon()


@pytest.fixture(scope="module")
def corpus(lexicon):
    return _corpus(lexicon)


def test_the_default_lexicon_has_a_gate(lexicon):
    assert lexicon.gate is not None


def test_the_gate_passes_every_text_a_term_matches(lexicon, corpus):
    matched = turned_away = 0
    for text in corpus:
        hit = any(p.search(text) for _, p in lexicon.terms)
        passed = lexicon.gate.search(text) is not None
        assert passed or not hit, text
        matched += hit
        turned_away += not passed
    # the set exercises both sides: many texts with a term, many the gate turns away
    assert matched > 3000 and turned_away > 3000, (matched, turned_away, len(corpus))


def test_verdicts_with_and_without_the_gate_are_identical(lexicon, corpus):
    ungated = dataclasses.replace(lexicon, gate=None)
    hits = 0
    for text in corpus:
        with_gate = detect_threat(text, lexicon)
        assert with_gate == detect_threat(text, ungated), text
        hits += with_gate is not None
    assert hits > 1000


TRICKY = [
    "a(?:b|cd)?e",
    "(?:x|y){1,3}z",
    "a[^b]{0,2}c",
    "(?<=q)ab",
    "ab(?!c)",
    "(?:ab|a)c",
    "a+b",
    "[ab]c|d",
    "x.y",
    "(?:甲|乙)(?:了)?丙",
    "丙(?:甲|乙乙)?$",
    "^了甲",
    "q(?:[一二\\d]+)x",
    "(?:再不|不然)(?:(?!不会)[^。]){0,4}(?:甲|乙丙)",
    "e{2}",
    "(?P<n>z)q(?P=n)",
    "(?:a|b)(?:c|d)(?:e|x)(?:y|z)",
]


def _tricky_lexicon(patterns: list[str]):
    risk = dict(get_config().risk.threat)
    risk["threat_lexicon"] = {"violence": patterns}
    return compile_lexicon(risk)


def test_the_gate_is_sound_on_patterns_built_to_trip_it():
    lex = _tricky_lexicon(TRICKY)
    assert lex.gate is not None
    rng = random.Random(7)
    alphabet = "abcdexyzq甲乙丙了不会然再一2。"
    matched = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        hit = [p.pattern for _, p in lex.terms if p.search(text)]
        assert lex.gate.search(text) is not None or not hit, (text, hit)
        matched += bool(hit)
    assert matched > 2000


@pytest.mark.parametrize("pattern", ["(?i:ab)", "a?", "x*", "(?:a|)b?"])
def test_no_gate_when_a_term_has_no_required_string(pattern):
    """Case-insensitive or possibly empty: nothing a match must contain, so no gate."""
    assert _tricky_lexicon(["跳楼", pattern]).gate is None


def test_required_strings_prefer_longer_rarer_strings():
    def required(p: str) -> set[str] | None:
        return _required_strings(list(re._parser.parse(p)))

    assert required("跳楼") == {"跳楼"}
    assert required("命(?:不要了|都不要)") == {"命不要了", "命都不要"}
    # a run may cross a look-ahead: it consumes nothing
    assert required("进京(?!务工)") == {"进京"}
    assert required("(?:去|到)(?:北京|首都)") == {"去北京", "去首都", "到北京", "到首都"}
    assert required("[^，]{0,3}") is None
