"""E-mail the sweep's notifications through Airflow's SMTP provider, where one is configured.

The ``notification`` table is the record; e-mail is a delivery channel on top
of it. Without an SMTP connection (conn id ``smtp_default``, e.g. the
environment variable ``AIRFLOW_CONN_SMTP_DEFAULT``) nothing is sent and the
rows stay unsent (``sent_at`` null) for the dashboard and a later run.

Addresses: notifications name a person (承办法官, 包案领导) or a role; the
configuration maps them to e-mail addresses::

    notify:
      from_email: xinfang@court.example
      default_to: xinfang-office@court.example   # anything not listed
      addresses: {王法官: wang@court.example, 院长: president@court.example}

A notification addressed to a person of the config's ``roster:`` (the court's person
at that tier) goes to the roster's address; any other recipient is looked up in
``notify.addresses``. A notification whose recipient has no address (and no
``default_to``) stays unsent and is counted as such.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import db
from xinfang.config import Config, get_config
from xinfang.schema import ledger_case, notification
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)

SMTP_CONN_ID = "smtp_default"

KIND_TEXT = {
    "escalation": "升级",
    "warning": "即将超期提醒",
    "overdue": "超期",
    "statutory": "超过法定办理期限",
    "supervision": "督办期限已过未答复",
}


def smtp_configured(conn_id: str = SMTP_CONN_ID) -> bool:
    """Is an SMTP connection configured (environment or Airflow's connections)?"""
    if os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}", "").strip():
        return True
    try:
        from airflow.sdk import BaseHook

        BaseHook.get_connection(conn_id)
    except Exception:
        return False
    return True


def message(row: Any) -> tuple[str, str]:
    """Subject and HTML body of one notification."""
    config = get_config()
    court = config.courts.get(row.court_code)
    court_name = court.name if court else row.court_code
    what = KIND_TEXT.get(row.kind, row.kind)
    tier = f"第{row.tier}级({config.tiers[row.tier].role})" if row.tier in config.tiers else ""
    subject = f"[信访台账] {row.ledger_no} {what} {tier}".strip()
    lines = [
        f"台账编号: {row.ledger_no}",
        f"责任法院: {court_name}",
        f"事项: {what} {tier}".strip(),
        f"日期: {row.created_on}",
        f"当前层级: 第{row.case_tier}级, 状态: {row.status}",
    ]
    if row.kind == "statutory" and row.statutory_due_on:
        lines.append(f"法定办理期限: {row.statutory_due_on}")
    if row.kind == "supervision" and row.supervision_due_on:
        lines.append(f"督办单位: {row.supervision_unit or ''}, 督办期限: {row.supervision_due_on}")
    body = "<br>".join(html.escape(str(x)) for x in lines)
    return subject, body


def send_pending(engine: Engine | None = None, limit: int = 5000) -> dict[str, int]:
    """E-mail unsent notifications and set their ``sent_at``; a no-op without SMTP."""
    engine = engine or db.get_engine()
    with engine.connect() as conn:
        pending = conn.execute(
            sa.select(sa.func.count())
            .select_from(notification)
            .where(notification.c.sent_at.is_(None))
        ).scalar_one()
    if not pending:
        return {"pending": 0, "sent": 0, "no_address": 0}
    if not smtp_configured():
        log.info(
            "%d notifications left unsent: no SMTP connection %r is configured "
            "(set AIRFLOW_CONN_SMTP_DEFAULT to e-mail them)",
            pending,
            SMTP_CONN_ID,
        )
        return {"pending": pending, "sent": 0, "no_address": 0, "smtp": 0}
    sent, no_address = _send(engine, _unsent(engine, limit), get_config())
    if no_address:
        log.warning(
            "%d notifications have no e-mail address (config roster, notify.addresses or"
            " default_to)",
            no_address,
        )
    log.info("e-mailed %d of %d pending notifications", sent, pending)
    return {"pending": pending, "sent": sent, "no_address": no_address, "smtp": 1}


def _unsent(engine: Engine, limit: int) -> list[Any]:
    """The oldest unsent notifications with what their message says about the case."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(
                notification.c.case_id,
                notification.c.kind,
                notification.c.tier,
                notification.c.recipient,
                notification.c.created_on,
                ledger_case.c.ledger_no,
                ledger_case.c.court_code,
                ledger_case.c.tier.label("case_tier"),
                ledger_case.c.status,
                ledger_case.c.statutory_due_on,
                ledger_case.c.supervision_unit,
                ledger_case.c.supervision_due_on,
            )
            .join(ledger_case, ledger_case.c.case_id == notification.c.case_id)
            .where(notification.c.sent_at.is_(None))
            .order_by(notification.c.created_on, notification.c.case_id, notification.c.kind)
            .limit(limit)
        ).all()


def address_for(row: Any, config: Config) -> str | None:
    """Where a notification goes: the roster's address when it names the roster's person
    of its case's court at its tier, else ``notify.addresses``, else ``default_to``."""
    listed = config.roster_person(row.court_code, row.tier)
    if listed is not None and listed.name == row.recipient and listed.email:
        return listed.email
    settings = config.notify
    return settings.addresses.get(row.recipient) or settings.default_to


def _send(engine: Engine, rows: list[Any], config: Config) -> tuple[int, int]:
    """E-mail ``rows`` to their recipients' addresses; returns (sent, without an address)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    sent: list[tuple] = []
    no_address = 0
    with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
        for row in rows:
            to = address_for(row, config)
            if not to:
                no_address += 1
                continue
            subject, body = message(row)
            hook.send_email_smtp(
                to=to, subject=subject, html_content=body, from_email=config.notify.from_email
            )
            sent.append((row.case_id, row.created_on, row.kind, row.tier))
            # mark in small batches so a failure later does not re-send these
            if len(sent) % 100 == 0:
                _mark(engine, sent[-100:])
    _mark(engine, sent[len(sent) - len(sent) % 100 :] if len(sent) % 100 else [])
    return len(sent), no_address


def _mark(engine: Engine, keys: list[tuple]) -> None:
    """Set sent_at on the notifications with these keys (case_id, created_on, kind, tier)."""
    if not keys:
        return
    stamp: dt.datetime = now_local()
    key = sa.tuple_(
        notification.c.case_id, notification.c.created_on, notification.c.kind, notification.c.tier
    )
    with engine.begin() as conn:
        conn.execute(notification.update().where(key.in_(keys)).values(sent_at=stamp))
