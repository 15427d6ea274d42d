"""Month-end statistics: the five batches (五个一批) grid and the campaign KPIs.

The figures come from two grouped queries run inside the database (set-based,
no loop over the ledger in Python): the state of every case received by month
end, counted by court and a few flags (one pass over ``ledger_case``), and the
month's activity (its items, escalations, hearings and closings), summed per
case and then per court. Python only folds the few hundred grouped rows into
11 ``kpi_monthly`` rows and 55 ``disposition_monthly`` rows, which replace the
month's rows in one transaction.

The ledger holds each case's current state, kept by the escalation sweep: a
progress row 已销号 closes a case (``closed_on`` = the day it became closed), a
repeat item or an 办理中 row reopens it (``closed_on`` cleared; an item also
adds to ``reopened_count``). A past month is rebuilt from that and the dated
facts:

- *closed at the end of day D*: the ledger's current closed stretch began on or
  before D; or, for a case reopened since, its latest closing progress row on or
  before D was not followed, by D, by an 办理中/中止 row or an item on a later day;
- *closed in month M*: the ledger's ``closed_on`` is in M, or a closing progress
  row is dated in M and is not a restatement of the ledger's current closed
  stretch; counted once, with the ledger's disposition or that row's;
- *reopened in M* (息诉罢访 failed): an item received in M on a day after a close.

The petition office's three rates (及时受理率, 按期办结率, 满意率; docs/progress.md)
come from a third grouped query over the ledger's workflow columns (``_rates_sql``).

So a rerun for an old month gives the figures of the run right after it ended,
as long as the facts are unchanged. Every KPI column is defined in
``docs/data_dictionary.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang.config import get_config
from xinfang.db import dialect_of, is_postgres
from xinfang.months import month_bounds, month_start
from xinfang.schema import disposition_monthly, kpi_monthly
from xinfang.timeutil import now_local
from xinfang.vocab import CHANNELS, DISPOSITIONS
from xinfang.workflow import ACCEPTANCE_DAYS, SATISFIED

KPI_ESCALATION_TIERS: tuple[int, ...] = tuple(
    int(column.name.removeprefix("esc_to_tier"))
    for column in kpi_monthly.columns
    if column.name.startswith("esc_to_tier")
)
"""The tiers ``kpi_monthly`` counts escalations to (a column each): the longest ladder the
config accepts. A shorter ladder's missing tiers stay 0."""

KPI_COLUMNS: tuple[str, ...] = (
    "cases_total",
    "cases_new",
    "cases_closed",
    "cases_open_start",
    "cases_open_end",
    "resolution_rate",
    "repeat_items",
    "repeat_cases",
    "reopened_cases",
    *(f"esc_to_tier{t}" for t in KPI_ESCALATION_TIERS),
    "overdue_cases",
    "statutory_overdue_cases",
    "key_open",
    "key_closed",
    "hearings",
    "items_total",
    *(f"items_{c}" for c in CHANNELS),
)


RATES: dict[str, tuple[str, str]] = {
    "timely_acceptance_rate": ("accepted_in_time", "acceptance_rated"),
    "on_time_closure_rate": ("closed_on_time", "closure_rated"),
    "satisfaction_rate": ("satisfied", "satisfaction_rated"),
}
"""Each workflow rate of ``kpi_monthly`` -> its numerator and denominator in ``_rates_sql``
(null when the denominator is 0)."""


def _states_sql(conn: Connection) -> str:
    """Every case received by month end, counted by court and state (one pass over the ledger).

    Per case only a handful of flags are worked out, and rows are grouped on them,
    so the whole ledger costs one scan and one join to the closing progress rows.
    """
    nd = dialect_of(conn).next_day
    return f"""
WITH pca AS (
    -- closing progress rows up to month end, per case: the ledger's current state
    -- does not tell about the closes of a case reopened since
    SELECT case_id,
        MAX(progress_date) AS pc_end,
        MAX(CASE WHEN progress_date < :start THEN progress_date END) AS pc_start
    FROM case_progress
    WHERE status = 'closed' AND progress_date <= :last
    GROUP BY case_id
),
st AS (
    SELECT c.court_code,
        -- closed at month end: the ledger's current closed stretch began by then, or
        -- an earlier close by then was not undone by then (a later open/paused row,
        -- or an item on a later day)
        CASE WHEN c.status = 'closed' AND c.closed_on <= :last THEN 1
             WHEN pca.pc_end IS NULL THEN 0
             WHEN EXISTS (
                SELECT 1 FROM case_progress p
                WHERE p.case_id = c.case_id AND p.status IN ('open', 'paused')
                  AND p.progress_date > pca.pc_end AND p.progress_date <= :last) THEN 0
             WHEN EXISTS (
                SELECT 1 FROM intake_item i
                WHERE i.case_id = c.case_id
                  AND i.received_at >= {nd("pca.pc_end")} AND i.received_at < :next)
             THEN 0
             ELSE 1 END AS closed_end,
        -- closed when the month began, the same way
        CASE WHEN c.status = 'closed' AND c.closed_on < :start THEN 1
             WHEN pca.pc_start IS NULL THEN 0
             WHEN EXISTS (
                SELECT 1 FROM case_progress p
                WHERE p.case_id = c.case_id AND p.status IN ('open', 'paused')
                  AND p.progress_date > pca.pc_start AND p.progress_date < :start) THEN 0
             WHEN EXISTS (
                SELECT 1 FROM intake_item i
                WHERE i.case_id = c.case_id
                  AND i.received_at >= {nd("pca.pc_start")} AND i.received_at < :start)
             THEN 0
             ELSE 1 END AS closed_start,
        CASE WHEN c.first_received_at >= :start THEN 1 ELSE 0 END AS is_new,
        CASE WHEN c.is_key AND (c.key_since IS NULL OR c.key_since <= :last)
             THEN 1 ELSE 0 END AS is_key_case,
        CASE WHEN c.overdue THEN 1 ELSE 0 END AS is_overdue,
        CASE WHEN c.statutory_due_on < :last THEN 1 ELSE 0 END AS past_statutory
    FROM ledger_case c
    LEFT JOIN pca ON pca.case_id = c.case_id
    WHERE c.first_received_at < :next
)
SELECT court_code, closed_end, closed_start, is_new, is_key_case, is_overdue, past_statutory,
       COUNT(*) AS n
FROM st
GROUP BY court_code, closed_end, closed_start, is_new, is_key_case, is_overdue, past_statutory
"""


# typed NULLs: PostgreSQL types a UNION's columns from its first branch
_NULL_INT, _NULL_TIMESTAMP = "CAST(NULL AS INTEGER)", "CAST(NULL AS TIMESTAMP)"
_NULL_DATE, _NULL_TEXT = "CAST(NULL AS DATE)", "CAST(NULL AS VARCHAR(16))"

_MONTH_CLOSING_ROW = """
    -- the latest closing row of the month, per case
    SELECT case_id, progress_date, disposition FROM (
        SELECT case_id, progress_date, disposition,
               ROW_NUMBER() OVER (PARTITION BY case_id
                                  ORDER BY progress_date DESC, progress_id DESC) AS rn
        FROM case_progress
        WHERE status = 'closed' AND progress_date >= :start AND progress_date <= :last
    ) x
    WHERE rn = 1"""


class _Counts:
    """The counted columns of the month's facts: one per channel (``n_<channel>``) and
    one per tier escalated to (``t<tier>``), written out for each step of the query."""

    def __init__(self, tiers: tuple[int, ...]) -> None:
        self.tiers = tiers
        self.names = [f"n_{c}" for c in CHANNELS] + [f"t{t}" for t in tiers]

    def item_row(self) -> str:
        """An item's columns: 1 under its channel, NULL under the tiers."""
        flags = [f"CASE WHEN channel = '{c}' THEN 1 ELSE 0 END AS n_{c}" for c in CHANNELS]
        return ", ".join(flags + [f"{_NULL_INT} AS t{t}" for t in self.tiers])

    def escalation_row(self) -> str:
        """An escalation's columns: NULL under the channels, 1 under the tier entered."""
        flags = [f"CASE WHEN to_tier = {t} THEN 1 ELSE 0 END AS t{t}" for t in self.tiers]
        return ", ".join([f"{_NULL_INT} AS n_{c}" for c in CHANNELS] + flags)

    def no_row(self) -> str:
        """Any other fact: NULL under every count."""
        return ", ".join(f"{_NULL_INT} AS {name}" for name in self.names)

    def summed(self) -> str:
        return ", ".join(f"SUM({name}) AS {name}" for name in self.names)

    def of(self, alias: str) -> str:
        return ", ".join(f"{alias}.{name}" for name in self.names)

    def court_totals(self) -> str:
        """Per court: ``items_<channel>`` and ``esc_to_tier<n>`` (the KPI columns)."""
        return ", ".join(
            [f"SUM(n_{c}) AS items_{c}" for c in CHANNELS]
            + [f"SUM(t{t}) AS esc_to_tier{t}" for t in self.tiers]
        )

    def unassigned_items(self) -> str:
        """The same totals for items not in a case yet (no escalation)."""
        return ", ".join(
            [f"SUM(CASE WHEN channel = '{c}' THEN 1 ELSE 0 END)" for c in CHANNELS]
            + ["0" for _ in self.tiers]
        )


def _month_facts(counts: _Counts) -> str:
    """Everything that happened in the month, a row per fact: items, escalations,
    hearings, the month's closing row and the ledger's close."""
    ni, nts, nd8, ntx = _NULL_INT, _NULL_TIMESTAMP, _NULL_DATE, _NULL_TEXT
    return f"""
    SELECT case_id, 1 AS n, received_at AS max_at, {counts.item_row()},
           {ni} AS hearing, {nd8} AS pc_date, {ntx} AS pc_disp
    FROM intake_item
    WHERE received_at >= :start AND received_at < :next AND case_id IS NOT NULL
    UNION ALL
    SELECT case_id, {ni}, {nts}, {counts.escalation_row()}, {ni}, {nd8}, {ntx}
    FROM escalation_event
    WHERE escalated_on >= :start AND escalated_on <= :last
    UNION ALL
    SELECT case_id, {ni}, {nts}, {counts.no_row()}, 1, {nd8}, {ntx}
    FROM (SELECT DISTINCT case_id, hearing_date FROM case_progress
          WHERE hearing_date >= :start AND hearing_date <= :last) h
    UNION ALL
    SELECT case_id, {ni}, {nts}, {counts.no_row()}, {ni}, progress_date, disposition
    FROM month_closing_row
    UNION ALL
    SELECT case_id, {ni}, {nts}, {counts.no_row()}, {ni}, {nd8}, {ntx}
    FROM ledger_case
    WHERE closed_on >= :start AND closed_on <= :last"""


def _case_activity(counts: _Counts) -> str:
    """The month's facts summed per case."""
    return f"""
    SELECT case_id, SUM(n) AS n, MAX(max_at) AS max_at, {counts.summed()},
        SUM(hearing) AS hearings, MAX(pc_date) AS pc_date, MAX(pc_disp) AS pc_disp
    FROM month_facts
    GROUP BY case_id"""


def _case_flags(conn: Connection, counts: _Counts) -> str:
    """Each active case with the flags the figures need, joined to its case once."""
    nd = dialect_of(conn).next_day
    return f"""
    SELECT c.court_code,
        -- closed in the month: the ledger's close, else the month's latest closing
        -- row unless it only restates the ledger's current closed stretch
        CASE WHEN c.status = 'closed' AND c.closed_on >= :start AND c.closed_on <= :last
             THEN 1
             WHEN a.pc_date IS NOT NULL
                  AND (c.status <> 'closed' OR c.closed_on IS NULL OR c.closed_on > a.pc_date)
             THEN 1
             ELSE 0 END AS closed_month,
        CASE WHEN c.status = 'closed' AND c.closed_on >= :start AND c.closed_on <= :last
                  AND c.disposition IS NOT NULL
             THEN c.disposition ELSE a.pc_disp END AS month_disp,
        CASE WHEN c.is_key AND (c.key_since IS NULL OR c.key_since <= :last)
             THEN 1 ELSE 0 END AS is_key_case,
        CASE WHEN c.first_received_at >= :start THEN 1 ELSE 0 END AS is_new,
        -- petitioned in the month on a day after a close (息诉罢访 failed): after the
        -- ledger's close, or, for a case reopened since, after a closing progress row
        CASE WHEN a.max_at IS NULL THEN 0
             WHEN a.max_at >= {nd("c.closed_on")} THEN 1
             WHEN c.reopened_count > 0 AND EXISTS (
                SELECT 1 FROM case_progress p
                WHERE p.case_id = c.case_id AND p.status = 'closed'
                  AND a.max_at >= {nd("p.progress_date")}) THEN 1
             ELSE 0 END AS reopened,
        a.n, a.hearings, {counts.of("a")}
    FROM case_activity a
    JOIN ledger_case c ON c.case_id = a.case_id"""


def _activity_sql(conn: Connection, tiers: tuple[int, ...]) -> str:
    """The month's activity: only the cases with something in the month.

    A pipeline of named steps: the month's facts (items, escalations to ``tiers``,
    hearings, closings) stacked one row each, summed per case, flagged per case and
    grouped by court and flags (folded in Python); items not in a case yet are
    counted for the court they name (``is_new`` NULL).
    """
    counts = _Counts(tiers)
    ni, ntx = _NULL_INT, _NULL_TEXT
    return f"""
WITH month_closing_row AS ({_MONTH_CLOSING_ROW}
),
month_facts AS ({_month_facts(counts)}
),
case_activity AS ({_case_activity(counts)}
),
case_flags AS ({_case_flags(conn, counts)}
)
SELECT court_code, closed_month, month_disp, is_key_case, is_new, reopened,
    COUNT(*) AS cases, SUM(n) AS items, COUNT(n) AS item_cases,
    SUM(CASE WHEN n > 1 THEN 1 ELSE 0 END) AS multi_cases,
    SUM(hearings) AS hearings, {counts.court_totals()}
FROM case_flags
GROUP BY court_code, closed_month, month_disp, is_key_case, is_new, reopened
UNION ALL
SELECT court_code, 0, {ntx}, 0, {ni}, 0, 0, COUNT(*), 0, 0, 0, {counts.unassigned_items()}
FROM intake_item
WHERE received_at >= :start AND received_at < :next AND case_id IS NULL
GROUP BY court_code
"""


def _rates_sql(conn: Connection) -> str:
    """The workflow rates' counts per court (one pass over the ledger, cases received by
    month end; what the ledger says as of month end counts):

    - acceptance: the cases first received in the month whose 15 days after registration
      ended by the month's last day, or that were accepted by then; accepted in time when
      ``accepted_on`` is at most 15 days after registration and not after the last day;
    - closure: the cases with ``closed_on`` in the month and a statutory deadline; on time
      when ``closed_on`` is on or before ``statutory_due_on``;
    - satisfaction: the cases closed in the month with a rating; satisfied when rated
      满意 or 基本满意.
    """
    if is_postgres(conn):
        registered = "CAST(first_received_at AS DATE)"
        window_end = f"({registered} + {ACCEPTANCE_DAYS})"
    else:
        registered = "date(first_received_at)"
        window_end = f"date(first_received_at, '+{ACCEPTANCE_DAYS} days')"
    in_time = f"(accepted_on <= {window_end} AND accepted_on <= :last)"
    is_new = "first_received_at >= :start"
    closed = "closed_on >= :start AND closed_on <= :last"
    satisfied = ", ".join(f"'{code}'" for code in SATISFIED)

    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    return f"""
SELECT court_code,
  {count(f"{is_new} AND {in_time}")} AS accepted_in_time,
  {count(f"{is_new} AND ({in_time} OR {window_end} <= :last)")} AS acceptance_rated,
  {count(f"{closed} AND statutory_due_on IS NOT NULL AND closed_on <= statutory_due_on")}
    AS closed_on_time,
  {count(f"{closed} AND statutory_due_on IS NOT NULL")} AS closure_rated,
  {count(f"{closed} AND satisfaction IN ({satisfied})")} AS satisfied,
  {count(f"{closed} AND satisfaction IS NOT NULL")} AS satisfaction_rated
FROM ledger_case
WHERE first_received_at < :next
  AND (first_received_at >= :start OR (closed_on >= :start AND closed_on <= :last))
GROUP BY court_code
"""


def _fold_rates(out: dict[str, dict[str, Any]], rows) -> None:
    """The three workflow rates of each court (null when nothing to rate)."""
    for row in out.values():
        row.update(dict.fromkeys(RATES))
    for r in rows:
        row = out.get(r.court_code)
        if row is None:
            continue
        for rate, (numerator, denominator) in RATES.items():
            rated = int(getattr(r, denominator) or 0)
            row[rate] = int(getattr(r, numerator) or 0) / rated if rated else None


def _typed(sql: str, params: dict[str, Any]) -> sa.TextClause:
    """A text clause whose date parameters go through SQLAlchemy's Date type (SQLite)."""
    stmt = sa.text(sql)
    binds = []
    for name, value in params.items():
        if f":{name}" not in sql:
            continue
        if isinstance(value, dt.datetime):
            binds.append(sa.bindparam(name, type_=sa.DateTime()))
        elif isinstance(value, dt.date):
            binds.append(sa.bindparam(name, type_=sa.Date()))
    return stmt.bindparams(*binds)


def _empty_figures() -> dict[str, dict[str, Any]]:
    zero = {k: 0 for k in KPI_COLUMNS if k != "resolution_rate"}
    return {
        c: {"court_code": c, **zero, **{f"disp_{d}": 0 for d in DISPOSITIONS}}
        for c in get_config().courts
    }


def _fold_states(out: dict[str, dict[str, Any]], rows) -> None:
    for r in rows:
        row = out.get(r.court_code)
        if row is None:  # a court no longer configured: not in the grid
            continue
        n = int(r.n)
        open_end = int(r.closed_end) == 0
        row["cases_total"] += n
        row["cases_new"] += n * int(r.is_new)
        row["cases_open_start"] += n * int(not r.is_new and int(r.closed_start) == 0)
        row["cases_open_end"] += n * int(open_end)
        row["overdue_cases"] += n * int(open_end and r.is_overdue)
        row["statutory_overdue_cases"] += n * int(open_end and r.past_statutory)
        row["key_open"] += n * int(open_end and r.is_key_case)


def _fold_activity(out: dict[str, dict[str, Any]], rows, tiers: tuple[int, ...]) -> None:
    for r in rows:
        row = out.get(r.court_code)
        if row is None:
            continue
        items = int(r.items or 0)
        row["items_total"] += items
        for c in CHANNELS:
            row[f"items_{c}"] += int(getattr(r, f"items_{c}") or 0)
        if r.is_new is None:  # items not in a case yet: counted, nothing else
            continue
        cases, is_new = int(r.cases), int(r.is_new)
        if int(r.closed_month):
            row["cases_closed"] += cases
            row["key_closed"] += cases * int(r.is_key_case)
            if r.month_disp in DISPOSITIONS:
                row[f"disp_{r.month_disp}"] += cases
        row["reopened_cases"] += cases * int(r.reopened)
        # a new case's first item is no repeat; every item of an older case is one
        row["repeat_items"] += items - (int(r.item_cases) if is_new else 0)
        row["repeat_cases"] += int(r.multi_cases or 0) if is_new else int(r.item_cases)
        row["hearings"] += int(r.hearings or 0)
        for t in tiers:
            row[f"esc_to_tier{t}"] += int(getattr(r, f"esc_to_tier{t}") or 0)


def _finish(out: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = list(out.values())
    for row in rows:
        workload = row["cases_open_start"] + row["cases_new"]
        row["resolution_rate"] = row["cases_closed"] / workload if workload else None
    return rows


def _params(month: dt.date | str) -> dict[str, Any]:
    start, last, nxt = month_bounds(month_start(month))
    return {"start": start, "last": last, "next": nxt}


def _tune(conn: Connection, hash_groups: bool = False) -> None:
    """PostgreSQL settings for these queries, for their transaction only.

    No JIT: the plans are cheap to run but their cost estimates (correlated look-ups)
    trip JIT compilation, which alone costs seconds. No parallel workers: the two
    queries already run side by side and workers would each rebuild the same hash
    tables. With ``hash_groups``, no sorts: a million case states fall into a few
    hundred groups, which the planner cannot know and would sort.
    """
    settings = {"jit": "off", "work_mem": "64MB", "max_parallel_workers_per_gather": "0"}
    if hash_groups:
        settings["enable_sort"] = "off"
    dialect_of(conn).set_local(conn, **settings)


def month_figures(conn: Connection, month: dt.date | str) -> list[dict[str, Any]]:
    """The month's figures, one dict per configured court (KPI columns and ``disp_<code>``).

    Three grouped queries on one connection: the cases' states (the whole ledger),
    the month's activity and the workflow rates.
    """
    params = _params(month)
    tiers = get_config().escalation_tiers
    out = _empty_figures()
    _fold_states(out, conn.execute(_typed(_states_sql(conn), params), params).all())
    activity = _typed(_activity_sql(conn, tiers), params)
    _fold_activity(out, conn.execute(activity, params).all(), tiers)
    _fold_rates(out, conn.execute(_typed(_rates_sql(conn), params), params).all())
    return _finish(out)


def _month_figures_parallel(engine: Engine, month: dt.date) -> list[dict[str, Any]]:
    """``month_figures`` with its queries on two PostgreSQL connections at once.

    On a 2-core server this halves the wall time. Each read sees the ledger as it
    is when it starts; the month is over when it is computed, so both see the
    same facts unless a late file for that month lands in between (a rerun then
    settles it).
    """
    from concurrent.futures import ThreadPoolExecutor

    params = _params(month)
    tiers = get_config().escalation_tiers

    def run(make_sql, hash_groups: bool):
        with engine.begin() as conn:
            _tune(conn, hash_groups)
            return conn.execute(_typed(make_sql(conn), params), params).all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        states = pool.submit(run, _states_sql, True)
        activity = pool.submit(run, lambda conn: _activity_sql(conn, tiers), False)
        rates = pool.submit(run, _rates_sql, False)
        out = _empty_figures()
        _fold_states(out, states.result())
        _fold_activity(out, activity.result(), tiers)
        _fold_rates(out, rates.result())
    return _finish(out)


def compute_month(engine: Engine, month: dt.date | str) -> dict[str, Any]:
    """Write ``disposition_monthly`` and ``kpi_monthly`` for ``month``, replacing its rows.

    The figures come from two grouped queries (``month_figures``; on PostgreSQL
    run side by side); the month's 11 + 55 rows are replaced in one transaction. Returns a JSON-friendly summary: the
    month (``YYYY-MM-DD``, its first day), row counts and the month's totals.
    """
    start = month_start(month)
    computed_at = now_local()
    rows = _month_figures_parallel(engine, start) if is_postgres(engine) else None
    with engine.begin() as conn:
        if rows is None:
            _tune(conn)
            rows = month_figures(conn, start)
        conn.execute(sa.delete(disposition_monthly).where(disposition_monthly.c.month == start))
        conn.execute(sa.delete(kpi_monthly).where(kpi_monthly.c.month == start))
        conn.execute(
            kpi_monthly.insert(),
            [
                {
                    "month": start,
                    "court_code": r["court_code"],
                    **{k: r[k] for k in (*KPI_COLUMNS, *RATES)},
                    "computed_at": computed_at,
                }
                for r in rows
            ],
        )
        conn.execute(
            disposition_monthly.insert(),
            [
                {
                    "month": start,
                    "court_code": r["court_code"],
                    "disposition": d,
                    "case_count": r[f"disp_{d}"],
                }
                for r in rows
                for d in DISPOSITIONS
            ],
        )
    totals = ("cases_total", "cases_new", "cases_closed", "cases_open_end", "items_total")
    return {  # plain values: the DAG hands this on as an XCom
        "month": start.isoformat(),
        "disposition_rows": len(rows) * len(DISPOSITIONS),
        "kpi_rows": len(rows),
        **{k: sum(r[k] for r in rows) for k in totals},
    }
