"""Apply the courts' progress rows (``case_progress``) to ``ledger_case``.

Set-based: for every case (or the given ones) the latest row by 日期 (then load
order) that names a court, department, judge or leader sets it, and so for each
workflow column (受理日期, 答复日期, 延期至, 满意度, 督办单位, 督办期限); a row marked
重点案件=是, or a referral item, makes the case key from that date (key status is
never withdrawn: a leader who took a case keeps it); the status columns follow
the latest status row, a repeat item after 销号 reopening the case. The
escalation sweep later derives the same status columns, with tiers, as of its
date; this pass makes the ledger show a court's update as soon as it is loaded.

People's case actions (``python -m xinfang.admin`` assign, mark-key, close, reopen) are
progress rows too (``origin`` admin/console, dated the day of the action), so every
derivation honours them by the same rule: the latest row by 日期, then by the order
recorded. The one thing a court's row cannot say is a key withdrawn (mark-key --unset):
:func:`withdraw_keys` applies it after each derivation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from xinfang.config import get_config
from xinfang.db import dialect_of
from xinfang.schema import WORKFLOW_COLUMNS
from xinfang.timeutil import now_local
from xinfang.workflow import extension_refusal

ASSIGNMENTS = ("court_code", "department", "judge", "leader")
WORKFLOW = WORKFLOW_COLUMNS
"""The ledger columns the latest progress row giving each sets (docs/progress.md)."""


def _latest(col: str) -> str:
    return f"""(SELECT p.{col} FROM case_progress p
        WHERE p.case_id = ledger_case.case_id AND p.{col} IS NOT NULL
        ORDER BY p.progress_date DESC, p.progress_id DESC LIMIT 1)"""


def apply_progress(conn: sa.Connection, case_ids: Iterable[int] | None = None) -> int:
    """Apply progress rows to their cases; returns the number of cases touched.

    Idempotent: applying the same rows again changes nothing.
    """
    dialect = dialect_of(conn)
    if case_ids is not None:
        ids = sorted({int(c) for c in case_ids})
        if not ids:
            return 0
        scope = "ledger_case.case_id IN (" + ",".join(str(i) for i in ids) + ")"
    else:
        scope = "ledger_case.case_id IN (SELECT case_id FROM case_progress)"
    dist = dialect.is_distinct
    key_tier = get_config().key_case_tier
    now = now_local()

    # assignments and the workflow: the latest row giving each of them
    assign = {c: _latest(c) for c in ASSIGNMENTS + WORKFLOW}
    sets = ", ".join(f"{c} = COALESCE({q}, ledger_case.{c})" for c, q in assign.items())
    changed = " OR ".join(
        dist(f"ledger_case.{c}", f"COALESCE({q}, ledger_case.{c})") for c, q in assign.items()
    )
    touched = conn.execute(
        sa.text(
            f"UPDATE ledger_case SET {sets}, updated_at = :now WHERE {scope} "
            f"AND EXISTS (SELECT 1 FROM case_progress p WHERE p.case_id = ledger_case.case_id) "
            f"AND ({changed})"
        ).bindparams(sa.bindparam("now", type_=sa.DateTime)),
        {"now": now},
    ).rowcount

    # key status: the earliest 重点案件=是 row or referral item, only ever earlier: the
    # sweep's key day is the earliest of these and the risk screening's key flags
    # (risk.screen.key_dates_sql), and a case a delta sweep does not derive again must
    # keep it (a later referral used to overwrite a threat's earlier key day)
    recv = dialect.day("i.received_at")
    key_prog = """(SELECT MIN(p.progress_date) FROM case_progress p
        WHERE p.case_id = ledger_case.case_id AND p.is_key)"""
    key_ref = f"""(SELECT MIN({recv}) FROM intake_item i
        WHERE i.case_id = ledger_case.case_id AND i.channel = 'referral')"""
    since = f"""(CASE WHEN {key_prog} IS NULL THEN {key_ref} WHEN {key_ref} IS NULL THEN {key_prog}
        WHEN {key_prog} < {key_ref} THEN {key_prog} ELSE {key_ref} END)"""
    if case_ids is None:
        # one IN over a UNION (a semi-join): with OR between two INs the key date's
        # subqueries ran for every case of the ledger
        key_scope = """ledger_case.case_id IN (SELECT case_id FROM case_progress WHERE is_key
            UNION SELECT case_id FROM intake_item WHERE channel = 'referral')"""
    else:
        key_scope = scope
    touched += conn.execute(
        sa.text(
            f"""UPDATE ledger_case SET is_key = TRUE, key_since = {since}, updated_at = :now
            WHERE {key_scope} AND {since} IS NOT NULL
              AND (NOT ledger_case.is_key OR ledger_case.key_since IS NULL
                   OR {since} < ledger_case.key_since)"""
        ).bindparams(sa.bindparam("now", type_=sa.DateTime)),
        {"now": now},
    ).rowcount

    # status: the latest status row; a repeat item after 销号 reopens
    last = """(SELECT p.{col} FROM case_progress p
        WHERE p.case_id = ledger_case.case_id AND p.status IS NOT NULL
        ORDER BY p.progress_date DESC, p.progress_id DESC LIMIT 1)"""
    last_status, last_date, last_disp = (
        last.format(col="status"),
        last.format(col="progress_date"),
        last.format(col="disposition"),
    )
    later_item = f"""EXISTS (SELECT 1 FROM intake_item i WHERE i.case_id = ledger_case.case_id
        AND {recv} > {last_date})"""
    status = f"""(CASE WHEN {last_status} = 'closed' AND {later_item} THEN 'open'
        WHEN {last_status} IS NULL THEN ledger_case.status ELSE {last_status} END)"""
    first_close = """(SELECT MIN(p.progress_date) FROM case_progress p
        WHERE p.case_id = ledger_case.case_id AND p.status = 'closed')"""
    touched += conn.execute(
        sa.text(
            f"""UPDATE ledger_case SET
              status = {status},
              disposition = CASE WHEN {status} = 'closed' THEN {last_disp} END,
              closed_on = CASE WHEN {status} = 'closed' THEN COALESCE(ledger_case.closed_on,
                                                                     {first_close}) END,
              updated_at = :now
            WHERE {scope} AND {last_status} IS NOT NULL
              AND ({dist("ledger_case.status", status)}
                   OR {dist("ledger_case.disposition", f"CASE WHEN {status} = 'closed' THEN {last_disp} END")})"""
        ).bindparams(sa.bindparam("now", type_=sa.DateTime)),
        {"now": now},
    ).rowcount

    # a key case still open goes to the key tier the day it became key
    touched += conn.execute(
        sa.text(
            f"""UPDATE ledger_case SET tier = {key_tier},
              tier_entered_on = CASE WHEN key_since > tier_entered_on THEN key_since
                                     ELSE tier_entered_on END,
              updated_at = :now
            WHERE {key_scope} AND is_key AND tier < {key_tier} AND status <> 'closed'"""
        ).bindparams(sa.bindparam("now", type_=sa.DateTime)),
        {"now": now},
    ).rowcount
    return touched + withdraw_keys(conn)


def withdraw_keys(conn: sa.Connection, as_of: dt.date | None = None) -> int:
    """Cases whose 重点 a person withdrew (a row with ``origin`` and 重点案件 false, dated
    up to ``as_of``) and that no key fact dated later makes key again (a 重点案件=是 row
    after it, a referral item or a threat/group risk flag on a later day): not key.
    The tier the case reached stays (tiers never go down). Returns cases changed."""
    from xinfang.risk.screen import KEY_KINDS

    dialect = dialect_of(conn)
    upto = "AND p.progress_date <= :as_of" if as_of is not None else ""
    latest = f"""(SELECT CASE WHEN p.is_key THEN 1 ELSE 0 END FROM case_progress p
        WHERE p.case_id = ledger_case.case_id AND p.is_key IS NOT NULL
          AND (p.is_key OR p.origin IS NOT NULL) {upto}
        ORDER BY p.progress_date DESC, p.progress_id DESC LIMIT 1)"""
    withdrawn_on = f"""(SELECT MAX(p.progress_date) FROM case_progress p
        WHERE p.case_id = ledger_case.case_id AND p.origin IS NOT NULL AND NOT p.is_key {upto})"""
    kinds = ", ".join(f"'{k}'" for k in KEY_KINDS)
    upto_flag = "AND r.detected_on <= :as_of" if as_of is not None else ""
    upto_item = f"AND {dialect.day('i.received_at')} <= :as_of" if as_of is not None else ""
    sql = f"""UPDATE ledger_case SET is_key = FALSE, key_since = NULL, updated_at = :now
        WHERE is_key AND case_id IN (SELECT case_id FROM case_progress
                                     WHERE origin IS NOT NULL AND NOT is_key)
          AND {latest} = 0
          AND NOT EXISTS (SELECT 1 FROM intake_item i WHERE i.case_id = ledger_case.case_id
            AND i.channel = 'referral' AND {dialect.day("i.received_at")} > {withdrawn_on}
            {upto_item})
          AND NOT EXISTS (SELECT 1 FROM risk_flag r WHERE r.case_id = ledger_case.case_id
            AND r.kind IN ({kinds}) AND r.detected_on > {withdrawn_on} {upto_flag})"""
    binds: dict[str, Any] = {"now": now_local()}
    params = [sa.bindparam("now", type_=sa.DateTime)]
    if as_of is not None:
        binds["as_of"] = as_of
        params.append(sa.bindparam("as_of", type_=sa.Date))
    return conn.execute(sa.text(sql).bindparams(*params), binds).rowcount


def extension_refusals(
    conn: sa.Connection, rows: Sequence[tuple[int | None, dict[str, Any]]]
) -> dict[int, str]:
    """Index in ``rows`` (case id, parsed progress row) -> why its 延期至 is refused.

    An extension moves the deadline by at most 30 days (xinfang.workflow): it is held
    against the acceptance the row gives, else the latest one the case's stored rows or
    the file's earlier rows give, else registration. Refused rows go to intake_reject
    like every other unusable progress row.
    """
    case_ids = sorted({case_id for case_id, v in rows if case_id and v.get("extended_to")})
    if not case_ids:
        return {}
    first_day: dict[int, dt.date] = {}
    accepted: dict[int, dt.date | None] = {}
    for start in range(0, len(case_ids), 1000):
        chunk = case_ids[start : start + 1000]
        found = conn.execute(
            sa.text(
                f"SELECT case_id, first_received_at, {_latest('accepted_on')} AS accepted_on "
                "FROM ledger_case WHERE case_id IN :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": chunk},
        )
        for case_id, received_at, accepted_on in found:
            first_day[case_id] = _as_date(received_at)
            accepted[case_id] = _as_date(accepted_on)
    days = get_config().statutory_days
    refused: dict[int, str] = {}
    for index, (case_id, values) in enumerate(rows):
        if case_id not in first_day:
            continue
        accepted[case_id] = values.get("accepted_on") or accepted[case_id]
        extended_to = values.get("extended_to")
        if extended_to is None:
            continue
        reason = extension_refusal(extended_to, first_day[case_id], accepted[case_id], days)
        if reason is not None:
            refused[index] = reason
    return refused


def _as_date(value: Any) -> dt.date | None:
    """A DATE or TIMESTAMP as SQLite (text) or PostgreSQL returns it -> a date."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])
