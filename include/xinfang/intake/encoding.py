"""Text-file encoding detection: UTF-8 (BOM or not), UTF-16 (as Excel writes it), GB18030/GBK.

Detected, never configured. GB18030 is a superset of GBK and GB2312, so one
decoder covers all three; it is tried after strict UTF-8 because almost any
byte string is "valid" GB18030, and the result is then checked for control
characters that no clerk types.
"""

from __future__ import annotations

import codecs
import re

from xinfang.intake.base import FileError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text_score(data: bytes, name: str) -> int:
    try:
        text = codecs.getincrementaldecoder(name)().decode(data[:8192], final=False)
    except UnicodeDecodeError:
        return -1
    if _CONTROL.search(text):
        return -1
    return text.count("\n") + 1


def detect_encoding(data: bytes) -> str:
    """Name of the codec that reads ``data``; raises FileError when none does."""
    return _detect(data)[0]


def _detect(data: bytes) -> tuple[str, str | None]:
    """(codec name, the whole text when detection already decoded and checked it)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, None
    if 0 in data[:4096] and len(data) % 2 == 0:
        # UTF-16 without BOM: pick the byte order that reads as text with line breaks.
        best = max(("utf-16-le", "utf-16-be"), key=lambda name: _text_score(data, name))
        if _text_score(data, best) > 0:
            return best, None
    for name in ("utf-8", "gb18030"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return name, text
    raise FileError(
        "the file is not text in UTF-8, UTF-16 or GB18030/GBK "
        "(binary content or a damaged file); save it again as CSV or XLSX and re-drop it"
    )


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Strips a BOM; raises FileError for unreadable bytes."""
    name, text = _detect(data)
    if text is None:
        try:
            text = data.decode(name)
        except UnicodeDecodeError as exc:
            raise FileError(f"the file looks like {name} but cannot be decoded: {exc}") from exc
        if _CONTROL.search(text):
            raise FileError(
                f"the file decodes as {name} but holds control characters: it is not a text file"
            )
    return text.removeprefix("\ufeff"), name
