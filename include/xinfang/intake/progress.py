"""The ``progress`` channel (办理进展): the courts' updates to ledger cases.

One row names a case by its 台账编号 and says, as of its 日期, what happened:
a note, a status (办理中 open / 中止 paused / 已销号 closed), the disposition
that closes it (docs/progress.md), assignments (court, department, judge, leader),
the key-case flag, a hearing date, and the office's workflow (受理日期, 答复日期,
延期至, 满意度, 督办单位 with its 督办期限; xinfang.workflow). The loader resolves the ledger number to
the case; :func:`xinfang.progress.apply_progress` and the escalation sweep use
the rows in 日期 order, whenever they were loaded.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from xinfang.config import get_config
from xinfang.intake.base import ChannelSpec, Row, RowError
from xinfang.masking import mask_text
from xinfang.vocab import DISPOSITION_NAMES
from xinfang.workflow import SATISFACTION_NAMES

STATUSES: dict[str, str] = {
    "办理中": "open",
    "在办": "open",
    "恢复办理": "open",
    "open": "open",
    "中止": "paused",
    "暂停": "paused",
    "paused": "paused",
    "已销号": "closed",
    "销号": "closed",
    "已办结": "closed",
    "closed": "closed",
}


def _disposition_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in DISPOSITION_NAMES.items():
        out[code] = code
        out[name] = code
        out[name.removeprefix("依法")] = code
    return out


DISPOSITION_ALIASES = _disposition_aliases()

SATISFACTION_ALIASES: dict[str, str] = {
    **{name: code for code, name in SATISFACTION_NAMES.items()},
    **{code: code for code in SATISFACTION_NAMES},
}

YES = {"是", "y", "yes", "true", "1", "重点", "√"}
NO = {"否", "n", "no", "false", "0", "非重点", "×"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a blank Excel cell
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return text or None


def _coded(value: Any, aliases: dict[str, str], refusal: str) -> str | None:
    """A cell looked up in ``aliases`` (as written, then lower-cased); blank -> None, an
    unknown value refused with ``refusal`` (``{text}``: the value as read)."""
    text = _text(value)
    if text is None:
        return None
    code = aliases.get(text) or aliases.get(text.lower())
    if code is None:
        raise RowError(refusal.format(text=repr(text)))
    return code


def parse_status(value: Any) -> str | None:
    """状态 -> open/paused/closed; blank -> None (the row changes no status)."""
    return _coded(value, STATUSES, "状态 {text} is not one of 办理中, 中止, 已销号")


def parse_disposition(value: Any) -> str | None:
    """处置类别 as code, Chinese name, or name without 依法 -> the code."""
    return _coded(
        value,
        DISPOSITION_ALIASES,
        "处置类别 {text} is not one of 依法评查, 依法导入程序, 依法化解, 依法救助, 依法终结 "
        "(or review, procedure, resolved, aid, terminated)",
    )


def parse_satisfaction(value: Any) -> str | None:
    """满意度 满意 / 基本满意 / 不满意 (or the stored code) -> the code; blank -> None."""
    return _coded(value, SATISFACTION_ALIASES, "满意度 {text} is not one of 满意, 基本满意, 不满意")


def parse_flag(value: Any, label: str) -> bool | None:
    text = _text(value)
    if text is None:
        return None
    low = text.lower()
    if low in YES:
        return True
    if low in NO:
        return False
    raise RowError(f"{label} {text!r} must be 是 or 否")


_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


def _fallback_date(value: Any) -> dt.date:
    text = _text(value) or ""
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError("not a date")
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def parse_day(value: Any, label: str) -> dt.date | None:
    """A date as people type it (or an Excel date cell); blank -> None."""
    if value is None or _text(value) is None:
        return None
    try:
        from xinfang.normalize.dates import parse_date
    except ImportError:  # pragma: no cover - only before normalize.dates landed
        parse_date = _fallback_date
    try:
        parsed = parse_date(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise RowError(f"{label}: {exc}") from exc
    if isinstance(parsed, dt.datetime):
        parsed = parsed.date()
    return parsed


def parse_court(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    config = get_config()
    court = config.court_by_name(text)
    if (
        court is not None
        and court.code == config.intermediate_court
        and text not in (court.code, court.name, "中院", "市中院", "中级法院", "中级人民法院")
        and court.name[:2] not in text
    ):
        court = None  # another city's 中级人民法院, not ours
    if court is None:
        raise RowError(f"责任法院 {text!r} is not a court of the configuration")
    return court.code


def _name(value: Any, limit: int = 64) -> str | None:
    """A person or department as named, a number typed into it (an ID, a phone) masked:
    names reach every view."""
    text = _text(value)
    if text is None:
        return None
    return mask_text(" ".join(text.split()))[:limit]


def parse_row(row: Row) -> dict[str, Any]:
    """One progress row -> ``case_progress`` values plus ``ledger_no``; RowError if unusable."""
    ledger_no = _text(row.get("ledger_no"))
    if ledger_no is None:
        raise RowError("台账编号 is empty")
    day = parse_day(row.get("progress_date"), "日期")
    if day is None:
        raise RowError("日期 is empty")
    status = parse_status(row.get("status"))
    disposition = parse_disposition(row.get("disposition"))
    if status == "closed" and disposition is None:
        raise RowError(
            "状态 已销号 needs a 处置类别 (依法评查, 依法导入程序, 依法化解, 依法救助 or 依法终结)"
        )
    return {
        "ledger_no": ledger_no,
        "progress_date": day,
        "note": _text(row.get("note")),
        "status": status,
        "disposition": disposition,
        "court_code": parse_court(row.get("court")),
        "department": _name(row.get("department")),
        "judge": _name(row.get("judge")),
        "leader": _name(row.get("leader")),
        "is_key": parse_flag(row.get("is_key"), "重点案件"),
        "hearing_date": parse_day(row.get("hearing_date"), "听证日期"),
        **_workflow(row),
    }


def _workflow(row: Row) -> dict[str, Any]:
    """The row's workflow columns (docs/progress.md); RowError if one is unusable."""
    values = {
        "accepted_on": parse_day(row.get("accepted_on"), "受理日期"),
        "replied_on": parse_day(row.get("replied_on"), "答复日期"),
        "extended_to": parse_day(row.get("extended_to"), "延期至"),
        "satisfaction": parse_satisfaction(row.get("satisfaction")),
        "supervision_unit": _name(row.get("supervision_unit"), 128),
        "supervision_due_on": parse_day(row.get("supervision_due_on"), "督办期限"),
    }
    accepted, replied = values["accepted_on"], values["replied_on"]
    earliest = get_config().intake.earliest_date
    for label, day in (("受理日期", accepted), ("答复日期", replied)):
        if day is not None and day < earliest:  # a mistyped year: it would set the deadline
            raise RowError(f"{label} {day} is before {earliest}")
    if accepted is not None and replied is not None and replied < accepted:
        raise RowError(f"答复日期 {replied} is before 受理日期 {accepted}")
    if values["supervision_unit"] is not None and values["supervision_due_on"] is None:
        raise RowError("督办单位 needs a 督办期限 (the supervision notice's deadline)")
    return values


SPEC = ChannelSpec(
    name="progress",
    formats=("csv", "xlsx"),
    columns={
        "台账编号": "ledger_no",
        "日期": "progress_date",
        "办理进展": "note",
        "状态": "status",
        "处置类别": "disposition",
        "责任法院": "court",
        "承办部门": "department",
        "承办法官": "judge",
        "包案领导": "leader",
        "重点案件": "is_key",
        "听证日期": "hearing_date",
        "受理日期": "accepted_on",
        "答复日期": "replied_on",
        "延期至": "extended_to",
        "满意度": "satisfaction",
        "督办单位": "supervision_unit",
        "督办期限": "supervision_due_on",
    },
    required=("ledger_no", "progress_date", "status"),
    parse_row=parse_row,
    target="progress",
)
