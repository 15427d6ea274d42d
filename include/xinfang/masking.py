"""Masking of petitioners' personal data wherever it leaves the ledger (dashboard, reports).

One rule, the one the analyst views apply in SQL (``sql/views/v_case_list.sql``,
``v_overdue_cases.sql``, ``key_persons.sql``) and ``docs/data_dictionary.md``
documents: resident ID numbers as first 6 + ``********`` + last 4, phone numbers as
first 3 + ``****`` + last 4. Values too short to keep anything are fully starred
with a fixed number of stars, which does not tell their length either.

Free text (progress notes, reject reasons, risk evidence, error messages) goes
through ``mask_text``, which finds the IDs and phones written inside it however
they were typed and masks them by the same rule. It runs in Python: the loader
stores each progress note masked (``case_progress.note_masked``) for the views.
"""

from __future__ import annotations

import re
import unicodedata


def mask_id(value: str | None) -> str | None:
    """``110101199003074514`` -> ``110101********4514``."""
    if not value:
        return None
    value = str(value).strip()
    return "********" if len(value) < 10 else f"{value[:6]}********{value[-4:]}"


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` -> ``138****5678``; a landline ``0316-2345678`` -> ``031****5678``."""
    if not value:
        return None
    value = str(value).strip()
    return "****" if len(value) < 7 else f"{value[:3]}****{value[-4:]}"


# -- free text --------------------------------------------------------------------------
# mask_text works on a copy of the text folded character for character (full-width ASCII,
# the ideographic space and every other Unicode decimal digit to ASCII), so a match's
# position in the copy is its position in the original, and only the number is replaced.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
_ANY_DIGIT = re.compile(r"\d")  # any Unicode decimal digit, full-width included
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")

# What stays although it holds digits: 台账编号 (XF2023-000123: a year, then 6-7 digits), 案号 ((2023)冀1003民初1234号,
# brackets (), 〔〕, [], 【】 or none) and dates (2023-07-03, 2023/7/3, 2023.7.3, 2023年7月3日).
_KEEP = (
    r"XF(?:19|20)[0-9]{2}-[0-9]{6,7}(?![0-9])"
    r"|[(\[〔【]\s?(?:19|20)[0-9]{2}\s?[)\]〕】]\s?[\u4e00-\u9fff]{1,4}[0-9]{0,4}"
    r"[\u4e00-\u9fff]{1,6}\s?[0-9]{1,6}(?![0-9])"
    r"|(?<![0-9])(?:19|20)[0-9]{2}[\u4e00-\u9fff]{1,4}[0-9]{2,4}[\u4e00-\u9fff]{1,6}[0-9]{1,6}号"
    r"|(?<![0-9])(?:19|20)[0-9]{2}\s?[-/.年]\s?[0-9]{1,2}\s?[-/.月]\s?[0-9]{1,2}(?![0-9])"
)
# A group: digits (a + before them, an ID's check character X after them), or digits in
# brackets (an area code, (0316)). A run: groups with at most three spaces or dashes
# between them, not glued to a digit before it.
_GROUP = r"(?:\+?[0-9]+(?: ?[xX](?![A-Za-z]))?|\(\s?\+?[0-9]+\s?\))"
_RUN = rf"(?<![0-9]){_GROUP}(?:[ \t\-‐‑–—]{{0,3}}{_GROUP})*"
_SCAN = re.compile(rf"(?P<keep>{_KEEP})|(?P<run>{_RUN})")
_GROUPS = re.compile(_GROUP)
_MONEY_AFTER = re.compile(r"\s?(?:元|圆|块|亿|万元)")
_MONEY_BEFORE = ("¥", "￥", "$")
# A 7-12 digit number right after one of these is a phone even without an area code.
_PHONE_WORDS = ("电话", "手机", "座机", "联系方式", "号码", "tel", "phone")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")  # area code (with its 0) and a 7-8 digit number
_NO_ZERO_LANDLINE = re.compile(r"[1-9][0-9]{8,10}")  # after +86 the area code drops its 0


def _plausible_id(digits: str) -> bool:
    """An ID's shape: region code, then a real-looking birth date (YYYYMMDD, or YYMMDD for
    the 15-digit form). Asked only of numbers put together from spaced groups."""
    if digits[0] not in "12345678":
        return False
    if len(digits) == 18:
        year, month, day = digits[6:8], digits[10:12], digits[12:14]
        if year not in ("18", "19", "20"):
            return False
    else:
        month, day = digits[8:10], digits[10:12]
    return "01" <= month <= "12" and "01" <= day <= "31"


def _masked(digits: str, *, plus: bool, joined: bool, phone_word: bool) -> str | None:
    """The masked form of a number, or None when it reads as neither an ID nor a phone."""
    body, tail = (digits[:-1], digits[-1]) if digits[-1] in "xX" else (digits, "")
    # an ID: 18 (the last maybe X), 15, or 17 (its check character dropped); one put
    # together from spaced groups only when it looks like one
    id_like = len(body) == 17 or (len(body) in (15, 18) and not tail)
    if id_like and (not joined or _plausible_id(body + "0" if len(body) == 17 else body)):
        return mask_id(body + tail.upper())
    if tail:  # an X after an 18-digit ID or a phone: mask the number, keep the X
        masked = _masked(body, plus=plus, joined=joined, phone_word=phone_word)
        return None if masked is None else masked + tail
    for prefix in ("0086", "86"):
        rest = digits[len(prefix) :] if digits.startswith(prefix) else ""
        if _MOBILE.fullmatch(rest):
            return mask_phone(rest)
        if (plus or prefix == "0086") and _NO_ZERO_LANDLINE.fullmatch(rest):
            return mask_phone("0" + rest)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return mask_phone(digits)
    if phone_word and 7 <= len(digits) <= 12:  # a local number: too short to keep any digit
        return mask_phone(digits) if len(digits) >= 10 else "****"
    return None


def _mask_run(folded: str, start: int, end: int, original: str) -> str:
    """The run ``folded[start:end]`` with each ID or phone in it masked (``original``'s
    characters elsewhere). From each group on, the longest stretch of groups that reads
    as an ID or a phone is masked; groups that start none stay as they are."""
    groups = [m.span() for m in _GROUPS.finditer(folded, start, end)]
    digits = ["".join(ch for ch in folded[a:b] if ch.isalnum()) for a, b in groups]
    before = folded[max(0, start - 8) : start].lower()
    phone_word = any(word in before for word in _PHONE_WORDS)
    money = len(groups) == 1 and (
        _MONEY_AFTER.match(folded, end) is not None or folded[start - 1 : start] in _MONEY_BEFORE
    )
    out: list[str] = []
    pos = start
    i = 0
    while i < len(groups):
        best: tuple[int, str] | None = None
        number = ""
        plus = folded[groups[i][0]] == "+" or folded[groups[i][0] : groups[i][0] + 2] == "(+"
        for j in range(i, len(groups)):
            number += digits[j]
            if len(number) > 22:
                break
            if money or ("X" in number[:-1].upper()):
                break
            masked = _masked(number, plus=plus, joined=j > i, phone_word=phone_word and i == 0)
            if masked is not None:
                best = (j, masked)
        if best is None:
            i += 1
            continue
        j, masked = best
        a = groups[i][0]
        if folded[a] == "(" and j == i:  # "(13812345678)": keep the brackets
            a += 1
            b = groups[j][1] - 1
        else:
            b = groups[j][1]
        out.append(original[pos:a])
        out.append(masked)
        pos = b
        i = j + 1
    out.append(original[pos:end])
    return "".join(out)


def mask_text(value: str | None) -> str | None:
    """Free text (a progress note, a reject reason, an error message) with every number
    that reads as a resident ID (15/18 digits, check character X) or a phone (a mobile, a
    landline with its area code, ``+86``/``0086`` or not, spaced, dashed, bracketed,
    full-width) masked as ``mask_id``/``mask_phone`` do; dates, amounts, 案号 and
    台账编号 stay."""
    if not value:
        return value
    text = str(value)
    if not _ANY_DIGIT.search(text):
        return text
    folded = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text.translate(_FOLD))
    out: list[str] = []
    pos = 0
    for m in _SCAN.finditer(folded):
        if m.group("run") is None:
            continue
        out.append(text[pos : m.start()])
        out.append(_mask_run(folded, m.start(), m.end(), text))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)
