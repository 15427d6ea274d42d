"""Threat screening quality on every labelled set: one command.

    .venv/bin/python bench/threat_quality.py

- ``generated``: the project's own labelled sentences (``xinfang_dev.labelled``, seed 7);
- ``heldout``: ``heldout/threat_sentences.jsonl``, 486 sentences written blind to the
  screen from DOMAIN.md and issue 15 (tuned on its error classes, never sentence by
  sentence);
- ``tuning``: ``heldout/threat_tuning.jsonl``, a second blind set by another hand (when present);
- ``acceptance``: ``tests/acceptance/threat_corpus.jsonl``, 181 sentences by a third
  hand, never tuned on.

Each sentence is normalized as intake normalizes ``content_normalized``, then screened by
``detect_threat``. Prints precision, recall, errors by category (missed threats) and by
trap (false alarms), and the machine. Targets (issue 15): precision and recall >= 0.97 on
the held-out set, >= 0.99 on the generated one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine

from xinfang.risk.evaluate import by_kind, evaluate, read_jsonl
from xinfang_dev.labelled import generate

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    print(f"machine: {machine()}")
    sets = {"generated": generate(seed=7)}
    for name, path in (
        ("heldout", ROOT / "heldout" / "threat_sentences.jsonl"),
        ("tuning", ROOT / "heldout" / "threat_tuning.jsonl"),
        ("acceptance", ROOT / "tests" / "acceptance" / "threat_corpus.jsonl"),
    ):
        if path.exists():
            sets[name] = read_jsonl(str(path))
    for name, items in sets.items():
        t0 = time.perf_counter()
        scores, errors = evaluate(items)
        took = time.perf_counter() - t0
        print(
            f"{name:<11} {scores.n:>4} sentences  precision {scores.precision:.4f}  "
            f"recall {scores.recall:.4f}  (tp {scores.tp}, fp {scores.fp}, fn {scores.fn}; "
            f"{took * 1000 / max(scores.n, 1):.2f} ms a sentence)"
        )
        print(f"            errors by kind: {by_kind(items, errors)}")


if __name__ == "__main__":
    main()
