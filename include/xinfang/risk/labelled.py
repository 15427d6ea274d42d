"""A labelled sentence: what the threat rule is scored on (``xinfang.risk.evaluate``).

A court's own labelled file is read into these; the generated set of templated
sentences is a development tool (``xinfang_dev.labelled``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labelled:
    text: str
    is_threat: bool
    kind: str
    form: str = "simplified"
