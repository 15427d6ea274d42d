"""The figures of the campaign dashboard (the Airflow UI plugin and its JSON endpoint).

Plain SQLAlchemy Core on the ledger database, so it is tested without Airflow.
The case console's search, case page and the month's KPI rates are in
``xinfang.console``. Every query is a grouped, set-based read; lists are capped (``limit``) with the
full count beside them. Personal data leaves this module masked: resident ID
numbers as first 6 + ``********`` + last 4, phone numbers as first 3 + ``****`` +
last 4. Names are shown: the petition office works by name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang import calendar as workcal
from xinfang.console import jsonable, kpi_rates
from xinfang.masking import mask_id, mask_phone, mask_text
from xinfang.months import month_bounds
from xinfang.schema import (
    disposition_monthly,
    escalation_event,
    intake_item,
    ledger_case,
    notification,
)
from xinfang.vocab import DISPOSITION_NAMES as DISPOSITIONS
from xinfang.vocab import STATUS_NAMES as STATUSES

LIST_LIMIT = 200
REVIEW_LIMIT = 20
"""Rows of the review queue (甄别) the dashboard lists, closest call first."""
ADMIN = "python -m xinfang.admin"


class BadAsOf(ValueError):
    """An as-of date the dashboard cannot show (the plugin answers 400 with the text)."""


def check_as_of(as_of: dt.date) -> None:
    """Refuse a day the working calendar cannot judge (before its first day, or past
    what it can compute): its figures would be meaningless or fail half-way."""
    cal = workcal.get_calendar()
    if as_of < cal.first_day:
        raise BadAsOf(
            f"as_of {as_of.isoformat()} is before {cal.first_day.isoformat()}, the first day of "
            f"the working calendar (as_of 早于工作日历起始日 {cal.first_day.isoformat()})"
        )
    if not cal.can_judge(as_of.year) or as_of >= dt.date.max - dt.timedelta(days=62):
        raise BadAsOf(
            f"as_of {as_of.isoformat()} is past what the working calendar can compute: it "
            f"judges {cal.first_day.year}-{_last_judged_year(cal)} (as_of 超出工作日历范围)"
        )


def _last_judged_year(cal: workcal.WorkCalendar) -> int:
    year = cal.first_day.year
    while cal.can_judge(year + 1):
        year += 1
    return year


# -- helpers -----------------------------------------------------------------------------
def court_names() -> dict[str, str]:
    """Court code -> name, from the configuration (the console's pages use it too)."""
    from xinfang.config import get_config

    return {code: court.name for code, court in get_config().courts.items()}


def tier_numbers() -> list[int]:
    """The configured tiers, lowest first."""
    from xinfang.config import get_config

    return sorted(get_config().tiers)


def _today() -> dt.date:
    from xinfang.timeutil import today_local

    return today_local()


def _first_contact(column: sa.Column) -> sa.ScalarSelect:
    """The first non-empty ``column`` of a case's intake items (correlated, capped lists only)."""
    return (
        sa.select(column)
        .where(intake_item.c.case_id == ledger_case.c.case_id, column.is_not(None))
        .order_by(intake_item.c.item_id)
        .limit(1)
        .scalar_subquery()
    )


def _masked_case(row: sa.Row) -> dict[str, Any]:
    out = {k: jsonable(v) for k, v in row._mapping.items()}
    out["id_number"] = mask_id(out.get("id_number"))
    out["phone"] = mask_phone(out.get("phone"))
    return out


# -- figures -----------------------------------------------------------------------------
def cases_by_court(conn: Connection) -> dict[str, Any]:
    """Cases per court, split by status, and the not-closed ones by tier."""
    courts = court_names()
    tiers = tier_numbers()
    rows = conn.execute(
        sa.select(
            ledger_case.c.court_code,
            ledger_case.c.tier,
            ledger_case.c.status,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((ledger_case.c.is_key, 1), else_=0)).label("key"),
        ).group_by(ledger_case.c.court_code, ledger_case.c.tier, ledger_case.c.status)
    ).all()
    table: dict[str, dict[str, Any]] = {}

    def blank(code: str) -> dict[str, Any]:
        return {
            "court_code": code,
            "court_name": courts.get(code, code),
            **{s: 0 for s in STATUSES},
            "total": 0,
            "key_open": 0,
            "tiers": {str(t): 0 for t in tiers},
        }

    for code in courts:
        table[code] = blank(code)
    breakdown = []
    for court_code, tier, status, n, key in rows:
        entry = table.setdefault(court_code, blank(court_code))
        entry[status] = entry.get(status, 0) + n
        entry["total"] += n
        if status != "closed":
            entry["tiers"][str(tier)] = entry["tiers"].get(str(tier), 0) + n
            entry["key_open"] += int(key or 0)
        breakdown.append({"court_code": court_code, "tier": tier, "status": status, "count": n})
    courts_out = list(table.values())
    totals = blank("total")
    totals["court_name"] = "合计"
    for entry in courts_out:
        for key in (*STATUSES, "total", "key_open"):
            totals[key] += entry.get(key, 0)
        for t, n in entry["tiers"].items():
            totals["tiers"][t] = totals["tiers"].get(t, 0) + n
    breakdown.sort(key=lambda r: (r["court_code"], r["tier"], r["status"]))
    return {"courts": courts_out, "totals": totals, "breakdown": breakdown, "tiers": tiers}


def escalations_on(conn: Connection, day: dt.date, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """The escalations dated ``day`` (escalation_event), highest tier first."""
    where = escalation_event.c.escalated_on == day
    total = conn.execute(sa.select(sa.func.count()).select_from(escalation_event).where(where))
    rows = conn.execute(
        sa.select(
            ledger_case.c.ledger_no,
            ledger_case.c.court_code,
            escalation_event.c.from_tier,
            escalation_event.c.to_tier,
            escalation_event.c.reason,
            ledger_case.c.is_key,
            ledger_case.c.petitioner_name,
            _first_contact(intake_item.c.id_number).label("id_number"),
            _first_contact(intake_item.c.phone).label("phone"),
        )
        .select_from(
            escalation_event.join(ledger_case, ledger_case.c.case_id == escalation_event.c.case_id)
        )
        .where(where)
        .order_by(escalation_event.c.to_tier.desc(), ledger_case.c.ledger_no)
        .limit(limit)
    ).all()
    return {"count": total.scalar_one(), "rows": [_masked_case(r) for r in rows]}


def notifications_on(conn: Connection, day: dt.date, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Notifications created on ``day``: counts per kind and the warnings listed."""
    where = notification.c.created_on == day
    by_kind = {
        kind: n
        for kind, n in conn.execute(
            sa.select(notification.c.kind, sa.func.count())
            .where(where)
            .group_by(notification.c.kind)
            .order_by(notification.c.kind)
        )
    }
    warnings = conn.execute(
        sa.select(
            ledger_case.c.ledger_no,
            ledger_case.c.court_code,
            notification.c.tier,
            notification.c.recipient,
            notification.c.sent_at,
            ledger_case.c.petitioner_name,
            _first_contact(intake_item.c.id_number).label("id_number"),
            _first_contact(intake_item.c.phone).label("phone"),
        )
        .select_from(
            notification.join(ledger_case, ledger_case.c.case_id == notification.c.case_id)
        )
        .where(where, notification.c.kind == "warning")
        .order_by(notification.c.tier.desc(), ledger_case.c.ledger_no)
        .limit(limit)
    ).all()
    return {
        "by_kind": by_kind,
        "warning_count": by_kind.get("warning", 0),
        "warnings": [_masked_case(r) for r in warnings],
    }


def overdue_cases(conn: Connection, limit: int = LIST_LIMIT) -> dict[str, Any]:
    """Cases not closed and flagged overdue (tier 5 past its limit) or past the statutory date."""
    where = sa.and_(
        ledger_case.c.status != "closed",
        sa.or_(ledger_case.c.overdue, ledger_case.c.statutory_overdue),
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(ledger_case).where(where))
    rows = conn.execute(
        sa.select(
            ledger_case.c.ledger_no,
            ledger_case.c.court_code,
            ledger_case.c.tier,
            ledger_case.c.tier_entered_on,
            ledger_case.c.status,
            ledger_case.c.is_key,
            ledger_case.c.overdue,
            ledger_case.c.statutory_overdue,
            ledger_case.c.statutory_due_on,
            ledger_case.c.first_received_at,
            ledger_case.c.petitioner_name,
            _first_contact(intake_item.c.id_number).label("id_number"),
            _first_contact(intake_item.c.phone).label("phone"),
        )
        .where(where)
        .order_by(
            ledger_case.c.tier.desc(),
            ledger_case.c.statutory_due_on.asc(),
            ledger_case.c.ledger_no,
        )
        .limit(limit)
    ).all()
    return {"count": total.scalar_one(), "rows": [_masked_case(r) for r in rows]}


def month_dispositions(conn: Connection, month: dt.date) -> dict[str, Any]:
    """The five batches per court for ``month``.

    From ``disposition_monthly`` once the month-end DAG has written the month
    (the official figures); before that, counted live from ``ledger_case``
    (cases closed in the month, by their disposition).
    """
    month, _, next_month = month_bounds(month)
    official = conn.execute(
        sa.select(
            disposition_monthly.c.court_code,
            disposition_monthly.c.disposition,
            disposition_monthly.c.case_count,
        ).where(disposition_monthly.c.month == month)
    ).all()
    if official:
        source = "disposition_monthly"
        cells = [(c, d, n) for c, d, n in official]
    else:
        source = "ledger_case"
        cells = conn.execute(
            sa.select(ledger_case.c.court_code, ledger_case.c.disposition, sa.func.count())
            .where(
                ledger_case.c.status == "closed",
                ledger_case.c.closed_on >= month,
                ledger_case.c.closed_on < next_month,
            )
            .group_by(ledger_case.c.court_code, ledger_case.c.disposition)
        ).all()
    courts = court_names()
    grid: dict[str, dict[str, Any]] = {
        code: {"court_code": code, "court_name": name, **dict.fromkeys(DISPOSITIONS, 0), "total": 0}
        for code, name in courts.items()
    }
    for code, disposition, n in cells:
        entry = grid.setdefault(
            code,
            {"court_code": code, "court_name": code, **dict.fromkeys(DISPOSITIONS, 0), "total": 0},
        )
        key = disposition if disposition in DISPOSITIONS else "other"
        entry[key] = entry.get(key, 0) + int(n or 0)
        entry["total"] += int(n or 0)
    totals = {"court_code": "total", "court_name": "合计", **dict.fromkeys(DISPOSITIONS, 0)}
    totals["total"] = 0
    for entry in grid.values():
        for key in (*DISPOSITIONS, "total"):
            totals[key] += entry.get(key, 0)
    return {
        "month": month.isoformat(),
        "source": source,
        "courts": list(grid.values()),
        "totals": totals,
    }


def review_commands(kind: str, item_id: int, matched_item_id: int | None) -> list[dict]:
    """What staff can run on one row of the review queue (``xinfang.admin``), the
    command that keeps the matcher's decision first."""
    tail = '--reason "理由" --by "姓名"'
    confirm = {"action": "confirm", "command": f"{ADMIN} confirm {item_id} {tail}"}
    if kind == "near_miss":
        confirm["label"] = "确认分立 keep apart"
        out = [confirm]
        if matched_item_id is not None:
            out.append(
                {
                    "action": "merge",
                    "label": "合并 merge",
                    "command": f"{ADMIN} merge {item_id} {matched_item_id} {tail}",
                }
            )
        return out
    confirm["label"] = "确认合并 confirm"
    split = {"action": "split", "label": "拆分 split", "command": f"{ADMIN} split {item_id} {tail}"}
    return [confirm, split]


def match_review(conn: Connection, limit: int = REVIEW_LIMIT) -> dict[str, Any]:
    """The review queue of deduplication (甄别): the joins and near misses closest to the
    bar (view ``v_match_review``), the closest call (smallest ``abs(margin)``) first.

    ID and phone numbers come masked from the view; the name and the evidence are
    masked again as free text (``mask_text``), should a number have slipped into them."""
    count = conn.execute(sa.text("SELECT count(*) FROM v_match_review")).scalar_one()
    rows = conn.execute(
        sa.text(
            "SELECT item_id, channel, received_at, petitioner_name, phone_masked,"
            " id_number_masked, kind, rule, score, threshold, margin, evidence, case_id,"
            " ledger_no, candidate_case_id, candidate_ledger_no, matched_item_id, decided_at"
            " FROM v_match_review ORDER BY abs(margin), item_id LIMIT :n"
        ).columns(received_at=sa.DateTime, decided_at=sa.DateTime),  # SQLite: text
        {"n": int(limit)},
    ).all()
    out = []
    for row in rows:
        r = {k: jsonable(v) for k, v in row._mapping.items()}
        for key in ("score", "threshold", "margin"):
            r[key] = round(float(r[key]), 4) if r[key] is not None else None
        r["petitioner_name"] = mask_text(r["petitioner_name"])
        r["evidence"] = mask_text(r["evidence"])
        r["commands"] = review_commands(r["kind"], r["item_id"], r["matched_item_id"])
        out.append(r)
    return {"count": count, "rows": out}


def latest_activity(conn: Connection) -> dt.date | None:
    """The last day with an escalation or notification: a useful ``as_of`` for a replayed ledger."""
    last_esc = conn.execute(sa.select(sa.func.max(escalation_event.c.escalated_on))).scalar()
    last_note = conn.execute(sa.select(sa.func.max(notification.c.created_on))).scalar()
    days = [d for d in (last_esc, last_note) if d is not None]
    if not days:
        return None
    return max(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in days)


def summary(engine: Engine, as_of: dt.date | None = None, limit: int = LIST_LIMIT) -> dict:
    """Everything the dashboard shows, as JSON-ready data (personal data masked).

    Raises :class:`BadAsOf` for a day the working calendar cannot judge."""
    as_of = as_of or _today()
    check_as_of(as_of)
    with engine.connect() as conn:
        by_court = cases_by_court(conn)
        escalations = escalations_on(conn, as_of, limit)
        notices = notifications_on(conn, as_of, limit)
        overdue = overdue_cases(conn, limit)
        dispositions = month_dispositions(conn, as_of)
        review = match_review(conn)
        latest = latest_activity(conn)
        kpi = kpi_rates(conn, as_of, court_names())
    totals = by_court["totals"]
    return {
        "as_of": as_of.isoformat(),
        "latest_activity": latest.isoformat() if latest else None,
        # for today, not as_of: the warning is about the sweeps still to come
        "calendar": workcal.horizon(_today()),
        "headline": {
            "cases": totals["total"],
            "open": totals["open"],
            "paused": totals["paused"],
            "closed": totals["closed"],
            "key_open": totals["key_open"],
            "overdue": overdue["count"],
            "escalations_today": escalations["count"],
            "warnings_today": notices["warning_count"],
            "closed_this_month": dispositions["totals"]["total"],
        },
        "cases_by_court": by_court,
        "escalations": escalations,
        "notifications": notices,
        "overdue": overdue,
        "dispositions": dispositions,
        "review": review,
        "kpi": kpi,
        "labels": {"dispositions": DISPOSITIONS, "statuses": STATUSES},
    }
