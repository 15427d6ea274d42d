"""A real CJK font for the charts, found through matplotlib's font manager.

Chinese labels drawn with a Latin font come out as tofu boxes, silently. So the
font is looked up by name (Debian's fonts-noto-cjk, installed by
``scripts/setup-system.sh``, or another common CJK family), its character map is
checked for every label drawn, and a missing font or glyph is a clear error.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager

# Preferred families, simplified-Chinese first.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Microsoft YaHei",
    "SimHei",
)


class CJKFontMissing(RuntimeError):
    """No usable CJK font: charts would render Chinese as tofu boxes."""


def _lookup() -> font_manager.FontEntry | None:
    entries = {e.name: e for e in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in entries:
            return entries[family]
    return None


@lru_cache(maxsize=1)
def cjk_font() -> font_manager.FontEntry:
    """The CJK font entry to draw with (family name, file, face index)."""
    entry = _lookup()
    if entry is None:
        # The font may have been installed after matplotlib cached its font list.
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        entry = _lookup()
    if entry is None:
        raise CJKFontMissing(
            "no CJK font found for the report charts (looked for "
            + ", ".join(CJK_FAMILIES)
            + "): install Debian's fonts-noto-cjk (bash scripts/setup-system.sh) "
            "and run again"
        )
    return entry


@lru_cache(maxsize=4)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    if Path(path).suffix.lower() in (".ttc", ".otc"):
        font = TTCollection(path, lazy=True).fonts[index]
    else:
        font = TTFont(path, lazy=True)
    return frozenset(font.getBestCmap())


def missing_glyphs(texts: Iterable[str], entry: font_manager.FontEntry | None = None) -> set[str]:
    """Characters of ``texts`` the font has no glyph for (whitespace ignored)."""
    entry = entry or cjk_font()
    covered = _cmap(entry.fname, getattr(entry, "index", 0) or 0)
    return {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in covered}


def check_labels(texts: Iterable[str]) -> None:
    """Raise if any character of the labels would be drawn as a tofu box."""
    texts = list(texts)
    missing = missing_glyphs(texts)
    if missing:
        raise CJKFontMissing(
            f"font {cjk_font().name} ({cjk_font().fname}) has no glyph for "
            + "".join(sorted(missing))
        )
