"""Masking of petitioners' personal data wherever it leaves the ledger (dashboard, reports).

One rule, the one the analyst views apply in SQL (``sql/views/v_case_list.sql``,
``v_overdue_cases.sql``, ``key_persons.sql``) and ``docs/data_dictionary.md``
documents: resident ID numbers as first 6 + ``********`` + last 4, phone numbers as
first 3 + ``****`` + last 4. Values too short to keep anything are fully starred
with a fixed number of stars, which does not tell their length either.
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


# A run of digits (ASCII or full-width) with single spaces or dashes between groups,
# ending in an ID number's check character X where there is one.
_NUMBER_RUN = re.compile(
    r"(?<![0-9０-９])\+?[0-9０-９](?:[ \-\u3000－]?[0-9０-９])*(?:[ \-\u3000－]?[xXｘＸ])?(?![0-9０-９])"
)
_DATE_LIKE = re.compile(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}")


def _mask_number(match: re.Match[str]) -> str:
    run = match.group()
    digits = unicodedata.normalize("NFKC", run).lstrip("+")
    digits = "".join(ch for ch in digits if ch.isalnum()).upper()
    if _DATE_LIKE.fullmatch(unicodedata.normalize("NFKC", run)):
        return run
    if len(digits) in (15, 18) or (len(digits) == 18 and digits.endswith("X")):
        return mask_id(digits) or run
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix + "1"):
            digits = digits[len(prefix) :]
    if (len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789") or (
        digits[0] == "0" and 10 <= len(digits) <= 12
    ):
        return mask_phone(digits) or run
    return run


def mask_text(value: str | None) -> str | None:
    """Free text (a progress note, a reject reason, an error message) with every number
    that reads as a resident ID (15/18 digits) or a phone (a mobile, a landline with its
    area code, ``+86`` or not, spaced or dashed) masked as above; dates, amounts and case
    numbers stay."""
    if not value:
        return value
    return _NUMBER_RUN.sub(_mask_number, value)
