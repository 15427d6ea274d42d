"""Text-file encoding detection: UTF-8 (BOM or not), UTF-16 (as Excel writes it), GB18030/GBK.

Detected, never configured. GB18030 is a superset of GBK and GB2312, so one
decoder covers all three. A file that reads whole in UTF-8 (or else GB18030) is
that; a file with a few lines in no encoding is decoded line by line (splitting
the bytes on ``\\n`` is safe in UTF-8 and GB18030: no multi-byte sequence holds
the byte 0x0A), in the encoding under which most lines decode, and the bad lines
are handed to the readers to refuse as rows with their line numbers. Only a file
that is mostly undecodable, or whose header line is, is quarantined.

UTF-16 is chosen only for a byte-order mark or for zero bytes that look like
UTF-16 (many, and nearly all in even or all in odd positions): one NUL byte in a
UTF-8 file is a bad value in one row, not a different encoding.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field

from xinfang.config import intake_limits
from xinfang.intake.base import FileError

_LABEL = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "gb18030": "GB18030",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
}
_SAMPLE = 1 << 16
"""Bytes looked at to tell UTF-16 without a byte-order mark."""
_CHUNK = 1 << 20
"""Bytes decoded at a time while counting bad lines: a clean chunk costs one decode."""
_MARK = "\ufdd0"
"""A noncharacter the UTF-16 error handler puts before the bytes it escapes, to find their lines."""


def _mark_errors(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return _MARK + "".join(f"\\x{b:02x}" for b in bad), exc.end


codecs.register_error("xinfang.mark", _mark_errors)


@dataclass(frozen=True)
class Decoded:
    text: str
    """The whole text, BOM removed; a bad line holds its bytes as ``\\xNN`` escapes."""
    encoding: str
    """Codec name: utf-8, utf-8-sig, gb18030, utf-16, utf-16-le, utf-16-be."""
    bad_lines: Mapping[int, str] = field(default_factory=dict)
    """1-based line number (lines split on ``\\n``) -> why it cannot be read."""


def _line_count(data: bytes | str, newline: bytes | str) -> int:
    """Lines as a reader counts them: ended by LF, CR LF or a lone CR (old Mac exports)."""
    if not data:
        return 0
    cr, crlf = (b"\r", b"\r\n") if isinstance(data, bytes) else ("\r", "\r\n")
    lone_cr = data.count(cr) - data.count(crlf)
    return data.count(newline) + lone_cr + (0 if data.endswith((newline, cr)) else 1)


def _utf16_order(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when the zero bytes say UTF-16 without a BOM, else None:
    at least 1 % of the sample, nearly all in odd (LE) or all in even (BE) positions, and
    the text they give has the line breaks the bytes have and hardly any control characters."""
    sample = data[:_SAMPLE]
    nuls = sample.count(0)
    if nuls < 2 or nuls * 100 < len(sample):
        return None
    even = sample[0::2].count(0)
    odd = nuls - even
    if max(even, odd) < (0.9 if nuls >= 8 else 1.0) * nuls:
        return None  # zeros scattered over both positions: binary or a stray NUL run
    name = "utf-16-le" if odd > even else "utf-16-be"
    text = sample[: len(sample) // 2 * 2].decode(name, "replace")
    noise = text.count("\ufffd") + sum(
        text.count(chr(c)) for c in range(32) if c not in (9, 10, 13)
    )
    if noise * 100 > len(text) or (b"\n" in sample and "\n" not in text):
        return None
    return name


def _bad_lines(data: bytes, codec: str) -> list[int]:
    """1-based numbers of the ``\\n``-separated lines that do not decode in ``codec``."""
    bad: list[int] = []
    pos, line_no, n = 0, 1, len(data)
    while pos < n:
        end = data.find(b"\n", min(pos + _CHUNK, n - 1))
        end = n if end < 0 else end + 1
        chunk = data[pos:end]
        try:
            chunk.decode(codec)
        except UnicodeDecodeError:
            for i, line in enumerate(chunk.split(b"\n")):
                try:
                    line.decode(codec)
                except UnicodeDecodeError:
                    bad.append(line_no + i)
        line_no += chunk.count(b"\n")
        pos = end
    return bad


def _decode_lines(data: bytes, codec: str, bad: set[int]) -> str:
    """The text, the bad lines with their bytes escaped (one line never spills into the next:
    GB18030's decoder would swallow a newline into the error of a broken 4-byte sequence)."""
    return "\n".join(
        line.decode(codec, "backslashreplace") if i in bad else line.decode(codec)
        for i, line in enumerate(data.split(b"\n"), start=1)
    )


def _not_text(bad: int, total: int, detail: str = "") -> FileError:
    return FileError(
        f"not a text file in UTF-8, UTF-16 or GB18030: {bad} of {total} lines cannot be decoded"
        f"{detail} (binary content or a damaged file); save it again as CSV (UTF-8) or XLSX "
        "and re-drop it"
    )


_FEW_BAD_LINES = 3
"""Undecodable lines a file may hold whatever its length, if fewer than half its lines: a
short export with two damaged lines is still a text file, its other rows worth loading."""


def _check(bad: Mapping[int, str], total: int, limits, header: bool) -> None:
    if not bad:
        return
    n = len(bad)
    share = limits.max_bad_line_share
    if n > max(share * total, _FEW_BAD_LINES) or 2 * n >= total:
        raise _not_text(n, total, f", more than intake.max_bad_line_share ({share:.0%}) allows")
    if header and 1 in bad:
        raise _not_text(n, total, ", among them the header line (line 1)")


def _decode_utf16(data: bytes, codec: str, limits, header: bool) -> Decoded:
    try:
        return Decoded(data.decode(codec).removeprefix("\ufeff"), codec)
    except UnicodeDecodeError:
        pass
    text = data.decode(codec, "xinfang.mark").removeprefix("\ufeff")
    lines = text.split("\n")
    reason = "bytes that are not valid UTF-16 text"
    bad = {i: reason for i, line in enumerate(lines, start=1) if _MARK in line}
    _check(bad, _line_count(text, "\n"), limits, header)
    return Decoded(text.replace(_MARK, ""), codec, bad)


def _nul_lines(data: bytes, limits) -> None:
    """NUL bytes in a file read as UTF-8/GB18030: a few are bad values for the loader to
    refuse; on most lines they mean binary content or UTF-16 the detector did not take."""
    if b"\x00" not in data:
        return
    total = _line_count(data, b"\n")
    with_nul = sum(1 for line in data.split(b"\n") if b"\x00" in line)
    if with_nul > max(limits.max_bad_line_share, 0.5) * total:
        raise FileError(
            f"not a text file in UTF-8, UTF-16 or GB18030: {with_nul} of {total} lines hold "
            "NUL bytes (binary content, or UTF-16 without a byte-order mark); save it again "
            "as CSV (UTF-8) or XLSX and re-drop it"
        )


def decode_text(data: bytes, limits=None, *, header: bool = True) -> Decoded:
    """Detect the encoding and decode; undecodable lines come back in ``bad_lines``.

    FileError when more than ``intake.max_bad_line_share`` of the lines are bad, or (with
    ``header``, as for CSV) the first line is.
    """
    limits = intake_limits(limits)
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _decode_utf16(data, "utf-16", limits, header)
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8",)
        body, name = data[len(codecs.BOM_UTF8) :], "utf-8-sig"
    else:
        order = _utf16_order(data)
        if order is not None:
            return _decode_utf16(data, order, limits, header)
        candidates, body, name = ("utf-8", "gb18030"), data, ""
    for codec in candidates:
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            continue
        _nul_lines(body, limits)
        return Decoded(text, name or codec)
    # Some lines in no encoding: the one under which most lines decode (UTF-8 on a tie).
    scans = {codec: _bad_lines(body, codec) for codec in candidates}
    codec = min(candidates, key=lambda c: len(scans[c]))
    reason = f"bytes that are not valid {_LABEL[codec]} text"
    bad = dict.fromkeys(scans[codec], reason)
    _check(bad, _line_count(body, b"\n"), limits, header)
    _nul_lines(body, limits)
    return Decoded(_decode_lines(body, codec, set(bad)), name or codec, bad)


def detect_encoding(data: bytes) -> str:
    """Name of the codec that reads ``data``; raises FileError when none does."""
    return decode_text(data).encoding


def decode(data: bytes, limits=None) -> tuple[str, str]:
    """(text, encoding name); undecodable lines hold their bytes as ``\\xNN`` escapes.
    The loader uses :func:`decode_text`, which also says which lines those are."""
    decoded = decode_text(data, limits)
    return decoded.text, decoded.encoding
