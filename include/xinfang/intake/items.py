"""Turn one channel row (fields already named) into an ``intake_item`` row.

Shared by every petition channel so the same value rules apply everywhere:
a date that cannot be read or an empty record is a RowError (the row goes to
``intake_reject``); an invalid ID number is kept, flagged, and left out of
the canonical column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from xinfang.config import Config, get_config
from xinfang.intake.base import Row, RowError
from xinfang.masking import mask_text
from xinfang.normalize.case_number import CaseNumber, find_case_numbers, parse_case_number
from xinfang.normalize.dates import DateParseError, parse_date, parse_datetime
from xinfang.normalize.idcard import MISSING as MISSING_ID
from xinfang.normalize.idcard import parse_id_number
from xinfang.normalize.names import name_key, split_group
from xinfang.normalize.phone import canonical_phone
from xinfang.normalize.text import fold_width, normalize_text

_DIGITS = re.compile(r"\d+")


def text(value: Any) -> str | None:
    """A cell as stripped text, None when blank."""
    if value is None:
        return None
    if type(value) is str:  # nearly every cell: skip the float test and str()
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def received(row: Row, field: str, header: str) -> dt.datetime:
    value = row.get(field)
    if text(value) is None:
        raise RowError(f"{header} is empty: the date the item was received is required")
    try:
        at = parse_datetime(value)
    except DateParseError as exc:
        raise RowError(f"{header}: {exc}") from exc
    if at.microsecond:  # an Excel time cell is a float of days: 13:25:59.808 means 13:26
        at = (at + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
    return at


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


_CONFIG: Config | None = None


@contextmanager
def config_in_force() -> Iterator[Config]:
    """Read the configuration once for a whole file instead of once per row.

    ``get_config`` reads the environment and stats the config file on every call
    (several µs); inside this block ``build_item`` uses the configuration read at its
    start, so every row of one file is built with the same settings.
    """
    global _CONFIG
    previous, _CONFIG = _CONFIG, get_config()
    try:
        yield _CONFIG
    finally:
        _CONFIG = previous


@lru_cache(maxsize=65536)
def _normalized(content: str) -> str | None:
    """Cached ``normalize_text``: the same text recurs (a petitioner sends one letter to
    several channels, repeats it for months, a hotline summary follows a template)."""
    return normalize_text(content)


@lru_cache(maxsize=65536)
def _case_in_text(normalized: str) -> CaseNumber | None:
    """The first case number mentioned in a (normalized) text, cached like the text."""
    found = find_case_numbers(normalized)
    return found[0] if found else None


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
    """The ``intake_item`` values of one row's cells (as read: text, numbers, None)."""
    return _build(
        channel,
        received_at,
        text(name),
        text(id_number),
        text(phone),
        text(case_number),
        text(court_name),
        text(content),
        text(address),
        text(external_id),
        group_size,
        text(handler),
        text(referral_unit),
        due_on,
    )


def _build(
    channel: str,
    received_at: dt.datetime,
    name_text: str | None,
    id_text: str | None,
    phone_text: str | None,
    case_text: str | None,
    court_text: str | None,
    content_text: str | None,
    address: str | None,
    external_id: str | None,
    group_size: Any,
    handler: str | None,
    referral_unit: str | None,
    due_on: dt.date | None,
) -> dict[str, Any]:
    """``build_item`` of cells already through ``text()`` (``group_size`` as read)."""
    config = _CONFIG or get_config()
    lead, others, count = split_group(name_text) if name_text else (None, (), 1)
    if lead and _DIGITS.search(name_text):  # type: ignore[arg-type]
        # a number typed into the name (an ID, a phone) is masked: names reach every view
        lead, others = mask_text(lead), [mask_text(o) for o in others]
    size = max(count or 1, group_count(group_size) or 1) if group_size is not None else count or 1
    ident = parse_id_number(id_text) if id_text is not None else MISSING_ID
    canonical_phone_ = canonical_phone(phone_text, config.default_area_code)
    if not (lead or ident.canonical or canonical_phone_ or content_text):
        raise RowError(
            "no petitioner (name, ID number or phone) and no content: nothing to register"
        )
    case = parse_case_number(case_text) if case_text else None
    normalized = _normalized(content_text) if content_text is not None else None
    if case is None and normalized:
        case = _case_in_text(normalized)
    if case is None:
        court_code = _court_code(config, None, court_text)
        number = year = type_code = None
    else:
        court_code = _court_code(config, case.court_code, court_text)
        number, year, type_code = case.canonical, case.year, case.type_code
    return {
        "channel": channel,
        "external_id": external_id,
        "received_at": received_at,
        "petitioner_name": lead,
        "name_key": name_key(lead) if lead else None,
        "id_number": ident.canonical,
        "id_invalid": ident.invalid,
        "phone": canonical_phone_,
        "address": address,
        "case_number": number,
        "case_year": year,
        "case_type": type_code,
        "court_code": court_code,
        "court_name": court_text,
        "group_size": size,
        "co_petitioners": "、".join(others) if others else None,
        "handler": handler,
        "referral_unit": referral_unit,
        "due_on": due_on,
        "content": content_text,
        "content_normalized": normalized,
    }


def plain_parser(channel: str, date_header: str) -> Callable[[Row], dict[str, Any]]:
    """The row parser of a channel whose fields are named as ``build_item``'s arguments.

    ``date_header`` is the column whose value is the received date, named in the
    reason when it is missing or unreadable.
    """

    def parse_row(row: Row) -> dict[str, Any]:
        if not row.keys() <= _BUILD_FIELDS:  # as build_item(**row) would
            unknown = sorted(row.keys() - _BUILD_FIELDS)
            raise TypeError(f"build_item() got an unexpected keyword argument {unknown[0]!r}")
        get = row.get
        return _build(
            channel,
            received(row, "received_at", date_header),
            text(get("name")),
            text(get("id_number")),
            text(get("phone")),
            text(get("case_number")),
            text(get("court_name")),
            text(get("content")),
            text(get("address")),
            text(get("external_id")),
            get("group_size"),
            text(get("handler")),
            text(get("referral_unit")),
            get("due_on"),
        )

    return parse_row


_BUILD_FIELDS = frozenset(
    {
        "received_at",
        "name",
        "id_number",
        "phone",
        "case_number",
        "court_name",
        "content",
        "address",
        "external_id",
        "group_size",
        "handler",
        "referral_unit",
        "due_on",
    }
)
"""The fields ``plain_parser`` passes on: ``build_item``'s arguments but ``channel``."""
