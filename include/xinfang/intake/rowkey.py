"""Row fingerprints: how a row dropped again, in another file, is recognised.

A clerk who fixes one row of a file and drops the whole file again (renamed,
re-saved with CRLF, as GBK or as XLSX) must not load the other rows twice. The
key is taken over a row's *normalized* values (canonical ID, phone, 案号, dates,
simplified text), so the same row reads the same in every encoding and format.
Two equal rows within one file stay two items: the n-th occurrence of a key in a
file gets the n-th key, so a file dropped again matches its own rows one to one.

A progress row's key takes the office's workflow columns (受理日期 … 督办期限, migration
0004) only when the row gives one of them: a corrected 满意度 or 受理日期 makes a new
row, and the key of every row without them (all rows loaded before 0004) is what it
was. Migration 0006 re-keyed the rows loaded earlier that give one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Mapping
from typing import Any

from xinfang.schema import WORKFLOW_COLUMNS

ITEM_FIELDS: tuple[str, ...] = (
    "channel",
    "external_id",
    "received_at",
    "petitioner_name",
    "id_number",
    "phone",
    "address",
    "case_number",
    "court_name",
    "group_size",
    "co_petitioners",
    "handler",
    "referral_unit",
    "due_on",
    "content_normalized",
)
"""The ``intake_item`` values that make a row what it is (not the file it came in)."""

PROGRESS_FIELDS: tuple[str, ...] = (
    "case_id",
    "progress_date",
    "note",
    "status",
    "disposition",
    "court_code",
    "department",
    "judge",
    "leader",
    "is_key",
    "hearing_date",
)
"""The ``case_progress`` values that make a progress row what it is (frozen: migration
0002 keys the rows of an 0001 ledger with it)."""

WORKFLOW_FIELDS: tuple[str, ...] = WORKFLOW_COLUMNS
"""A progress row's workflow values (docs/progress.md): part of its key when it gives one."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:  # nearly every value: no further type tests
        return " ".join(value.split())
    if isinstance(value, dt.datetime):
        if type(value) is dt.datetime and not value.microsecond:
            return value.isoformat(sep=" ")  # as below, without replace() (1 µs)
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return " ".join(str(value).split())


def values_text(values: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    """The text a row's key is taken over (before its occurrence number in the file)."""
    # The text values (nearly all) written inline: a call per value cost more than the work.
    return "\x1f".join(
        [
            " ".join(v.split()) if type(v) is str else "" if v is None else _text(v)
            for v in map(values.get, fields)
        ]
    )


def key_text(
    values: Mapping[str, Any], fields: tuple[str, ...], optional: tuple[str, ...] = ()
) -> str:
    """``values_text`` of ``fields``, then of ``optional`` only when one of them has a
    value: fields added as optional leave the keys of rows without them as they were."""
    text = values_text(values, fields)
    if optional:
        extra = values_text(values, optional)
        if extra.strip("\x1f"):
            return f"{text}\x1f{extra}"
    return text


def _hash(values_text: str, occurrence: int) -> str:
    text = f"{values_text}\x1e{occurrence}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def row_key(
    values: Mapping[str, Any],
    fields: tuple[str, ...],
    occurrence: int = 1,
    optional: tuple[str, ...] = (),
) -> str:
    """32 hex characters over ``fields`` (and ``optional``, when one is given) of
    ``values`` and the occurrence number."""
    return _hash(key_text(values, fields, optional), occurrence)


class FileKeys:
    """Hands out row keys for one file, numbering repeated rows within it."""

    def __init__(self, fields: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        self.fields, self.optional = fields, optional
        self._seen: Counter[str] = Counter()

    def key(self, values: Mapping[str, Any]) -> str:
        return self.key_of_text(key_text(values, self.fields, self.optional))

    def key_of_text(self, text: str) -> str:
        """The key of the next row whose ``values_text`` is ``text`` (rows in file order)."""
        seen = self._seen
        seen[text] = occurrence = seen[text] + 1
        return _hash(text, occurrence)


_values_text = values_text
"""The former private name (tests compare it with the per-value rule)."""
