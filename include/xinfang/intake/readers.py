"""Readers for the channel file formats, each yielding (row number, {header: value}).

Row numbers are 1-based data rows (the header is row 0); for JSON Lines the
line number. Headers are returned folded (NFKC, spaces removed) so a header
typed with full-width characters or stray spaces still matches the contract.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from xinfang.intake.base import FileError

RawRow = dict[str, Any]


def fold_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).strip("\ufeff")


def sniff_delimiter(first_line: str) -> str:
    """Comma, or TAB for Excel's "Unicode text" export, or semicolon."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(text: str) -> tuple[list[str], Iterator[tuple[int, RawRow]]]:
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        header_row = next(reader)
    except StopIteration:
        raise FileError("the file is empty: no header row") from None
    except csv.Error as exc:
        raise FileError(f"the header row cannot be read as CSV: {exc}") from exc
    header = [fold_header(h) for h in header_row]
    # Every header cell named: a row no longer than the header zips straight into a dict.
    width = len(header) if all(header) else -1

    def rows() -> Iterator[tuple[int, RawRow]]:
        row_no = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(f"data row {row_no + 1} cannot be read as CSV: {exc}") from exc
            row_no += 1
            if len(values) <= width:
                yield row_no, dict(zip(header, [v.strip() for v in values], strict=False))
            else:
                yield row_no, _zip(header, values)

    return header, rows()


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e6:
        # Long digit strings typed into a number cell (IDs, phones) come back as floats.
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1_000_000:
        return str(value)
    return value


def read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, RawRow]]]:
    """The first sheet of a workbook, date cells as dates.

    Read with calamine (Rust): openpyxl's read-only mode costs ~290 µs a row, calamine ~12.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0) if workbook.sheet_names else None
    except (CalamineError, OSError, ValueError) as exc:
        raise FileError(
            f"the XLSX workbook cannot be opened ({type(exc).__name__}: {exc})"
        ) from exc
    if sheet is None:
        raise FileError("the XLSX workbook has no sheet")
    values = sheet.iter_rows()
    try:
        header_row = next(values)
    except StopIteration:
        raise FileError("the first sheet is empty: no header row") from None
    header = [fold_header(h) for h in header_row]

    def rows() -> Iterator[tuple[int, RawRow]]:
        for row_no, row in enumerate(values, start=1):
            yield row_no, _zip(header, [_cell(v) for v in row])

    return header, rows()


def read_jsonl(text: str) -> tuple[list[str], Iterator[tuple[int, RawRow]]]:
    # Every line repeats the same keys: fold each distinct key once.
    folded: dict[str, str] = {}

    def fold(key: str) -> str:
        folded[key] = fold_header(key)
        return folded[key]

    def rows() -> Iterator[tuple[int, RawRow]]:
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                yield line_no, {}
                continue
            try:
                obj = _loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    line_no,
                    {"__error__": f"line {line_no} is not JSON: {exc.msg}", "__line__": line},
                )
                continue
            if not isinstance(obj, dict):
                yield (
                    line_no,
                    {"__error__": f"line {line_no} is not a JSON object", "__line__": line},
                )
                continue
            yield line_no, {folded.get(k) or fold(k): v for k, v in obj.items()}

    header: set[str] = set()
    # JSON Lines has no header: the keys of the first object stand in for it.
    for line in text.splitlines():
        if line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                header = {fold_header(k) for k in obj}
                break
    return sorted(header), rows()


def _zip(header: list[str], values: list[Any] | tuple[Any, ...]) -> RawRow:
    row: RawRow = {}
    for i, value in enumerate(values):
        key = header[i] if i < len(header) and header[i] else f"column_{i + 1}"
        if isinstance(value, str):
            value = value.strip()
        row[key] = value
    return row


def is_blank(row: RawRow) -> bool:
    for v in row.values():
        # ``isspace`` is true exactly when ``strip`` would leave nothing of a non-empty string.
        if v is not None and not (isinstance(v, str) and (not v or v.isspace())):
            return False
    return True


def _json_default(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


# ``json.dumps`` with options builds a new encoder for every call; one encoder serves all.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode


def _loads(line: str) -> Any:
    """``json.loads`` at orjson's speed (~3x); what orjson refuses (NaN, integers beyond
    64 bits, malformed lines) goes to the standard library, whose verdict and message stand."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def to_json(row: RawRow) -> str:
    """The record as received, for the ``raw`` column (orjson: ~3x the standard encoder)."""
    try:
        return orjson.dumps(row, default=_json_default).decode()
    except TypeError:  # an integer beyond 64 bits, a non-text key
        return _ENCODE(row)
