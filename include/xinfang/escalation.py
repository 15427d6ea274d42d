"""The escalation sweep (CONTRACT §4): tiers, SLA clocks, warnings, flags, notifications.

Everything in ``ledger_case``'s lifecycle columns is *derived* from the facts
(items' received dates, progress rows, referrals) and the as-of date, so sweeping
daily, weekly or once gives the same rows, and late facts (a 中止 row dated last
week, loaded today) correct the past instead of piling up on it.

How it is made set-based (one pass of SQL over the whole ledger):

* ``work_calendar`` numbers the working days (``workday_index``), so "the n-th
  working day after d" is an index lookup and "working days in (a, b]" a
  subtraction.
* A case's clock only runs on working days it is open. Its *counting index*
  C(d) is the working-day index minus the paused working days up to d (a sum
  over its pause intervals). Each milestone of a tier ladder (warning,
  escalation, overdue) sits at a fixed counting offset from the day the case
  entered its starting tier, so all of a case's milestones come from one join
  with a tiny milestone table, filtered by counting-index bounds (as-of, the
  day it closed, the day it became key), and placed on the calendar by adding
  back the paused days before them.
* A key case has at most two epochs: from the first item at tier 1, and from
  the day it became key at the key tier (if it was below it then).
* Cases reopened after 销号 (their tier on reopening depends on the whole
  history) are few; the pure reference :func:`xinfang.escalation_rules.timeline`
  computes them, with their facts loaded in bulk.
* A case whose facts did not change since its last sweep (``case_sweep``: a
  signature of its facts and the configuration; the date is the whole-ledger
  ``sweep_watermark`` unless a sweep of some cases recorded its own) only
  derives the events after that date. Any change of its facts or of the
  configuration, or a sweep of an earlier date, recomputes it in full and
  deletes the events that no longer follow (notifications already e-mailed are
  kept: they were sent).
* Only the *working set* is derived at all: cases whose signature changed,
  and cases with a milestone in (last sweep, as_of]. ``case_sweep`` keeps each
  case's clock (``due_tier``: the start tier of its current epoch while it runs;
  ``due_base``: the working-day index its ladder counts from, pauses added back)
  and its next dated milestone (``due_on``: statutory notice, 超期 flag), which
  stay constant until its facts change, so the due cases are a test on
  ``case_sweep`` and a quiet case's rows are not touched. Every other case's
  rows already hold as of as_of.
* Finding the changed signatures would take an aggregate per case over every
  item; instead ``sweep_watermark.facts`` keeps totals of the rows the last
  whole-ledger sweep saw (count, sum of case ids, a sum weighted by row id,
  highest id, per fact table). When those rows' totals are unchanged, only the
  cases of rows added since (higher id, or dated into view) or with risk keys
  can have changed; otherwise (a merge moved items, a row was deleted or
  redated, a sweep of some cases ran) every case's signature is checked.
* Events and notices are added with ``ON CONFLICT DO NOTHING``: the primary
  key finds the ones already there (no anti-join pass over the tables). Those
  of cases derived from their clock are new by construction: a plain INSERT,
  repeated with ON CONFLICT only should one be there after all.
  Big statements run without JIT and with in-memory hashing (``SET LOCAL``).
* A case with a fact the working calendar cannot judge (an item received, or a
  progress row dated, before its first day, 2004-01-01) is left out: found among
  the working set's per-case aggregates (no extra pass), its ``sweep_problem``
  says why, and its ``case_sweep`` row is a marker (signature ``problem``, due on
  every sweep) so it is looked at again each time and derived once its dates (or
  the configured calendar years) allow; ``sweep_problem`` is cleared then. The
  other cases are swept as usual.
* Past the chinese-calendar package's years the calendar is provisional
  (:mod:`xinfang.calendar`); the configuration signature names the holidays
  package and the last official year, so adding a year's official table (or
  upgrading either package) re-derives every case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import time
from collections import defaultdict
from typing import Any

import chinese_calendar
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import calendar as workcal
from xinfang import locks
from xinfang.config import Config, get_config
from xinfang.escalation_rules import (
    CaseFacts,
    ItemFact,
    Ladder,
    ProgressFact,
    Timeline,
    timeline,
)
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)

__all__ = ["config_signature", "recipient_for", "sweep", "timeline"]

_FACTS_VERSION = "f1"

TEMP_TABLES = (
    "sw_scope",
    "sw_w",
    "sw_psig",
    "sw_rk0",
    "sw_case",
    "sw_prog",
    "sw_close",
    "sw_lastclose",
    "sw_laststatus",
    "sw_pagg",
    "sw_complex",
    "sw_srow",
    "sw_pause0",
    "sw_pause",
    "sw_state",
    "sw_epoch",
    "sw_ms",
    "sw_ev",
    "sw_out",
    "sw_nt",
    "sw_riskkey",
    "sw_new",
    "sw_cur",
    "sw_add",
    "sw_fast",
    "sw_clk",
    "sw_clkev",
    "sw_done",
    "sw_bad",
)


class _Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, conn: sa.Connection) -> None:
        self.pg = conn.dialect.name == "postgresql"

    def day(self, expr: str) -> str:
        return f"CAST({expr} AS DATE)" if self.pg else f"date({expr})"

    def add_days(self, expr: str, n: int | str) -> str:
        if self.pg:
            return f"({expr} + {n})"
        return f"date({expr}, '+' || ({n}) || ' days')"

    def distinct(self, a: str, b: str) -> str:
        return f"({a} IS DISTINCT FROM {b})" if self.pg else f"({a} IS NOT {b})"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"


def _least(a: str, b: str) -> str:
    """The earlier of two nullable values (NULL only when both are)."""
    return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} ELSE {b} END)"


def _clamp(x: str, lo: str, length: str) -> str:
    """clamp(x - lo, 0, length): working days of a pause at or before index x."""
    return f"(CASE WHEN {x} - {lo} <= 0 THEN 0 WHEN {x} - {lo} >= {length} THEN {length} ELSE {x} - {lo} END)"


def config_signature(config: Config) -> str:
    """What, besides a case's facts, its derived lifecycle depends on."""
    ladder = Ladder.of(config)
    parts = [
        repr(sorted(ladder.limits.items())),
        repr(sorted(ladder.warn_at.items())),
        str(ladder.key_tier),
        str(config.statutory_days),
        ",".join(sorted(d.isoformat() for d in config.extra_holidays)),
        ",".join(sorted(d.isoformat() for d in config.extra_workdays)),
        ",".join(str(y) for y in sorted(config.calendar_years)),
        getattr(chinese_calendar, "__version__", ""),
        # the provisional calendar: its rule, its source, and from which year it applies
        workcal.PROVISIONAL_RULE,
        workcal.holidays_version(),
        f"provisional>{workcal.calendar_bounds(config)[1].year}",
    ]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def recipient_for(
    tier: int | None, config: Config, judge=None, department=None, leader=None
) -> str:
    """Who a notice at ``tier`` goes to: the named person where the ledger has one, else the role."""
    top = config.max_tier
    if tier is None:
        return config.tiers[top].role
    if tier == 2 and judge:
        return judge
    if tier == 3 and department:
        return department
    if tier == 4 and leader:
        return leader
    return config.tiers[tier].role


def _offset_case(ladder: Ladder, start: int, kind: str, delta: str) -> str:
    """SQL: how many escalations of a ladder from ``start`` lie within ``delta`` clock days."""
    offs = [m[3] for m in ladder.milestones(start) if m[0] == kind]
    if not offs:
        return "0"
    whens = " ".join(
        f"WHEN {delta} >= {off} THEN {n}" for n, off in reversed(list(enumerate(offs, 1)))
    )
    return f"(CASE {whens} ELSE 0 END)"


def _entry_offset(ladder: Ladder, start: int, n: str) -> str:
    """SQL: the clock offset of the n-th escalation from ``start`` (0 when n = 0)."""
    offs = [m[3] for m in ladder.milestones(start) if m[0] == "escalation"]
    whens = " ".join(f"WHEN {n} = {i} THEN {off}" for i, off in enumerate(offs, 1))
    return f"(CASE {whens} ELSE 0 END)" if offs else "0"


def _clock_due(ladder: Ladder, t: str) -> str:
    """SQL: a milestone of the clock stored in case_sweep row ``t`` falls in (watermark, as_of]."""
    terms = []
    for st in range(1, ladder.top + 1):
        offs = sorted({m[3] for m in ladder.milestones(st)})
        if offs:
            hits = " OR ".join(f"{t}.due_base + {o} BETWEEN :w_last + 1 AND :w_asof" for o in offs)
            terms.append(f"({t}.due_tier = {st} AND ({hits}))")
    return "(" + " OR ".join(terms) + ")" if terms else "1 = 0"


def _next_offset(ladder: Ladder, start: int, delta: str) -> str:
    """SQL: the clock offset of the first milestone from ``start`` after ``delta`` (else NULL)."""
    offs = sorted({m[3] for m in ladder.milestones(start)})
    whens = " ".join(f"WHEN {delta} < {off} THEN {off}" for off in offs)
    return f"(CASE {whens} END)" if offs else "NULL"


def _overdue_offset(ladder: Ladder, start: int) -> int:
    return next(m[3] for m in ladder.milestones(start) if m[0] == "overdue")


def _session_settings(conn: sa.Connection) -> dict[str, str]:
    """PostgreSQL settings for this transaction's big set-based statements.

    No JIT (compiling each statement costs more than it saves here), hash tables and
    sorts in memory, and temp tables in local buffers rather than the OS cache (only
    possible before the session first touches a temp table, so set for the session:
    the next sweep on a pooled connection keeps it). Returns what to restore.
    """
    saved = dict(
        zip(
            ("jit", "work_mem"),
            conn.exec_driver_sql(
                "SELECT current_setting('jit'), current_setting('work_mem')"
            ).one(),
            strict=True,
        )
    )
    conn.exec_driver_sql("SET LOCAL jit = off")
    conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    try:  # for the session (it cannot change once it has used temp tables)
        with conn.begin_nested():
            conn.exec_driver_sql("SET temp_buffers = '256MB'")
    except sa.exc.DBAPIError:
        pass  # this session already used temp tables: keep its size
    return saved


def _analyze(conn: sa.Connection, *tables: str) -> None:
    """Statistics for freshly built temp tables (PostgreSQL; autovacuum never sees them)."""
    if conn.dialect.name == "postgresql":
        for t in tables:
            conn.exec_driver_sql(f"ANALYZE {t}")


def _drop_temps(conn: sa.Connection) -> None:
    for name in TEMP_TABLES:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _ensure_calendar(
    conn: sa.Connection, cal: workcal.WorkCalendar, as_of: dt.date, scope: str
) -> int:
    """Check the date range up front and materialize it; returns W(as_of).

    The range starts at the first item the calendar can judge: a case with an earlier
    one is left out of the sweep (``sw_bad``), never the whole ledger. ``as_of``
    itself must be judgeable (else :class:`CalendarError`)."""
    cal.check_year(as_of.year)
    first = conn.execute(
        sa.text(
            "SELECT MIN(i.received_at) FROM intake_item i"
            f" WHERE i.case_id IS NOT NULL AND i.received_at >= :t0 {scope}"
        ).bindparams(sa.bindparam("t0", type_=sa.DateTime)),
        {"t0": dt.datetime.combine(cal.first_day, dt.time())},
    ).scalar()
    if isinstance(first, str):
        first = dt.datetime.fromisoformat(first)
    start = min(first.date() if first else as_of, as_of)
    cal.check_range(start, as_of)
    # whole years, so daily sweeps find the table already up to date
    workcal.materialize(conn, dt.date(start.year, 1, 1), dt.date(as_of.year, 12, 31), cal)
    return conn.execute(
        sa.text("SELECT workday_index FROM work_calendar WHERE day = :d").bindparams(
            sa.bindparam("d", type_=sa.Date)
        ),
        {"d": as_of},
    ).scalar_one()


def sweep(
    engine: Engine | sa.Connection,
    as_of: dt.date,
    case_ids: list[int] | None = None,
    config: Config | None = None,
) -> dict[str, Any]:
    """Derive every case's tier, status and flags as of ``as_of``; write events and notices.

    Idempotent and history-independent: the result depends only on the facts
    dated up to ``as_of``. Raises :class:`xinfang.calendar.CalendarError` before
    writing anything when ``as_of`` itself cannot be judged by the calendar; a case
    with a fact dated before the calendar's first day is left out (counted under
    ``problems``, named in ``problem_cases`` and a WARNING, its
    ``ledger_case.sweep_problem`` set). Returns summary counts.
    """
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    config = config or get_config()
    if isinstance(engine, sa.Connection):
        return _sweep(engine, as_of, case_ids, config)
    with engine.begin() as conn:
        return _sweep(conn, as_of, case_ids, config)


def _sweep(conn: sa.Connection, as_of: dt.date, case_ids, config: Config) -> dict[str, Any]:
    d = _Dialect(conn)
    ladder = Ladder.of(config)
    cal = workcal.WorkCalendar(config)
    K = ladder.key_tier
    if d.pg:  # one sweep at a time (intake_sweep and escalation_sweep both run it)
        locks.take(conn, locks.LEDGER)
    _drop_temps(conn)
    restore = _session_settings(conn) if d.pg else {}
    if d.pg and os.environ.get("XINFANG_SWEEP_EXPLAIN"):
        conn.exec_driver_sql("LOAD 'auto_explain'")
        conn.exec_driver_sql("SET auto_explain.log_min_duration = '1s'")
        conn.exec_driver_sql("SET auto_explain.log_analyze = on")
        conn.exec_driver_sql("SET auto_explain.log_buffers = on")
        conn.exec_driver_sql("SET auto_explain.log_wal = on")

    scope = ""
    if case_ids is not None:
        conn.exec_driver_sql("CREATE TEMP TABLE sw_scope (case_id BIGINT PRIMARY KEY)")
        ids = sorted({int(c) for c in case_ids})
        if ids:
            conn.execute(
                sa.text("INSERT INTO sw_scope (case_id) VALUES (:c)"), [{"c": c} for c in ids]
            )
        scope = "AND i.case_id IN (SELECT case_id FROM sw_scope)"

    w_asof = _ensure_calendar(conn, cal, as_of, scope)
    cal_start = conn.execute(sa.text("SELECT MIN(day) FROM work_calendar")).scalar_one()
    watermark, stored_facts = conn.execute(
        sa.text("SELECT as_of, facts FROM sweep_watermark WHERE name = 'escalation'")
    ).one_or_none() or (None, None)
    if watermark is None or _as_date(watermark) > as_of:
        stored_facts = None  # a first sweep, or of an earlier date: every case
    # W(watermark): a case's clock milestones since then are those numbered above it
    w_last = (
        watermark
        and conn.execute(
            sa.text("SELECT workday_index FROM work_calendar WHERE day = :d").bindparams(
                sa.bindparam("d", type_=sa.Date)
            ),
            {"d": _as_date(watermark)},
        ).scalar()
    )
    params = {
        "as_of": as_of,
        "as_of_next": dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()),
        # (working-day indexes count from the calendar's first day: stored ones hold
        # while it stays)
        "cfg": f"{config_signature(config)}-{_as_date(cal_start):%Y%m%d}",
        "w_asof": w_asof,
        "wm": _as_date(watermark),
        "wm_next": watermark
        and dt.datetime.combine(_as_date(watermark) + dt.timedelta(days=1), dt.time()),
        "w_last": w_last or 0,
    }
    typed = {
        "t0": sa.Date,
        "as_of": sa.Date,
        "as_of_next": sa.DateTime,
        "now": sa.DateTime,
        "wm": sa.Date,
        "wm_next": sa.DateTime,
    }

    def run(sql: str, **extra) -> sa.CursorResult:
        stmt = sa.text(sql)
        names = set(re.findall(r"(?<![:\w]):(\w+)", sql))
        binds = [sa.bindparam(k, type_=t) for k, t in typed.items() if k in names]
        if binds:
            stmt = stmt.bindparams(*binds)
        p = {**params, **extra}
        t0 = time.perf_counter()
        result = conn.execute(stmt, {k: v for k, v in p.items() if k in names})
        log.debug("%.3f s  %s", time.perf_counter() - t0, " ".join(sql.split())[:120])
        return result

    recv = d.day("i.received_at")

    # 1. the working set: the cases whose facts (or the configuration) changed since
    # their last sweep, whose next milestone is due by as_of, or that were never swept
    # or last swept after as_of; every other case's rows already hold as of as_of.
    # One pass over the items gives both the signature and the item facts.
    # A whole-ledger sweep first checks the fact tables' totals against the last one's:
    # when the rows it saw are unchanged, only the cases of rows added since, the cases
    # with risk keys and the due cases can be in the working set (an index range scan
    # of case_sweep instead of a signature per case).
    def due(t: str) -> str:
        """SQL: case_sweep row ``t`` has a milestone in (watermark, as_of], or its own date."""
        return f"({t}.own_on IS NOT NULL OR {t}.due_on <= :as_of OR {_clock_due(ladder, t)})"

    # the milestones of the ladder from each start tier, at clock offsets
    conn.exec_driver_sql(
        "CREATE TEMP TABLE sw_ms (st INTEGER, kind VARCHAR(16), from_tier INTEGER,"
        " to_tier INTEGER, off INTEGER)"
    )
    conn.execute(
        sa.text("INSERT INTO sw_ms VALUES (:st, :kind, :f, :t, :off)"),
        [
            {"st": st, "kind": kind, "f": f, "t": t, "off": off}
            for st in range(1, ladder.top + 1)  # (every start tier: the stored clocks)
            for kind, f, t, off in ladder.milestones(st)
        ],
    )
    _risk_keys(conn, run)
    facts = n_swept = None
    work = scope
    if case_ids is None:
        delta = _fact_delta(conn, run, params, stored_facts)
        if delta is not None:
            facts, n_swept = delta
            work = "AND i.case_id IN (SELECT case_id FROM sw_w)"
    run(
        f"""CREATE TEMP TABLE sw_psig AS
        SELECT p.case_id AS case_id, COUNT(*) AS n_prog, MAX(p.progress_id) AS max_prog,
          MIN(p.progress_date) AS min_prog
        FROM case_progress p WHERE p.progress_date <= :as_of {work.replace("i.", "p.")}
        GROUP BY p.case_id"""
    )
    sig = " || ':' || ".join(
        [
            d.text("a.n_items"),
            d.text("a.max_item"),
            d.text("COALESCE(g.n_prog, 0)"),
            d.text("COALESCE(g.max_prog, 0)"),
            f"COALESCE({d.text('rk.key_on')}, '-')",
            ":cfg",
        ]
    )
    run(
        f"""CREATE TEMP TABLE sw_case AS
        SELECT b.case_id AS case_id, b.f AS f, b.last_item AS last_item, b.ref_key AS ref_key,
          b.ref_due AS ref_due, b.ref_stat AS ref_stat, b.sig AS sig,
          CASE WHEN b.old_sig IS NULL THEN 1 ELSE 0 END AS fresh,
          CASE WHEN b.old_sig = b.sig AND b.last_on <= :as_of THEN b.last_on END AS lb
        FROM (
          SELECT a.*, {sig} AS sig, cs.sweep_sig AS old_sig,
            COALESCE(cs.swept_as_of, :wm) AS last_on, cs.swept_as_of AS own_on,
            cs.due_tier AS due_tier, cs.due_base AS due_base, cs.due_on AS due_on
          FROM (
            SELECT i.case_id AS case_id, MIN({recv}) AS f, MAX({recv}) AS last_item,
              MIN(CASE WHEN i.channel = 'referral' THEN {recv} END) AS ref_key,
              MIN(i.due_on) AS ref_due,
              MIN(CASE WHEN i.due_on IS NOT NULL THEN
                  (CASE WHEN {d.add_days("i.due_on", 1)} > {recv} THEN {d.add_days("i.due_on", 1)}
                   ELSE {recv} END) END) AS ref_stat,
              COUNT(*) AS n_items, MAX(i.item_id) AS max_item
            FROM intake_item i
            WHERE i.case_id IS NOT NULL AND i.received_at < :as_of_next {work}
            GROUP BY i.case_id) a
          LEFT JOIN sw_psig g ON g.case_id = a.case_id
          LEFT JOIN sw_rk0 rk ON rk.case_id = a.case_id
          LEFT JOIN case_sweep cs ON cs.case_id = a.case_id) b
        WHERE b.old_sig IS NULL OR b.old_sig <> b.sig OR b.last_on IS NULL
          OR b.last_on > :as_of OR {due("b")}"""
    )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_case ON sw_case (case_id)")
    n_bad = _problem_cases(conn, d, run, cal)
    _analyze(conn, "sw_case")
    run(
        """CREATE TEMP TABLE sw_riskkey AS
        SELECT r.case_id AS case_id,
          CASE WHEN r.key_on < c.f THEN c.f ELSE r.key_on END AS key_on
        FROM sw_rk0 r JOIN sw_case c ON c.case_id = r.case_id"""
    )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_riskkey ON sw_riskkey (case_id)")

    # 2. progress rows dated up to as_of (a row dated before the first item counts from it)
    run(
        """CREATE TEMP TABLE sw_prog AS
        SELECT p.case_id AS case_id, p.progress_id AS pid,
          CASE WHEN p.progress_date < c.f THEN c.f ELSE p.progress_date END AS pd,
          p.status AS status, p.disposition AS disposition, p.is_key AS is_key
        FROM case_progress p JOIN sw_case c ON c.case_id = p.case_id
        WHERE p.progress_date <= :as_of"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_sw_prog ON sw_prog (case_id, pd, pid)")
    _analyze(conn, "sw_prog")
    run(
        """CREATE TEMP TABLE sw_pagg AS
        SELECT case_id, COUNT(*) AS n_prog, MAX(pid) AS max_prog,
          MIN(CASE WHEN is_key THEN pd END) AS key_prog
        FROM sw_prog GROUP BY case_id"""
    )
    run(
        """CREATE TEMP TABLE sw_close AS
        SELECT case_id, pd AS c, pid AS cid FROM (
          SELECT case_id, pd, pid,
            ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY pd, pid) AS rn
          FROM sw_prog WHERE status = 'closed') x WHERE rn = 1"""
    )
    run(
        """CREATE TEMP TABLE sw_lastclose AS
        SELECT case_id, disposition FROM (
          SELECT case_id, disposition,
            ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY pd DESC, pid DESC) AS rn
          FROM sw_prog WHERE status = 'closed') x WHERE rn = 1"""
    )
    run(
        """CREATE TEMP TABLE sw_laststatus AS
        SELECT case_id, status FROM (
          SELECT case_id, status,
            ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY pd DESC, pid DESC) AS rn
          FROM sw_prog WHERE status IS NOT NULL) x WHERE rn = 1"""
    )
    # Reopened after 销号: an item on a later day, or a 办理中 row after the first close.
    run(
        """CREATE TEMP TABLE sw_complex AS
        SELECT k.case_id AS case_id FROM sw_close k JOIN sw_case c ON c.case_id = k.case_id
        WHERE c.last_item > k.c OR EXISTS (
          SELECT 1 FROM sw_prog p WHERE p.case_id = k.case_id AND p.status = 'open'
            AND (p.pd > k.c OR (p.pd = k.c AND p.pid > k.cid)))"""
    )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_complex ON sw_complex (case_id)")

    # 3. pause intervals [p, r) of the other cases, in working-day index space
    run(
        """CREATE TEMP TABLE sw_srow AS
        SELECT p.case_id AS case_id, p.pd AS pd, p.pid AS pid, p.status AS status,
          LAG(p.status) OVER (PARTITION BY p.case_id ORDER BY p.pd, p.pid) AS prev,
          MIN(CASE WHEN p.status <> 'paused' THEN p.pd END) OVER (
            PARTITION BY p.case_id ORDER BY p.pd, p.pid
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_open,
          k.c AS c
        FROM sw_prog p LEFT JOIN sw_close k ON k.case_id = p.case_id
        WHERE p.status IS NOT NULL
          AND (k.case_id IS NULL OR p.pd < k.c OR (p.pd = k.c AND p.pid < k.cid))
          AND p.case_id NOT IN (SELECT case_id FROM sw_complex)"""
    )
    run(
        """CREATE TEMP TABLE sw_pause0 AS
        SELECT case_id, pd AS p, COALESCE(next_open, c) AS r FROM sw_srow
        WHERE status = 'paused' AND (prev IS NULL OR prev <> 'paused')"""
    )
    wb = "(w.workday_index - CASE WHEN w.is_workday THEN 1 ELSE 0 END)"
    wbr = "(wr.workday_index - CASE WHEN wr.is_workday THEN 1 ELSE 0 END)"
    run(
        f"""CREATE TEMP TABLE sw_pause AS
        SELECT case_id, a, len,
          a - COALESCE(SUM(len) OVER (PARTITION BY case_id ORDER BY a, p
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS s
        FROM (SELECT x.case_id AS case_id, x.p AS p, {wb} AS a,
                (CASE WHEN x.r IS NULL THEN :w_asof ELSE {wbr} END) - {wb} AS len
              FROM sw_pause0 x JOIN work_calendar w ON w.day = x.p
              LEFT JOIN work_calendar wr ON wr.day = x.r) y"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_sw_pause ON sw_pause (case_id)")
    _analyze(conn, "sw_pause")

    # 4. per-case dates (simple cases) and their working-day indexes:
    # x = W(d), xb = W(d) - [d is a working day] = W(d - 1)
    key_day = _least(_least("c.ref_key", "g.key_prog"), "rk.key_on")
    stat_notice = _least(d.add_days("c.f", config.statutory_days + 1), "c.ref_stat")
    run(
        f"""CREATE TEMP TABLE sw_state AS
        SELECT s.*, wf.workday_index AS cf,
          wk.workday_index AS ck,
          wk.workday_index - CASE WHEN wk.is_workday THEN 1 ELSE 0 END AS ckb,
          wc.workday_index - CASE WHEN wc.is_workday THEN 1 ELSE 0 END AS ccb,
          wl.workday_index AS clb,
          :w_asof AS cas,
          CASE WHEN s.case_id IN (SELECT case_id FROM sw_pause) THEN 1 ELSE 0 END AS hp
        FROM (
          SELECT c.case_id AS case_id, c.f AS f, {key_day} AS k, k.c AS c,
            lc.disposition AS disposition,
            CASE WHEN k.c IS NOT NULL THEN 'closed'
                 WHEN ls.status = 'paused' THEN 'paused' ELSE 'open' END AS status,
            {_least(d.add_days("c.f", config.statutory_days), "c.ref_due")} AS due,
            {stat_notice} AS stat_on, c.sig AS sig, c.lb AS lb
          FROM sw_case c
          LEFT JOIN sw_pagg g ON g.case_id = c.case_id
          LEFT JOIN sw_close k ON k.case_id = c.case_id
          LEFT JOIN sw_lastclose lc ON lc.case_id = c.case_id
          LEFT JOIN sw_laststatus ls ON ls.case_id = c.case_id
          LEFT JOIN sw_riskkey rk ON rk.case_id = c.case_id
          WHERE c.case_id NOT IN (SELECT case_id FROM sw_complex)) s
        JOIN work_calendar wf ON wf.day = s.f
        LEFT JOIN work_calendar wk ON wk.day = s.k
        LEFT JOIN work_calendar wc ON wc.day = s.c
        LEFT JOIN work_calendar wl ON wl.day = s.lb"""
    )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_state ON sw_state (case_id)")
    # counting index C(x) = x - paused working days at or before x (cases with pauses only)
    sets = ", ".join(
        f"{col} = {col} - (SELECT COALESCE(SUM({_clamp(f'sw_state.{col}', 'p.a', 'p.len')}), 0)"
        f" FROM sw_pause p WHERE p.case_id = sw_state.case_id)"
        for col in ("cf", "ck", "ckb", "ccb", "clb", "cas")
    )
    run(f"UPDATE sw_state SET {sets} WHERE hp = 1")
    _analyze(conn, "sw_state")

    # 5. epochs: from the first item at tier 1; from the key day at the key tier
    n_key = f"(1 + {_offset_case(ladder, 1, 'escalation', 'ckb - cf')})"
    ucap = "(CASE WHEN c IS NOT NULL THEN ccb ELSE cas END)"
    promoted = f"(k IS NOT NULL AND (c IS NULL OR k < c) AND {n_key} < {K})"
    run(
        f"""CREATE TEMP TABLE sw_epoch AS
        SELECT case_id, 1 AS st, f AS anchor, cf AS ca,
          CASE WHEN {promoted} AND ckb < {ucap} THEN ckb ELSE {ucap} END AS upper_c,
          CASE WHEN lb IS NOT NULL AND clb > cf THEN clb ELSE cf END AS lower_c,
          CASE WHEN {promoted} THEN 0 ELSE 1 END AS is_current, hp
        FROM sw_state
        UNION ALL
        SELECT case_id, {K} AS st, k AS anchor, ck AS ca, {ucap} AS upper_c,
          CASE WHEN lb IS NOT NULL AND clb > ck THEN clb ELSE ck END AS lower_c,
          1 AS is_current, hp
        FROM sw_state WHERE {promoted}"""
    )
    _analyze(conn, "sw_epoch")
    # the current epoch of each case: its tier, and the clock offset of its entry
    cur_delta = "(e.upper_c - e.ca)"
    n_cur = {st: _offset_case(ladder, st, "escalation", cur_delta) for st in sorted({1, K})}
    n_expr = "CASE " + " ".join(f"WHEN e.st = {st} THEN {n}" for st, n in n_cur.items()) + " END"
    entry_off = {st: _entry_offset(ladder, st, "x.n") for st in sorted({1, K})}
    entry_expr = (
        "CASE " + " ".join(f"WHEN x.st = {st} THEN {o}" for st, o in entry_off.items()) + " END"
    )
    over_expr = (
        "CASE "
        + " ".join(f"WHEN e.st = {st} THEN {_overdue_offset(ladder, st)}" for st in sorted({1, K}))
        + " END"
    )
    # and the clock offset of its next milestone (none past the last)
    next_expr = (
        "CASE "
        + " ".join(
            f"WHEN e.st = {st} THEN {_next_offset(ladder, st, cur_delta)}" for st in sorted({1, K})
        )
        + " END"
    )
    run(
        f"""CREATE TEMP TABLE sw_cur AS
        SELECT x.*, x.st + x.n AS tier, x.ca + {entry_expr} AS t_entry
        FROM (SELECT e.case_id, e.st, e.anchor, e.ca, {n_expr} AS n, {cur_delta} AS delta,
                {over_expr} AS over_off, {next_expr} AS next_off,
                s.status, s.disposition, s.c, s.k, s.due, s.stat_on, s.lb, s.sig, s.hp
              FROM sw_epoch e JOIN sw_state s ON s.case_id = e.case_id
              WHERE e.is_current = 1) x"""
    )
    # milestones within each epoch's bounds, as clock offsets, placed on the calendar
    # in one join, adding back the paused working days before them (cases with pauses)
    shift = """CASE WHEN {a}.hp = 0 THEN 0 ELSE (SELECT COALESCE(SUM(p.len), 0)
        FROM sw_pause p WHERE p.case_id = {a}.case_id AND p.s < {t}) END"""
    run(
        f"""CREATE TEMP TABLE sw_ev AS
        SELECT r.case_id AS case_id, r.kind AS kind,
          CASE WHEN r.kind = 'escalation' THEN 'sla' ELSE r.kind END AS reason,
          r.from_tier AS from_tier, r.to_tier AS to_tier, w.day AS on_date
        FROM (SELECT e.case_id, m.kind, m.from_tier, m.to_tier,
                e.ca + m.off + {shift.format(a="e", t="e.ca + m.off")} AS t
              FROM sw_epoch e JOIN sw_ms m ON m.st = e.st
              WHERE e.ca + m.off > e.lower_c AND e.ca + m.off <= e.upper_c) r
        JOIN work_calendar w ON w.workday_index = r.t AND w.is_workday"""
    )
    # key promotions and statutory notices, dated directly
    run(
        f"""INSERT INTO sw_ev (case_id, kind, reason, from_tier, to_tier, on_date)
        SELECT case_id, 'escalation', 'key_case', {n_key}, {K}, k FROM sw_state
        WHERE {promoted} AND (lb IS NULL OR k > lb)"""
    )
    run(
        """INSERT INTO sw_ev (case_id, kind, reason, from_tier, to_tier, on_date)
        SELECT case_id, 'statutory', 'statutory', NULL, NULL, stat_on FROM sw_state
        WHERE stat_on <= :as_of AND (c IS NULL OR c > stat_on) AND (lb IS NULL OR stat_on > lb)"""
    )
    # what tells, without new facts, when anything derived changes next: the clock
    # while the case is open and a milestone is ahead (its epoch's start tier and first
    # working day, pauses added back: constant until the facts change), else the
    # statutory notice / 超期 flag while it is not closed
    stat_next = """(CASE WHEN x.status <> 'closed' AND x.stat_on > :as_of THEN x.stat_on END)"""
    due_next = f"""(CASE WHEN x.status <> 'closed' AND {d.add_days("x.due", 1)} > :as_of
        THEN {d.add_days("x.due", 1)} END)"""
    run(
        f"""CREATE TEMP TABLE sw_out AS
        SELECT x.case_id, x.tier, COALESCE(en.day, x.anchor) AS entered,
          x.status, x.disposition, x.c AS closed_on, 0 AS reopened_count,
          x.k IS NOT NULL AS is_key, x.k AS key_since,
          (x.status <> 'closed' AND x.delta >= x.over_off) AS overdue,
          x.due AS statutory_due_on,
          (x.status <> 'closed' AND x.due < :as_of) AS statutory_overdue,
          x.lb IS NULL AS full_mode, x.sig AS sig,
          CASE WHEN x.status = 'open' AND x.next_off IS NOT NULL THEN x.st END AS due_tier,
          CASE WHEN x.status = 'open' AND x.next_off IS NOT NULL
            THEN x.ca + COALESCE(pl.plen, 0) END AS due_base,
          {_least(stat_next, due_next)} AS due_on
        FROM (SELECT x.*, CASE WHEN x.n > 0
                THEN x.t_entry + {shift.format(a="x", t="x.t_entry")} END AS t_entered
              FROM sw_cur x) x
        LEFT JOIN work_calendar en ON en.workday_index = x.t_entered AND en.is_workday
        LEFT JOIN (SELECT case_id, SUM(len) AS plen FROM sw_pause GROUP BY case_id) pl
          ON pl.case_id = x.case_id"""
    )

    n_clock = _sweep_clock(conn, run, ladder) if facts is not None else 0

    # 6. cases reopened after 销号: the reference rules, facts loaded in bulk
    n_complex = _sweep_complex(conn, d, as_of, cal, config, ladder)

    problems, n_marked = _mark_problems(conn, d, run) if n_bad else ([], 0)
    if n_swept is not None:
        n_swept += n_marked
    summary = _write(conn, d, run, config, as_of, scope, facts, n_swept, params["cfg"], n_clock)
    summary["problems"] = n_bad
    summary["problem_cases"] = [no for no, _ in problems]
    if n_bad:
        named = ", ".join(no for no, _ in problems)
        more = f" and {n_bad - _PROBLEMS_NAMED} more" if n_bad > _PROBLEMS_NAMED else ""
        log.warning(
            "escalation sweep as of %s: %d case(s) left out, a fact dated before %s, the "
            "first day the working calendar can judge (the reason in ledger_case."
            "sweep_problem); the other cases were swept: %s%s",
            as_of,
            n_bad,
            cal.first_day,
            named,
            more,
        )
    summary["cases_reopened_path"] = n_complex
    summary["cases_from_clock"] = n_clock
    summary["as_of"] = as_of.isoformat()
    _drop_temps(conn)
    for name, value in restore.items():
        conn.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    log.info("escalation sweep as of %s: %s", as_of, summary)
    return summary


_PROBLEMS_NAMED = 20


def _problem_cases(conn: sa.Connection, d: _Dialect, run, cal: workcal.WorkCalendar) -> int:
    """``sw_bad`` (case_id, reason): the working set's cases with an item received or a
    progress row dated before the calendar's first day, taken out of ``sw_case``
    (their per-case aggregates are already there: no extra pass). Returns how many."""
    first = cal.first_day.isoformat()
    why = (
        "the escalation sweep cannot compute this case: {what} is dated {on}, before "
        f"{first}, the first day the working calendar can judge (计算不了：日期早于工作日历起始日 "
        f"{first}). Correct the date, or declare the year in XINFANG_CONFIG under "
        "calendar: years (with its holidays and workdays); the next sweep then computes it."
    )
    item = why.format(what="an intake item", on="' || " + d.text("c.f") + " || '")
    prog = why.format(what="a progress row", on="' || " + d.text("g.min_prog") + " || '")
    # (two filtered scans: the join of the few early progress rows only)
    run(
        f"""CREATE TEMP TABLE sw_bad AS
        SELECT c.case_id AS case_id, '{item}' AS reason FROM sw_case c WHERE c.f < :t0
        UNION ALL
        SELECT c.case_id, '{prog}' FROM sw_psig g JOIN sw_case c ON c.case_id = g.case_id
        WHERE g.min_prog < :t0 AND c.f >= :t0""",
        t0=cal.first_day,
    )
    n = conn.exec_driver_sql("SELECT COUNT(*) FROM sw_bad").scalar_one()
    if n:
        conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_bad ON sw_bad (case_id)")
        run("DELETE FROM sw_case WHERE case_id IN (SELECT case_id FROM sw_bad)")
    return n


def _mark_problems(conn: sa.Connection, d: _Dialect, run) -> tuple[list[tuple[str, str]], int]:
    """Record the left-out cases: ``ledger_case.sweep_problem``, and a ``case_sweep``
    marker due on every sweep (no clock), so each sweep looks at them again.

    Returns the first (ledger_no, reason) by ledger_no, and how many markers were added."""
    now = now_local()
    run(
        f"""UPDATE ledger_case SET sweep_problem = b.reason, updated_at = :now
        FROM sw_bad b WHERE ledger_case.case_id = b.case_id
          AND {d.distinct("ledger_case.sweep_problem", "b.reason")}""",
        now=now,
    )
    run(
        f"""UPDATE case_sweep SET sweep_sig = '{_PROBLEM_SIG}', swept_as_of = NULL,
          due_tier = NULL, due_base = NULL, due_on = :as_of
        WHERE case_id IN (SELECT case_id FROM sw_bad)"""
    )
    added = run(
        f"""INSERT INTO case_sweep (case_id, swept_as_of, sweep_sig, due_tier, due_base, due_on)
        SELECT b.case_id, NULL, '{_PROBLEM_SIG}', NULL, NULL, :as_of FROM sw_bad b
        WHERE NOT EXISTS (SELECT 1 FROM case_sweep x WHERE x.case_id = b.case_id)"""
    ).rowcount
    named = run(
        f"""SELECT l.ledger_no, b.reason FROM sw_bad b
        JOIN ledger_case l ON l.case_id = b.case_id
        ORDER BY l.ledger_no LIMIT {_PROBLEMS_NAMED}"""
    ).all()
    return [(no, why) for no, why in named], added


_PROBLEM_SIG = "problem"


# The fact tables whose rows a case's derivation depends on: (table, id column, which
# rows, which of them are in view as of a date). Their totals (count, sum of case ids,
# a sum weighted by row id, highest id) change when a row the last sweep saw is
# deleted, moved to another case or redated; a row with a higher id, or that came into
# view since, is "added" and puts its case in the working set.
def _fact_tables() -> list[tuple[str, str, str, str]]:
    tables = [
        ("intake_item", "item_id", "case_id IS NOT NULL", "received_at < :{day}_next"),
        ("case_progress", "progress_id", "1 = 1", "progress_date <= :{day}"),
    ]
    try:
        from xinfang.risk.screen import KEY_KINDS
    except ImportError:
        return tables
    kinds = ", ".join(f"'{k}'" for k in KEY_KINDS)
    return [*tables, ("risk_flag", "flag_id", f"kind IN ({kinds})", "detected_on <= :{day}")]


def _totals(run, table: str, id_col: str, where: str, **extra) -> list[int]:
    row = run(
        f"""SELECT COUNT(*), COALESCE(SUM(case_id), 0),
          COALESCE(SUM(case_id * ({id_col} % 1009)), 0), COALESCE(MAX({id_col}), 0)
        FROM {table} WHERE {where}""",
        **extra,
    ).one()
    return [int(v) for v in row]


def _fact_totals(run, cfg: str) -> str:
    """The fact totals of a sweep that looked at every row."""
    parts = [_FACTS_VERSION, cfg]
    for table, id_col, rows, in_view in _fact_tables():
        where = f"{rows} AND {in_view.format(day='as_of')}"
        parts.append(",".join(str(v) for v in _totals(run, table, id_col, where)))
    return "|".join(parts)


def _fact_delta(
    conn: sa.Connection, run, params: dict, stored: str | None
) -> tuple[str, int] | None:
    """When the rows the last whole-ledger sweep saw are unchanged: ``sw_w``, the cases
    to derive in full (those of added rows, with risk keys, due but not by their clock
    alone), ``sw_fast``, the cases to derive from their clock, and the new fact totals
    with the number of case_sweep rows; else None (every case's signature is checked)."""
    parts = (stored or "").split("|")
    tables = _fact_tables()
    if len(parts) != len(tables) + 3 or parts[:2] != [_FACTS_VERSION, params["cfg"]]:
        return None
    n_swept = conn.exec_driver_sql("SELECT COUNT(*) FROM case_sweep").scalar_one()
    if str(n_swept) != parts[-1]:
        return None  # bookkeeping rows added or removed behind the sweep's back
    old = [[int(v) for v in p.split(",")] for p in parts[2:-1]]
    new_parts = [_FACTS_VERSION, params["cfg"]]
    added_sql = []
    for i, ((table, id_col, rows, in_view), (n, s1, s2, top)) in enumerate(
        zip(tables, old, strict=True)
    ):
        seen = f"{in_view.format(day='wm')} AND {id_col} <= :top{i}"
        now = f"{rows} AND {in_view.format(day='as_of')}"
        before = _totals(run, table, id_col, f"{rows} AND {seen}", **{f"top{i}": top})
        if before[:3] != [n, s1, s2]:
            return None
        added = f"{now} AND NOT ({seen})"
        more = _totals(run, table, id_col, added, **{f"top{i}": top})
        new_parts.append(
            ",".join(
                str(v) for v in (n + more[0], s1 + more[1], s2 + more[2], max(before[3], more[3]))
            )
        )
        added_sql.append(f"SELECT case_id FROM {table} WHERE {added}")
    run(
        f"""CREATE TEMP TABLE sw_add AS
        SELECT case_id FROM ({" UNION ".join(added_sql)}
          UNION SELECT case_id FROM sw_rk0) y""",
        **{f"top{i}": o[3] for i, o in enumerate(old)},
    )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_add ON sw_add (case_id)")
    # the clocks with a milestone in (watermark, as_of]: each working day numbered
    # w there is the milestone at offset off of the clock (start tier, w - off)
    run(
        """CREATE TEMP TABLE sw_clkev AS
        SELECT m.st AS due_tier, w.workday_index - m.off AS due_base, m.kind AS kind,
          m.from_tier AS from_tier, m.to_tier AS to_tier, w.day AS on_date
        FROM sw_ms m JOIN work_calendar w ON w.is_workday
          AND w.workday_index > :w_last AND w.workday_index <= :w_asof"""
    )
    # due only by its clock (one of those), facts and risk keys unchanged, no own
    # date, its statutory notice / 超期 flag not due: derived from the stored clock
    # alone (see _sweep_clock)
    run(
        """CREATE TEMP TABLE sw_fast AS
        SELECT x.case_id AS case_id, x.due_tier AS due_tier, x.due_base AS due_base,
          x.due_on AS due_on
        FROM case_sweep x
        JOIN (SELECT DISTINCT due_tier, due_base FROM sw_clkev) k
          ON k.due_tier = x.due_tier AND k.due_base = x.due_base
        WHERE x.swept_as_of IS NULL AND (x.due_on IS NULL OR x.due_on > :as_of)
          AND NOT EXISTS (SELECT 1 FROM sw_add a WHERE a.case_id = x.case_id)"""
    )
    _analyze(conn, "sw_fast")
    # the other due cases (an own date, the statutory notice / 超期 flag due; a case due
    # by its clock is one of these or of sw_fast or sw_add) and those of added rows
    run(
        """CREATE TEMP TABLE sw_w AS
        SELECT case_id FROM sw_add
        UNION SELECT x.case_id FROM case_sweep x
        WHERE x.swept_as_of IS NOT NULL OR x.due_on <= :as_of"""
    )
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_w ON sw_w (case_id)")
    return "|".join(new_parts), n_swept


def _sweep_clock(conn: sa.Connection, run, ladder: Ladder) -> int:
    """Derive the cases of ``sw_fast`` from their stored clock; returns how many.

    Builds ``sw_clk`` (the tier, entry day and 超时 flag as of as_of) per clock with a
    milestone in (watermark, as_of] (``sw_clkev``), far fewer than the cases;
    :func:`_write_clock` writes the cases' rows from them.

    Such a case's facts (items, progress rows, risk keys) and the configuration are
    those of its last derivation (as of the watermark), it is open, not reopened, and
    its statutory notice / 超期 flag is not due; it is in the working set only because a
    milestone of its clock falls in (watermark, as_of]. Its pauses all ended by the
    watermark, so the milestone at clock offset ``off`` of its current epoch is the
    working day ``due_base + off``: the new events, tier, tier entry and 超时 flag follow
    from ``due_tier``/``due_base`` alone, exactly as the full derivation places them
    (no key promotion or statutory notice can fall after the watermark). What the clock
    does not tell (key, statutory due date, the entry day of a tier entered before the
    epoch's first escalation) has not changed since then, so the case's ledger row
    holds it, as it does for every case outside the working set.
    """
    n = conn.exec_driver_sql("SELECT COUNT(*) FROM sw_fast").scalar_one()
    if not n:
        return 0

    def per_tier(fn) -> str:
        whens = " ".join(f"WHEN {st} THEN {fn(st)}" for st in range(1, ladder.top + 1))
        return f"(CASE f.due_tier {whens} END)"

    # what the clock tells, per distinct clock (start tier, base): far fewer than cases
    delta = "(:w_asof - f.due_base)"
    n_esc = per_tier(lambda st: _offset_case(ladder, st, "escalation", delta))
    entry = per_tier(
        lambda st: _entry_offset(ladder, st, _offset_case(ladder, st, "escalation", delta))
    )
    over = per_tier(lambda st: _overdue_offset(ladder, st))
    last = per_tier(lambda st: max(m[3] for m in ladder.milestones(st)))
    clocks = "(SELECT DISTINCT due_tier, due_base FROM sw_clkev)"
    # ``moved``: an escalation or the 超时 flag fell in the window (a warning alone
    # leaves the ledger row as it is). ``entered`` only when an escalation fell in the
    # window: that entry is after every pause (they ended by the watermark), while a
    # tier entered before a pause keeps the day the ledger row holds (the clock's base
    # has the pause added back, so it would place that entry too late)
    run(
        f"""CREATE TEMP TABLE sw_clk AS
        SELECT x.due_tier AS due_tier, x.due_base AS due_base, x.tier AS tier,
          CASE WHEN EXISTS (SELECT 1 FROM sw_clkev m WHERE m.due_tier = x.due_tier
            AND m.due_base = x.due_base AND m.kind = 'escalation') THEN en.day END AS entered,
          x.overdue AS overdue, x.ahead AS ahead,
          CASE WHEN EXISTS (SELECT 1 FROM sw_clkev m WHERE m.due_tier = x.due_tier
            AND m.due_base = x.due_base AND m.kind <> 'warning') THEN 1 ELSE 0 END AS moved
        FROM (SELECT f.due_tier, f.due_base, f.due_tier + {n_esc} AS tier,
                CASE WHEN {n_esc} > 0 THEN f.due_base + {entry} END AS t_entered,
                {delta} >= {over} AS overdue,
                f.due_base + {last} > :w_asof AS ahead
              FROM {clocks} f) x
        LEFT JOIN work_calendar en ON en.workday_index = x.t_entered AND en.is_workday"""
    )
    _analyze(conn, "sw_clk", "sw_clkev")
    # the recipients' lookup of a named judge / department / leader (cases with
    # progress rows naming one only)
    run(
        """INSERT INTO sw_pagg (case_id)
        SELECT DISTINCT p.case_id FROM case_progress p
        WHERE (p.judge IS NOT NULL OR p.department IS NOT NULL OR p.leader IS NOT NULL)
          AND p.case_id IN (SELECT case_id FROM sw_fast)"""
    )
    return n


def _risk_keys(conn: sa.Connection, run) -> None:
    """``sw_rk0`` (case_id, key_on): the day risk screening made each case key."""
    try:
        from xinfang.risk.screen import key_dates_sql
    except ImportError:  # risk screening not installed: no such key facts
        conn.exec_driver_sql("CREATE TEMP TABLE sw_rk0 (case_id BIGINT, key_on DATE)")
        return
    run(f"CREATE TEMP TABLE sw_rk0 AS {key_dates_sql('as_of')}")
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_rk0 ON sw_rk0 (case_id)")


def _as_date(v) -> dt.date | None:
    if v is None or (isinstance(v, dt.date) and not isinstance(v, dt.datetime)):
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    return dt.date.fromisoformat(str(v)[:10])


def _sweep_complex(conn, d: _Dialect, as_of, cal, config: Config, ladder: Ladder) -> int:
    ids = [r[0] for r in conn.exec_driver_sql("SELECT case_id FROM sw_complex")]
    if not ids:
        return 0
    items: dict[int, list[ItemFact]] = defaultdict(list)
    for r in conn.execute(
        sa.text(
            """SELECT i.case_id, i.received_at, i.channel, i.due_on FROM intake_item i
            WHERE i.case_id IN (SELECT case_id FROM sw_complex)"""
        )
    ):
        received = r[1] if isinstance(r[1], dt.datetime) else dt.datetime.fromisoformat(str(r[1]))
        items[r[0]].append(ItemFact(received.date(), r[2], _as_date(r[3])))
    rows: dict[int, list[ProgressFact]] = defaultdict(list)
    for r in conn.execute(
        sa.text(
            """SELECT p.case_id, p.progress_id, p.progress_date, p.status, p.disposition, p.is_key
            FROM case_progress p WHERE p.case_id IN (SELECT case_id FROM sw_complex)"""
        )
    ):
        rows[r[0]].append(
            ProgressFact(r[1], _as_date(r[2]), r[3], r[4], None if r[5] is None else bool(r[5]))
        )
    sigs = dict(
        conn.exec_driver_sql(
            "SELECT case_id, sig FROM sw_case WHERE case_id IN (SELECT case_id FROM sw_complex)"
        ).all()
    )
    risk_keys = {
        r[0]: _as_date(r[1])
        for r in conn.exec_driver_sql(
            "SELECT case_id, key_on FROM sw_riskkey"
            " WHERE case_id IN (SELECT case_id FROM sw_complex)"
        )
    }
    out, evs = [], []
    for case_id in ids:
        keys = (risk_keys[case_id],) if case_id in risk_keys else ()
        facts = CaseFacts(tuple(items[case_id]), tuple(rows[case_id]), keys)
        tl = timeline(facts, as_of, cal, ladder)
        if tl is None:
            continue
        out.append(_out_row(case_id, tl, sigs.get(case_id, ""), as_of))
        evs.extend(
            {
                "case_id": case_id,
                "kind": "escalation",
                "reason": e.reason,
                "from_tier": e.from_tier,
                "to_tier": e.to_tier,
                "on_date": e.on,
            }
            for e in tl.events
        )
        evs.extend(
            {
                "case_id": case_id,
                "kind": n.kind,
                "reason": n.kind,
                "from_tier": n.tier,
                "to_tier": n.tier,
                "on_date": n.on,
            }
            for n in tl.notices
            if n.kind != "escalation"
        )
    date_t = sa.Date
    if out:
        cols = list(out[0])
        stmt = sa.text(
            f"INSERT INTO sw_out ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
        ).bindparams(
            sa.bindparam("entered", type_=date_t),
            sa.bindparam("closed_on", type_=date_t),
            sa.bindparam("key_since", type_=date_t),
            sa.bindparam("statutory_due_on", type_=date_t),
            sa.bindparam("due_on", type_=date_t),
            sa.bindparam("is_key", type_=sa.Boolean),
            sa.bindparam("overdue", type_=sa.Boolean),
            sa.bindparam("statutory_overdue", type_=sa.Boolean),
            sa.bindparam("full_mode", type_=sa.Boolean),
        )
        conn.execute(stmt, out)
    if evs:
        conn.execute(
            sa.text(
                "INSERT INTO sw_ev (case_id, kind, reason, from_tier, to_tier, on_date)"
                " VALUES (:case_id, :kind, :reason, :from_tier, :to_tier, :on_date)"
            ).bindparams(sa.bindparam("on_date", type_=date_t)),
            evs,
        )
    return len(out)


def _out_row(case_id: int, tl: Timeline, sig: str, as_of: dt.date) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "tier": tl.tier,
        "entered": tl.tier_entered_on,
        "status": tl.status,
        "disposition": tl.disposition,
        "closed_on": tl.closed_on,
        "reopened_count": tl.reopened_count,
        "is_key": tl.is_key,
        "key_since": tl.key_since,
        "overdue": tl.overdue,
        "statutory_due_on": tl.statutory_due_on,
        "statutory_overdue": tl.statutory_overdue,
        "full_mode": True,
        "sig": sig,
        # the rules are walked day by day: such a case is simply swept every day
        "due_tier": None,
        "due_base": None,
        "due_on": as_of + dt.timedelta(days=1),
    }


def _recipient_sql(config: Config, case: str, tier: str, on: str, has_progress: str) -> str:
    """SQL: who a notice at ``tier`` on day ``on`` goes to (binds ``:role<n>``, see
    :func:`_role_binds`).

    The named person as of that day (judge, tribunal, leader) where the ledger has one
    (only cases with progress rows, ``has_progress`` not null, can), else the role.
    """
    role = f"CASE {tier} " + " ".join(f"WHEN {n} THEN :role{n}" for n in config.tiers) + " END"
    named = " ".join(
        f"""WHEN {tier} = {t} AND {has_progress} IS NOT NULL THEN COALESCE((
              SELECT p.{col} FROM case_progress p
              WHERE p.case_id = {case} AND p.{col} IS NOT NULL AND p.progress_date <= {on}
              ORDER BY p.progress_date DESC, p.progress_id DESC LIMIT 1), {role})"""
        for t, col in ((2, "judge"), (3, "department"), (4, "leader"))
    )
    return f"CASE {named} ELSE {role} END"


def _role_binds(config: Config) -> dict[str, str]:
    """The ``:role<n>`` values of :func:`_recipient_sql`."""
    return {f"role{n}": t.role for n, t in config.tiers.items()}


def _insert_new(conn, run, sql: str, **extra) -> int:
    """Run an INSERT of rows that should all be new; returns the rows inserted.

    A plain INSERT: ON CONFLICT's speculative insertion costs as much again per row.
    Should one be there after all (the primary key says so), the INSERT is undone and
    run again skipping those.
    """
    try:
        with conn.begin_nested():
            return run(sql, **extra).rowcount
    except sa.exc.IntegrityError:
        log.warning("escalation sweep: rows expected new were there already; skipping them")
        return run(f"{sql} ON CONFLICT DO NOTHING", **extra).rowcount


def _write_clock(conn, d: _Dialect, run, config: Config, now: dt.datetime) -> dict[str, int]:
    """Write the rows of the cases derived from their clock (``sw_fast``).

    Straight from the per-clock tables, without materializing a row per case: the
    ledger columns the clock moves (tier, its entry day, 超时; the rest of the row
    holds), the milestones' events and notices, and the clock of the cases past their
    last milestone. The events and notices are new: milestones after the watermark of
    cases whose facts the last sweep saw, which no sweep has written.
    """
    clocks = "sw_fast f JOIN sw_clk k ON k.due_tier = f.due_tier AND k.due_base = f.due_base"
    milestones = "sw_fast f JOIN sw_clkev m ON m.due_tier = f.due_tier AND m.due_base = f.due_base"
    changed = " OR ".join(
        [
            d.distinct("ledger_case.tier", "k.tier"),
            f"(k.entered IS NOT NULL AND {d.distinct('ledger_case.tier_entered_on', 'k.entered')})",
            d.distinct("ledger_case.overdue", "k.overdue"),
        ]
    )
    updated = run(
        f"""UPDATE ledger_case SET tier = k.tier, overdue = k.overdue, updated_at = :now,
          tier_entered_on = COALESCE(k.entered, ledger_case.tier_entered_on)
        FROM {clocks} WHERE ledger_case.case_id = f.case_id AND k.moved = 1 AND ({changed})""",
        now=now,
    ).rowcount
    events = _insert_new(
        conn,
        run,
        f"""INSERT INTO escalation_event (case_id, from_tier, to_tier, escalated_on, reason)
        SELECT f.case_id, m.from_tier, m.to_tier, m.on_date, 'sla' FROM {milestones}
        WHERE m.kind = 'escalation' ORDER BY f.case_id""",
    )
    notices = _insert_new(
        conn,
        run,
        f"""INSERT INTO notification (case_id, kind, tier, recipient, created_on)
        SELECT f.case_id, m.kind, m.to_tier,
          {_recipient_sql(config, "f.case_id", "m.to_tier", "m.on_date", "g.case_id")},
          m.on_date
        FROM {milestones} LEFT JOIN sw_pagg g ON g.case_id = f.case_id
        ORDER BY f.case_id""",
        **_role_binds(config),
    )
    # (the few past their last milestone, listed first: the join's estimate is no guide)
    run(f"CREATE TEMP TABLE sw_done AS SELECT f.case_id AS case_id FROM {clocks} WHERE NOT k.ahead")
    _analyze(conn, "sw_done")
    run(
        """UPDATE case_sweep SET due_tier = NULL, due_base = NULL
        WHERE case_id IN (SELECT case_id FROM sw_done)"""
    )
    return {"cases_changed": updated, "events_inserted": events, "notifications_inserted": notices}


def _write(
    conn,
    d: _Dialect,
    run,
    config: Config,
    as_of: dt.date,
    scope: str,
    facts: str | None,
    n_swept: int | None,
    cfg: str,
    n_clock: int,
) -> dict[str, Any]:
    """Write the derived state, events and notices; returns counts.

    ``facts``, ``n_swept``: the new fact totals and the number of case_sweep rows, when
    the working set came from them (else None).
    """
    cols = {
        "tier": "tier",
        "tier_entered_on": "entered",
        "status": "status",
        "disposition": "disposition",
        "closed_on": "closed_on",
        "reopened_count": "reopened_count",
        "is_key": "is_key",
        "key_since": "key_since",
        "overdue": "overdue",
        "statutory_due_on": "statutory_due_on",
        "statutory_overdue": "statutory_overdue",
    }
    conn.exec_driver_sql("CREATE UNIQUE INDEX ix_sw_out ON sw_out (case_id)")
    conn.exec_driver_sql("CREATE INDEX ix_sw_ev ON sw_ev (case_id)")
    _analyze(conn, "sw_out", "sw_ev")
    n_derived = conn.exec_driver_sql("SELECT COUNT(*) FROM sw_out").scalar_one()
    # (a case computed again after being left out loses its sweep_problem)
    changed = " OR ".join(
        [
            *(d.distinct(f"ledger_case.{c}", f"o.{v}") for c, v in cols.items()),
            "ledger_case.sweep_problem IS NOT NULL",
        ]
    )
    sets = ", ".join([*(f"{c} = o.{v}" for c, v in cols.items()), "sweep_problem = NULL"])
    now = now_local()
    updated = run(
        f"""UPDATE ledger_case SET {sets}, updated_at = :now FROM sw_out o
        WHERE ledger_case.case_id = o.case_id AND ({changed})""",
        now=now,
    ).rowcount

    # escalation_event: drop what no longer follows from the facts, add what is missing
    match_ev = """e.case_id = escalation_event.case_id AND e.to_tier = escalation_event.to_tier
        AND e.on_date = escalation_event.escalated_on AND e.from_tier = escalation_event.from_tier
        AND e.reason = escalation_event.reason"""
    n_full = conn.exec_driver_sql("SELECT COUNT(*) FROM sw_out WHERE full_mode").scalar_one()
    ev_deleted = nt_deleted = 0
    if n_full:
        ev_deleted = run(
            f"""DELETE FROM escalation_event WHERE EXISTS (
              SELECT 1 FROM sw_out o WHERE o.case_id = escalation_event.case_id AND o.full_mode)
            AND NOT EXISTS (SELECT 1 FROM sw_ev e WHERE e.kind = 'escalation' AND {match_ev})"""
        ).rowcount
    # the missing ones: the primary key itself tells which are there already (no
    # anti-join pass); in its order, so each index page is visited once
    ev_inserted = run(
        """INSERT INTO escalation_event (case_id, from_tier, to_tier, escalated_on, reason)
        SELECT case_id, from_tier, to_tier, on_date, reason FROM sw_ev
        WHERE kind = 'escalation' ORDER BY case_id, on_date, to_tier
        ON CONFLICT DO NOTHING"""
    ).rowcount

    # notifications: one per escalation (to the new tier), warning, overdue, statutory
    # (addressed to the top tier)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE sw_nt (case_id BIGINT, kind VARCHAR(32), tier INTEGER,"
        " created_on DATE, recipient VARCHAR(128))"
    )
    run(
        f"""INSERT INTO sw_nt (case_id, kind, tier, created_on, recipient)
        SELECT e.case_id, e.kind, e.tier, e.on_date,
          {_recipient_sql(config, "e.case_id", "e.tier", "e.on_date", "g.case_id")}
        FROM (SELECT case_id, kind, COALESCE(to_tier, {config.max_tier}) AS tier, on_date
              FROM sw_ev) e
        LEFT JOIN sw_pagg g ON g.case_id = e.case_id""",
        **_role_binds(config),
    )
    if n_full:
        conn.exec_driver_sql("CREATE INDEX ix_sw_nt ON sw_nt (case_id)")
        _analyze(conn, "sw_nt")
    same_nt = """n.case_id = notification.case_id AND n.kind = notification.kind
        AND n.tier = notification.tier AND n.created_on = notification.created_on"""
    if n_full:
        nt_deleted = run(
            f"""DELETE FROM notification WHERE EXISTS (
              SELECT 1 FROM sw_out o WHERE o.case_id = notification.case_id AND o.full_mode)
            AND notification.sent_at IS NULL
            AND notification.kind IN ('escalation', 'warning', 'overdue', 'statutory')
            AND NOT EXISTS (SELECT 1 FROM sw_nt n WHERE {same_nt}
                            AND n.recipient = notification.recipient)"""
        ).rowcount
    nt_inserted = run(
        """INSERT INTO notification (case_id, kind, tier, recipient, created_on)
        SELECT case_id, kind, tier, recipient, created_on FROM sw_nt
        ORDER BY case_id, created_on, kind, tier
        ON CONFLICT DO NOTHING"""
    ).rowcount

    if n_clock:
        clock = _write_clock(conn, d, run, config, now)
        updated += clock["cases_changed"]
        ev_inserted += clock["events_inserted"]
        nt_inserted += clock["notifications_inserted"]

    # remember what each case's derivation saw: a whole-ledger sweep moves the
    # watermark and writes only the cases whose facts changed (their row then follows
    # the watermark); a sweep of some cases records its own date on their rows
    whole = scope == ""
    own = "NULL" if whole else ":as_of"
    stale = " OR ".join(
        [
            d.distinct("case_sweep.sweep_sig", "o.sig"),
            d.distinct("case_sweep.swept_as_of", own),
            d.distinct("case_sweep.due_tier", "o.due_tier"),
            d.distinct("case_sweep.due_base", "o.due_base"),
            d.distinct("case_sweep.due_on", "o.due_on"),
        ]
    )
    # (an UPDATE, then an INSERT of the rest: cheaper than an upsert, which locks
    # each row before updating it; the rows have room for in-page updates)
    sweep_written = run(
        f"""UPDATE case_sweep SET swept_as_of = {own}, sweep_sig = o.sig,
          due_tier = o.due_tier, due_base = o.due_base, due_on = o.due_on
        FROM sw_out o WHERE o.case_id = case_sweep.case_id AND ({stale})"""
    ).rowcount
    sweep_added = run(
        f"""INSERT INTO case_sweep (case_id, swept_as_of, sweep_sig, due_tier, due_base, due_on)
        SELECT o.case_id, {own}, o.sig, o.due_tier, o.due_base, o.due_on FROM sw_out o
        WHERE o.case_id IN (SELECT case_id FROM sw_case WHERE fresh = 1) ORDER BY o.case_id"""
    ).rowcount
    sweep_written += sweep_added
    delta = facts is not None
    if whole:
        # (and the number of case_sweep rows, which only sweeps write)
        facts = facts or _fact_totals(run, cfg)
        if n_swept is None:
            n_swept = conn.exec_driver_sql("SELECT COUNT(*) FROM case_sweep").scalar_one()
        else:  # (counted at the start; a sweep only adds rows)
            n_swept += sweep_added
        facts = f"{facts}|{n_swept}"
        run("DELETE FROM sweep_watermark WHERE name = 'escalation'")
        run(
            "INSERT INTO sweep_watermark (name, as_of, facts)"
            " VALUES ('escalation', :as_of, :facts)",
            facts=facts,
        )
    else:  # the next whole-ledger sweep checks every case's signature
        run("UPDATE sweep_watermark SET facts = NULL WHERE name = 'escalation'")
    if d.pg:
        # keep the planner's picture of a table current when this sweep grew it by a
        # good part (a first sweep); daily growth is left to autovacuum
        for table, n in (
            ("escalation_event", ev_inserted),
            ("notification", nt_inserted),
            ("case_sweep", sweep_written),
        ):
            before = conn.exec_driver_sql(
                f"SELECT reltuples FROM pg_class WHERE oid = '{table}'::regclass"
            ).scalar_one()
            if n > 10_000 and n * 4 > max(before, 0):
                conn.exec_driver_sql(f"ANALYZE {table}")
    # the status of every case swept (those outside the working set kept theirs)
    in_scope = "" if whole else " AND case_id IN (SELECT case_id FROM sw_scope)"
    counts = {
        r[0]: r[1]
        for r in run(
            "SELECT status, COUNT(*) FROM ledger_case"
            f" WHERE first_received_at < :as_of_next{in_scope} GROUP BY status"
        )
    }
    return {
        "cases": sum(counts.values()),
        "open": counts.get("open", 0),
        "paused": counts.get("paused", 0),
        "closed": counts.get("closed", 0),
        "cases_derived": n_derived + n_clock,
        "working_set": "delta" if delta else "all",
        "cases_changed": updated,
        "events_inserted": ev_inserted,
        "events_deleted": ev_deleted,
        "notifications_inserted": nt_inserted,
        "notifications_deleted": nt_deleted,
    }
