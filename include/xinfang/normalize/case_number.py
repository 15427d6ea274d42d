"""Case numbers (案号) in the form of the 2016 rules: ``(2023)冀1003民初1234号``.

Year, court code (province abbreviation + court digits), type code (案件类型代字)
and sequence; written in one canonical form with ASCII parentheses so the same
case matches however it was typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

# Province-level abbreviations used as the first character of court codes, and 兵 for
# the Xinjiang Production and Construction Corps courts. 最高法 is the Supreme People's Court.
PROVINCES = "京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新兵"
# Traditional forms of the abbreviations and of characters common in type codes, so a
# traditional-text letter still yields its case numbers without a full OpenCC pass.
_TRADITIONAL = str.maketrans(
    "滬遼蘇閩贛魯豫粵貴雲陝寧瓊晉執異終審複復監財認訴賠請託聯號際",
    "沪辽苏闽赣鲁豫粤贵云陕宁琼晋执异终审复复监财认诉赔请托联号际",
)
_BRACKETS = str.maketrans(
    {
        "〔": "(",
        "〕": ")",
        "[": "(",
        "]": ")",
        "【": "(",
        "】": ")",
        "﹝": "(",
        "﹞": ")",
        "〖": "(",
        "〗": ")",
        "（": "(",
        "）": ")",
        "［": "(",
        "］": ")",
    }
)
_SPACES = re.compile(r"\s+")
_HAS_SPACE = re.compile(r"\s")
_NEEDS_MAPPING = re.compile(
    "[〔〕\\[\\]【】﹝﹞〖〗滬遼蘇閩贛魯粵貴雲陝寧瓊晉執異終審複復監財認訴賠請託聯號際]"
)
_CJK = "\u4e00-\u9fff"
_BODY = (
    r"(?P<open>\()?(?P<year>(?:19[89]|20\d)\d)\)?"
    rf"(?P<court>最高法|[{PROVINCES}]\d{{0,6}})"
    rf"(?P<type>[{_CJK}]{{1,6}}?)"
    r"0*(?P<seq>[1-9]\d{0,6})"
)
_FULL = re.compile(_BODY + r"号?")
_SEARCH = re.compile(r"(?<!\d)" + _BODY + r"(?!\d)(?P<hao>号)?")
_FORBIDDEN_IN_TYPE = frozenset("号第字年月日")
# What any case number ``_SEARCH`` finds looks like before ``_clean`` in NFKC text: a
# year's last digit, spaces, perhaps a closing bracket, spaces, the court's first
# character (a province, traditional or not, or 最高法).
_COURT_STARTS = (
    PROVINCES
    + "最"
    + "".join(chr(k) for k, v in _TRADITIONAL.items() if chr(v) in PROVINCES and k != v)
)
_MAY_HOLD_CASE = re.compile(rf"\d\s*[)\]〕】﹞〗）］]?\s*[{_COURT_STARTS}]")


@dataclass(frozen=True)
class CaseNumber:
    """A parsed case number; ``canonical`` is derived from the other fields."""

    year: int
    court_code: str
    type_code: str
    seq: int
    canonical: str = field(init=False)

    def __post_init__(self) -> None:
        canonical = f"({self.year}){self.court_code}{self.type_code}{self.seq}号"
        object.__setattr__(self, "canonical", canonical)

    def __str__(self) -> str:
        return self.canonical


def _clean(value: str) -> str:
    """Fold width, unify brackets, map traditional characters, drop all whitespace."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
        # str.translate costs ~0.1 µs a character: only when there is something to map.
        if _NEEDS_MAPPING.search(value):
            value = value.translate(_BRACKETS).translate(_TRADITIONAL)
    return _SPACES.sub("", value) if _HAS_SPACE.search(value) else value


def _new(year: int, court_code: str, type_code: str, seq: int) -> CaseNumber:
    """``CaseNumber(year, court_code, type_code, seq)``, built without the frozen
    dataclass's ``__init__`` (five ``object.__setattr__`` calls: ~1 µs a new case number)."""
    case = object.__new__(CaseNumber)
    case.__dict__.update(
        year=year,
        court_code=court_code,
        type_code=type_code,
        seq=seq,
        canonical=f"({year}){court_code}{type_code}{seq}号",
    )
    return case


def _build(m: re.Match[str]) -> CaseNumber | None:
    type_code = m.group("type")
    seq = int(m.group("seq"))
    if seq < 1 or _FORBIDDEN_IN_TYPE.intersection(type_code):
        return None
    return _new(int(m.group("year")), m.group("court"), type_code, seq)


def parse_case_number(value: object) -> CaseNumber | None:
    """Parse one case number; None when the value is empty or not a case number.

    Accepts ASCII or full-width parentheses, 〔〕, [], 【】 or none around the year,
    spaces anywhere, a missing 号 and leading zeros in the sequence.
    """
    if value is None:
        return None
    return _parse(value if isinstance(value, str) else str(value))


@lru_cache(maxsize=65536)
def _parse(value: str) -> CaseNumber | None:
    """Cached: a case number recurs with every petition about it (CaseNumber is frozen)."""
    text = _clean(value)
    if not text:
        return None
    m = _FULL.fullmatch(text)
    return _build(m) if m else None


def find_case_numbers(text: str | None) -> list[CaseNumber]:
    """Every case number mentioned in free text, in order of first mention, no repeats."""
    if not text:
        return []
    if not _MAY_HOLD_CASE.search(text) and unicodedata.is_normalized("NFKC", text):
        return []  # most texts: no digit before a court's first character
    return _find_case_numbers_rules(text)


def _find_case_numbers_rules(text: str) -> list[CaseNumber]:
    """``find_case_numbers`` of a non-empty text, rule by rule."""
    found: dict[str, CaseNumber] = {}
    for m in _SEARCH.finditer(_clean(text)):
        if not (m.group("court")[-1].isdigit() or (m.group("open") and m.group("hao"))):
            # Without court digits (a high court, 最高法) only the full form is trusted in
            # free text: "2023新冠3例" is not a case number.
            continue
        case = _build(m)
        if case is not None:
            found.setdefault(case.canonical, case)
    return list(found.values())
