"""Precision and recall of the threat rule on the generated labelled set.

    python -m xinfang.risk.evaluate [--seed N] [--show-errors]
    python -m xinfang.risk.evaluate --file heldout/threat_sentences.jsonl

Sentences are normalized as intake normalizes ``content_normalized`` before screening.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from xinfang.risk.labelled import Labelled
from xinfang.risk.threat import detect_threat

_PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])\((?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]+)\)")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """The intake normalizer when it is installed, else the same three steps done here."""
    try:
        from xinfang.normalize.text import normalize_text
    except ImportError:
        text = unicodedata.normalize("NFKC", text)
        return _t2s().convert(_PINYIN.sub("", text))
    return normalize_text(text)


@dataclass(frozen=True)
class Scores:
    n: int
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def evaluate(items: list[Labelled]) -> tuple[Scores, list[tuple[Labelled, object]]]:
    """Scores of detect_threat on ``items`` and the misclassified ones with the verdict."""
    c: Counter[str] = Counter()
    errors: list[tuple[Labelled, object]] = []
    for item in items:
        hit = detect_threat(normalize(item.text))
        got = hit is not None
        key = ("t" if got == item.is_threat else "f") + ("p" if got else "n")
        c[key] += 1
        if got != item.is_threat:
            errors.append((item, hit))
    return Scores(len(items), c["tp"], c["fp"], c["fn"], c["tn"]), errors


def read_jsonl(path: str) -> list[Labelled]:
    """A labelled set written elsewhere (``heldout/threat_sentences.jsonl``, the acceptance
    corpus): one JSON object per line with ``text``, ``label`` ('threat'/'none'),
    ``category``, ``trap`` and ``script``; ``kind`` becomes category or trap."""
    import json

    items = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            threat = row["label"] == "threat"
            kind = (row.get("category") if threat else None) or row.get("trap") or "?"
            items.append(Labelled(row["text"], threat, kind, row.get("script") or "simplified"))
    return items


def by_kind(items: list[Labelled], errors: list[tuple[Labelled, object]]) -> dict[str, str]:
    """Errors per kind: 'missed of n' for threat categories, 'flagged of n' for traps."""
    wrong = Counter(i.kind for i, _ in errors)
    total = Counter(i.kind for i in items)
    return {k: f"{wrong[k]} of {n}" for k, n in sorted(total.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--file", help="a labelled JSON Lines set instead of the generated one")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)
    if args.file:
        items = read_jsonl(args.file)
    else:  # the generated set is a development tool, not installed on workers
        from xinfang_dev.labelled import generate

        items = generate(seed=args.seed)
    scores, errors = evaluate(items)
    kinds = Counter(i.kind for i in items)
    forms = Counter(i.form for i in items)
    print(f"labelled sentences: {scores.n} ({dict(kinds)}; forms {dict(forms)})")
    print(f"tp={scores.tp} fp={scores.fp} fn={scores.fn} tn={scores.tn}")
    print(f"precision={scores.precision:.4f} recall={scores.recall:.4f}")
    print(f"errors by kind: {by_kind(items, errors)}")
    if args.show_errors:
        for item, hit in errors:
            print(f"  {item.kind:9} {item.form:11} {item.text}  -> {hit}")
    return 0 if scores.precision >= 0.95 and scores.recall >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
