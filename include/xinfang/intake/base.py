"""What every channel declares: its columns, formats and how one row becomes an item."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal


class RowError(ValueError):
    """A row that cannot be used; the message is the reason a clerk reads."""


class FileError(ValueError):
    """A file that cannot be read at all; it goes to quarantine with this reason."""


Row = Mapping[str, Any]
"""One data row keyed by field name (after header mapping); values as read (str,
int, float, datetime from Excel cells, or None)."""


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    formats: tuple[str, ...]
    """Accepted file formats: 'csv', 'xlsx', 'jsonl'."""
    columns: Mapping[str, str]
    """Header text (as in docs/channels.md) -> field name."""
    required: tuple[str, ...]
    """Field names whose column must be present in the header."""
    parse_row: Callable[[Row], dict[str, Any]]
    """Row -> column values of the target table; raises RowError."""
    target: Literal["item", "progress"] = "item"
