"""Turn one channel row (fields already named) into an ``intake_item`` row.

Shared by every petition channel so the same value rules apply everywhere:
a date that cannot be read or an empty record is a RowError (the row goes to
``intake_reject``); an invalid ID number is kept, flagged, and left out of
the canonical column.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from xinfang.config import Config, get_config
from xinfang.intake.base import Row, RowError
from xinfang.normalize.case_number import find_case_numbers, parse_case_number
from xinfang.normalize.dates import DateParseError, parse_date, parse_datetime
from xinfang.normalize.idcard import parse_id_number
from xinfang.normalize.names import name_key, split_group
from xinfang.normalize.phone import canonical_phone
from xinfang.normalize.text import fold_width, normalize_text

_DIGITS = re.compile(r"\d+")


def text(value: Any) -> str | None:
    """A cell as stripped text, None when blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def received(row: Row, field: str, header: str) -> dt.datetime:
    value = row.get(field)
    if text(value) is None:
        raise RowError(f"{header} is empty: the date the item was received is required")
    try:
        return parse_datetime(value)
    except DateParseError as exc:
        raise RowError(f"{header}: {exc}") from exc


def due_date(value: Any, start: dt.datetime, header: str) -> dt.date | None:
    """办结时限: a date, or a number of days from the referral date (\"30日\", \"30天内\")."""
    if text(value) is None:
        return None
    s = fold_width(str(value)).strip()
    if re.fullmatch(r"\d{1,3}\s*(日|天|个自然日)?内?", s):
        return start.date() + dt.timedelta(days=int(_DIGITS.search(s).group()))
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise RowError(f"{header}: {exc}") from exc


def group_count(value: Any) -> int | None:
    s = text(value)
    if s is None:
        return None
    match = _DIGITS.search(fold_width(s))
    return int(match.group()) if match else None


@lru_cache(maxsize=4096)
def _court_code(config: Config, case_court: str | None, court_name: str | None) -> str | None:
    if case_court is not None and case_court in config.courts:
        return case_court
    named = config.court_by_name(court_name or "")
    return named.code if named else None


def build_item(
    *,
    channel: str,
    received_at: dt.datetime,
    name: Any = None,
    id_number: Any = None,
    phone: Any = None,
    case_number: Any = None,
    court_name: Any = None,
    content: Any = None,
    address: Any = None,
    external_id: Any = None,
    group_size: Any = None,
    handler: Any = None,
    referral_unit: Any = None,
    due_on: dt.date | None = None,
) -> dict[str, Any]:
    config = get_config()
    name_text = text(name)
    lead, others, count = split_group(name_text) if name_text else (None, [], 1)
    size = max(count or 1, group_count(group_size) or 1)
    ident = parse_id_number(text(id_number))
    canonical_phone_ = canonical_phone(text(phone), config.default_area_code)
    content_text = text(content)
    if not (lead or ident.canonical or canonical_phone_ or content_text):
        raise RowError(
            "no petitioner (name, ID number or phone) and no content: nothing to register"
        )
    case = parse_case_number(text(case_number)) if text(case_number) else None
    normalized = normalize_text(content_text)
    if case is None and normalized:
        found = find_case_numbers(normalized)
        case = found[0] if found else None
    court_code = _court_code(config, case.court_code if case else None, text(court_name))
    return {
        "channel": channel,
        "external_id": text(external_id),
        "received_at": received_at,
        "petitioner_name": lead,
        "name_key": name_key(lead) if lead else None,
        "id_number": ident.canonical,
        "id_invalid": ident.invalid,
        "phone": canonical_phone_,
        "address": text(address),
        "case_number": case.canonical if case else None,
        "case_year": case.year if case else None,
        "case_type": case.type_code if case else None,
        "court_code": court_code,
        "court_name": text(court_name),
        "group_size": size,
        "co_petitioners": "、".join(others) if others else None,
        "handler": text(handler),
        "referral_unit": text(referral_unit),
        "due_on": due_on,
        "content": content_text,
        "content_normalized": normalized,
    }
