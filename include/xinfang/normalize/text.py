"""Free text to ``content_normalized``: full-width folded, pinyin annotations
removed, traditional converted to simplified, whitespace collapsed.

The normalized form is what deduplication and search compare, so it must be
stable: ``normalize_text(normalize_text(s)) == normalize_text(s)``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# CJK ideographs: 〇, Extension A, the unified block, compatibility ideographs, Extensions B-H.
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Letters a pinyin annotation may use: ASCII, Latin-1/Extended-A/B (tone-marked vowels, ü),
# ɑ/ɡ (pinyin fonts), combining tone marks, ḿ ế ề, tone digits, spaces and apostrophes.
_PY_FIRST = "A-Za-z\u00c0-\u024f\u0251\u0261\u1e3f\u1ebf\u1ec1"
_PY_REST = _PY_FIRST + "\u0300-\u036f1-5 '\u2019"
_ANNOTATION = re.compile(rf"([{_CJK}])[(\uff08]\s*([{_PY_FIRST}][{_PY_REST}]{{0,39}}?)\s*[)\uff09]")
_ANNOTATION_UNIT = re.compile(
    rf"[{_CJK}][(\uff08]\s*[{_PY_FIRST}][{_PY_REST}]{{0,39}}?\s*[)\uff09]"
)
# The same units when only ASCII parentheses occur. Starting with a literal "(" lets the
# regex engine skip to each parenthesis instead of trying every character (10x faster on
# text with few parentheses); the character before is checked by the lookbehind.
_ANNOTATION_ASCII = re.compile(rf"\((?<=([{_CJK}])\()(\s*[{_PY_FIRST}][{_PY_REST}]{{0,39}}?\s*)\)")
_TOKEN_SPLIT = re.compile(r"[\s'\u2019]+")
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
_FULL_WIDTH_TO_ASCII = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_IS_CJK = re.compile(rf"[{_CJK}]")
_TONE_MARKS = frozenset("\u0300\u0301\u0304\u030c")  # grave, acute, macron, caron
_LETTER_FIXES = str.maketrans({"\u0251": "a", "\u0261": "g", "v": "ü", "V": "Ü"})
# Zero-width characters and C0/C1 controls other than whitespace: invisible, and PostgreSQL
# refuses NUL in text columns.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u200b-\u200d\u2060\ufeff]+")


@lru_cache(maxsize=4)
def _converter(config: str = "t2s") -> opencc.OpenCC:
    """OpenCC loads its dictionaries on construction (milliseconds): build each once."""
    return opencc.OpenCC(config)


def fold_width(s: str) -> str:
    """NFKC: full-width ASCII, ideographic space and compatibility forms to their plain form.

    The result is exactly ``unicodedata.normalize("NFKC", s)``, computed faster: Chinese
    text nearly always holds full-width punctuation (，：；（）), which puts NFKC on its slow
    path (~0.3 µs a character), so those are replaced first with ``str.replace`` and the
    full normalization runs only for what is left (circled digits, ㎡, half-width kana...).
    """
    if s.isascii() or unicodedata.is_normalized("NFKC", s):
        return s
    for ch in set(_FULL_WIDTH.findall(s)):
        s = s.replace(ch, _FULL_WIDTH_TO_ASCII[ch])
    if not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    return s


# The characters whose t2s phrases change them although the character alone stays
# (深沈 -> 深沉): tests/test_normalize_fast_paths.py checks them against the installed
# dictionary (TSPhrases).
T2S_PHRASE_CHANGES = "哩坏沈甦瞭藉衹覆"


def bmp_characters() -> list[str]:
    """Every BMP character but the controls and surrogates."""
    return [chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c < 0xE000]


def _char_class(chars: set[str]) -> str:
    """A regex character class of ``chars``, consecutive code points as ranges."""
    points = sorted(map(ord, chars))
    parts, i = [], 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        first, last = re.escape(chr(points[i])), re.escape(chr(points[j]))
        parts.append(first if i == j else f"{first}-{last}")
        i = j + 1
    return f"[{''.join(parts)}]"


@lru_cache(maxsize=1)
def _t2s_changes() -> re.Pattern[str] | None:
    """A pattern finding the characters ``t2s`` may change; None when it cannot be built.

    Built once a process from OpenCC itself (every BMP character converted on its own, one
    call, ~0.05 s) plus the few characters only a phrase changes. Text with none of them
    (nearly all simplified text) is what OpenCC would return unchanged: every dictionary
    key that could match it is a character mapped to itself or a phrase mapped to itself.
    """
    bmp = bmp_characters()
    converted = _converter().convert("\n".join(bmp)).split("\n")
    if len(converted) != len(bmp):  # pragma: no cover - OpenCC keeps line breaks
        return None
    changed = {c for c, out in zip(bmp, converted, strict=True) if out != c}
    # Any character past the BMP counts as changed: a class of BMP characters only is a
    # bitmap the regex engine tests in one step (ranges beyond it are tried one by one).
    return re.compile(
        _char_class(changed | set(T2S_PHRASE_CHANGES))[:-1] + "\U00010000-\U0010ffff]"
    )


def t2s_may_change(s: str) -> bool:
    """Whether OpenCC ``t2s`` could change ``s`` (False: it returns ``s`` as it is)."""
    if s.isascii():
        return False
    changes = _t2s_changes()
    return changes is None or changes.search(s) is not None


def to_simplified(s: str) -> str:
    """Traditional to simplified Chinese with OpenCC ``t2s`` (phrase-aware).

    A few OpenCC mappings chain (薴 -> 苧 -> 苎) and the normalized form must be a
    fixed point, so a changed result is converted again (at most three rounds).
    Text with no character OpenCC could change skips it.
    """
    if not t2s_may_change(s):
        return s
    conv = _converter()
    out = conv.convert(s)
    for _ in range(2):
        if out == s:
            break
        s, out = out, conv.convert(out)  # cheap: simplified text converts ~8x faster
    return out


def _untone(token: str) -> tuple[str, bool]:
    """Lower-case toneless form of a pinyin token and whether it carried a tone."""
    marked = token[-1:] in "12345" and token[-1:] != ""
    if marked:
        token = token[:-1]
    decomposed = unicodedata.normalize("NFD", token.translate(_LETTER_FIXES))
    stripped = "".join(ch for ch in decomposed if ch not in _TONE_MARKS)
    if len(stripped) != len(decomposed):
        marked = True
    return unicodedata.normalize("NFC", stripped).lower(), marked


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (about 1,500): what counts as pinyin."""
    from pypinyin.pinyin_dict import pinyin_dict

    return frozenset(
        _untone(reading)[0] for readings in pinyin_dict.values() for reading in readings.split(",")
    )


@lru_cache(maxsize=65536)
def _readings(ch: str) -> frozenset[str]:
    """Toneless readings of a character and of its simplified form.

    Including the simplified form's readings keeps the check the same whether it runs
    before or after conversion, which ``normalize_text``'s idempotence relies on.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    out: set[str] = set()
    for c in {ch, to_simplified(ch)}:
        for reading in pinyin_dict.get(ord(c), "").split(","):
            if reading:
                out.add(_untone(reading)[0])
    return frozenset(out)


def _segments(base: str, chars: str) -> bool:
    """Whether ``base`` is the concatenation of one reading of each of ``chars``."""
    if not chars:
        return not base
    return any(
        base.startswith(r) and _segments(base[len(r) :], chars[1:]) for r in _readings(chars[0])
    )


def _preceding_cjk(text: str, end: int, limit: int = 8) -> str:
    """The run of CJK characters ending at index ``end`` (inclusive), at most ``limit`` long."""
    start = end
    while start > 0 and end - start + 1 < limit and _IS_CJK.match(text, start - 1):
        start -= 1
    return text[start : end + 1]


def _is_annotation(content: str, text: str, prev_index: int) -> bool:
    """Decide whether the parenthesised ``content`` after ``text[prev_index]`` is pinyin.

    One syllable with a tone (mark or digit) is an annotation whatever the character
    (annotators get readings wrong; nothing else puts a tone-marked syllable in
    parentheses after a character). A toneless syllable (``的(de)``) or several
    syllables must be readings of the preceding characters, so ``(app)``, ``(an English
    word)`` or ``附件(a)`` stay.
    """
    tokens = [t for t in _TOKEN_SPLIT.split(unicodedata.normalize("NFC", content)) if t]
    if not tokens:
        return False
    syllables = _syllables()
    untoned = [_untone(t) for t in tokens]
    if len(tokens) == 1:
        base, marked = untoned[0]
        if base in syllables:
            if marked:
                return True
            return not tokens[0][1:].isupper() and base in _readings(text[prev_index])
        run = _preceding_cjk(text, prev_index)
        return any(_segments(base, run[-k:]) for k in range(2, len(run) + 1))
    if not all(base in syllables for base, _ in untoned):
        return False
    run = _preceding_cjk(text, prev_index)
    if len(run) < len(tokens):
        return False
    if all(marked for _, marked in untoned):
        return True
    chars = run[-len(tokens) :]
    return all(base in _readings(c) for (base, _), c in zip(untoned, chars, strict=True))


@lru_cache(maxsize=65536)
def _single_verdict(content: str, prev: str) -> bool | None:
    """The decision for a one-syllable annotation (the usual case), cached; None when the
    preceding run of characters decides (several syllables)."""
    tokens = [t for t in _TOKEN_SPLIT.split(unicodedata.normalize("NFC", content)) if t]
    if len(tokens) != 1:
        return None if len(tokens) > 1 else False
    base, marked = _untone(tokens[0])
    if base not in _syllables():
        return None
    if marked:
        return True
    return not tokens[0][1:].isupper() and base in _readings(prev)


def _replace(m: re.Match[str]) -> str:
    prev, content = m.group(1, 2)
    verdict = _single_verdict(content, prev)
    if verdict is None:
        verdict = _is_annotation(content, m.string, m.start(1))
    return prev if verdict else m.group(0)


@lru_cache(maxsize=65536)
def _unit_replacement(unit: str) -> str | None:
    """What a matched unit (``結(jié)``) becomes, or None when its context decides."""
    m = _ANNOTATION.fullmatch(unit)
    if m is None:  # pragma: no cover - units come from the same pattern
        return unit
    verdict = _single_verdict(m.group(2), m.group(1))
    if verdict is None:
        return None
    return m.group(1) if verdict else unit


def strip_pinyin(s: str) -> str:
    """Remove pinyin inserted after characters: ``結(jié)合`` -> ``結合``.

    Legitimate parentheses stay: ``(2023)``, ``(以下简称《方案》)``, ``(app)``.
    Repeated until stable so ``字(zì)(zì)`` loses both annotations.
    """
    if "(" not in s and "\uff08" not in s:
        return s
    for _ in range(8):
        # The seed has an annotation every three characters: replacing each distinct unit
        # with str.replace is several times faster than a Python callback per match. A
        # unit's decision depends only on its own text unless it has several syllables.
        if "\uff08" in s or "\uff09" in s:
            units = set(_ANNOTATION_UNIT.findall(s))
        else:  # the usual case (normalize_text folds first): a pattern that starts with "("
            units = {f"{prev}({inner})" for prev, inner in _ANNOTATION_ASCII.findall(s)}
        if not units:
            break
        replacements = [(unit, _unit_replacement(unit)) for unit in units]
        if any(out is None for _, out in replacements):
            out = _ANNOTATION.sub(_replace, s)
        else:
            out = s
            for unit, replacement in replacements:
                if replacement != unit:
                    out = out.replace(unit, replacement)  # type: ignore[arg-type]
        if out == s:
            break
        s = out
    return s


def normalize_text(s: str | None) -> str | None:
    """``content_normalized``: NFKC, pinyin removed, simplified, whitespace collapsed.

    Invisible characters (zero-width spaces, BOM, control characters) are dropped.
    ``None`` stays ``None``; other non-strings (numbers from spreadsheet cells) are
    turned into text first.
    """
    if s is None or s != s:  # None, NaN: an empty cell
        return None
    if not isinstance(s, str):
        s = str(s)
    # str.split() splits on runs of the same whitespace as the regex \s; once whitespace is
    # collapsed, isprintable() is a cheap test for invisible characters.
    s = " ".join(fold_width(s).split())
    if not s.isprintable() and _INVISIBLE.search(s):
        s = " ".join(_INVISIBLE.sub("", s).split())
    # Removing an annotation never joins two whitespace runs (it follows a character).
    return to_simplified(strip_pinyin(s))
