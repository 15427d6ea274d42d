"""One dropped file read and parsed into checked rows, without the database.

This is the CPU side of intake: decoding, the readers, the channel's row parser
(normalizing), the row checks and the text a row's key is taken over. It needs no
connection, so the sweep's worker processes run it side by side (``xinfang.intake.pool``)
while one process writes the files in order (``xinfang.intake.loader``).

A file's rows come in chunks of ``chunk_rows`` data rows, numbered from 0. A large
file may be split into ``parts``: part ``k`` parses the chunks whose number is ``k``
modulo ``parts`` (every part reads the whole file, which is cheap next to parsing), and
the chunks of all parts put back in number order are exactly the chunks of the whole
file. The loader writes chunk by chunk, so the tables do not depend on the split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinfang.config import IntakeLimits
from xinfang.intake import checks, readers
from xinfang.intake.base import ChannelSpec, FileError, RowError
from xinfang.intake.encoding import decode_text
from xinfang.intake.rowkey import ITEM_FIELDS, values_text
from xinfang.masking import mask_text
from xinfang.schema import case_progress, intake_item

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass
class Chunk:
    """Up to ``chunk_rows`` consecutive data rows of a file, checked."""

    number: int
    good: list[dict[str, Any]] = field(default_factory=list)
    """Values of the target table's row, with ``source_row`` and ``raw``."""
    key_texts: list[str] | None = None
    """The row-key text of each good row (item channels; a progress row's key needs its
    case, found in the ledger)."""
    bad: list[dict[str, Any]] = field(default_factory=list)
    """``source_row``, ``reason`` (masked) and ``raw`` of each refused row."""


@dataclass
class ParsedFile:
    """What the loader writes for one file (or one part of it)."""

    size: int
    sha256: str
    encoding: str
    """The text encoding found, or the format (``xlsx``)."""
    chunks: Iterable[Chunk]
    """Lazy while the file is parsed where it is written; a list from a worker."""


def file_format(path: Path, spec: ChannelSpec) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or fmt not in spec.formats:
        accepted = ", ".join(f.upper() for f in spec.formats)
        raise FileError(
            f"the {spec.name} channel takes {accepted} files; {path.name!r} is not one of them"
        )
    return fmt


def open_rows(
    path: Path, data: bytes, fmt: str, limits: IntakeLimits
) -> tuple[list[str], Iterator, str | None]:
    """(folded header, rows, encoding) of a file; lines in no encoding come as row errors."""
    if fmt == "xlsx":
        header, rows = readers.read_xlsx(path, limits)
        return header, rows, None
    decoded = decode_text(data, limits, header=fmt != "jsonl")
    read = readers.read_jsonl if fmt == "jsonl" else readers.read_csv
    header, rows = read(decoded.text, limits, decoded.bad_lines)
    return header, rows, decoded.encoding


def map_header(header: list[str], spec: ChannelSpec) -> dict[str, str]:
    """Folded header text -> field name; FileError naming any missing required column."""
    wanted = {readers.fold_header(h): f for h, f in spec.columns.items()}
    mapping = {h: wanted[h] for h in header if h in wanted}
    missing = [
        h for h, f in spec.columns.items() if f in spec.required and f not in mapping.values()
    ]
    if missing:
        got = "、".join(h for h in header if h) or "nothing"
        raise FileError(
            f"missing required column(s) {'、'.join(missing)}; the header row has {got}. "
            "Fix the header row (first row) and drop the file again"
        )
    return mapping


def labels_of(spec: ChannelSpec) -> dict[str, str]:
    """Target column -> the header a clerk knows it by, for reasons."""
    labels = {name: header for header, name in spec.columns.items()}
    for column, source in (
        ("petitioner_name", "name"),
        ("name_key", "name"),
        ("case_type", "case_number"),
    ):
        if source in labels:
            labels[column] = labels[source]
    return labels


def parse_file(
    spec: ChannelSpec,
    path: Path,
    data: bytes,
    sha256: str,
    day: dt.date,
    limits: IntakeLimits,
    chunk_rows: int,
    part: int = 0,
    parts: int = 1,
) -> ParsedFile:
    """The file's header is read now (FileError: quarantine); its rows as they are iterated."""
    fmt = file_format(path, spec)
    header, rows, encoding = open_rows(path, data, fmt, limits)
    mapping = map_header(header, spec)
    chunks = _chunks(spec, mapping, rows, _Part(part, parts, chunk_rows), day, limits)
    return ParsedFile(len(data), sha256, encoding or fmt, chunks)


@dataclass(frozen=True)
class _Part:
    part: int
    parts: int
    chunk_rows: int

    def takes(self, index: int) -> bool:
        return self.parts == 1 or (index // self.chunk_rows) % self.parts == self.part


_EMPTY_ROW = "empty row: no values"


def _chunks(
    spec: ChannelSpec,
    mapping: dict[str, str],
    rows: Iterator,
    mine: _Part,
    day: dt.date,
    limits: IntakeLimits,
) -> Iterator[Chunk]:
    """This part's data rows read, parsed and checked, by chunk.

    Every data row but the blank ones at the end is placed, in order, so a row's index is
    its place in the file. Blank rows at the end of a sheet are formatting, not data; a
    blank row with data after it is an empty record and is rejected. A row is checked as
    typed (lengths), parsed by the channel, checked against the ledger's columns and dates,
    and, for an item, its row key's text taken; the first RowError is its reason.

    One loop does all of it (the hot path of intake: each Python step here is paid per row).
    """
    table = intake_item if spec.target == "item" else case_progress
    lengths, labels = checks.string_lengths(table), labels_of(spec)
    typed = checks.typed_limits(lengths)
    check_typed, check_values = checks.check_typed, checks.check_values
    control_character, is_blank, to_json = (
        checks.control_character,
        readers.is_blank,
        readers.to_json,
    )
    parse_row, keyed, chunk_rows = spec.parse_row, spec.target == "item", mine.chunk_rows
    field_of, columns = mapping.__getitem__, mapping.keys()
    takes = mine.takes
    pending_blank: list[tuple[int, int, str]] = []
    chunk = Chunk(-1)
    for index, (row_no, raw) in enumerate(rows):
        if is_blank(raw):
            if takes(index):
                pending_blank.append((index, row_no, to_json(raw)))
            continue
        for blank_index, blank_no, blank_json in pending_blank:
            if blank_index // chunk_rows != chunk.number:
                if chunk.number >= 0:
                    yield chunk
                chunk = Chunk(blank_index // chunk_rows, key_texts=[] if keyed else None)
            chunk.bad.append(
                {"source_row": blank_no, "reason": mask_text(_EMPTY_ROW), "raw": blank_json}
            )
        pending_blank.clear()
        if not takes(index):
            continue
        if index // chunk_rows != chunk.number:
            if chunk.number >= 0:
                yield chunk
            chunk = Chunk(index // chunk_rows, key_texts=[] if keyed else None)
        raw_json = to_json(raw)
        if "__error__" in raw:
            reason = raw["__error__"]
        elif (reason := control_character(raw)) is not None:
            raw_json = _ascii_json(raw_json)
        else:
            if raw.keys() <= columns:  # the usual row: every column is the channel's
                fields = dict(zip(map(field_of, raw), raw.values(), strict=True))
            else:
                fields = {mapping[k]: v for k, v in raw.items() if k in mapping}
            try:
                check_typed(fields, typed, labels)
                values = parse_row(fields)
                check_values(values, lengths, labels, limits, day)
            except RowError as exc:
                reason = str(exc)
            else:
                values["source_row"] = row_no
                values["raw"] = raw_json
                chunk.good.append(values)
                if keyed:
                    chunk.key_texts.append(values_text(values, ITEM_FIELDS))  # type: ignore[union-attr]
                continue
        chunk.bad.append({"source_row": row_no, "reason": mask_text(reason), "raw": raw_json})
    if chunk.number >= 0:
        yield chunk


def _ascii_json(raw_json: str) -> str:
    """The raw record with every non-ASCII character escaped (a lone surrogate cannot be
    stored as text; the escape keeps what came)."""
    return raw_json.encode("ascii", "backslashreplace").decode("ascii")
