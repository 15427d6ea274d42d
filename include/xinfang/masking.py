"""Masking of petitioners' personal data wherever it leaves the ledger (dashboard, reports).

One rule, the one the analyst views apply in SQL (``sql/views/v_case_list.sql``,
``v_overdue_cases.sql``, ``key_persons.sql``) and ``docs/data_dictionary.md``
documents: resident ID numbers as first 6 + ``********`` + last 4, phone numbers as
first 3 + ``****`` + last 4. Values too short to keep anything are fully starred
with a fixed number of stars, which does not tell their length either.
"""

from __future__ import annotations


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
