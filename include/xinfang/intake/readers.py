"""Readers for the channel file formats, each yielding (row number, {header: value}).

Row numbers are 1-based data rows (the header is row 0); for JSON Lines the
line number. Headers are returned folded (NFKC, spaces removed) so a header
typed with full-width characters or stray spaces still matches the contract.

Hostile or damaged input never escapes as an exception: a row that cannot be
read is yielded as ``{"__error__": reason, ...raw values}`` (the loader refuses
it, the rest of the file loads), a file that cannot be read at all raises
:class:`FileError` (quarantined). Limits come from ``intake:`` in the config.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import posixpath
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError, XMLPullParser
from xml.sax.saxutils import unescape

import orjson

from xinfang.config import intake_limits
from xinfang.intake.base import FileError

RawRow = dict[str, Any]

MAX_RECORD_LINES = 1000
"""A CSV record (quoted line breaks) spanning more physical lines is an unclosed quote."""
_RAW_KEEP = 2000
"""Characters of an over-long line kept in the reject's raw column."""


def check_size(size_bytes: int, limits=None) -> None:
    """FileError for a file past ``intake.max_file_bytes``; call before reading it."""
    limits = intake_limits(limits)
    if size_bytes > limits.max_file_bytes:
        raise FileError(
            f"the file is {size_bytes:,} bytes, more than the limit of "
            f"{limits.max_file_bytes:,} (intake.max_file_bytes); split it and drop the parts"
        )


def fold_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(text.split()).strip("\ufeff")


def sniff_delimiter(first_line: str) -> str:
    """Comma, or TAB for Excel's "Unicode text" export, or semicolon."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- CSV -------------------------------------------------------------------------------


def _raise_field_limit(max_chars: int) -> None:
    """The csv module raises past 128 KB a field, which would stop the whole file; records are
    measured here instead, so the module's limit only bounds the memory of a runaway field."""
    if csv.field_size_limit() < max_chars + 1:
        csv.field_size_limit(max_chars + 1)


def _physical_lines(text: str, bad: Mapping[int, str]) -> dict[int, str]:
    """Bad ``\\n``-lines renumbered as the csv module counts lines (a lone CR also ends one)."""
    if not bad or "\r" not in text:
        return dict(bad)
    out: dict[int, str] = {}
    shift = 0
    for i, piece in enumerate(text.split("\n"), start=1):
        extra = piece.count("\r") - piece.endswith("\r")
        if i in bad:
            for k in range(extra + 1):
                out[i + shift + k] = bad[i]
        shift += extra
    return out


def _cut(value: str) -> str:
    return value if len(value) <= _RAW_KEEP else value[:_RAW_KEEP] + "…"


class _CsvRows:
    """The data records of one CSV text; see :func:`read_csv`."""

    def __init__(self, text: str, limits, bad: Mapping[int, str]) -> None:
        self.text = text
        self.max_chars = limits.max_line_chars
        self.bad = _physical_lines(text, bad)
        cut = text.find("\n", 0, 1 << 16)
        self.delimiter = sniff_delimiter(text[: cut if cut >= 0 else 1 << 16])
        self.buf = io.StringIO(text, newline="")
        self.reader = csv.reader(self.buf, delimiter=self.delimiter)
        try:
            header_row = next(self.reader)
        except StopIteration:
            raise FileError("the file is empty: no header row") from None
        except csv.Error as exc:
            raise FileError(f"the header row cannot be read as CSV: {exc}") from exc
        lines = self.reader.line_num
        if lines > MAX_RECORD_LINES or self.buf.tell() > self.max_chars:
            raise FileError(
                f"the header row runs over {lines:,} lines and {self.buf.tell():,} characters: "
                'an unclosed quote (") in the first line, or not a CSV file'
            )
        if bad_header := [n for n in range(1, lines + 1) if n in self.bad]:
            raise FileError(f"the header row (line {bad_header[0]}) cannot be decoded")
        self.header = [fold_header(h) for h in header_row]
        self.width = len(self.header)
        self.named = all(self.header)

    def __iter__(self) -> Iterator[tuple[int, RawRow]]:
        header, width, max_chars, bad = self.header, self.width, self.max_chars, self.bad
        # Every header cell named: a row as wide as the header zips straight into a dict.
        fast_width = width if all(header) else -1
        buf = self.buf
        tell = buf.tell
        reader = self.reader
        base = 0  # physical lines read before the current csv reader started
        last = reader.line_num  # the physical line the previous record ended on
        start = tell()
        row_no = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a runaway field past the module's limit
                row_no += 1
                why = f"within {max_chars:,} characters (intake.max_line_chars; {exc})"
                yield row_no, self._refuse_line(last + 1, start, why)
                reader, base, last, start = self._resume(last + 1)
                continue
            row_no += 1
            end = tell()
            line = base + reader.line_num
            if (
                len(values) == fast_width
                and end - start <= max_chars
                and not bad
                and (
                    line == last + 1
                    # a line break typed in a value (quoted): one record over a few lines
                    or (
                        line - last <= MAX_RECORD_LINES
                        and not self._swallows(start, end, line - last)
                    )
                )
            ):
                yield row_no, dict(zip(header, [v.strip() for v in values], strict=False))
            else:
                row, resume = self._slow(values, last + 1, line, start, end)
                yield row_no, row
                if resume:
                    reader, base, last, start = self._resume(last + 1)
                    continue
            last, start = line, end

    def _resume(self, line: int) -> tuple[Any, int, int, int]:
        """Parsing starts again at the line after ``line`` (whose start ``_refuse_line`` sought)."""
        reader = csv.reader(self.buf, delimiter=self.delimiter)
        return reader, line, line, self.buf.tell()

    def _first_line(self, start: int) -> str:
        self.buf.seek(start)
        return self.buf.readline()

    def _refuse_line(self, line: int, start: int, quote: str | None) -> RawRow:
        """The record's first physical line alone, refused (too long, or a quote opened in it is
        not closed ``quote``); the buffer is left after it."""
        text = self._first_line(start)
        length = len(text.rstrip("\r\n"))
        if length > self.max_chars:
            reason = (
                f"line {line}: {length:,} characters, more than the limit of "
                f"{self.max_chars:,} (intake.max_line_chars)"
            )
        else:
            reason = (
                f'line {line}: a quote (") opened in this line is not closed {quote}; the line '
                f"is refused and reading goes on at line {line + 1}"
            )
        if length > self.max_chars:
            return {"__error__": reason, "__line__": _cut(text)}
        values = next(
            csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter, quoting=csv.QUOTE_NONE), []
        )
        return {"__error__": reason, **_zip(self.header, [_cut(v) for v in values])}

    def _slow(
        self, values: list[str], first: int, line: int, start: int, end: int
    ) -> tuple[RawRow, bool]:
        """(row, whether to resume parsing after the record's first line)."""
        n_lines = line - first + 1
        chars = end - start
        if chars > self.max_chars or n_lines > MAX_RECORD_LINES:
            if n_lines == 1:
                return self._refuse_line(first, start, None), True
            why = f"before line {line} ({n_lines:,} lines, {chars:,} characters)"
            return self._refuse_line(first, start, why), True
        if n_lines > 1 and end == len(self.text) and self.text.count('"', start, end) % 2:
            why = f"by the end of the file ({n_lines:,} lines)"
            return self._refuse_line(first, start, why), True
        where = f"line {first}" if n_lines == 1 else f"lines {first}–{line}"
        if self.bad and (hit := next((k for k in range(first, line + 1) if k in self.bad), 0)):
            return {"__error__": f"line {hit}: {self.bad[hit]}", **_zip(self.header, values)}, False
        width, n = self.width, len(values)
        mismatch = n != width and any(v.strip() for v in values)
        if mismatch and n > width and not any(v.strip() for v in values[width:]):
            values, mismatch = values[:width], False  # trailing empty fields: formatting
        if n_lines > 1 and self._stray_quote(start, end, n_lines, mismatch):
            why = f"before line {line} ({n_lines:,} lines)"
            return self._refuse_line(first, start, why), True
        if mismatch:
            hint = (
                "a value or a delimiter is missing"
                if n < width
                else f"a value holds an unquoted delimiter {self.delimiter!r}?"
            )
            fields = "field" if n == 1 else "fields"
            reason = f"{where}: {n} {fields}, the header has {width} ({hint})"
            return {"__error__": reason, **_zip(self.header, values)}, False
        if self.named and len(values) == width:
            return dict(zip(self.header, [v.strip() for v in values], strict=False)), False
        return _zip(self.header, values), False

    def _full_row(self, text: str) -> bool:
        """Whether one physical line, quotes taken literally, has the header's field count."""
        values = next(
            csv.reader([text.rstrip("\r\n")], delimiter=self.delimiter, quoting=csv.QUOTE_NONE),
            [],
        )
        n = len(values)
        return n == self.width or (
            n > self.width and not any(v.strip() for v in values[self.width :])
        )

    def _swallows(self, start: int, end: int, n_lines: int) -> bool:
        """Whether a record over several lines, as wide as the header, is a stray quote that
        ran to the end of the file or over whole rows."""
        if end == len(self.text) and self.text.count('"', start, end) % 2:
            return True
        return self._stray_quote(start, end, n_lines, False)

    def _stray_quote(self, start: int, end: int, n_lines: int, mismatch: bool) -> bool:
        """Whether a record over several lines is a stray quote swallowing rows: its first line
        is a row of its own, and either the record's field count is wrong or another of its
        lines is a row of its own too (a line break typed in a value is rarely one).

        The buffer is left at ``end`` when not."""
        if not mismatch:
            # Cheap test first: a line break typed in a value is followed by prose, rarely by
            # as many delimiters as a row has.
            need, d = self.width - 1, self.delimiter
            if self.text.count(d, start, end) < 2 * need:
                return False  # no room for a row besides the record's own delimiters
            tail = self.text[start:end].split("\n")[1:]
            if not any(piece.count(d) >= need for piece in tail):
                return False
        self.buf.seek(start)
        stray = self._full_row(self.buf.readline()) and (
            mismatch or any(self._full_row(self.buf.readline()) for _ in range(n_lines - 1))
        )
        if not stray:
            self.buf.seek(end)
        return stray


def read_csv(
    text: str, limits=None, bad_lines: Mapping[int, str] | None = None
) -> tuple[list[str], Iterator[tuple[int, RawRow]]]:
    """(folded header, rows). ``bad_lines`` (line number -> reason, from
    :func:`xinfang.intake.encoding.decode_text`) are refused as rows.

    A record whose field count differs from the header's (trailing empty fields aside), or
    longer than ``intake.max_line_chars``, is a row error naming its line; an unclosed quote
    running on for more than ``MAX_RECORD_LINES`` lines (or to the end of the file) refuses
    the line it opened on and reading goes on with the next line.
    """
    limits = intake_limits(limits)
    bad_lines = bad_lines or {}
    _raise_field_limit(limits.max_line_chars)
    records = _CsvRows(text, limits, bad_lines)
    return records.header, iter(records)


# --- XLSX ------------------------------------------------------------------------------

_FATAL = (KeyboardInterrupt, SystemExit, GeneratorExit)
_MAX_RATIO = 500
"""A part unpacking to more than this many times its packed size is a zip bomb (Excel's
own XML packs 5-20 times; deflate cannot exceed about 1,030)."""
_RATIO_FROM_BYTES = 1 << 20
_MAX_CARRY = 4 << 20
"""A sheet's XML may not run this long without a tag (Excel caps a cell at 32,767 chars)."""
_OUT = 1 << 20
_SMALL_PART = 16 << 20
"""workbook.xml and its relationships: a few KB in any real workbook."""
_ATTRS = rb"""(?:[^>"']|"[^"]*"|'[^']*')*?"""
_DIMENSION = re.compile(
    rb"<(?:[\w.-]+:)?dimension(?=\s)" + _ATTRS + rb"""\sref\s*=\s*["']\s*([^"']*)"""
)
_ROW_REF = re.compile(rb"<(?:[\w.-]+:)?row(?=\s)" + _ATTRS + rb"""\sr\s*=\s*["']\s*(\d+)""")
_CELL_COL = re.compile(rb"<(?:[\w.-]+:)?c(?=\s)" + _ATTRS + rb"""\sr\s*=\s*["']\s*\$?([A-Za-z]+)""")
_CELL_NO_REF = re.compile(rb"<(?:[\w.-]+:)?c(?:/?>|(?=\s)(?!" + _ATTRS + rb"""\sr\s*=)""" + rb")")
_CELL_REF = re.compile(r"\$?([A-Za-z]+)\$?(\d+)")


def _col_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode().upper():
        n = n * 26 + ord(ch) - 64
    return n


def _not_zip(detail: str) -> FileError:
    return FileError(
        f"not an XLSX workbook: {detail}; an XLSX file is a zip archive (an old .xls, or "
        "another file renamed?): save it again as .xlsx or CSV and re-drop it"
    )


class _Workbook:
    """The workbook as a zip, read with bounded memory, trusting none of its declared sizes."""

    def __init__(self, path: Path, limits) -> None:
        self.limits = limits
        try:
            check_size(path.stat().st_size, limits)
            self.zip = zipfile.ZipFile(path)
        except FileError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise _not_zip(f"it cannot be opened as a zip archive ({exc})") from exc
        self.fp = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.unpacked = 0
        self.counted: dict[str, int] = {}

    def close(self) -> None:
        self.zip.close()
        self.fp.close()

    def check_declared(self) -> list[zipfile.ZipInfo]:
        limit = self.limits.max_unpacked_bytes
        infos = self.zip.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > limit:
            raise FileError(
                f"the workbook unpacks to {declared:,} bytes, more than the limit of {limit:,} "
                "(intake.max_unpacked_bytes): a zip bomb or an oversized workbook"
            )
        for info in infos:
            if info.file_size > _RATIO_FROM_BYTES and info.file_size > _MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise FileError(
                    f"the workbook's part {info.filename!r} unpacks to "
                    f"{info.file_size / max(info.compress_size, 1):,.0f} times its packed size "
                    f"(more than {_MAX_RATIO}): a zip bomb"
                )
        return infos

    def stream(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part's bytes as unpacked, never more than it declares (nor than the limit)."""
        if info.flag_bits & 0x1:
            raise FileError(f"the workbook's part {info.filename!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileError(
                f"the workbook's part {info.filename!r} uses compression method "
                f"{info.compress_type}, not one Excel writes"
            )
        fp = self.fp
        fp.seek(info.header_offset)
        local = fp.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise FileError(f"the workbook is damaged: part {info.filename!r} cannot be found")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        inflate = (
            zlib.decompressobj(-zlib.MAX_WBITS)
            if info.compress_type == zipfile.ZIP_DEFLATED
            else None
        )
        left, size = info.compress_size, 0
        limit = self.limits.max_unpacked_bytes
        # A part read twice counts once.
        self.unpacked -= self.counted.get(info.filename, 0)
        self.counted[info.filename] = 0
        while left > 0 or (inflate is not None and inflate.unconsumed_tail):
            if inflate is not None and inflate.unconsumed_tail:
                out = inflate.decompress(inflate.unconsumed_tail, _OUT)
            else:
                packed = fp.read(min(left, _OUT))
                if not packed:
                    raise FileError(f"the workbook is damaged: part {info.filename!r} is cut short")
                left -= len(packed)
                try:
                    out = inflate.decompress(packed, _OUT) if inflate is not None else packed
                except zlib.error as exc:
                    raise FileError(
                        f"the workbook is damaged: part {info.filename!r} ({exc})"
                    ) from exc
            size += len(out)
            self.unpacked += len(out)
            self.counted[info.filename] = size
            if size > info.file_size:
                raise FileError(
                    f"the workbook's part {info.filename!r} unpacks to more than the "
                    f"{info.file_size:,} bytes it declares: a damaged file or a zip bomb"
                )
            if self.unpacked > limit:
                raise FileError(
                    f"the workbook unpacks to more than {limit:,} bytes "
                    "(intake.max_unpacked_bytes): a zip bomb or an oversized workbook"
                )
            if out:
                yield out

    def read_small(self, name: str) -> bytes:
        info = self._info(name)
        if info is None:
            raise _not_zip(f"the archive has no {name}")
        if info.file_size > _SMALL_PART:
            raise FileError(f"the workbook's {name} is {info.file_size:,} bytes: not a workbook")
        return b"".join(self.stream(info))

    def _info(self, name: str) -> zipfile.ZipInfo | None:
        try:
            return self.zip.getinfo(name)
        except KeyError:
            return None

    def first_sheet(self) -> zipfile.ZipInfo:
        """The part of the workbook's first <sheet> (the sheet calamine reads as index 0)."""
        workbook = self.read_small("xl/workbook.xml")
        sheet = re.search(rb"<(?:[\w.-]+:)?sheet(?=\s)(" + _ATTRS + rb")/?>", workbook)
        if sheet is None:
            raise FileError("the XLSX workbook has no sheet")
        rid = re.search(rb"""\s[\w.-]+:id\s*=\s*["']([^"']*)""", sheet.group(1))
        if rid is None:
            raise FileError("the workbook is damaged: its first sheet names no part")
        rels = self.read_small("xl/_rels/workbook.xml.rels")
        target = None
        for rel in re.finditer(rb"<(?:[\w.-]+:)?Relationship(?=\s)(" + _ATTRS + rb")/?>", rels):
            attrs = dict(re.findall(rb"""\s([\w.:-]+)\s*=\s*["']([^"']*)""", rel.group(1)))
            if attrs.get(b"Id") == rid.group(1):
                target = attrs.get(b"Target")
                break
        if target is None:
            raise FileError("the workbook is damaged: its first sheet's part is not listed")
        name = unescape(target.decode("utf-8", "replace"))
        name = name[1:] if name.startswith("/") else posixpath.join("xl", name)
        name = posixpath.normpath(name)
        info = self._info(name)
        if info is None:
            raise FileError(f"the workbook is damaged: its first sheet's part {name!r} is missing")
        return info


def _col_key(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters.upper()


@functools.cache
def _fast_cells(letters: int) -> re.Pattern[bytes]:
    """A cell whose reference has more than ``letters`` letters, or a cell tag in any other
    shape than Excel's ``<c r="...``: either sends the piece to the exact scan."""
    return re.compile(rb'<c(?: r="[A-Za-z]{%d}|(?! r=")(?=[\s/>]))' % (letters + 1))


_FAST_ROWS = re.compile(rb'<row(?: r="(\d+)"|(?=[\s/>]))')
_PREFIXED = re.compile(rb":(?:c|row)(?=[\s/>])")


class _SheetScan:
    """The extent a sheet's XML declares (<dimension>) and uses (row and cell references).

    Pieces written as Excel writes them (``<row r="7"``, ``<c r="H7"``, no namespace prefix)
    take three C-speed passes: the row numbers, a search for a cell with a longer column
    than seen so far (or in another shape), a search for a prefixed tag. Any other piece gets
    the exact scan (attributes in any order and quoting, prefixes, cells without reference).
    """

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact
        self.dim_rows = self.dim_cols = self.rows = 0
        self.dim_done = False
        self.best_col = b""
        self.letters = 1
        """Fast pieces hold no column reference longer than this."""
        self.fast = False
        """Whether some piece took the fast path (its columns bounded by ``letters``, not known)."""
        self.no_ref = False

    def feed(self, data: bytes, a: int, b: int) -> None:
        """Scan ``data[a:b]``, which starts at a tag and ends before one."""
        if not self.dim_done:
            self._dimension(data, a, b)
        if not self.exact:
            found = _FAST_ROWS.findall(data, a, b)
            if not (
                b"" in found
                or _fast_cells(self.letters).search(data, a, b)
                or _PREFIXED.search(data, a, b)
            ):
                if found:
                    self.rows = max(self.rows, *map(int, found))
                self.fast = True
                return
        found = _ROW_REF.findall(data, a, b)
        if found:
            self.rows = max(self.rows, *map(int, found))
        letters = set(_CELL_COL.findall(data, a, b))
        if letters:
            top = max(letters, key=_col_key)
            if _col_key(top) > _col_key(self.best_col):
                self.best_col = top
            self.letters = max(self.letters, len(top))
        if not self.no_ref and _CELL_NO_REF.search(data, a, b):
            self.no_ref = True

    def _dimension(self, data: bytes, a: int, b: int) -> None:
        end = data.find(b"sheetData", a, b)
        if end >= 0:
            self.dim_done = True  # <dimension> comes before the cells or not at all
            b = end
        m = _DIMENSION.search(data, a, b)
        if m is None:
            return
        self.dim_done = True
        for ref in m.group(1).decode("ascii", "replace").split(":"):
            if cell := _CELL_REF.fullmatch(ref.strip()):
                self.dim_cols = max(self.dim_cols, _col_number(cell.group(1)))
                self.dim_rows = max(self.dim_rows, int(cell.group(2)))

    @property
    def cols(self) -> int:
        """Columns used: exact, or an upper bound when fast pieces were only bounded."""
        cols = _col_number(self.best_col) if self.best_col else 0
        return max(cols, _col_number(b"Z" * self.letters)) if self.fast else cols


def _scan_sheet(book: _Workbook, info: zipfile.ZipInfo, exact: bool = False) -> _SheetScan:
    """Stream the sheet part through a :class:`_SheetScan`, cut at tag starts without
    copying the 1 MB pieces (only the few bytes of a tag split between two pieces)."""
    scan = _SheetScan(exact)
    carry = b""
    for piece in book.stream(info):
        first = piece.find(b"<")
        if first < 0:
            carry += piece
            if len(carry) > _MAX_CARRY:
                raise FileError(
                    f"the first sheet's XML runs {len(carry):,} bytes without a tag: "
                    "not a worksheet"
                )
            continue
        seam = carry + piece[:first]
        scan.feed(seam, 0, len(seam))
        last = piece.rfind(b"<")
        scan.feed(piece, first, last)
        carry = piece[last:]
    if carry:
        scan.feed(carry, 0, len(carry))
    return scan


def _positional_extent(book: _Workbook, info: zipfile.ZipInfo, max_cells: int) -> tuple[int, int]:
    """(rows, columns) as a reader places cells without a reference: one after the other."""
    parser = XMLPullParser(events=("start", "end"))
    row = col = rows = cols = 0
    container = None
    try:
        for piece in book.stream(info):
            parser.feed(piece)
            for event, elem in parser.read_events():
                tag = elem.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag == "row":
                        r = elem.get("r")
                        row = int(r) if r and r.isdigit() else row + 1
                        col = 0
                    elif tag == "c":
                        ref = _CELL_REF.fullmatch(elem.get("r") or "")
                        if ref:
                            col = _col_number(ref.group(1))
                            row = max(row, int(ref.group(2)))
                        else:
                            col += 1
                        rows, cols = max(rows, row), max(cols, col)
                    elif tag == "sheetData":
                        container = elem
                elif tag == "row" and container is not None:
                    container.clear()
            if rows * cols > max_cells:
                break
    except ParseError as exc:
        raise FileError(f"the first sheet is not well-formed XML ({exc})") from exc
    return rows, cols


def inspect_xlsx(path: Path, limits=None) -> None:
    """FileError unless ``path`` is a zip that unpacks within ``intake.max_unpacked_bytes``
    (no part unpacking absurdly more than it packs, none more than it declares) and whose
    first sheet declares and uses at most ``intake.max_sheet_cells`` cells (rows x columns).

    calamine allocates the sheet's whole used range: one cell at XFD1048576 in a 2 KB file
    asks for 512 GiB and aborts the process. Every part is inflated once here, in 1 MB
    pieces, so sizes a hostile header understates are found too.
    """
    limits = intake_limits(limits)
    book = _Workbook(path, limits)
    try:
        infos = book.check_declared()
        sheet = book.first_sheet()
        max_cells = limits.max_sheet_cells
        scan = _scan_sheet(book, sheet)
        if scan.dim_rows * scan.dim_cols > max_cells:
            raise _too_big("declares", scan.dim_rows, scan.dim_cols, max_cells)
        if scan.rows * scan.cols > max_cells and scan.fast:
            scan = _scan_sheet(book, sheet, exact=True)  # the bound was not enough: count
        rows, cols = scan.rows, scan.cols
        if rows * cols > max_cells:
            raise _too_big("uses", rows, cols, max_cells)
        if scan.no_ref:
            r, c = _positional_extent(book, sheet, max_cells)
            if max(r, rows) * max(c, cols) > max_cells:
                raise _too_big("uses", max(r, rows), max(c, cols), max_cells)
        for info in infos:
            if info is not sheet:
                for _ in book.stream(info):
                    pass
    except FileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise FileError(f"the XLSX workbook is damaged ({type(exc).__name__}: {exc})") from exc
    finally:
        book.close()


def _too_big(verb: str, rows: int, cols: int, max_cells: int) -> FileError:
    return FileError(
        f"the first sheet {verb} {rows:,} rows × {cols:,} columns, more than the limit of "
        f"{max_cells:,} cells (intake.max_sheet_cells); a damaged or hostile workbook, or save "
        "the data rows alone in a new workbook"
    )


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e6:
        # Long digit strings typed into a number cell (IDs, phones) come back as floats.
        return str(int(value))
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1_000_000:
        return str(value)
    return value


def _calamine_error(exc: BaseException, where: str) -> FileError:
    # pyo3's PanicException derives from BaseException: a Rust panic is a damaged file too.
    return FileError(f"the XLSX workbook cannot be read {where} ({type(exc).__name__}: {exc})")


def read_xlsx(path: Path, limits=None) -> tuple[list[str], Iterator[tuple[int, RawRow]]]:
    """The first sheet of a workbook, date cells as dates, after :func:`inspect_xlsx`.

    Read with calamine (Rust): openpyxl's read-only mode costs ~290 µs a row, calamine ~12.
    """
    from python_calamine import CalamineWorkbook

    inspect_xlsx(path, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0) if workbook.sheet_names else None
        if sheet is None:
            raise FileError("the XLSX workbook has no sheet")
        values = sheet.iter_rows()
        header_row = next(values, None)
    except FileError:
        raise
    except BaseException as exc:
        if isinstance(exc, _FATAL):
            raise
        raise _calamine_error(exc, "at all") from exc
    if header_row is None:
        raise FileError("the first sheet is empty: no header row")
    header = [fold_header(h) for h in header_row]
    # Every header cell named: a row no wider than the header zips straight into a dict.
    width = len(header) if all(header) else -1

    def rows() -> Iterator[tuple[int, RawRow]]:
        row_no = 0
        try:
            for row_no, row in enumerate(values, start=1):
                if len(row) <= width:  # as _zip: text stripped, numbers through _cell
                    cells = [v.strip() if type(v) is str else _cell(v) for v in row]
                    yield row_no, dict(zip(header, cells, strict=False))
                else:
                    yield row_no, _zip(header, [_cell(v) for v in row])
        except BaseException as exc:
            if isinstance(exc, _FATAL):
                raise
            raise _calamine_error(exc, f"after data row {row_no}") from exc

    return header, rows()


# --- JSON Lines ------------------------------------------------------------------------

_MAX_DEPTH = 64
"""A JSON line nested deeper than this is refused (the standard parser recurses)."""


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of ``value``, stopping once past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _parse_line(line: str) -> tuple[Any, str | None]:
    """(object, None) or (None, why the line is refused); never raises."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        # What orjson refuses (NaN, integers beyond 64 bits, lone surrogates, malformed
        # lines) goes to the standard library, whose verdict and message stand.
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            return None, f"is not JSON: {exc.msg}"
        except RecursionError:
            return None, f"is nested deeper than {_MAX_DEPTH} levels"
        except ValueError as exc:  # an integer of more than 4,300 digits
            return None, f"is not JSON this reader accepts: {exc}"
        try:
            _ENCODE(obj).encode("utf-8")
        except UnicodeEncodeError:
            return None, "holds an escaped lone surrogate (\\ud800-\\udfff): not Unicode text"
        except (RecursionError, ValueError) as exc:
            return None, f"is not JSON this reader accepts: {type(exc).__name__}"
    except RecursionError:
        return None, f"is nested deeper than {_MAX_DEPTH} levels"
    if (line.count("{") + line.count("[") > _MAX_DEPTH) and _depth(obj, _MAX_DEPTH) > _MAX_DEPTH:
        return None, f"is nested deeper than {_MAX_DEPTH} levels"
    return obj, None


def read_jsonl(
    text: str, limits=None, bad_lines: Mapping[int, str] | None = None
) -> tuple[list[str], Iterator[tuple[int, RawRow]]]:
    """(keys of the first object, folded, as the header; rows by line number).

    A line that is not a JSON object, is longer than ``intake.max_line_chars``, is nested
    absurdly deep, holds a lone surrogate, or is in ``bad_lines`` is a row error.
    """
    limits = intake_limits(limits)
    bad_lines = bad_lines or {}
    max_chars = limits.max_line_chars
    # Every line repeats the same keys: fold each distinct key once.
    folded: dict[str, str] = {}

    def fold(key: str) -> str:
        folded[key] = fold_header(key)
        return folded[key]

    def lines() -> Iterator[tuple[int, str]]:
        # Split on LF only: U+2028 and other separators str.splitlines() honours are valid
        # inside a JSON string.
        parts = text.split("\n")
        if parts and not parts[-1]:
            parts.pop()
        return enumerate(parts, start=1)

    def refuse(line_no: int, why: str, line: str) -> RawRow:
        return {"__error__": f"line {line_no} {why}", "__line__": _cut(line)}

    def rows() -> Iterator[tuple[int, RawRow]]:
        for line_no, line in lines():
            if len(line) > max_chars:
                why = f"has {len(line):,} characters, more than the limit of {max_chars:,} "
                yield line_no, refuse(line_no, why + "(intake.max_line_chars)", line)
                continue
            if bad_lines and line_no in bad_lines:
                yield line_no, refuse(line_no, f"holds {bad_lines[line_no]}", line)
                continue
            if not line.strip():
                yield line_no, {}
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            if type(obj) is dict and line.count("{") + line.count("[") <= _MAX_DEPTH:
                yield line_no, {folded.get(k) or fold(k): v for k, v in obj.items()}
                continue
            obj, why = _parse_line(line)  # the rare line: its verdict and reason
            if why is not None:
                yield line_no, refuse(line_no, why, line)
            elif not isinstance(obj, dict):
                yield line_no, refuse(line_no, "is not a JSON object", line)
            else:
                yield line_no, {folded.get(k) or fold(k): v for k, v in obj.items()}

    header: set[str] = set()
    # JSON Lines has no header: the keys of the first object stand in for it.
    for line_no, line in lines():
        if line.strip() and len(line) <= max_chars and line_no not in bad_lines:
            obj, why = _parse_line(line)
            if why is None and isinstance(obj, dict):
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


def to_json(row: RawRow) -> str:
    """The record as received, for the ``raw`` column (orjson: ~3x the standard encoder)."""
    try:
        return orjson.dumps(row, default=_json_default).decode()
    except TypeError:  # an integer beyond 64 bits, a non-text key
        return _ENCODE(row)
