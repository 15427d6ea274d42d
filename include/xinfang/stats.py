"""Month-end statistics: the five batches (五个一批) grid and the campaign KPIs.

Both tables are computed by set-based SQL inside the database (one
``INSERT ... SELECT`` each), so a month over a million-case ledger is a few
grouped scans, not a Python loop. The ledger only holds each case's current
state, so a case's state at a past date is rebuilt from dated facts:

- a *close* is ``ledger_case.closed_on`` or a ``case_progress`` row with status
  ``closed`` (its ``progress_date``);
- a close is undone by a later *reopening*: an intake item received on a later
  day (a repeat after 销号, CONTRACT §3) or a later progress row with status
  ``open``/``paused``;
- a case is *closed at the end of day D* when it has a close on or before D and
  no reopening after that close and on or before D; otherwise it is open (paused
  cases count as open).

This makes a rerun for an old month give the same figures as the run right
after it ended, as long as the facts it rests on are unchanged. The
definitions of every KPI column are in ``docs/data_dictionary.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang.config import get_config
from xinfang.db import is_postgres

DISPOSITIONS: tuple[str, ...] = ("review", "procedure", "resolved", "aid", "terminated")
DISPOSITION_NAMES: dict[str, str] = {
    "review": "依法评查",
    "procedure": "依法导入程序",
    "resolved": "依法化解",
    "aid": "依法救助",
    "terminated": "依法终结",
}
CHANNELS: tuple[str, ...] = ("letter", "visit", "online", "hotline", "referral")
CHANNEL_NAMES: dict[str, str] = {
    "letter": "来信",
    "visit": "来访",
    "online": "网上信访",
    "hotline": "12368热线",
    "referral": "上级交办",
}
ESCALATION_TIERS: tuple[int, ...] = (2, 3, 4, 5)

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
    *(f"esc_to_tier{t}" for t in ESCALATION_TIERS),
    "overdue_cases",
    "statutory_overdue_cases",
    "key_open",
    "key_closed",
    "hearings",
    "items_total",
    *(f"items_{c}" for c in CHANNELS),
)


def month_start(value: dt.date | dt.datetime | str) -> dt.date:
    """First day of the month of ``value`` (a date, or ``YYYY-MM`` / ``YYYY-MM-DD`` text)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 7:
                year, month = text.split("-")
                return dt.date(int(year), int(month), 1)
            value = dt.date.fromisoformat(text[:10])
        except ValueError as exc:
            raise ValueError(f"month must be YYYY-MM or a date, got {value!r}") from exc
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, last day, first day of the next month)."""
    start = month_start(month)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt - dt.timedelta(days=1), nxt


def _next_day(conn: Connection, expr: str) -> str:
    """SQL for the day after the date ``expr`` (the only dialect difference here)."""
    if is_postgres(conn):
        return f"({expr} + 1)"
    return f"date({expr}, '+1 day')"


def _courts_cte(codes: list[str]) -> tuple[str, dict[str, str]]:
    parts = [f"SELECT :court{i} AS court_code" for i in range(len(codes))]
    return " UNION ALL ".join(parts), {f"court{i}": c for i, c in enumerate(codes)}


def _dispositions_cte() -> tuple[str, dict[str, str]]:
    parts = [f"SELECT :disp{i} AS disposition" for i in range(len(DISPOSITIONS))]
    return " UNION ALL ".join(parts), {f"disp{i}": d for i, d in enumerate(DISPOSITIONS)}


# Cases closed in the month, one row per case: the ledger's close when it falls in
# the month, else the latest closing progress row of the month (a case closed,
# reopened and closed again within a month counts once, with its last disposition).
_MONTH_CLOSE = """
pc AS (
    SELECT case_id, disposition,
           ROW_NUMBER() OVER (PARTITION BY case_id
                              ORDER BY progress_date DESC, progress_id DESC) AS rn
    FROM case_progress
    WHERE status = 'closed' AND progress_date >= :start AND progress_date <= :last
),
mc_ids AS (
    SELECT case_id FROM ledger_case WHERE closed_on >= :start AND closed_on <= :last
    UNION
    SELECT case_id FROM pc
),
month_close AS (
    SELECT c.case_id, c.court_code, c.is_key,
           CASE WHEN c.closed_on >= :start AND c.closed_on <= :last
                     AND c.disposition IS NOT NULL
                THEN c.disposition ELSE p.disposition END AS disposition
    FROM mc_ids m
    JOIN ledger_case c ON c.case_id = m.case_id
    LEFT JOIN pc p ON p.case_id = m.case_id AND p.rn = 1
)"""


def _disposition_sql(conn: Connection, courts_sql: str, disp_sql: str) -> str:
    return f"""
WITH courts AS ({courts_sql}),
disps AS ({disp_sql}),
{_MONTH_CLOSE}
INSERT INTO disposition_monthly (month, court_code, disposition, case_count)
SELECT :month, ct.court_code, d.disposition, COALESCE(x.n, 0)
FROM courts ct
CROSS JOIN disps d
LEFT JOIN (
    SELECT court_code, disposition, COUNT(*) AS n
    FROM month_close GROUP BY court_code, disposition
) x ON x.court_code = ct.court_code AND x.disposition = d.disposition
"""


def _kpi_sql(conn: Connection, courts_sql: str) -> str:
    nd = _next_day
    esc_cols = ",\n        ".join(
        f"SUM(CASE WHEN to_tier = {t} THEN 1 ELSE 0 END) AS esc_to_tier{t}"
        for t in ESCALATION_TIERS
    )
    chan_cols = ",\n        ".join(
        f"SUM(CASE WHEN channel = '{c}' THEN 1 ELSE 0 END) AS items_{c}" for c in CHANNELS
    )
    esc_out = ", ".join(f"COALESCE(e.esc_to_tier{t}, 0)" for t in ESCALATION_TIERS)
    chan_out = ", ".join(f"COALESCE(it.items_{c}, 0)" for c in CHANNELS)
    cols = ", ".join(("month", "court_code", *KPI_COLUMNS, "computed_at"))
    return f"""
WITH courts AS ({courts_sql}),
prog_agg AS (
    -- per case, the latest closing and reopening (open/paused) progress rows, by
    -- month end and before the month, and the first closing row
    SELECT case_id,
        MAX(CASE WHEN status = 'closed' THEN progress_date END) AS pc_end,
        MAX(CASE WHEN status = 'closed' AND progress_date < :start
                 THEN progress_date END) AS pc_start,
        MAX(CASE WHEN status IN ('open', 'paused') THEN progress_date END) AS po_end,
        MAX(CASE WHEN status IN ('open', 'paused') AND progress_date < :start
                 THEN progress_date END) AS po_start
    FROM case_progress
    WHERE progress_date <= :last AND status IN ('closed', 'open', 'paused')
    GROUP BY case_id
),
cs AS (
    -- every case received by month end, with its last close by month end (lc_end)
    -- and before the month (lc_start): the later of the ledger's and the progress rows'
    SELECT c.case_id, c.court_code, c.first_received_at, c.last_received_at, c.is_key,
        c.key_since, c.overdue, c.statutory_due_on,
        CASE WHEN c.closed_on <= :last AND (pa.pc_end IS NULL OR c.closed_on >= pa.pc_end)
             THEN c.closed_on ELSE pa.pc_end END AS lc_end,
        CASE WHEN c.closed_on < :start AND (pa.pc_start IS NULL OR c.closed_on >= pa.pc_start)
             THEN c.closed_on ELSE pa.pc_start END AS lc_start,
        pa.po_end, pa.po_start
    FROM ledger_case c
    LEFT JOIN prog_agg pa ON pa.case_id = c.case_id
    WHERE c.first_received_at < :next
),
st AS (
    -- closed at the end of the month / of the day before it: a last close and no
    -- reopening after it (a later open/paused row, or an item on a later day;
    -- last_received_at, the case's latest item, spares the look-up for most cases)
    SELECT cs.*,
        CASE WHEN lc_end IS NULL THEN 0
             WHEN po_end > lc_end THEN 0
             WHEN last_received_at < {nd(conn, "lc_end")} THEN 1
             WHEN EXISTS (
                SELECT 1 FROM intake_item i
                WHERE i.case_id = cs.case_id
                  AND i.received_at >= {nd(conn, "cs.lc_end")} AND i.received_at < :next)
             THEN 0
             ELSE 1 END AS closed_end,
        CASE WHEN lc_start IS NULL THEN 0
             WHEN po_start > lc_start THEN 0
             WHEN last_received_at < {nd(conn, "lc_start")} THEN 1
             WHEN EXISTS (
                SELECT 1 FROM intake_item i
                WHERE i.case_id = cs.case_id
                  AND i.received_at >= {nd(conn, "cs.lc_start")} AND i.received_at < :start)
             THEN 0
             ELSE 1 END AS closed_start
    FROM cs
),
state_groups AS (
    -- grouping by each case's state evaluates it once per case (an aggregate over
    -- st directly would repeat the look-ups in every SUM)
    SELECT court_code, closed_end, closed_start,
        CASE WHEN first_received_at >= :start THEN 1 ELSE 0 END AS is_new,
        CASE WHEN overdue THEN 1 ELSE 0 END AS is_overdue,
        CASE WHEN statutory_due_on < :last THEN 1 ELSE 0 END AS past_statutory,
        CASE WHEN is_key AND (key_since IS NULL OR key_since <= :last)
             THEN 1 ELSE 0 END AS is_key_case,
        COUNT(*) AS n
    FROM st
    GROUP BY court_code, closed_end, closed_start, is_new, is_overdue, past_statutory,
        is_key_case
),
case_agg AS (
    SELECT court_code,
        SUM(n) AS cases_total,
        SUM(is_new * n) AS cases_new,
        SUM(CASE WHEN is_new = 0 AND closed_start = 0 THEN n ELSE 0 END) AS cases_open_start,
        SUM(CASE WHEN closed_end = 0 THEN n ELSE 0 END) AS cases_open_end,
        SUM(CASE WHEN closed_end = 0 THEN is_overdue * n ELSE 0 END) AS overdue_cases,
        SUM(CASE WHEN closed_end = 0 THEN past_statutory * n ELSE 0 END)
            AS statutory_overdue_cases,
        SUM(CASE WHEN closed_end = 0 THEN is_key_case * n ELSE 0 END) AS key_open
    FROM state_groups
    GROUP BY court_code
),
{_MONTH_CLOSE},
close_agg AS (
    SELECT court_code, COUNT(*) AS cases_closed,
           SUM(CASE WHEN is_key THEN 1 ELSE 0 END) AS key_closed
    FROM month_close GROUP BY court_code
),
items AS (
    SELECT i.case_id, i.channel, i.received_at,
           COALESCE(c.court_code, i.court_code) AS court_code,
           c.first_received_at, c.closed_on
    FROM intake_item i
    LEFT JOIN ledger_case c ON c.case_id = i.case_id
    WHERE i.received_at >= :start AND i.received_at < :next
),
item_agg AS (
    SELECT court_code, COUNT(*) AS items_total,
        {chan_cols}
    FROM items GROUP BY court_code
),
case_items AS (
    SELECT case_id, court_code, COUNT(*)
           - MAX(CASE WHEN first_received_at >= :start THEN 1 ELSE 0 END) AS repeats
    FROM items WHERE case_id IS NOT NULL
    GROUP BY case_id, court_code
),
repeat_agg AS (
    SELECT court_code,
           SUM(CASE WHEN repeats > 0 THEN repeats ELSE 0 END) AS repeat_items,
           SUM(CASE WHEN repeats > 0 THEN 1 ELSE 0 END) AS repeat_cases
    FROM case_items GROUP BY court_code
),
reopen_agg AS (
    -- cases with an item in the month received on a day after one of their closes
    SELECT r.court_code, COUNT(*) AS reopened_cases
    FROM (
        SELECT case_id, court_code FROM items
        WHERE closed_on IS NOT NULL AND received_at >= {nd(conn, "closed_on")}
        UNION
        SELECT i.case_id, i.court_code FROM items i
        WHERE i.case_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM case_progress p
            WHERE p.case_id = i.case_id AND p.status = 'closed'
              AND i.received_at >= {nd(conn, "p.progress_date")})
    ) r
    GROUP BY r.court_code
),
esc_agg AS (
    SELECT c.court_code,
        {esc_cols}
    FROM escalation_event ev
    JOIN ledger_case c ON c.case_id = ev.case_id
    WHERE ev.escalated_on >= :start AND ev.escalated_on <= :last
    GROUP BY c.court_code
),
hearing_agg AS (
    SELECT h.court_code, COUNT(*) AS hearings
    FROM (
        SELECT DISTINCT p.case_id, p.hearing_date, c.court_code
        FROM case_progress p
        JOIN ledger_case c ON c.case_id = p.case_id
        WHERE p.hearing_date >= :start AND p.hearing_date <= :last
    ) h
    GROUP BY h.court_code
)
INSERT INTO kpi_monthly ({cols})
SELECT :month, ct.court_code,
    COALESCE(ca.cases_total, 0),
    COALESCE(ca.cases_new, 0),
    COALESCE(cl.cases_closed, 0),
    COALESCE(ca.cases_open_start, 0),
    COALESCE(ca.cases_open_end, 0),
    CASE WHEN COALESCE(ca.cases_open_start, 0) + COALESCE(ca.cases_new, 0) > 0
         THEN 1.0 * COALESCE(cl.cases_closed, 0)
              / (COALESCE(ca.cases_open_start, 0) + COALESCE(ca.cases_new, 0))
    END,
    COALESCE(ra.repeat_items, 0),
    COALESCE(ra.repeat_cases, 0),
    COALESCE(ro.reopened_cases, 0),
    {esc_out},
    COALESCE(ca.overdue_cases, 0),
    COALESCE(ca.statutory_overdue_cases, 0),
    COALESCE(ca.key_open, 0),
    COALESCE(cl.key_closed, 0),
    COALESCE(h.hearings, 0),
    COALESCE(it.items_total, 0),
    {chan_out},
    :computed_at
FROM courts ct
LEFT JOIN case_agg ca ON ca.court_code = ct.court_code
LEFT JOIN close_agg cl ON cl.court_code = ct.court_code
LEFT JOIN item_agg it ON it.court_code = ct.court_code
LEFT JOIN repeat_agg ra ON ra.court_code = ct.court_code
LEFT JOIN reopen_agg ro ON ro.court_code = ct.court_code
LEFT JOIN esc_agg e ON e.court_code = ct.court_code
LEFT JOIN hearing_agg h ON h.court_code = ct.court_code
"""


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


def compute_month(engine: Engine, month: dt.date | str) -> dict[str, Any]:
    """Write ``disposition_monthly`` and ``kpi_monthly`` for ``month``, replacing its rows.

    Returns a JSON-friendly summary: the month (``YYYY-MM-DD``, its first day), row
    counts and the month's totals.
    """
    start, last, nxt = month_bounds(month_start(month))
    codes = list(get_config().courts)
    courts_sql, court_params = _courts_cte(codes)
    disp_sql, disp_params = _dispositions_cte()
    params: dict[str, Any] = {
        "month": start,
        "start": start,
        "last": last,
        "next": nxt,
        "computed_at": dt.datetime.now().replace(microsecond=0),
        **court_params,
        **disp_params,
    }
    with engine.begin() as conn:
        if is_postgres(conn):
            # The plans are cheap to run but their cost estimates (correlated
            # look-ups) trip JIT compilation, which alone costs seconds.
            conn.execute(sa.text("SET LOCAL jit = off"))
            # per-case states are grouped in memory rather than sorted on disk
            conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
        dm = sa.table("disposition_monthly", sa.column("month", sa.Date()))
        km = sa.table("kpi_monthly", sa.column("month", sa.Date()))
        conn.execute(sa.delete(dm).where(dm.c.month == start))
        conn.execute(sa.delete(km).where(km.c.month == start))
        disp_sql_text = _disposition_sql(conn, courts_sql, disp_sql)
        conn.execute(_typed(disp_sql_text, params), params)
        kpi_sql_text = _kpi_sql(conn, courts_sql)
        conn.execute(_typed(kpi_sql_text, params), params)
        # (sqlite3 reports no rowcount for WITH ... INSERT, so count what is there.)
        m = sa.bindparam("m", type_=sa.Date())
        n_disp = conn.execute(
            sa.text("SELECT COUNT(*) FROM disposition_monthly WHERE month = :m").bindparams(m),
            {"m": start},
        ).scalar_one()
        totals = conn.execute(
            sa.text(
                "SELECT COUNT(*), SUM(cases_total), SUM(cases_new), SUM(cases_closed),"
                " SUM(cases_open_end), SUM(items_total) FROM kpi_monthly WHERE month = :m"
            ).bindparams(m),
            {"m": start},
        ).one()
    keys = ("kpi_rows", "cases_total", "cases_new", "cases_closed", "cases_open_end", "items_total")
    return {  # plain values: the DAG hands this on as an XCom
        "month": start.isoformat(),
        "disposition_rows": int(n_disp),
        **{k: int(v or 0) for k, v in zip(keys, totals, strict=True)},
    }
