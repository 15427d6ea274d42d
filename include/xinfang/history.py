"""Case history (``case_history``): one row per change of a case's tracked fields.

One mechanism for every writer of ``ledger_case``: :func:`record` compares the tracked
fields (``schema.HISTORY_FIELDS``) of the ledger with ``case_history_state``, each
case's fields as last recorded, writes a row for every field that moved and brings the
state up to date, in set-based SQL. Each step that writes cases calls it at its end in
the same transaction (``xinfang.pipeline``: after deduplication, after the progress
rows, after the escalation sweep; ``ledger.merge``/``split``/``rebuild``; the staff
commands of ``xinfang.admin``), so whoever changed a case, the change is recorded once
and a rerun of a step, which changes nothing, records nothing.

Besides the fields:
- ``created``: a case seen for the first time (new_value: the court it was given);
- ``merge``: on the case that took the items; old_value the 台账编号 they came from (a
  case that vanished, or the case an item was moved out of by ``admin merge``);
- ``split``: on the new case an item was split into; old_value the case it left.

``source`` is the contract's (CONTRACT §7: intake, progress, sweep, manual); ``via`` says
which step or tool (intake, progress, escalation, rebuild; admin = the command, console
= the dashboard's forms). ``changed_on`` is the run's as-of day or the command's day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from xinfang import locks, timeutil
from xinfang.db import dialect_of
from xinfang.masking import mask_text
from xinfang.schema import HISTORY_FIELDS

SOURCES = {
    "intake": "intake",
    "progress": "progress",
    "escalation": "sweep",
    "rebuild": "intake",
    "admin": "manual",
    "console": "manual",
}
"""``via`` (how the change was made) -> the contract's ``source``."""

PEOPLE = ("admin", "console")

_COLUMNS = (
    "case_id, ledger_no, field, old_value, new_value, changed_on, changed_at, source, via, "
    "actor, reason, recorded_at"
)
_STATE = ", ".join(HISTORY_FIELDS)


def action_day() -> dt.date:
    """The day a person's action takes effect: today in the court's zone (one place, so
    tests and a replay can set it)."""
    return timeutil.today_local()


def _as_text(expr: str, field: str) -> str:
    """A tracked value as the text stored in old_value/new_value (the same on both
    databases: booleans true/false, dates YYYY-MM-DD, tiers as digits)."""
    if field == "is_key":
        return f"(CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END)"
    if field == "tier":
        return f"CAST({expr} AS VARCHAR(8))"
    if field.endswith("_on") or field == "extended_to":
        return f"CAST({expr} AS VARCHAR(10))"
    return expr


def _scope(alias: str, case_ids: Sequence[int] | None, within: bool = True) -> str:
    """`` AND alias.case_id [NOT] IN (...)`` for the given cases; none: no condition."""
    if case_ids is None:
        return ""
    ids = ",".join(str(int(c)) for c in case_ids) or "NULL"
    return f" AND {alias}.case_id {'IN' if within else 'NOT IN'} ({ids})"


def record(
    conn: Connection,
    on: dt.date,
    via: str,
    *,
    by: str | None = None,
    reason: str | None = None,
    case_ids: Iterable[int] | None = None,
    links: Sequence[tuple[int, str, str | None]] = (),
    since: dt.datetime | None = None,
) -> int:
    """Record what changed in ``ledger_case`` since the last call; returns rows written.

    ``case_ids`` limits the comparison to those cases (a person's command); ``links``
    are explicit (case_id, 'merge' | 'split', other 台账编号) rows a command writes
    first; a case given a 'split' link gets no 'created' row. ``since``: only cases
    updated (``updated_at``) from then on, for a step that records its own changes in
    its own transaction (the sweep: a scan instead of a join of the whole ledger).
    """
    if via not in SOURCES:
        raise ValueError(f"unknown history source {via!r}")
    # one recorder at a time (PostgreSQL): two transactions comparing the same cases with
    # the same recorded state would both write their rows (and both a new case's state,
    # one failing on its key); the staff commands, merges and the sweep hold it already
    locks.take(conn, locks.LEDGER)
    ids = None if case_ids is None else sorted({int(c) for c in case_ids if c is not None})
    now = timeutil.now_local()
    binds = {
        "on": on,
        "at": now if via in PEOPLE else dt.datetime.combine(on, dt.time()),
        "source": SOURCES[via],
        "via": via,
        "by": by if via in PEOPLE else None,
        "reason": mask_text(reason) if via in PEOPLE else None,  # views show it as is
        "now": now,
    }
    split_into = {int(c) for c, field, _ in links if field == "split"}
    recent = ""
    if since is not None:
        binds["since"] = since
        recent = " AND c.updated_at >= :since"
    n = _write_links(conn, links, binds)
    if since is None:
        n += _vanished(conn, ids, binds)
    n += _changed(conn, ids, binds, recent)
    n += _created(conn, ids, binds, split_into, recent)
    return n


def catch_up(conn: Connection, case_ids: Iterable[int | None]) -> int:
    """Before a person's change: what the pipeline changed on these cases and has not
    recorded yet (the DAG's ``deduplicate`` task is recorded by ``apply_updates``, after
    it), recorded as the pipeline's, so the person is named only for what they did."""
    return record(conn, action_day(), "intake", case_ids=case_ids)


def _run(conn: Connection, sql: str, binds: dict) -> int:
    types = {"on": sa.Date, "at": sa.DateTime, "now": sa.DateTime, "since": sa.DateTime}
    stmt = sa.text(sql).bindparams(
        *(sa.bindparam(k, type_=t) for k, t in types.items() if f":{k}" in sql)
    )
    return conn.execute(stmt, {k: v for k, v in binds.items() if f":{k}" in sql}).rowcount


_VALUES = ":on, :at, :source, :via, :by, :reason, :now"


def _write_links(
    conn: Connection, links: Sequence[tuple[int, str, str | None]], binds: dict
) -> int:
    n = 0
    for case_id, field, other in links:
        n += _run(
            conn,
            f"""INSERT INTO case_history ({_COLUMNS})
            SELECT case_id, ledger_no, :field, :other, ledger_no, {_VALUES}
            FROM ledger_case WHERE case_id = :case_id""",
            {**binds, "field": field, "other": other, "case_id": int(case_id)},
        )
    return n


def _vanished(conn: Connection, ids: list[int] | None, binds: dict) -> int:
    """Cases gone from the ledger (folded by deduplication, emptied by a merge, dropped
    by a rebuild): a 'merge' row on the case now holding their anchor item."""
    gone = f"""NOT EXISTS (SELECT 1 FROM ledger_case c WHERE c.case_id = s.case_id)
        {_scope("s", ids)}"""
    n = _run(
        conn,
        f"""INSERT INTO case_history ({_COLUMNS})
        SELECT c.case_id, c.ledger_no, 'merge', s.ledger_no, c.ledger_no, {_VALUES}
        FROM case_history_state s
        JOIN intake_item i ON i.item_id = s.anchor_item_id
        JOIN ledger_case c ON c.case_id = i.case_id
        WHERE {gone}""",
        binds,
    )
    conn.execute(
        sa.text(
            f"DELETE FROM case_history_state WHERE case_id IN "
            f"(SELECT s.case_id FROM case_history_state s WHERE {gone})"
        )
    )
    return n


def _changed(conn: Connection, ids: list[int] | None, binds: dict, recent: str) -> int:
    """A row per tracked field that moved, then the state brought up to date."""
    dist = dialect_of(conn).is_distinct
    moved = " OR ".join(dist(f"c.{f}", f"s.{f}") for f in HISTORY_FIELDS)
    pairs = ", ".join(
        f"{_as_text('s.' + f, f)} AS o_{f}, {_as_text('c.' + f, f)} AS n_{f}"
        for f in HISTORY_FIELDS
    )
    rows = " UNION ALL ".join(
        f"SELECT case_id, ledger_no, '{f}' AS field, o_{f} AS old_value, n_{f} AS new_value "
        f"FROM moved WHERE {dist(f'o_{f}', f'n_{f}')}"
        for f in HISTORY_FIELDS
    )
    n = _run(
        conn,
        f"""INSERT INTO case_history ({_COLUMNS})
        WITH moved AS MATERIALIZED (
          SELECT c.case_id, c.ledger_no, {pairs}
          FROM ledger_case c JOIN case_history_state s ON s.case_id = c.case_id
          WHERE ({moved}) {_scope("c", ids)}{recent})
        SELECT x.case_id, x.ledger_no, x.field, x.old_value, x.new_value, {_VALUES}
        FROM ({rows}) x""",
        binds,
    )
    if n:
        sets = ", ".join(f"{f} = c.{f}" for f in HISTORY_FIELDS)
        _run(
            conn,
            f"""UPDATE case_history_state AS s SET {sets} FROM ledger_case c
            WHERE c.case_id = s.case_id AND ({moved}) {_scope("c", ids)}{recent}""",
            binds,
        )
    return n


def _created(
    conn: Connection, ids: list[int] | None, binds: dict, split_into: set[int], recent: str
) -> int:
    """Cases seen for the first time: a 'created' row (none for a case a split made),
    and their state with an anchor item. The new cases are listed first in a temporary
    table: an anti-join of the state against itself while inserting into it would read
    its own new rows (on PostgreSQL, a scan per case)."""
    dialect = dialect_of(conn)
    dialect.temp_table_as(
        conn,
        "history_new_case",
        f"""SELECT c.case_id FROM ledger_case c
        WHERE NOT EXISTS (SELECT 1 FROM case_history_state s WHERE s.case_id = c.case_id)
        {_scope("c", ids)}{recent}""",
        {"since": binds["since"]} if recent else None,
    )
    dialect.analyze(conn, "history_new_case")
    not_split = _scope("c", sorted(split_into), within=False) if split_into else ""
    n = _run(
        conn,
        f"""INSERT INTO case_history ({_COLUMNS})
        SELECT c.case_id, c.ledger_no, 'created', NULL, c.court_code, {_VALUES}
        FROM ledger_case c JOIN history_new_case h ON h.case_id = c.case_id
        WHERE 1 = 1 {not_split}""",
        binds,
    )
    conn.execute(
        sa.text(
            f"""INSERT INTO case_history_state (case_id, ledger_no, anchor_item_id, {_STATE})
            SELECT c.case_id, c.ledger_no, a.anchor_item_id,
              {", ".join("c." + f for f in HISTORY_FIELDS)}
            FROM ledger_case c JOIN history_new_case h ON h.case_id = c.case_id
            LEFT JOIN (SELECT i.case_id, MIN(i.item_id) AS anchor_item_id
                       FROM intake_item i JOIN history_new_case h ON h.case_id = i.case_id
                       GROUP BY i.case_id) a ON a.case_id = c.case_id"""
        )
    )
    conn.exec_driver_sql("DROP TABLE history_new_case")
    return n


def rows_of(conn: Connection, case_id: int) -> list[dict]:
    """A case's history, oldest first (for the command's output and the tests)."""
    got = conn.execute(
        sa.text(
            "SELECT field, old_value, new_value, changed_on, source, via, actor, reason "
            "FROM case_history WHERE case_id = :c ORDER BY history_id"
        ),
        {"c": case_id},
    )
    return [dict(r._mapping) for r in got]
