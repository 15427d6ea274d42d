"""The case console's reads: search and filter the ledger, one case's page, the month's rates.

Plain SQLAlchemy Core on the ledger database (the dashboard plugin renders it; tests
run it without Airflow). A ledger holds a million cases, so every read is bounded:

- a search key goes through an index of ``intake_item`` or ``ledger_case`` (台账编号,
  案号, the pinyin key of a name, a whole ID or phone number), then joins the cases by
  their primary key; the last digits of an ID or phone (``LIKE '%1234'``) cannot use a
  B-tree index, so that scan stops after ``TAIL_CAP`` matching items and says so;
- a page is ``LIMIT``/``OFFSET`` over the ``ledger_no`` index, newest first, and the
  total is counted up to ``COUNT_CAP`` (the page says "more than" past it);
- a case page reads one case's rows through its ``case_id`` indexes.

ID and phone numbers leave this module masked (``xinfang.masking``), free text (item
contents, notes, evidence) through ``mask_text``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from xinfang.masking import mask_id, mask_phone, mask_text
from xinfang.normalize.case_number import parse_case_number
from xinfang.normalize.names import name_key
from xinfang.schema import (
    WORKFLOW_COLUMNS,
    case_history,
    case_progress,
    escalation_event,
    intake_item,
    kpi_monthly,
    ledger_case,
    match_decision,
    notification,
    risk_flag,
)
from xinfang.vocab import CHANNEL_NAMES, DISPOSITION_NAMES, STATUS_NAMES

PAGE_SIZE = 50
COUNT_CAP = 10_000
"""Totals are counted up to here: past it a page says "more than 10000"."""
TAIL_CAP = 1_000
"""Items a last-digits search reads at most (it cannot use an index): type more digits."""
SECTION_LIMIT = 500
"""Rows per section of a case page (a case has a handful; a merged one a few hundred)."""
MIN_TAIL = 4
MAX_TEXT = 64
"""Longest court code or 台账编号 a request may name (the columns hold 16 and 32)."""

SATISFACTION_NAMES = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
RISK_NAMES = {
    "threat": "极端言论",
    "group": "群体访",
    "repeat": "重复访",
    "multi_channel": "多渠道",
    "referral": "上级交办",
}
NOTICE_NAMES = {
    "escalation": "升级",
    "warning": "预警",
    "overdue": "超期",
    "statutory": "法定期限",
    "supervision": "督办",
    "risk": "隐患",
}
KEY_KINDS = {
    "ledger_no": "台账编号 ledger no.",
    "case_number": "案号 case number",
    "id_number": "身份证号 ID number",
    "phone": "电话 phone",
    "tail": "身份证号/电话后几位 last digits",
    "name": "姓名 name",
}

_LEDGER_NO = re.compile(r"XF\d{4}-\d{1,7}")
_DIGITS = re.compile(r"\+?[0-9][0-9 \-]*[0-9xX]|[0-9]")


class BadQuery(ValueError):
    """A search the console cannot run (too few digits, a bad filter): a 400 with the text."""


@dataclass(frozen=True)
class Key:
    """What a search box holds, read as one kind of key."""

    kind: str  # one of KEY_KINDS
    value: str


@dataclass(frozen=True)
class Filters:
    """The list's filters; None means any."""

    court: str | None = None
    tier: int | None = None
    status: str | None = None
    key: bool | None = None
    overdue: bool | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        c = ledger_case.c
        out: list[sa.ColumnElement[bool]] = []
        if self.court:
            if not plain_text(self.court):
                raise BadQuery(f"法院代码有误 no such court code {self.court[:20]!r}")
            out.append(c.court_code == self.court)
        if self.tier is not None:
            if not 1 <= self.tier <= 99:
                raise BadQuery(f"层级须为 1–99 tier must be 1–99, got {self.tier}")
            out.append(c.tier == self.tier)
        if self.status:
            if self.status not in STATUS_NAMES:
                raise BadQuery(f"状态 status must be one of {', '.join(STATUS_NAMES)}")
            out.append(c.status == self.status)
        if self.key is not None:
            out.append(c.is_key.is_(True) if self.key else c.is_key.is_(False))
        if self.overdue is not None:
            late = sa.and_(c.status != "closed", sa.or_(c.overdue, c.statutory_overdue))
            out.append(late if self.overdue else sa.not_(late))
        return out


def plain_text(value: str) -> bool:
    """A code a request may name: short and without control characters (PostgreSQL
    refuses a NUL in a parameter, and no court code or 台账编号 holds one)."""
    return len(value) <= MAX_TEXT and not any(unicodedata.category(ch) == "Cc" for ch in value)


# -- reading the search box ----------------------------------------------------------------
def read_key(text: str | None) -> Key | None:
    """The kind of key typed: 台账编号, 案号, digits (a whole ID or phone, or its last
    four or more digits), else a name. None for an empty box."""
    q = unicodedata.normalize("NFKC", text or "").strip()
    if not q:
        return None
    if _LEDGER_NO.fullmatch(q.upper().replace(" ", "")):
        return Key("ledger_no", q.upper().replace(" ", ""))
    case_no = parse_case_number(q)
    if case_no is not None:
        return Key("case_number", case_no.canonical)
    if _DIGITS.fullmatch(q):
        return _digits_key(q)
    key = name_key(q)
    if key is None:
        raise BadQuery(f"cannot search for {q[:40]!r} (无法识别的查询)")
    return Key("name", key)


def _digits_key(q: str) -> Key:
    from xinfang.normalize.idcard import parse_id_number
    from xinfang.normalize.phone import canonical_phone

    digits = re.sub(r"[ \-+]", "", q).upper()
    if len(digits) < MIN_TAIL:
        raise BadQuery(
            f"身份证号或电话至少输入后 {MIN_TAIL} 位 "
            f"(type at least the last {MIN_TAIL} digits of an ID or phone number)"
        )
    if len(digits) in (15, 18):
        parsed = parse_id_number(digits)
        if parsed.canonical:
            return Key("id_number", parsed.canonical)
    if len(digits) >= 11 and "X" not in digits:
        phone = canonical_phone(q)
        if phone:
            return Key("phone", phone)
    return Key("tail", digits)


# -- search ------------------------------------------------------------------------------------
def _tail(column: sa.Column) -> sa.ColumnElement[str]:
    """The last four characters of ``column`` as one expression both dialects index alike
    (``substr(x, length(x) - 3)``), should the ledger gain such an index."""
    return sa.func.substr(column, sa.func.length(column) - sa.literal_column("3"))


def _matching_case_ids(key: Key) -> sa.Select:
    """The case ids a key points at (a subquery; indexed except for ``tail``)."""
    i = intake_item.c
    items = sa.select(i.case_id).where(i.case_id.is_not(None))
    if key.kind == "ledger_no":
        year, number = key.value.split("-")
        spelled = {key.value, f"{year}-{int(number):06d}"}  # XF2023-123 is XF2023-000123
        return sa.select(ledger_case.c.case_id).where(ledger_case.c.ledger_no.in_(spelled))
    if key.kind == "case_number":
        by_case = sa.select(ledger_case.c.case_id).where(ledger_case.c.case_number == key.value)
        return sa.union(by_case, items.where(i.case_number == key.value))
    if key.kind == "id_number":
        return items.where(i.id_number == key.value)
    if key.kind == "phone":
        return items.where(i.phone == key.value)
    if key.kind == "name":
        return items.where(i.name_key == key.value)
    last4 = key.value[-4:]
    pattern = "%" + key.value
    by_id = sa.and_(_tail(i.id_number) == last4, i.id_number.like(pattern))
    if "X" in key.value:
        hit = by_id
    else:
        hit = sa.or_(by_id, sa.and_(_tail(i.phone) == last4, i.phone.like(pattern)))
    return items.where(hit).limit(TAIL_CAP)


def search(
    conn: Connection,
    text: str | None = None,
    filters: Filters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """One page of cases matching the search box and the filters, newest 台账编号 first."""
    filters = filters or Filters()
    if page < 1 or not 1 <= page_size <= 200:
        raise BadQuery("page must be ≥ 1 and page_size 1–200 (页码错误)")
    if (page - 1) * page_size >= COUNT_CAP:  # a deep OFFSET reads every row before it
        raise BadQuery(
            f"页码超出前 {COUNT_CAP} 件 page {page} is past the first {COUNT_CAP} cases: "
            "narrow the search or the filters"
        )
    key = read_key(text)
    where = filters.where()
    capped = False
    if key is not None and key.kind == "tail":  # a bounded scan, read once
        found = conn.execute(_matching_case_ids(key)).scalars().all()
        capped = len(found) >= TAIL_CAP
        where.append(ledger_case.c.case_id.in_(set(found)))
    elif key is not None:
        where.append(ledger_case.c.case_id.in_(_matching_case_ids(key)))
    counted = sa.select(sa.literal(1)).select_from(ledger_case).where(*where).limit(COUNT_CAP + 1)
    total = conn.execute(sa.select(sa.func.count()).select_from(counted.subquery())).scalar_one()
    rows = conn.execute(
        _case_columns()
        .where(*where)
        .order_by(ledger_case.c.ledger_no.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return {
        "key": None if key is None else {"kind": key.kind, "label": KEY_KINDS[key.kind]},
        "filters": {k: v for k, v in vars(filters).items() if v is not None},
        "total": min(total, COUNT_CAP),
        "more": total > COUNT_CAP,
        "tail_capped": capped,
        "page": page,
        "page_size": page_size,
        "pages": max(1, -(-min(total, COUNT_CAP) // page_size)),
        "rows": [_masked_row(r) for r in rows],
    }


def _first_contact(column: sa.Column) -> sa.ScalarSelect:
    """The case's earliest non-empty ``column`` among its items (as ``v_case_list``)."""
    return (
        sa.select(column)
        .where(intake_item.c.case_id == ledger_case.c.case_id, column.is_not(None))
        .order_by(intake_item.c.received_at, intake_item.c.item_id)
        .limit(1)
        .scalar_subquery()
    )


def _case_columns() -> sa.Select:
    c = ledger_case.c
    return sa.select(
        c.case_id,
        c.ledger_no,
        c.court_code,
        c.petitioner_name,
        c.case_number,
        c.tier,
        c.status,
        c.is_key,
        c.overdue,
        c.statutory_overdue,
        c.statutory_due_on,
        c.item_count,
        c.first_received_at,
        c.last_received_at,
        c.disposition,
        _first_contact(intake_item.c.id_number).label("id_number"),
        _first_contact(intake_item.c.phone).label("phone"),
    )


def jsonable(value: Any) -> Any:
    """A value as the pages and JSON show it: dates and times in ISO 8601."""
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _masked_row(row: sa.Row) -> dict[str, Any]:
    out = {k: jsonable(v) for k, v in row._mapping.items()}
    if "petitioner_name" in out:  # as on the case page: a number typed into a name
        out["petitioner_name"] = mask_text(out["petitioner_name"])
    if "id_number" in out:
        out["id_number"] = mask_id(out["id_number"])
    if "phone" in out:
        out["phone"] = mask_phone(out["phone"])
    return out


# -- one case --------------------------------------------------------------------------------
CASE_FIELDS = (
    "case_id",
    "ledger_no",
    "court_code",
    "department",
    "judge",
    "leader",
    "is_key",
    "key_since",
    "tier",
    "tier_entered_on",
    "status",
    "disposition",
    "first_received_at",
    "last_received_at",
    "item_count",
    "closed_on",
    "reopened_count",
    "overdue",
    "statutory_due_on",
    "statutory_overdue",
    "referral_due_on",
    "case_number",
    "petitioner_name",
    *WORKFLOW_COLUMNS,
    "supervision_overdue",
    "updated_at",
)


def existing(conn: Connection, ledger_nos: list[str]) -> list[str]:
    """Those of ``ledger_nos`` still on the ledger (a merge removes a case it empties)."""
    if not ledger_nos:
        return []
    found = conn.execute(
        sa.select(ledger_case.c.ledger_no).where(ledger_case.c.ledger_no.in_(ledger_nos))
    ).scalars()
    return sorted(found)


def case_page(conn: Connection, ledger_no: str) -> dict[str, Any] | None:
    """Everything the case page shows about one case, masked; None for no such case
    (also for a 台账编号 no case can have: too long, or with a control character)."""
    if not plain_text(ledger_no):
        return None
    c = ledger_case.c
    row = conn.execute(
        sa.select(*(c[name] for name in CASE_FIELDS)).where(c.ledger_no == ledger_no)
    ).first()
    if row is None:
        return None
    case = {k: jsonable(v) for k, v in row._mapping.items()}
    case["petitioner_name"] = mask_text(case["petitioner_name"])
    case_id = row.case_id
    return {
        "case": case,
        "items": _items(conn, case_id),
        "progress": _progress(conn, case_id),
        "escalations": _rows(
            conn,
            sa.select(escalation_event)
            .where(escalation_event.c.case_id == case_id)
            .order_by(escalation_event.c.escalated_on.desc(), escalation_event.c.to_tier.desc()),
        ),
        "notifications": _rows(
            conn,
            sa.select(notification)
            .where(notification.c.case_id == case_id)
            .order_by(notification.c.created_on.desc(), notification.c.kind),
            masked=("message",),
        ),
        "risk_flags": _rows(
            conn,
            sa.select(risk_flag)
            .where(risk_flag.c.case_id == case_id)
            .order_by(risk_flag.c.detected_on.desc(), risk_flag.c.flag_id.desc()),
            masked=("evidence", "person_key"),
        ),
        "decisions": _decisions(conn, case_id),
        "history": _rows(
            conn,
            sa.select(case_history)
            .where(case_history.c.case_id == case_id)
            .order_by(case_history.c.history_id.desc()),
            masked=("old_value", "new_value", "reason"),
        ),
    }


def _rows(conn: Connection, stmt: sa.Select, masked: tuple[str, ...] = ()) -> list[dict]:
    out = []
    for row in conn.execute(stmt.limit(SECTION_LIMIT)):
        r = {k: jsonable(v) for k, v in row._mapping.items()}
        for key in masked:
            r[key] = mask_text(r.get(key))
        out.append(r)
    return out


def _items(conn: Connection, case_id: int) -> list[dict]:
    i = intake_item.c
    stmt = (
        sa.select(
            i.item_id,
            i.channel,
            i.received_at,
            i.petitioner_name,
            i.id_number,
            i.phone,
            i.case_number,
            i.court_code,
            i.group_size,
            i.external_id,
            i.source_file,
            i.source_row,
            i.content,
        )
        .where(i.case_id == case_id)
        .order_by(i.received_at, i.item_id)
    )
    out = []
    for r in _rows(conn, stmt, masked=("content", "petitioner_name", "source_file")):
        r["id_number"], r["phone"] = mask_id(r["id_number"]), mask_phone(r["phone"])
        r["channel_name"] = CHANNEL_NAMES.get(r["channel"], r["channel"])
        out.append(r)
    return out


def _progress(conn: Connection, case_id: int) -> list[dict]:
    p = case_progress.c
    stmt = (
        sa.select(
            p.progress_id,
            p.progress_date,
            p.status,
            p.disposition,
            p.note_masked.label("note"),
            p.court_code,
            p.department,
            p.judge,
            p.leader,
            p.is_key,
            p.hearing_date,
            p.accepted_on,
            p.replied_on,
            p.extended_to,
            p.satisfaction,
            p.supervision_unit,
            p.supervision_due_on,
            p.source_file,
        )
        .where(p.case_id == case_id)
        .order_by(p.progress_date.desc(), p.progress_id.desc())
    )
    return _rows(conn, stmt, masked=("note",))


def _decisions(conn: Connection, case_id: int) -> list[dict]:
    """Why each item is in the case: its match decisions, latest first, with the facts."""
    d = match_decision.c
    stmt = (
        sa.select(
            d.decision_id,
            d.item_id,
            d.matched_item_id,
            d.rule,
            d.score,
            d.threshold,
            (d.score - d.threshold).label("margin"),
            d.evidence,
            d.decided_at,
        )
        .where(d.case_id == case_id)
        .order_by(d.decision_id.desc())
    )
    out = _rows(conn, stmt, masked=("evidence",))
    for r in out:
        for key in ("score", "threshold", "margin"):
            r[key] = None if r[key] is None else round(float(r[key]), 4)
    return out


# -- the month's rates ---------------------------------------------------------------------
RATE_LABELS = [
    ("timely_acceptance_rate", "及时受理率 timely acceptance"),
    ("on_time_closure_rate", "按期办结率 closed on time"),
    ("satisfaction_rate", "满意率 satisfaction"),
]


def kpi_rates(conn: Connection, month: dt.date, courts: dict[str, str]) -> dict[str, Any]:
    """The three §8 rates per court from ``kpi_monthly`` for ``month`` (written by the
    month-end DAG); before it has run, the latest earlier month written, and which."""
    first = month.replace(day=1)
    k = kpi_monthly.c
    shown = conn.execute(sa.select(sa.func.max(k.month)).where(k.month <= first)).scalar()
    if shown is None:
        return {"month": None, "requested": first.isoformat(), "courts": []}
    if not isinstance(shown, dt.date):
        shown = dt.date.fromisoformat(str(shown)[:10])
    rows = {
        r.court_code: r
        for r in conn.execute(
            sa.select(k.court_code, *(k[name] for name, _ in RATE_LABELS)).where(k.month == shown)
        )
    }
    out = []
    for code in [*courts, *sorted(set(rows) - set(courts))]:
        r = rows.get(code)
        entry = {"court_code": code, "court_name": courts.get(code, code)}
        for name, _ in RATE_LABELS:
            value = getattr(r, name) if r is not None else None
            entry[name] = None if value is None else round(float(value), 4)
        out.append(entry)
    return {"month": shown.isoformat(), "requested": first.isoformat(), "courts": out}


def labels() -> dict[str, dict[str, str]]:
    """The Chinese names of the codes a case page shows."""
    return {
        "statuses": STATUS_NAMES,
        "dispositions": DISPOSITION_NAMES,
        "satisfaction": SATISFACTION_NAMES,
        "risks": RISK_NAMES,
        "notices": NOTICE_NAMES,
        "channels": CHANNEL_NAMES,
    }


FIELD_NAMES = {
    "status": "状态 status",
    "tier": "层级 tier",
    "is_key": "重点 key",
    "court_code": "责任法院 court",
    "judge": "承办法官 judge",
    "department": "承办部门 department",
    "leader": "包案领导 leader",
    "disposition": "处置类别 disposition",
    "statutory_due_on": "法定期限 statutory deadline",
    "extended_to": "延期至 extended to",
    "supervision_due_on": "督办期限 supervision due",
    "accepted_on": "受理日期 accepted",
    "replied_on": "答复日期 replied",
    "satisfaction": "满意度 satisfaction",
    "merge": "合并 merge",
    "split": "拆分 split",
}


# -- the forms' commands ---------------------------------------------------------------------
ACTIONS = ("merge", "split", "confirm", "assign", "mark-key", "reopen", "close")
ASSIGNEES = (("judge", "承办法官"), ("department", "承办部门"), ("leader", "包案领导"))


def _item_id(form: dict[str, str], name: str) -> str:
    value = unicodedata.normalize("NFKC", form.get(name) or "").strip()
    if not value.isdigit():
        raise BadQuery(f"事项编号须为数字 {name} must be an item number, got {value[:20]!r}")
    return str(int(value))


def action_argv(action: str, ledger_no: str, form: dict[str, str], by: str) -> list[str]:
    """The ``python -m xinfang.admin`` words of a console form (``xinfang.admin.run``).

    Options are passed as ``--name=value`` so that a value starting with a dash stays a
    value; item numbers must be digits. BadQuery for a form that cannot be a command."""
    if action not in ACTIONS:
        raise BadQuery(f"未知操作 unknown action {action[:20]!r}")
    tail = [f"--reason={(form.get('reason') or '').strip()}", f"--by={by}"]
    if action == "merge":
        return [action, _item_id(form, "item_id"), _item_id(form, "other_item_id"), *tail]
    if action in ("split", "confirm"):
        return [action, _item_id(form, "item_id"), *tail]
    if action == "assign":
        given = [
            f"--{name}={form[name].strip()}"
            for name, _ in ASSIGNEES
            if (form.get(name) or "").strip()
        ]
        if not given:
            raise BadQuery(
                "分派须至少填写承办法官、承办部门或包案领导之一 (assign needs a judge, department or leader)"
            )
        return [action, ledger_no, *given, *tail]
    if action == "mark-key":
        return [action, ledger_no, *(["--unset"] if form.get("unset") else []), *tail]
    if action == "close":
        code = (form.get("disposition") or "").strip()
        if code not in DISPOSITION_NAMES:
            raise BadQuery(
                f"处置类别须为五个一批之一 disposition must be one of {', '.join(DISPOSITION_NAMES)}"
            )
        return [action, ledger_no, f"--disposition={code}", *tail]
    return [action, ledger_no, *tail]  # reopen
