"""The escalation sweep (docs/tiers.md): tiers, SLA clocks, warnings, flags, notifications.

Every lifecycle column of ``ledger_case`` is derived from the facts (items, progress
rows, risk keys) and the as-of date, so sweeping daily, weekly or once gives the same
rows. The sweep is one pass of set-based SQL over the cases that can have changed, in
named stages (working set → facts → pauses → clocks → milestones → writes), each
reading and writing documented temporary tables; ``docs/escalation.md`` describes
the design, the stages and their tables. :func:`xinfang.escalation_rules.timeline`
is the reference the SQL is tested against, and computes the few reopened cases.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import chinese_calendar
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import calendar as workcal
from xinfang import locks, supervision
from xinfang.config import Config, get_config
from xinfang.db import Dialect, case_id_lists, dialect_of
from xinfang.escalation_rules import (
    CaseFacts,
    ItemFact,
    Ladder,
    ProgressFact,
    Timeline,
    timeline,
)
from xinfang.progress import withdraw_keys  # a person's 重点 withdrawal (mark-key --unset)
from xinfang.timeutil import now_local
from xinfang.workflow import EXTENSION_MAX_DAYS

log = logging.getLogger(__name__)

__all__ = ["config_signature", "moving_facts", "recipient_for", "sweep", "timeline"]

_FACTS_VERSION = "f1"
_PROBLEM_SIG = "problem"
_MOVED_SIG = "moved"
"""case_sweep signature of a case whose facts the ledger moved (:func:`moving_facts`)"""
_MOVED_DUE_ON = dt.date(2000, 1, 1)
"""its due_on: before any sweep's as-of date (the calendar starts in 2004), so due"""
_PROBLEMS_NAMED = 20

# The temporary tables of one sweep, in the order the stages build them (what each
# holds: docs/escalation.md).
TEMP_TABLES = (
    "esc_scope",
    "esc_ladder",
    "esc_risk_key_day",
    "esc_added_case",
    "esc_clock_milestone",
    "esc_clock_case",
    "esc_candidate",
    "esc_progress_signature",
    "esc_case",
    "esc_problem",
    "esc_risk_key",
    "esc_progress",
    "esc_progress_case",
    "esc_first_close",
    "esc_last_close",
    "esc_last_status",
    "esc_acceptance",
    "esc_extension",
    "esc_reopened",
    "esc_status_row",
    "esc_pause_span",
    "esc_pause",
    "esc_case_state",
    "esc_epoch",
    "esc_current_epoch",
    "esc_event",
    "esc_case_result",
    "esc_clock_state",
    "esc_fresh_event_case",
    "esc_fresh_notice_case",
    "esc_notice",
    "esc_clock_finished",
)

# the ledger_case columns a derivation sets (esc_case_result has the same names)
LEDGER_COLUMNS = (
    "tier",
    "tier_entered_on",
    "status",
    "disposition",
    "closed_on",
    "reopened_count",
    "is_key",
    "key_since",
    "overdue",
    "statutory_due_on",
    "statutory_overdue",
)


@dataclass
class SweepContext:
    """What every stage of one sweep shares: the connection, the rules, the binds."""

    conn: sa.Connection
    dialect: Dialect
    config: Config
    ladder: Ladder
    calendar: workcal.WorkCalendar
    as_of: dt.date
    scoped: bool
    """a sweep of some cases (``esc_scope``), not of the whole ledger"""
    binds: dict[str, Any] = field(default_factory=dict)
    """the values every statement may name, already in the driver's form"""
    cases: str | None = None
    """the temporary table that limits the cases looked at (None: every case)"""

    def value(self, value: Any, type_: type[sa.types.TypeEngine]) -> Any:
        """``value`` as a bind of SQL type ``type_`` (dates are strings on SQLite)."""
        dialect = self.conn.dialect
        process = type_().dialect_impl(dialect).bind_processor(dialect)
        return process(value) if process else value

    def run(self, sql: str, **extra: Any) -> sa.CursorResult:
        """Execute ``sql`` with the sweep's binds and ``extra`` (a statement uses some)."""
        started = time.perf_counter()
        result = self.conn.execute(sa.text(sql), {**self.binds, **extra})
        log.debug("%.3f s  %s", time.perf_counter() - started, " ".join(sql.split())[:120])
        return result

    def count(self, table: str, where: str = "") -> int:
        return self.conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table} {where}").scalar_one()

    def index(self, table: str, *columns: str, unique: bool = False) -> None:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        self.conn.exec_driver_sql(f"CREATE {kind} ix_{table} ON {table} ({', '.join(columns)})")

    def analyze(self, *tables: str) -> None:
        """Statistics for fresh temp tables (PostgreSQL; autovacuum never sees them)."""
        self.dialect.analyze(self.conn, *tables)

    def only_cases(self, alias: str) -> str:
        """SQL: ``AND`` the row's case is one of those looked at ("" for every case)."""
        if self.cases is None:
            return ""
        return f"AND {alias}.case_id IN (SELECT case_id FROM {self.cases})"


@dataclass
class WorkingSet:
    """How the working set was chosen, for the bookkeeping at the end."""

    fact_totals: str | None = None
    """the new fact totals when the set came from them (else None: every signature)"""
    bookkeeping_rows: int | None = None
    """case_sweep rows counted then"""
    problems: int = 0
    clock_cases: int = 0
    markers_added: int = 0
    """case_sweep rows added for cases left out (``_mark_problems``)"""


def _least(a: str, b: str) -> str:
    """SQL: the earlier of two nullable values (NULL only when both are)."""
    return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} ELSE {b} END)"


def _paused_at(index: str, paused_after: str, paused_days: str) -> str:
    """SQL: working days of a pause at or before ``index``: clamp(index - after, 0, days)."""
    over = f"{index} - {paused_after}"
    return f"(CASE WHEN {over} <= 0 THEN 0 WHEN {over} >= {paused_days} THEN {paused_days} ELSE {over} END)"


def _index_before(calendar_row: str) -> str:
    """SQL: W(d - 1) from d's work_calendar row (W(d) less one when d is a working day)."""
    return f"({calendar_row}.workday_index - CASE WHEN {calendar_row}.is_workday THEN 1 ELSE 0 END)"


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
    if config.roster:  # who notices name (unsent ones are readdressed)
        parts.append(repr(sorted((c, sorted(p.items())) for c, p in config.roster.items())))
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def recipient_for(
    tier: int | None,
    config: Config,
    judge=None,
    department=None,
    leader=None,
    court_code: str | None = None,
) -> str:
    """Who a notice at ``tier`` goes to: the person the ledger names for the case at that
    tier (``Config.assignee_columns``: judge, department, leader), else the roster's
    person of the case's court at that tier, else the tier's role."""
    tier = config.max_tier if tier is None else tier
    named = {"judge": judge, "department": department, "leader": leader}
    column = config.assignee_columns.get(tier)
    listed = config.roster_person(court_code, tier)
    return (
        (named.get(column) if column else None)
        or (listed.name if listed else None)
        or config.tiers[tier].role
    )


# --- the ladder as SQL: milestone offsets from the day a case entered its start tier


def _offsets(ladder: Ladder, start_tier: int, kind: str | None = None) -> list[int]:
    return [m[3] for m in ladder.milestones(start_tier) if kind is None or m[0] == kind]


def _escalations_within(ladder: Ladder, start_tier: int, elapsed: str) -> str:
    """SQL: how many escalations of the ladder from ``start_tier`` lie within ``elapsed`` clock days."""
    offsets = _offsets(ladder, start_tier, "escalation")
    if not offsets:
        return "0"
    whens = " ".join(
        f"WHEN {elapsed} >= {off} THEN {n}" for n, off in reversed(list(enumerate(offsets, 1)))
    )
    return f"(CASE {whens} ELSE 0 END)"


def _entry_offset(ladder: Ladder, start_tier: int, escalations: str) -> str:
    """SQL: the clock offset of the n-th escalation from ``start_tier`` (0 when n = 0)."""
    offsets = _offsets(ladder, start_tier, "escalation")
    whens = " ".join(f"WHEN {escalations} = {n} THEN {off}" for n, off in enumerate(offsets, 1))
    return f"(CASE {whens} ELSE 0 END)" if offsets else "0"


def _next_offset(ladder: Ladder, start_tier: int, elapsed: str) -> str:
    """SQL: the clock offset of the first milestone from ``start_tier`` after ``elapsed`` (else NULL)."""
    offsets = sorted(set(_offsets(ladder, start_tier)))
    whens = " ".join(f"WHEN {elapsed} < {off} THEN {off}" for off in offsets)
    return f"(CASE {whens} END)" if offsets else "NULL"


def _overdue_offset(ladder: Ladder, start_tier: int) -> int:
    return _offsets(ladder, start_tier, "overdue")[0]


def _per_start_tier(column: str, tiers, sql_for) -> str:
    """SQL: ``sql_for(tier)`` for the start tier in ``column``."""
    whens = " ".join(f"WHEN {column} = {tier} THEN {sql_for(tier)}" for tier in tiers)
    return f"CASE {whens} END"


def _clock_due(ladder: Ladder, row: str) -> str:
    """SQL: a milestone of the clock stored in case_sweep row ``row`` falls in (watermark, as_of]."""
    terms = []
    for start_tier in range(1, ladder.top + 1):
        offsets = sorted(set(_offsets(ladder, start_tier)))
        if offsets:
            hits = " OR ".join(
                f"{row}.due_base + {off} BETWEEN :watermark_index + 1 AND :as_of_index"
                for off in offsets
            )
            terms.append(f"({row}.due_tier = {start_tier} AND ({hits}))")
    return "(" + " OR ".join(terms) + ")" if terms else "1 = 0"


# --- the sweep


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


def _sweep(
    conn: sa.Connection, as_of: dt.date, case_ids: list[int] | None, config: Config
) -> dict[str, Any]:
    """The stages, in order, over one context; returns the summary."""
    ctx = SweepContext(
        conn,
        dialect_of(conn),
        config,
        Ladder.of(config),
        workcal.WorkCalendar(config),
        as_of,
        scoped=case_ids is not None,
    )
    if (
        ctx.dialect.is_postgres
    ):  # one sweep at a time (intake_sweep and escalation_sweep both run it)
        locks.take(conn, locks.LEDGER)
    _drop_temps(ctx)
    restore = _session_settings(ctx)
    _scope_table(ctx, case_ids)
    stored_facts = _bind_dates(ctx)

    working = _working_set(ctx, stored_facts)
    _progress_facts(ctx)
    _pauses(ctx)
    _case_clocks(ctx)
    _milestones(ctx)
    if working.fact_totals is not None:
        working.clock_cases = _clock_states(ctx)
    n_reopened = _sweep_reopened(ctx)

    problems, working.markers_added = _mark_problems(ctx) if working.problems else ([], 0)
    if working.bookkeeping_rows is not None:
        working.bookkeeping_rows += working.markers_added
    summary = _write(ctx, working)
    summary["problems"] = working.problems
    summary["problem_cases"] = [no for no, _ in problems]
    if working.problems:
        _warn_problems(ctx, problems, working.problems)
    summary["cases_reopened_path"] = n_reopened
    summary["cases_from_clock"] = working.clock_cases
    summary["as_of"] = as_of.isoformat()
    _drop_temps(ctx)
    for name, value in restore.items():
        conn.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    log.info("escalation sweep as of %s: %s", as_of, summary)
    return summary


def _session_settings(ctx: SweepContext) -> dict[str, str]:
    """PostgreSQL settings for this transaction's big set-based statements.

    No JIT (compiling each statement costs more than it saves here), hash tables and
    sorts in memory, and temp tables in local buffers rather than the OS cache (only
    possible before the session first touches a temp table, so set for the session:
    the next sweep on a pooled connection keeps it). Returns what to restore.
    """
    if not ctx.dialect.is_postgres:
        return {}
    conn = ctx.conn
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
    if os.environ.get("XINFANG_SWEEP_EXPLAIN"):
        conn.exec_driver_sql("LOAD 'auto_explain'")
        conn.exec_driver_sql("SET auto_explain.log_min_duration = '1s'")
        conn.exec_driver_sql("SET auto_explain.log_analyze = on")
        conn.exec_driver_sql("SET auto_explain.log_buffers = on")
        conn.exec_driver_sql("SET auto_explain.log_wal = on")
    return saved


def _drop_temps(ctx: SweepContext) -> None:
    for name in TEMP_TABLES:
        ctx.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _scope_table(ctx: SweepContext, case_ids: list[int] | None) -> None:
    """``esc_scope`` (case_id): the cases of a sweep of some cases."""
    if case_ids is None:
        return
    ctx.conn.exec_driver_sql("CREATE TEMP TABLE esc_scope (case_id BIGINT PRIMARY KEY)")
    ids = sorted({int(c) for c in case_ids})
    if ids:
        ctx.conn.execute(
            sa.text("INSERT INTO esc_scope (case_id) VALUES (:c)"), [{"c": c} for c in ids]
        )
    ctx.cases = "esc_scope"


def _bind_dates(ctx: SweepContext) -> str | None:
    """Set the sweep's binds: as_of, the watermark (the last whole-ledger sweep's date),
    their working-day indexes, the configuration signature. Returns the fact totals
    the last whole-ledger sweep stored (None when every case's signature is checked)."""
    as_of_index = _ensure_calendar(ctx)
    conn = ctx.conn
    calendar_start = conn.execute(sa.text("SELECT MIN(day) FROM work_calendar")).scalar_one()
    watermark, stored_facts = conn.execute(
        sa.text("SELECT as_of, facts FROM sweep_watermark WHERE name = 'escalation'")
    ).one_or_none() or (None, None)
    watermark = _as_date(watermark)
    if watermark is None or watermark > ctx.as_of:
        stored_facts = None  # a first sweep, or of an earlier date: every case
    # W(watermark): a case's clock milestones since then are those numbered above it
    watermark_index = watermark and _workday_index(ctx, watermark)
    ctx.binds = {
        "as_of": ctx.value(ctx.as_of, sa.Date),
        "as_of_next": ctx.value(_midnight_after(ctx.as_of), sa.DateTime),
        "as_of_index": as_of_index,
        "watermark": ctx.value(watermark, sa.Date),
        "watermark_next": ctx.value(watermark and _midnight_after(watermark), sa.DateTime),
        "watermark_index": watermark_index or 0,
        # (working-day indexes count from the calendar's first day: stored ones hold
        # while it stays)
        "config_sig": f"{config_signature(ctx.config)}-{_as_date(calendar_start):%Y%m%d}",
    }
    return stored_facts


def _midnight_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _workday_index(ctx: SweepContext, day: dt.date) -> int | None:
    return ctx.conn.execute(
        sa.text("SELECT workday_index FROM work_calendar WHERE day = :d"),
        {"d": ctx.value(day, sa.Date)},
    ).scalar()


def _ensure_calendar(ctx: SweepContext) -> int:
    """Check the date range up front and materialize it; returns W(as_of).

    The range starts at the first item the calendar can judge: a case with an earlier
    one is left out of the sweep (``esc_problem``), never the whole ledger. ``as_of``
    itself must be judgeable (else :class:`CalendarError`)."""
    cal, as_of = ctx.calendar, ctx.as_of
    cal.check_year(as_of.year)
    first = ctx.conn.execute(
        sa.text(
            "SELECT MIN(i.received_at) FROM intake_item i"
            f" WHERE i.case_id IS NOT NULL AND i.received_at >= :t0 {ctx.only_cases('i')}"
        ),
        {"t0": ctx.value(dt.datetime.combine(cal.first_day, dt.time()), sa.DateTime)},
    ).scalar()
    if isinstance(first, str):
        first = dt.datetime.fromisoformat(first)
    start = min(first.date() if first else as_of, as_of)
    cal.check_range(start, as_of)
    # whole years, so daily sweeps find the table already up to date
    workcal.materialize(ctx.conn, dt.date(start.year, 1, 1), dt.date(as_of.year, 12, 31), cal)
    return _workday_index(ctx, as_of)


# --- stage 1: the working set


def _working_set(ctx: SweepContext, stored_facts: str | None) -> WorkingSet:
    """``esc_case``: the cases to derive, with their item facts; ``esc_problem``: those
    left out; ``esc_risk_key``: their risk key days.

    A whole-ledger sweep whose fact totals match the last one's looks only at the cases
    of rows added since, with risk keys, or due (``esc_candidate``); the cases due by
    their clock alone go to ``esc_clock_case`` instead."""
    _ladder_table(ctx)
    _risk_key_days(ctx)
    working = WorkingSet()
    if not ctx.scoped:
        delta = _fact_delta(ctx, stored_facts)
        if delta is not None:
            working.fact_totals, working.bookkeeping_rows = delta
            ctx.cases = "esc_candidate"
    _changed_or_due_cases(ctx)
    working.problems = _problem_cases(ctx)
    ctx.analyze("esc_case")
    ctx.run(
        """CREATE TEMP TABLE esc_risk_key AS
        SELECT r.case_id AS case_id,
          CASE WHEN r.key_on < c.first_day THEN c.first_day ELSE r.key_on END AS key_on
        FROM esc_risk_key_day r JOIN esc_case c ON c.case_id = r.case_id"""
    )
    ctx.index("esc_risk_key", "case_id", unique=True)
    return working


def _ladder_table(ctx: SweepContext) -> None:
    """``esc_ladder``: the milestones of the ladder from every start tier (the stored
    clocks can have any), at clock offsets from the day the case entered it."""
    ctx.conn.exec_driver_sql(
        "CREATE TEMP TABLE esc_ladder (start_tier INTEGER, kind VARCHAR(16),"
        " from_tier INTEGER, to_tier INTEGER, clock_offset INTEGER)"
    )
    ctx.conn.execute(
        sa.text("INSERT INTO esc_ladder VALUES (:start, :kind, :from_tier, :to_tier, :off)"),
        [
            {"start": start, "kind": kind, "from_tier": f, "to_tier": t, "off": off}
            for start in range(1, ctx.ladder.top + 1)
            for kind, f, t, off in ctx.ladder.milestones(start)
        ],
    )


def _risk_key_days(ctx: SweepContext) -> None:
    """``esc_risk_key_day`` (case_id, key_on): the day risk screening made each case key."""
    try:
        from xinfang.risk.screen import key_dates_sql
    except ImportError:  # risk screening not installed: no such key facts
        ctx.conn.exec_driver_sql("CREATE TEMP TABLE esc_risk_key_day (case_id BIGINT, key_on DATE)")
        return
    ctx.run(f"CREATE TEMP TABLE esc_risk_key_day AS {key_dates_sql('as_of')}")
    ctx.index("esc_risk_key_day", "case_id", unique=True)


def _changed_or_due_cases(ctx: SweepContext) -> None:
    """``esc_case``: the cases whose facts (or the configuration) changed since their last
    sweep, whose next milestone is due by as_of, or never swept or last swept after
    as_of; every other case's rows already hold as of as_of. One pass over the items
    gives both the signature and the item facts.

    ``written_through``: the day up to which the case's events are written (its facts
    unchanged since); NULL when it is derived in full."""
    d = ctx.dialect
    ctx.run(
        f"""CREATE TEMP TABLE esc_progress_signature AS
        SELECT p.case_id AS case_id, COUNT(*) AS progress_rows,
          MAX(p.progress_id) AS last_progress_id, MIN(p.progress_date) AS first_progress_on
        FROM case_progress p WHERE p.progress_date <= :as_of {ctx.only_cases("p")}
        GROUP BY p.case_id"""
    )
    signature = " || ':' || ".join(
        [
            d.text("a.item_count"),
            d.text("a.last_item_id"),
            d.text("COALESCE(g.progress_rows, 0)"),
            d.text("COALESCE(g.last_progress_id, 0)"),
            f"COALESCE({d.text('rk.key_on')}, '-')",
            ":config_sig",
        ]
    )
    received = d.day("i.received_at")
    referral_notice = f"""(CASE WHEN {d.add_days("i.due_on", 1)} > {received}
        THEN {d.add_days("i.due_on", 1)} ELSE {received} END)"""
    due = f"""(b.own_on IS NOT NULL OR b.due_on <= :as_of OR {_clock_due(ctx.ladder, "b")})"""
    ctx.run(
        f"""CREATE TEMP TABLE esc_case AS
        SELECT b.case_id AS case_id, b.first_day AS first_day, b.last_item_day AS last_item_day,
          b.referral_day AS referral_day, b.referral_due_on AS referral_due_on,
          b.referral_notice_on AS referral_notice_on, b.signature AS signature,
          CASE WHEN b.stored_signature IS NULL THEN 1 ELSE 0 END AS never_swept,
          CASE WHEN b.stored_signature = b.signature AND b.last_swept_on <= :as_of
            THEN b.last_swept_on END AS written_through
        FROM (
          SELECT a.*, {signature} AS signature, cs.sweep_sig AS stored_signature,
            COALESCE(cs.swept_as_of, :watermark) AS last_swept_on, cs.swept_as_of AS own_on,
            cs.due_tier AS due_tier, cs.due_base AS due_base, cs.due_on AS due_on
          FROM (
            SELECT i.case_id AS case_id, MIN({received}) AS first_day,
              MAX({received}) AS last_item_day,
              MIN(CASE WHEN i.channel = 'referral' THEN {received} END) AS referral_day,
              MIN(i.due_on) AS referral_due_on,
              MIN(CASE WHEN i.due_on IS NOT NULL THEN {referral_notice} END) AS referral_notice_on,
              COUNT(*) AS item_count, MAX(i.item_id) AS last_item_id
            FROM intake_item i
            WHERE i.case_id IS NOT NULL AND i.received_at < :as_of_next {ctx.only_cases("i")}
            GROUP BY i.case_id) a
          LEFT JOIN esc_progress_signature g ON g.case_id = a.case_id
          LEFT JOIN esc_risk_key_day rk ON rk.case_id = a.case_id
          LEFT JOIN case_sweep cs ON cs.case_id = a.case_id) b
        WHERE b.stored_signature IS NULL OR b.stored_signature <> b.signature
          OR b.last_swept_on IS NULL OR b.last_swept_on > :as_of OR {due}"""
    )
    ctx.index("esc_case", "case_id", unique=True)


def _problem_cases(ctx: SweepContext) -> int:
    """``esc_problem`` (case_id, reason): the working set's cases with an item received or
    a progress row dated before the calendar's first day, taken out of ``esc_case``
    (their per-case aggregates are already there: no extra pass). Returns how many."""
    first = ctx.calendar.first_day.isoformat()
    why = (
        "the escalation sweep cannot compute this case: {what} is dated {on}, before "
        f"{first}, the first day the working calendar can judge (计算不了：日期早于工作日历起始日 "
        f"{first}). Correct the date, or declare the year in XINFANG_CONFIG under "
        "calendar: years (with its holidays and workdays); the next sweep then computes it."
    )
    text = ctx.dialect.text
    item = why.format(what="an intake item", on="' || " + text("c.first_day") + " || '")
    progress = why.format(what="a progress row", on="' || " + text("g.first_progress_on") + " || '")
    # (two filtered scans: the join of the few early progress rows only)
    ctx.run(
        f"""CREATE TEMP TABLE esc_problem AS
        SELECT c.case_id AS case_id, '{item}' AS reason FROM esc_case c
        WHERE c.first_day < :first_judgeable
        UNION ALL
        SELECT c.case_id, '{progress}' FROM esc_progress_signature g
        JOIN esc_case c ON c.case_id = g.case_id
        WHERE g.first_progress_on < :first_judgeable AND c.first_day >= :first_judgeable""",
        first_judgeable=ctx.value(ctx.calendar.first_day, sa.Date),
    )
    n = ctx.count("esc_problem")
    if n:
        ctx.index("esc_problem", "case_id", unique=True)
        ctx.run("DELETE FROM esc_case WHERE case_id IN (SELECT case_id FROM esc_problem)")
    return n


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


def _total_terms(id_col: str, when: str | None = None) -> list[str]:
    """SQL: the watermark's totals of a fact table's rows (``when``: of those it holds
    for): count, sum of case ids, sum weighted by row id, highest row id."""

    def of(value: str) -> str:
        return value if when is None else f"CASE WHEN {when} THEN {value} END"

    return [
        "COUNT(*)" if when is None else f"COUNT({of('1')})",
        f"COALESCE(SUM({of('case_id')}), 0)",
        f"COALESCE(SUM({of(f'case_id * ({id_col} % 1009)')}), 0)",
        f"COALESCE(MAX({of(id_col)}), 0)",
    ]


def _totals(ctx: SweepContext, table: str, id_col: str, where: str, **extra: Any) -> list[int]:
    terms = ", ".join(_total_terms(id_col))
    row = ctx.run(f"SELECT {terms} FROM {table} WHERE {where}", **extra).one()
    return [int(v) for v in row]


def _split_totals(
    ctx: SweepContext, table: str, id_col: str, where: str, seen: str, **extra: Any
) -> tuple[list[int], list[int]]:
    """The totals of the rows ``where`` that are ``seen``, and of the others: one scan."""
    sums = _total_terms(id_col, seen) + _total_terms(id_col, f"NOT ({seen})")
    row = [
        int(v)
        for v in ctx.run(f"SELECT {', '.join(sums)} FROM {table} WHERE {where}", **extra).one()
    ]
    return row[:4], row[4:]


def _fact_totals(ctx: SweepContext) -> str:
    """The fact totals of a sweep that looked at every row."""
    parts = [_FACTS_VERSION, ctx.binds["config_sig"]]
    for table, id_col, rows, in_view in _fact_tables():
        where = f"{rows} AND {in_view.format(day='as_of')}"
        parts.append(",".join(str(v) for v in _totals(ctx, table, id_col, where)))
    return "|".join(parts)


def _fact_delta(ctx: SweepContext, stored: str | None) -> tuple[str, int] | None:
    """When the rows the last whole-ledger sweep saw are unchanged: the new fact totals
    and the number of case_sweep rows, with ``esc_candidate`` (the cases to derive in
    full) and ``esc_clock_case`` (those derived from their clock); else None (every
    case's signature is checked).

    One scan per fact table gives the totals of the rows seen (checked against the
    stored ones) and of those added since; the added rows' cases are read again by
    their id above the last one seen (the primary key) and, on a later day, by the
    dates that came into view: what the batch added, not the whole table."""
    parts = (stored or "").split("|")
    tables = _fact_tables()
    if len(parts) != len(tables) + 3 or parts[:2] != [_FACTS_VERSION, ctx.binds["config_sig"]]:
        return None
    n_swept = ctx.count("case_sweep")
    if str(n_swept) != parts[-1]:
        return None  # bookkeeping rows added or removed behind the sweep's back
    old = [[int(v) for v in p.split(",")] for p in parts[2:-1]]
    new_parts = [_FACTS_VERSION, ctx.binds["config_sig"]]
    added_rows = []
    later_day = ctx.binds["watermark"] != ctx.binds["as_of"]
    for i, ((table, id_col, rows, in_view), (n, s1, s2, top)) in enumerate(
        zip(tables, old, strict=True)
    ):
        # (the rows in view then are in view now: as_of is not before the watermark)
        then = in_view.format(day="watermark")
        now = f"{rows} AND {in_view.format(day='as_of')}"
        seen = f"{then} AND {id_col} <= :top{i}"
        before, more = _split_totals(ctx, table, id_col, now, seen, **{f"top{i}": top})
        if before[:3] != [n, s1, s2]:
            return None
        totals = (n + more[0], s1 + more[1], s2 + more[2], max(before[3], more[3]))
        new_parts.append(",".join(str(v) for v in totals))
        if more[0]:  # now and not seen: a higher id, or (a later day) dated into view
            added_rows.append(f"SELECT case_id FROM {table} WHERE {id_col} > :top{i} AND {now}")
            if later_day:
                added_rows.append(f"SELECT case_id FROM {table} WHERE {now} AND NOT ({then})")
    tops = {f"top{i}": o[3] for i, o in enumerate(old)}
    _delta_candidates(ctx, " UNION ".join(added_rows), tops)
    return "|".join(new_parts), n_swept


def _delta_candidates(ctx: SweepContext, added_rows: str, tops: dict[str, int]) -> None:
    """``esc_added_case``, ``esc_clock_milestone``, ``esc_clock_case``, ``esc_candidate``:
    the cases a delta sweep looks at, from the rows added since the watermark and the
    clocks stored in case_sweep."""
    # (a case with a risk key is one of these when its key flags changed: risk_flag is
    # one of the fact tables, so a new key flag is an added row and a deleted or moved
    # one changes the totals; the others' key days hold)
    ctx.run(
        f"""CREATE TEMP TABLE esc_added_case AS
        SELECT DISTINCT case_id
        FROM ({added_rows or "SELECT case_id FROM esc_risk_key_day WHERE 1 = 0"}) y""",
        **tops,
    )
    ctx.index("esc_added_case", "case_id", unique=True)
    # the clocks with a milestone in (watermark, as_of]: each working day numbered
    # w there is the milestone at offset off of the clock (start tier, w - off)
    ctx.run(
        """CREATE TEMP TABLE esc_clock_milestone AS
        SELECT m.start_tier AS due_tier, w.workday_index - m.clock_offset AS due_base,
          m.kind AS kind, m.from_tier AS from_tier, m.to_tier AS to_tier, w.day AS on_date
        FROM esc_ladder m JOIN work_calendar w ON w.is_workday
          AND w.workday_index > :watermark_index AND w.workday_index <= :as_of_index"""
    )
    # due only by its clock (one of those), facts and risk keys unchanged, no own
    # date, its statutory notice / 超期 flag not due: derived from the stored clock
    # alone (see _clock_states)
    ctx.run(
        """CREATE TEMP TABLE esc_clock_case AS
        SELECT x.case_id AS case_id, x.due_tier AS due_tier, x.due_base AS due_base,
          x.due_on AS due_on
        FROM case_sweep x
        JOIN (SELECT DISTINCT due_tier, due_base FROM esc_clock_milestone) k
          ON k.due_tier = x.due_tier AND k.due_base = x.due_base
        WHERE x.swept_as_of IS NULL AND (x.due_on IS NULL OR x.due_on > :as_of)
          AND NOT EXISTS (SELECT 1 FROM esc_added_case a WHERE a.case_id = x.case_id)"""
    )
    ctx.analyze("esc_clock_case")
    # the other due cases (an own date, the statutory notice / 超期 flag due; a case due
    # by its clock is one of these, of esc_clock_case or of esc_added_case) and those
    # of added rows
    ctx.run(
        """CREATE TEMP TABLE esc_candidate AS
        SELECT case_id FROM esc_added_case
        UNION SELECT x.case_id FROM case_sweep x
        WHERE x.swept_as_of IS NOT NULL OR x.due_on <= :as_of"""
    )
    ctx.index("esc_candidate", "case_id", unique=True)


# --- stage 2: the progress facts


def _progress_facts(ctx: SweepContext) -> None:
    """The progress rows of the working set dated up to as_of, and what they tell:
    ``esc_progress`` (a row dated before the first item counts from it),
    ``esc_progress_case`` (the cases with rows: the first 重点案件 day),
    ``esc_first_close`` / ``esc_last_close`` (the first 销号 and the last one's
    disposition), ``esc_last_status``, ``esc_acceptance`` / ``esc_extension`` (the latest
    受理日期 and 延期至 given, which set the statutory deadline) and ``esc_reopened`` (an
    item on a later day, or a 办理中 row after the first close: these go to the
    reference rules)."""
    ctx.run(
        """CREATE TEMP TABLE esc_progress AS
        SELECT p.case_id AS case_id, p.progress_id AS progress_id,
          CASE WHEN p.progress_date < c.first_day THEN c.first_day
               ELSE p.progress_date END AS progress_on,
          p.status AS status, p.disposition AS disposition, p.is_key AS is_key,
          p.accepted_on AS accepted_on, p.extended_to AS extended_to
        FROM case_progress p JOIN esc_case c ON c.case_id = p.case_id
        WHERE p.progress_date <= :as_of"""
    )
    ctx.index("esc_progress", "case_id", "progress_on", "progress_id")
    ctx.analyze("esc_progress")
    ctx.run(
        """CREATE TEMP TABLE esc_progress_case AS
        SELECT case_id, MIN(CASE WHEN is_key THEN progress_on END) AS first_key_on
        FROM esc_progress GROUP BY case_id"""
    )
    first_close = {"closed_on": "progress_on", "close_progress_id": "progress_id"}
    _first_progress_row(ctx, "esc_first_close", first_close, "status = 'closed'", "")
    latest = "DESC"
    _first_progress_row(
        ctx, "esc_last_close", {"disposition": "disposition"}, "status = 'closed'", latest
    )
    _first_progress_row(ctx, "esc_last_status", {"status": "status"}, "status IS NOT NULL", latest)
    for table, column in (("esc_acceptance", "accepted_on"), ("esc_extension", "extended_to")):
        _first_progress_row(ctx, table, {column: column}, f"{column} IS NOT NULL", latest)
    ctx.run(
        """CREATE TEMP TABLE esc_reopened AS
        SELECT k.case_id AS case_id FROM esc_first_close k
        JOIN esc_case c ON c.case_id = k.case_id
        WHERE c.last_item_day > k.closed_on OR EXISTS (
          SELECT 1 FROM esc_progress p WHERE p.case_id = k.case_id AND p.status = 'open'
            AND (p.progress_on > k.closed_on
                 OR (p.progress_on = k.closed_on AND p.progress_id > k.close_progress_id)))"""
    )
    ctx.index("esc_reopened", "case_id", unique=True)


def _first_progress_row(
    ctx: SweepContext, table: str, columns: dict[str, str], which: str, direction: str
) -> None:
    """``table`` (case_id, columns): per case, the first of its ``esc_progress`` rows
    ``which`` in (day, id) order, or the last with ``direction`` DESC."""
    picked = ", ".join(f"{source} AS {name}" for name, source in columns.items())
    order = f"progress_on {direction}, progress_id {direction}"
    ctx.run(
        f"""CREATE TEMP TABLE {table} AS
        SELECT case_id, {", ".join(columns)} FROM (
          SELECT case_id, {picked},
            ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY {order}) AS row_rank
          FROM esc_progress WHERE {which}) x
        WHERE row_rank = 1"""
    )


# --- stage 3: the pauses


def _pauses(ctx: SweepContext) -> None:
    """``esc_pause``: each pause of the cases not reopened, in working-day index space.

    ``esc_status_row``: the status rows before the first close, with the status before
    and the day of the next non-pause row; ``esc_pause_span``: each run of 中止 rows as
    [paused_on, resumed_on) (open at the close, or still running at as_of). In
    ``esc_pause``, ``paused_after`` is W(paused_on - 1), ``paused_days`` its working
    days, ``clock_at_pause`` the counting index it starts at (earlier pauses taken off).
    """
    ctx.run(
        """CREATE TEMP TABLE esc_status_row AS
        SELECT p.case_id AS case_id, p.progress_on AS progress_on, p.progress_id AS progress_id,
          p.status AS status,
          LAG(p.status) OVER (PARTITION BY p.case_id ORDER BY p.progress_on, p.progress_id)
            AS previous_status,
          MIN(CASE WHEN p.status <> 'paused' THEN p.progress_on END) OVER (
            PARTITION BY p.case_id ORDER BY p.progress_on, p.progress_id
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_resumed_on,
          k.closed_on AS closed_on
        FROM esc_progress p LEFT JOIN esc_first_close k ON k.case_id = p.case_id
        WHERE p.status IS NOT NULL
          AND (k.case_id IS NULL OR p.progress_on < k.closed_on
               OR (p.progress_on = k.closed_on AND p.progress_id < k.close_progress_id))
          AND p.case_id NOT IN (SELECT case_id FROM esc_reopened)"""
    )
    ctx.run(
        """CREATE TEMP TABLE esc_pause_span AS
        SELECT case_id, progress_on AS paused_on,
          COALESCE(next_resumed_on, closed_on) AS resumed_on
        FROM esc_status_row
        WHERE status = 'paused' AND (previous_status IS NULL OR previous_status <> 'paused')"""
    )
    ctx.run(
        f"""CREATE TEMP TABLE esc_pause AS
        SELECT case_id, paused_after, paused_days,
          paused_after - COALESCE(SUM(paused_days) OVER (
            PARTITION BY case_id ORDER BY paused_after, paused_on
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS clock_at_pause
        FROM (SELECT x.case_id AS case_id, x.paused_on AS paused_on,
                {_index_before("w")} AS paused_after,
                (CASE WHEN x.resumed_on IS NULL THEN :as_of_index
                 ELSE {_index_before("wr")} END) - {_index_before("w")} AS paused_days
              FROM esc_pause_span x JOIN work_calendar w ON w.day = x.paused_on
              LEFT JOIN work_calendar wr ON wr.day = x.resumed_on) y"""
    )
    ctx.index("esc_pause", "case_id")
    ctx.analyze("esc_pause")


# --- stage 4: the clocks


def _case_clocks(ctx: SweepContext) -> None:
    """``esc_case_state``: each case's dates (not reopened) and their counting indexes.

    A case's clock runs on the working days it is open: the counting index of day d is
    W(d) less the paused working days up to d. ``first_clock`` counts the first item's
    day, ``key_clock`` the key day, ``key_eve_clock`` / ``close_eve_clock`` the day
    before the key day / the close, ``written_clock`` ``written_through``,
    ``as_of_clock`` as_of."""
    d, config = ctx.dialect, ctx.config
    key_day = _least(_least("c.referral_day", "g.first_key_on"), "rk.key_on")
    # xinfang.workflow.statutory_due: 60 days from acceptance (else registration), moved
    # to an extension within 30 days of that, a referral's earlier 办结时限
    handling_due = d.add_days("COALESCE(ac.accepted_on, c.first_day)", config.statutory_days)
    moved_due = f"""(CASE WHEN ex.extended_to IS NOT NULL
        AND ex.extended_to <= {d.add_days(handling_due, EXTENSION_MAX_DAYS)}
        THEN ex.extended_to ELSE {handling_due} END)"""
    statutory_due = _least(moved_due, "c.referral_due_on")
    statutory_notice = _least(d.add_days(moved_due, 1), "c.referral_notice_on")
    ctx.run(
        f"""CREATE TEMP TABLE esc_case_state AS
        SELECT s.*, wf.workday_index AS first_clock, wk.workday_index AS key_clock,
          {_index_before("wk")} AS key_eve_clock, {_index_before("wc")} AS close_eve_clock,
          wl.workday_index AS written_clock, :as_of_index AS as_of_clock,
          CASE WHEN s.case_id IN (SELECT case_id FROM esc_pause) THEN 1 ELSE 0 END AS has_pause
        FROM (
          SELECT c.case_id AS case_id, c.first_day AS first_day, {key_day} AS key_day,
            k.closed_on AS closed_on, lc.disposition AS disposition,
            CASE WHEN k.closed_on IS NOT NULL THEN 'closed'
                 WHEN ls.status = 'paused' THEN 'paused' ELSE 'open' END AS status,
            {statutory_due} AS statutory_due_on, {statutory_notice} AS statutory_notice_on,
            c.signature AS signature, c.written_through AS written_through
          FROM esc_case c
          LEFT JOIN esc_progress_case g ON g.case_id = c.case_id
          LEFT JOIN esc_first_close k ON k.case_id = c.case_id
          LEFT JOIN esc_last_close lc ON lc.case_id = c.case_id
          LEFT JOIN esc_last_status ls ON ls.case_id = c.case_id
          LEFT JOIN esc_risk_key rk ON rk.case_id = c.case_id
          LEFT JOIN esc_acceptance ac ON ac.case_id = c.case_id
          LEFT JOIN esc_extension ex ON ex.case_id = c.case_id
          WHERE c.case_id NOT IN (SELECT case_id FROM esc_reopened)) s
        JOIN work_calendar wf ON wf.day = s.first_day
        LEFT JOIN work_calendar wk ON wk.day = s.key_day
        LEFT JOIN work_calendar wc ON wc.day = s.closed_on
        LEFT JOIN work_calendar wl ON wl.day = s.written_through"""
    )
    ctx.index("esc_case_state", "case_id", unique=True)
    # working-day index → counting index (cases with pauses only)
    sets = ", ".join(
        f"""{col} = {col} - (SELECT COALESCE(SUM({
            _paused_at(f"esc_case_state.{col}", "p.paused_after", "p.paused_days")
        }), 0) FROM esc_pause p WHERE p.case_id = esc_case_state.case_id)"""
        for col in (
            "first_clock",
            "key_clock",
            "key_eve_clock",
            "close_eve_clock",
            "written_clock",
            "as_of_clock",
        )
    )
    ctx.run(f"UPDATE esc_case_state SET {sets} WHERE has_pause = 1")
    ctx.analyze("esc_case_state")


# --- stage 5: the milestones


def _pauses_before(row: str, clock: str) -> str:
    """SQL: the paused working days before counting index ``clock`` of case ``row``
    (adding them back turns a counting index into a working-day index)."""
    return f"""(CASE WHEN {row}.has_pause = 0 THEN 0 ELSE (SELECT COALESCE(SUM(p.paused_days), 0)
        FROM esc_pause p WHERE p.case_id = {row}.case_id AND p.clock_at_pause < {clock}) END)"""


def _milestones(ctx: SweepContext) -> None:
    """``esc_event``: the events and notices of the cases not reopened, after
    ``written_through``; ``esc_case_result``: their ledger row and clock."""
    ladder, key_tier = ctx.ladder, ctx.ladder.key_tier
    # the tier a case had reached the day before it became key, and whether that day
    # starts a second epoch at the key tier
    key_day_tier = f"(1 + {_escalations_within(ladder, 1, 'key_eve_clock - first_clock')})"
    promoted = f"""(key_day IS NOT NULL AND (closed_on IS NULL OR key_day < closed_on)
        AND {key_day_tier} < {key_tier})"""
    _epochs(ctx, promoted)
    _current_epochs(ctx)
    # every milestone of an epoch's ladder within its bounds, placed on the calendar
    # in one join (adding back the paused working days before it)
    milestone = "e.start_clock + m.clock_offset"
    ctx.run(
        f"""CREATE TEMP TABLE esc_event AS
        SELECT r.case_id AS case_id, r.kind AS kind,
          CASE WHEN r.kind = 'escalation' THEN 'sla' ELSE r.kind END AS reason,
          r.from_tier AS from_tier, r.to_tier AS to_tier, w.day AS on_date
        FROM (SELECT e.case_id, m.kind, m.from_tier, m.to_tier,
                {milestone} + {_pauses_before("e", milestone)} AS milestone_index
              FROM esc_epoch e JOIN esc_ladder m ON m.start_tier = e.start_tier
              WHERE {milestone} > e.after_clock AND {milestone} <= e.through_clock) r
        JOIN work_calendar w ON w.workday_index = r.milestone_index AND w.is_workday"""
    )
    # key promotions and statutory notices, dated directly
    ctx.run(
        f"""INSERT INTO esc_event (case_id, kind, reason, from_tier, to_tier, on_date)
        SELECT case_id, 'escalation', 'key_case', {key_day_tier}, {key_tier}, key_day
        FROM esc_case_state
        WHERE {promoted} AND (written_through IS NULL OR key_day > written_through)"""
    )
    ctx.run(
        """INSERT INTO esc_event (case_id, kind, reason, from_tier, to_tier, on_date)
        SELECT case_id, 'statutory', 'statutory', NULL, NULL, statutory_notice_on
        FROM esc_case_state
        WHERE statutory_notice_on <= :as_of
          AND (closed_on IS NULL OR closed_on > statutory_notice_on)
          AND (written_through IS NULL OR statutory_notice_on > written_through)"""
    )
    _case_results(ctx)


def _epochs(ctx: SweepContext, promoted: str) -> None:
    """``esc_epoch``: a case's runs of one ladder: from the first item at tier 1, and from
    the key day at the key tier when it was below it then (``promoted``). Milestones
    fall in (``after_clock``, ``through_clock``]: after what is written, up to the day
    before the close (else as_of) or before the promotion."""
    key_tier = ctx.ladder.key_tier
    through = "(CASE WHEN closed_on IS NOT NULL THEN close_eve_clock ELSE as_of_clock END)"

    def after(start: str) -> str:
        return f"""CASE WHEN written_through IS NOT NULL AND written_clock > {start}
            THEN written_clock ELSE {start} END"""

    ctx.run(
        f"""CREATE TEMP TABLE esc_epoch AS
        SELECT case_id, 1 AS start_tier, first_day AS start_day, first_clock AS start_clock,
          {after("first_clock")} AS after_clock,
          CASE WHEN {promoted} AND key_eve_clock < {through} THEN key_eve_clock
               ELSE {through} END AS through_clock,
          CASE WHEN {promoted} THEN 0 ELSE 1 END AS is_current, has_pause
        FROM esc_case_state
        UNION ALL
        SELECT case_id, {key_tier}, key_day, key_clock, {after("key_clock")}, {through},
          1, has_pause
        FROM esc_case_state WHERE {promoted}"""
    )
    ctx.analyze("esc_epoch")


def _current_epochs(ctx: SweepContext) -> None:
    """``esc_current_epoch``: each case's current epoch with the state of its ladder:
    ``escalations`` since its start, so ``tier``; ``entry_clock``, when it entered it;
    the clock offsets of 超时 (``overdue_offset``) and of its next milestone."""
    ladder = ctx.ladder
    start_tiers = sorted({1, ladder.key_tier})
    elapsed = "(e.through_clock - e.start_clock)"

    def per_tier(fn) -> str:
        return _per_start_tier("e.start_tier", start_tiers, fn)

    escalations = per_tier(lambda st: _escalations_within(ladder, st, elapsed))
    entry = _per_start_tier(
        "x.start_tier", start_tiers, lambda st: _entry_offset(ladder, st, "x.escalations")
    )
    ctx.run(
        f"""CREATE TEMP TABLE esc_current_epoch AS
        SELECT x.*, x.start_tier + x.escalations AS tier, x.start_clock + {entry} AS entry_clock
        FROM (SELECT e.case_id, e.start_tier, e.start_day, e.start_clock,
                {escalations} AS escalations, {elapsed} AS elapsed,
                {per_tier(lambda st: _overdue_offset(ladder, st))} AS overdue_offset,
                {per_tier(lambda st: _next_offset(ladder, st, elapsed))} AS next_offset,
                s.status, s.disposition, s.closed_on, s.key_day, s.statutory_due_on,
                s.statutory_notice_on, s.written_through, s.signature, s.has_pause
              FROM esc_epoch e JOIN esc_case_state s ON s.case_id = e.case_id
              WHERE e.is_current = 1) x"""
    )


def _case_results(ctx: SweepContext) -> None:
    """``esc_case_result``: the derived ledger columns, and the clock to store: while the
    case is open and a milestone is ahead, its epoch's start tier and first working day
    (pauses added back: constant until the facts change), else none; ``due_on``, the
    statutory notice / 超期 flag while it is not closed."""
    d = ctx.dialect
    statutory_next = """(CASE WHEN x.status <> 'closed' AND x.statutory_notice_on > :as_of
        THEN x.statutory_notice_on END)"""
    overdue_from = d.add_days("x.statutory_due_on", 1)
    overdue_next = f"""(CASE WHEN x.status <> 'closed' AND {overdue_from} > :as_of
        THEN {overdue_from} END)"""
    clock_runs = "x.status = 'open' AND x.next_offset IS NOT NULL"
    ctx.run(
        f"""CREATE TEMP TABLE esc_case_result AS
        SELECT x.case_id, x.tier, COALESCE(entered.day, x.start_day) AS tier_entered_on,
          x.status, x.disposition, x.closed_on, 0 AS reopened_count,
          x.key_day IS NOT NULL AS is_key, x.key_day AS key_since,
          (x.status <> 'closed' AND x.elapsed >= x.overdue_offset) AS overdue,
          x.statutory_due_on, (x.status <> 'closed' AND x.statutory_due_on < :as_of)
            AS statutory_overdue,
          x.written_through IS NULL AS in_full, x.signature,
          CASE WHEN {clock_runs} THEN x.start_tier END AS due_tier,
          CASE WHEN {clock_runs} THEN x.start_clock + COALESCE(pl.paused_days, 0) END
            AS due_base,
          {_least(statutory_next, overdue_next)} AS due_on
        FROM (SELECT x.*, CASE WHEN x.escalations > 0
                THEN x.entry_clock + {_pauses_before("x", "x.entry_clock")} END AS entry_index
              FROM esc_current_epoch x) x
        LEFT JOIN work_calendar entered
          ON entered.workday_index = x.entry_index AND entered.is_workday
        LEFT JOIN (SELECT case_id, SUM(paused_days) AS paused_days FROM esc_pause
                   GROUP BY case_id) pl ON pl.case_id = x.case_id"""
    )


def _clock_states(ctx: SweepContext) -> int:
    """``esc_clock_state``: what each clock of ``esc_clock_case`` tells as of as_of (tier,
    entry day, 超时); returns how many cases are derived from their clock alone.

    Such a case's facts and the configuration are those of its last derivation (as of
    the watermark), it is open, not reopened, and its statutory notice / 超期 flag is
    not due; its pauses all ended by the watermark, so the milestone at clock offset
    ``off`` of its current epoch is the working day ``due_base + off``: the new events,
    tier, tier entry and 超时 flag follow from ``due_tier``/``due_base`` alone, exactly
    as the full derivation places them. What the clock does not tell (key, statutory due
    date, the entry day of a tier entered before the epoch's first escalation) has not
    changed, so the ledger row holds it. One row per distinct clock, not per case.
    """
    n = ctx.count("esc_clock_case")
    if not n:
        return 0
    ladder = ctx.ladder
    tiers = range(1, ladder.top + 1)
    elapsed = "(:as_of_index - f.due_base)"

    def per_tier(fn) -> str:
        return "(" + _per_start_tier("f.due_tier", tiers, fn) + ")"

    escalations = per_tier(lambda st: _escalations_within(ladder, st, elapsed))
    entry = per_tier(lambda st: _entry_offset(ladder, st, _escalations_within(ladder, st, elapsed)))
    milestone_of_clock = """EXISTS (SELECT 1 FROM esc_clock_milestone m
        WHERE m.due_tier = x.due_tier AND m.due_base = x.due_base AND {})"""
    # ``moved``: an escalation or the 超时 flag fell in the window (a warning alone leaves
    # the ledger row as it is). ``tier_entered_on`` only when an escalation fell in the
    # window: a tier entered before a pause keeps the day the ledger row holds (the
    # clock's base has the pause added back, so it would place that entry too late)
    ctx.run(
        f"""CREATE TEMP TABLE esc_clock_state AS
        SELECT x.due_tier AS due_tier, x.due_base AS due_base, x.tier AS tier,
          CASE WHEN {milestone_of_clock.format("m.kind = 'escalation'")}
            THEN entered.day END AS tier_entered_on,
          x.overdue AS overdue, x.milestone_ahead AS milestone_ahead,
          CASE WHEN {milestone_of_clock.format("m.kind <> 'warning'")}
            THEN 1 ELSE 0 END AS moved
        FROM (SELECT f.due_tier, f.due_base, f.due_tier + {escalations} AS tier,
                CASE WHEN {escalations} > 0 THEN f.due_base + {entry} END AS entry_index,
                {elapsed} >= {per_tier(lambda st: _overdue_offset(ladder, st))} AS overdue,
                f.due_base + {per_tier(lambda st: max(_offsets(ladder, st)))} > :as_of_index
                  AS milestone_ahead
              FROM (SELECT DISTINCT due_tier, due_base FROM esc_clock_milestone) f) x
        LEFT JOIN work_calendar entered
          ON entered.workday_index = x.entry_index AND entered.is_workday"""
    )
    ctx.analyze("esc_clock_state", "esc_clock_milestone")
    # the recipients' lookup of a named judge / department / leader (cases with
    # progress rows naming one only)
    ctx.run(
        """INSERT INTO esc_progress_case (case_id)
        SELECT DISTINCT p.case_id FROM case_progress p
        WHERE (p.judge IS NOT NULL OR p.department IS NOT NULL OR p.leader IS NOT NULL)
          AND p.case_id IN (SELECT case_id FROM esc_clock_case)"""
    )
    return n


# --- cases reopened after 销号: the reference rules, facts loaded in bulk


def _sweep_reopened(ctx: SweepContext) -> int:
    """Add the reopened cases (``esc_reopened``) to ``esc_case_result`` and
    ``esc_event`` from :func:`timeline` (their tier on reopening depends on the whole
    history; they are few). Returns how many."""
    facts, signatures = _reopened_facts(ctx)
    results, events = [], []
    for case_id, case_facts in facts.items():
        tl = timeline(case_facts, ctx.as_of, ctx.calendar, ctx.ladder)
        if tl is None:
            continue
        results.append(_result_row(case_id, tl, signatures.get(case_id, ""), ctx.as_of))
        events.extend(_event_rows(case_id, tl))
    if results:
        dates = ("tier_entered_on", "closed_on", "key_since", "statutory_due_on", "due_on")
        flags = ("is_key", "overdue", "statutory_overdue", "in_full")
        _insert_rows(ctx, "esc_case_result", results, dates, flags)
    if events:
        _insert_rows(ctx, "esc_event", events, ("on_date",), ())
    return len(results)


def _reopened_facts(ctx: SweepContext) -> tuple[dict[int, CaseFacts], dict[int, str]]:
    """The facts of each reopened case, and its signature."""
    conn = ctx.conn
    ids = [r[0] for r in conn.exec_driver_sql("SELECT case_id FROM esc_reopened")]
    if not ids:
        return {}, {}
    reopened = "case_id IN (SELECT case_id FROM esc_reopened)"
    items: dict[int, list[ItemFact]] = defaultdict(list)
    for case_id, received, channel, due_on in conn.exec_driver_sql(
        f"SELECT case_id, received_at, channel, due_on FROM intake_item WHERE {reopened}"
    ):
        if not isinstance(received, dt.datetime):
            received = dt.datetime.fromisoformat(str(received))
        items[case_id].append(ItemFact(received.date(), channel, _as_date(due_on)))
    rows: dict[int, list[ProgressFact]] = defaultdict(list)
    for case_id, pid, on, status, disposition, is_key, accepted, extended in conn.exec_driver_sql(
        "SELECT case_id, progress_id, progress_date, status, disposition, is_key,"
        f" accepted_on, extended_to FROM case_progress WHERE {reopened}"
    ):
        key = None if is_key is None else bool(is_key)
        rows[case_id].append(
            ProgressFact(
                pid,
                _as_date(on),
                status,
                disposition,
                key,
                accepted_on=_as_date(accepted),
                extended_to=_as_date(extended),
            )
        )
    signatures = dict(
        conn.exec_driver_sql(f"SELECT case_id, signature FROM esc_case WHERE {reopened}").all()
    )
    risk_keys = {
        case_id: _as_date(key_on)
        for case_id, key_on in conn.exec_driver_sql(
            f"SELECT case_id, key_on FROM esc_risk_key WHERE {reopened}"
        )
    }
    facts = {
        case_id: CaseFacts(
            tuple(items[case_id]),
            tuple(rows[case_id]),
            (risk_keys[case_id],) if case_id in risk_keys else (),
        )
        for case_id in ids
    }
    return facts, signatures


def _event_rows(case_id: int, tl: Timeline) -> list[dict[str, Any]]:
    """``esc_event`` rows of a timeline: its escalations and its other notices."""
    escalations = [
        {
            "kind": "escalation",
            "reason": e.reason,
            "from_tier": e.from_tier,
            "to_tier": e.to_tier,
            "on_date": e.on,
        }
        for e in tl.events
    ]
    notices = [
        {"kind": n.kind, "reason": n.kind, "from_tier": n.tier, "to_tier": n.tier, "on_date": n.on}
        for n in tl.notices
        if n.kind != "escalation"
    ]
    return [{"case_id": case_id, **row} for row in escalations + notices]


def _result_row(case_id: int, tl: Timeline, signature: str, as_of: dt.date) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "tier": tl.tier,
        "tier_entered_on": tl.tier_entered_on,
        "status": tl.status,
        "disposition": tl.disposition,
        "closed_on": tl.closed_on,
        "reopened_count": tl.reopened_count,
        "is_key": tl.is_key,
        "key_since": tl.key_since,
        "overdue": tl.overdue,
        "statutory_due_on": tl.statutory_due_on,
        "statutory_overdue": tl.statutory_overdue,
        "in_full": True,
        "signature": signature,
        # the rules are walked day by day: such a case is simply swept every day
        "due_tier": None,
        "due_base": None,
        "due_on": as_of + dt.timedelta(days=1),
    }


def _insert_rows(
    ctx: SweepContext,
    table: str,
    rows: list[dict[str, Any]],
    dates: tuple[str, ...],
    flags: tuple[str, ...],
) -> None:
    """Insert ``rows`` into a temp table, ``dates`` and ``flags`` bound as such."""
    cols = list(rows[0])
    stmt = sa.text(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
    ).bindparams(
        *(sa.bindparam(c, type_=sa.Date) for c in dates),
        *(sa.bindparam(c, type_=sa.Boolean) for c in flags),
    )
    ctx.conn.execute(stmt, rows)


# --- cases left out


def _mark_problems(ctx: SweepContext) -> tuple[list[tuple[str, str]], int]:
    """Record the left-out cases: ``ledger_case.sweep_problem``, and a ``case_sweep``
    marker due on every sweep (no clock), so each sweep looks at them again.

    Returns the first (ledger_no, reason) by ledger_no, and how many markers were added."""
    ctx.run(
        f"""UPDATE ledger_case SET sweep_problem = b.reason, updated_at = :now
        FROM esc_problem b WHERE ledger_case.case_id = b.case_id
          AND {ctx.dialect.is_distinct("ledger_case.sweep_problem", "b.reason")}""",
        now=ctx.value(now_local(), sa.DateTime),
    )
    ctx.run(
        f"""UPDATE case_sweep SET sweep_sig = '{_PROBLEM_SIG}', swept_as_of = NULL,
          due_tier = NULL, due_base = NULL, due_on = :as_of
        WHERE case_id IN (SELECT case_id FROM esc_problem)"""
    )
    added = ctx.run(
        f"""INSERT INTO case_sweep (case_id, swept_as_of, sweep_sig, due_tier, due_base, due_on)
        SELECT b.case_id, NULL, '{_PROBLEM_SIG}', NULL, NULL, :as_of FROM esc_problem b
        WHERE NOT EXISTS (SELECT 1 FROM case_sweep x WHERE x.case_id = b.case_id)"""
    ).rowcount
    named = ctx.run(
        f"""SELECT l.ledger_no, b.reason FROM esc_problem b
        JOIN ledger_case l ON l.case_id = b.case_id
        ORDER BY l.ledger_no LIMIT {_PROBLEMS_NAMED}"""
    ).all()
    return [(no, why) for no, why in named], added


def _warn_problems(ctx: SweepContext, problems: list[tuple[str, str]], n_bad: int) -> None:
    named = ", ".join(no for no, _ in problems)
    more = f" and {n_bad - _PROBLEMS_NAMED} more" if n_bad > _PROBLEMS_NAMED else ""
    log.warning(
        "escalation sweep as of %s: %d case(s) left out, a fact dated before %s, the "
        "first day the working calendar can judge (the reason in ledger_case."
        "sweep_problem); the other cases were swept: %s%s",
        ctx.as_of,
        n_bad,
        ctx.calendar.first_day,
        named,
        more,
    )


def _as_date(v) -> dt.date | None:
    if v is None or (isinstance(v, dt.date) and not isinstance(v, dt.datetime)):
        return v
    if isinstance(v, dt.datetime):
        return v.date()
    return dt.date.fromisoformat(str(v)[:10])


# --- stage 6: the writes


def _recipient_sql(config: Config, case: str, tier: str, on: str, has_progress: str) -> str:
    """SQL: who a notice at ``tier`` on day ``on`` goes to (binds of
    :func:`_recipient_binds`).

    The named person as of that day (judge, tribunal, leader) where the ledger has one
    (only cases with progress rows, ``has_progress`` not null, can), else the roster's
    person of the case's court at that tier, else the role.
    """
    role = f"CASE {tier} " + " ".join(f"WHEN {n} THEN :role{n}" for n in config.tiers) + " END"
    if config.roster:
        court = f"(SELECT lc.court_code FROM ledger_case lc WHERE lc.case_id = {case})"
        people = " ".join(
            f"WHEN {court} = :roster_court{c} AND {tier} = {t} THEN :roster{c}_{t}"
            for c, (_, by_tier) in enumerate(config.roster.items())
            for t in by_tier
        )
        role = f"COALESCE(CASE {people} END, {role})"
    named = " ".join(
        f"""WHEN {tier} = {t} AND {has_progress} IS NOT NULL THEN COALESCE((
              SELECT p.{col} FROM case_progress p
              WHERE p.case_id = {case} AND p.{col} IS NOT NULL AND p.progress_date <= {on}
              ORDER BY p.progress_date DESC, p.progress_id DESC LIMIT 1), {role})"""
        for t, col in config.assignee_columns.items()
    )
    return f"CASE {named} ELSE {role} END"


def _recipient_binds(config: Config) -> dict[str, str]:
    """The values :func:`_recipient_sql` binds: each tier's role, the roster's courts and
    people."""
    binds = {f"role{n}": t.role for n, t in config.tiers.items()}
    for c, (court, by_tier) in enumerate(config.roster.items()):
        binds[f"roster_court{c}"] = court
        binds.update({f"roster{c}_{t}": person.name for t, person in by_tier.items()})
    return binds


def _insert_new(ctx: SweepContext, sql: str, **extra: Any) -> int:
    """Run an INSERT of rows that should all be new; returns the rows inserted.

    A plain INSERT: ON CONFLICT's speculative insertion costs as much again per row.
    Should one be there after all (the primary key says so), the INSERT is undone and
    run again skipping those.
    """
    try:
        with ctx.conn.begin_nested():
            return ctx.run(sql, **extra).rowcount
    except sa.exc.IntegrityError:
        log.warning("escalation sweep: rows expected new were there already; skipping them")
        return ctx.run(f"{sql} ON CONFLICT DO NOTHING", **extra).rowcount


def _write(ctx: SweepContext, working: WorkingSet) -> dict[str, Any]:
    """Write the derived state, events and notices and the bookkeeping; returns counts."""
    ctx.index("esc_case_result", "case_id", unique=True)
    ctx.index("esc_event", "case_id")
    ctx.analyze("esc_case_result", "esc_event")
    n_derived = ctx.count("esc_case_result")
    in_full = ctx.count("esc_case_result", "WHERE in_full") > 0
    now = ctx.value(now_local(), sa.DateTime)
    written = {
        "cases_changed": _write_ledger(ctx, now) + withdraw_keys(ctx.conn, ctx.as_of),
        **_write_events(ctx, in_full),
        **_write_notices(ctx, in_full),
    }
    supervised = _write_supervision(ctx, now)
    if working.clock_cases:
        for name, n in _write_clock(ctx, now).items():
            written[name] += n
    bookkeeping = _write_bookkeeping(ctx, working)
    if ctx.dialect.is_postgres:
        notices = written["notifications_inserted"] + supervised["supervision_notices"]
        grown = {"escalation_event": written["events_inserted"], "notification": notices}
        _analyze_grown(ctx, {**grown, "case_sweep": bookkeeping})
    return {
        **_status_counts(ctx),
        "cases_derived": n_derived + working.clock_cases,
        "working_set": "delta" if working.fact_totals is not None else "all",
        "cases_changed": written["cases_changed"],
        "events_inserted": written["events_inserted"],
        "events_deleted": written["events_deleted"],
        "notifications_inserted": written["notifications_inserted"],
        "notifications_deleted": written["notifications_deleted"],
        **supervised,
    }


def _write_supervision(ctx: SweepContext, now: Any) -> dict[str, int]:
    """督办 (xinfang.supervision): the unanswered flag where it moved, and one notice per
    unanswered deadline to the court's leader tier (after the ledger's ``closed_on``)."""
    tier = ctx.config.key_case_tier
    noticed_on = ctx.dialect.add_days("c.supervision_due_on", 1)
    recipient = _recipient_sql(ctx.config, "c.case_id", str(tier), noticed_on, "1")
    # every case with a deadline, not only the working set: the flag turns on a date
    scope = (lambda alias: ctx.only_cases(alias)) if ctx.scoped else (lambda alias: "")
    flagged = ctx.run(
        supervision.flag_sql(ctx.dialect.is_distinct, scope("ledger_case")), now=now
    ).rowcount
    noticed = ctx.run(
        supervision.notice_sql(tier, noticed_on, recipient, scope("c")),
        **_recipient_binds(ctx.config),
    ).rowcount
    return {"supervision_flags_changed": flagged, "supervision_notices": noticed}


def _write_ledger(ctx: SweepContext, now: Any) -> int:
    """``ledger_case`` of the derived cases, where a column moved; returns how many.

    (A case computed again after being left out loses its sweep_problem.)"""
    distinct = ctx.dialect.is_distinct
    changed = " OR ".join(
        [
            *(distinct(f"ledger_case.{c}", f"r.{c}") for c in LEDGER_COLUMNS),
            "ledger_case.sweep_problem IS NOT NULL",
        ]
    )
    sets = ", ".join([*(f"{c} = r.{c}" for c in LEDGER_COLUMNS), "sweep_problem = NULL"])
    return ctx.run(
        f"""UPDATE ledger_case SET {sets}, updated_at = :now FROM esc_case_result r
        WHERE ledger_case.case_id = r.case_id AND ({changed})""",
        now=now,
    ).rowcount


SWEEP_NOTICE_KINDS = ("escalation", "warning", "overdue", "statutory")
"""The notification kinds the sweep writes (risk and supervision notices are others')."""


def _fresh_cases(ctx: SweepContext, table: str, target: str, rows: str = "") -> str | None:
    """``table`` (case_id): the derived cases never swept before that have no rows in
    ``target`` (``rows``: an ``AND`` on its rows), so none of theirs can conflict with
    one there: their rows go in by a plain INSERT (ON CONFLICT's speculative insertion
    per row cost ~2 s of the 1.2M notices of a first sweep, bench/apply_updates.py).
    Only never-swept cases are looked up: a swept one has rows nearly always.

    Returns "all" when every derived case is fresh (a first sweep: no other rows to
    write), "some", or None."""
    ctx.run(
        f"""CREATE TEMP TABLE {table} AS
        SELECT c.case_id AS case_id FROM esc_case c
        WHERE c.never_swept = 1 AND NOT EXISTS (
          SELECT 1 FROM {target} x WHERE x.case_id = c.case_id {rows})"""
    )
    ctx.index(table, "case_id", unique=True)
    ctx.analyze(table)
    fresh = ctx.count(table)
    if not fresh:
        return None
    return "all" if fresh == ctx.count("esc_case") else "some"


def _split_fresh(fresh: str | None, table: str) -> tuple[str | None, str | None]:
    """SQL conditions on ``case_id``: the rows to insert plainly (None: none) and those
    to insert with ON CONFLICT (None: none), after :func:`_fresh_cases`."""
    if fresh is None:
        return None, "1 = 1"
    if fresh == "all":
        return "1 = 1", None
    listed = f"case_id IN (SELECT case_id FROM {table})"
    return listed, f"NOT ({listed})"


def _write_events(ctx: SweepContext, in_full: bool) -> dict[str, int]:
    """``escalation_event``: drop what no longer follows from the facts (cases derived in
    full), add what is missing."""
    plain, others = _split_fresh(
        _fresh_cases(ctx, "esc_fresh_event_case", "escalation_event"), "esc_fresh_event_case"
    )
    deleted = 0
    if in_full and others:  # (a fresh case has no rows to delete)
        deleted = ctx.run(
            """DELETE FROM escalation_event WHERE EXISTS (
              SELECT 1 FROM esc_case_result r
              WHERE r.case_id = escalation_event.case_id AND r.in_full)
            AND NOT EXISTS (
              SELECT 1 FROM esc_event e WHERE e.kind = 'escalation'
                AND e.case_id = escalation_event.case_id AND e.to_tier = escalation_event.to_tier
                AND e.on_date = escalation_event.escalated_on
                AND e.from_tier = escalation_event.from_tier
                AND e.reason = escalation_event.reason)"""
        ).rowcount
    # in the primary key's order, so each index page is visited once
    insert = """INSERT INTO escalation_event (case_id, from_tier, to_tier, escalated_on, reason)
        SELECT case_id, from_tier, to_tier, on_date, reason FROM esc_event
        WHERE kind = 'escalation' AND {which} ORDER BY case_id, on_date, to_tier"""
    inserted = 0
    if plain:
        inserted += _insert_new(ctx, insert.format(which=plain))
    if others:  # the primary key itself tells which are there already (no anti-join)
        inserted += ctx.run(insert.format(which=others) + " ON CONFLICT DO NOTHING").rowcount
    return {"events_inserted": inserted, "events_deleted": deleted}


def _write_notices(ctx: SweepContext, in_full: bool) -> dict[str, int]:
    """``notification``: one per escalation (to the new tier), warning, overdue and
    statutory notice (to the top tier), each with its recipient (the named judge /
    tribunal / leader as of that day, else the tier's role); unsent ones that no longer
    follow are dropped (cases derived in full). The notices of cases with none yet go
    straight in; the others through ``esc_notice``, which the deletion reads."""
    config = ctx.config
    kinds = ", ".join(f"'{k}'" for k in SWEEP_NOTICE_KINDS)
    plain, others = _split_fresh(
        _fresh_cases(ctx, "esc_fresh_notice_case", "notification", f"AND x.kind IN ({kinds})"),
        "esc_fresh_notice_case",
    )
    notices = f"""SELECT e.case_id AS case_id, e.kind AS kind, e.tier AS tier,
          e.on_date AS created_on,
          {_recipient_sql(config, "e.case_id", "e.tier", "e.on_date", "g.case_id")} AS recipient
        FROM (SELECT case_id, kind, COALESCE(to_tier, {config.max_tier}) AS tier, on_date
              FROM esc_event WHERE {{which}}) e
        LEFT JOIN esc_progress_case g ON g.case_id = e.case_id"""
    columns = "case_id, kind, tier, recipient, created_on"
    deleted = inserted = 0
    if others:
        ctx.conn.exec_driver_sql(
            "CREATE TEMP TABLE esc_notice (case_id BIGINT, kind VARCHAR(32), tier INTEGER,"
            " created_on DATE, recipient VARCHAR(128))"
        )
        ctx.run(
            f"""INSERT INTO esc_notice ({columns})
            SELECT {columns} FROM ({notices.format(which=others)}) n""",
            **_recipient_binds(config),
        )
    if others and in_full:
        ctx.index("esc_notice", "case_id")
        ctx.analyze("esc_notice")
        deleted = ctx.run(
            f"""DELETE FROM notification WHERE EXISTS (
              SELECT 1 FROM esc_case_result r
              WHERE r.case_id = notification.case_id AND r.in_full)
            AND notification.sent_at IS NULL
            AND notification.kind IN ({kinds})
            AND NOT EXISTS (
              SELECT 1 FROM esc_notice n WHERE n.case_id = notification.case_id
                AND n.kind = notification.kind AND n.tier = notification.tier
                AND n.created_on = notification.created_on
                AND n.recipient = notification.recipient)"""
        ).rowcount
    order = "ORDER BY case_id, created_on, kind, tier"
    # (the fresh cases' notices after the deletion, which would take them: not in esc_notice)
    if others:
        inserted += ctx.run(
            f"""INSERT INTO notification ({columns})
            SELECT {columns} FROM esc_notice {order} ON CONFLICT DO NOTHING"""
        ).rowcount
    if plain:
        inserted += _insert_new(
            ctx,
            f"""INSERT INTO notification ({columns})
            SELECT {columns} FROM ({notices.format(which=plain)}) n {order}""",
            **_recipient_binds(config),
        )
    return {"notifications_inserted": inserted, "notifications_deleted": deleted}


def _write_clock(ctx: SweepContext, now: Any) -> dict[str, int]:
    """Write the rows of the cases derived from their clock (``esc_clock_case``).

    Straight from the per-clock tables, without a row per case: the ledger columns the
    clock moves (tier, its entry day, 超时; the rest of the row holds), the milestones'
    events and notices, and the clock of the cases past their last milestone. The
    events and notices are new: milestones after the watermark of cases whose facts the
    last sweep saw, which no sweep has written.
    """
    distinct = ctx.dialect.is_distinct
    clocks = """esc_clock_case f JOIN esc_clock_state k
        ON k.due_tier = f.due_tier AND k.due_base = f.due_base"""
    milestones = """esc_clock_case f JOIN esc_clock_milestone m
        ON m.due_tier = f.due_tier AND m.due_base = f.due_base"""
    changed = " OR ".join(
        [
            distinct("ledger_case.tier", "k.tier"),
            f"""(k.tier_entered_on IS NOT NULL
                 AND {distinct("ledger_case.tier_entered_on", "k.tier_entered_on")})""",
            distinct("ledger_case.overdue", "k.overdue"),
        ]
    )
    updated = ctx.run(
        f"""UPDATE ledger_case SET tier = k.tier, overdue = k.overdue, updated_at = :now,
          tier_entered_on = COALESCE(k.tier_entered_on, ledger_case.tier_entered_on)
        FROM {clocks} WHERE ledger_case.case_id = f.case_id AND k.moved = 1 AND ({changed})""",
        now=now,
    ).rowcount
    events = _insert_new(
        ctx,
        f"""INSERT INTO escalation_event (case_id, from_tier, to_tier, escalated_on, reason)
        SELECT f.case_id, m.from_tier, m.to_tier, m.on_date, 'sla' FROM {milestones}
        WHERE m.kind = 'escalation' ORDER BY f.case_id""",
    )
    recipient = _recipient_sql(ctx.config, "f.case_id", "m.to_tier", "m.on_date", "g.case_id")
    notices = _insert_new(
        ctx,
        f"""INSERT INTO notification (case_id, kind, tier, recipient, created_on)
        SELECT f.case_id, m.kind, m.to_tier, {recipient}, m.on_date
        FROM {milestones} LEFT JOIN esc_progress_case g ON g.case_id = f.case_id
        ORDER BY f.case_id""",
        **_recipient_binds(ctx.config),
    )
    # (the few past their last milestone, listed first: the join's estimate is no guide)
    ctx.run(
        f"""CREATE TEMP TABLE esc_clock_finished AS
        SELECT f.case_id AS case_id FROM {clocks} WHERE NOT k.milestone_ahead"""
    )
    ctx.analyze("esc_clock_finished")
    ctx.run(
        """UPDATE case_sweep SET due_tier = NULL, due_base = NULL
        WHERE case_id IN (SELECT case_id FROM esc_clock_finished)"""
    )
    return {"cases_changed": updated, "events_inserted": events, "notifications_inserted": notices}


def _write_bookkeeping(ctx: SweepContext, working: WorkingSet) -> int:
    """``case_sweep`` and ``sweep_watermark``: what each case's derivation saw. A
    whole-ledger sweep moves the watermark and writes only the cases whose facts changed
    (their row then follows the watermark); a sweep of some cases records its own date
    on their rows. Returns the case_sweep rows written."""
    distinct = ctx.dialect.is_distinct
    own = ":as_of" if ctx.scoped else "NULL"
    stale = " OR ".join(
        [
            distinct("case_sweep.sweep_sig", "r.signature"),
            distinct("case_sweep.swept_as_of", own),
            distinct("case_sweep.due_tier", "r.due_tier"),
            distinct("case_sweep.due_base", "r.due_base"),
            distinct("case_sweep.due_on", "r.due_on"),
        ]
    )
    # (an UPDATE, then an INSERT of the rest: cheaper than an upsert, which locks
    # each row before updating it; the rows have room for in-page updates)
    updated = ctx.run(
        f"""UPDATE case_sweep SET swept_as_of = {own}, sweep_sig = r.signature,
          due_tier = r.due_tier, due_base = r.due_base, due_on = r.due_on
        FROM esc_case_result r WHERE r.case_id = case_sweep.case_id AND ({stale})"""
    ).rowcount
    added = ctx.run(
        f"""INSERT INTO case_sweep (case_id, swept_as_of, sweep_sig, due_tier, due_base, due_on)
        SELECT r.case_id, {own}, r.signature, r.due_tier, r.due_base, r.due_on
        FROM esc_case_result r
        WHERE r.case_id IN (SELECT case_id FROM esc_case WHERE never_swept = 1)
        ORDER BY r.case_id"""
    ).rowcount
    if ctx.scoped:
        _count_scoped_rows(ctx, added + working.markers_added)
        return updated + added
    facts = working.fact_totals or _fact_totals(ctx)
    if working.bookkeeping_rows is None:
        n_swept = ctx.count("case_sweep")
    else:  # (counted at the start; a sweep only adds rows)
        n_swept = working.bookkeeping_rows + added
    # (and the number of case_sweep rows, which only sweeps write)
    ctx.run("DELETE FROM sweep_watermark WHERE name = 'escalation'")
    ctx.run(
        "INSERT INTO sweep_watermark (name, as_of, facts) VALUES ('escalation', :as_of, :facts)",
        facts=f"{facts}|{n_swept}",
    )
    return updated + added


def _count_scoped_rows(ctx: SweepContext, added: int) -> None:
    """After a sweep of some cases: the watermark's fact totals still hold (it changed no
    fact row, and each case it derived carries its own date, so the next whole-ledger
    sweep looks at it again), so only its count of case_sweep rows moves, by the rows
    this sweep added. The next daily sweep stays a delta sweep (issue 18: clearing the
    totals made it check every case's signature)."""
    stored = ctx.run("SELECT facts FROM sweep_watermark WHERE name = 'escalation'").scalar()
    if not added or not stored:
        return
    *totals, n_swept = stored.split("|")
    if not n_swept.isdigit():
        return
    ctx.run(
        "UPDATE sweep_watermark SET facts = :facts WHERE name = 'escalation'",
        facts="|".join([*totals, str(int(n_swept) + added)]),
    )


# --- fact rows the ledger moves between cases (a fold, merge, split, rebuild)


@dataclass
class _StoredFacts:
    """The watermark's date and fact totals, parsed (``_fact_delta`` reads the same)."""

    watermark: dt.date
    head: list[str]
    """the facts version and configuration signature"""
    totals: list[list[int]]
    """per fact table: count, sum of case ids, sum weighted by row id, highest id seen"""
    n_swept: int


def _stored_facts(conn: sa.Connection) -> _StoredFacts | None:
    """The watermark's totals, or None when there are none a delta sweep would use."""
    row = conn.execute(
        sa.text("SELECT as_of, facts FROM sweep_watermark WHERE name = 'escalation'")
    ).one_or_none()
    if row is None or not row.facts:
        return None
    parts = row.facts.split("|")
    if len(parts) != len(_fact_tables()) + 3 or parts[0] != _FACTS_VERSION:
        return None
    try:
        totals = [[int(v) for v in p.split(",")] for p in parts[2:-1]]
        n_swept = int(parts[-1])
    except ValueError:
        return None
    if any(len(t) != 4 for t in totals):
        return None
    return _StoredFacts(_as_date(row.as_of), parts[:2], totals, n_swept)


def _seen_totals_of(conn: sa.Connection, cases: list[int], stored: _StoredFacts) -> list[list[int]]:
    """Per fact table: count, sum of case ids and sum weighted by row id of the rows of
    ``cases`` that the last whole-ledger sweep saw (in view as of the watermark, id not
    above the highest one seen): their share of the stored totals."""
    day = {
        "watermark": sa.bindparam("watermark", stored.watermark, type_=sa.Date),
        "watermark_next": sa.bindparam(
            "watermark_next", _midnight_after(stored.watermark), type_=sa.DateTime
        ),
    }
    out = []
    for (table, id_col, rows, in_view), (*_, top) in zip(
        _fact_tables(), stored.totals, strict=True
    ):
        bind = day["watermark_next" if "{day}_next" in in_view else "watermark"]
        sums = [0, 0, 0]
        for among in case_id_lists(cases):
            sql = f"""SELECT {", ".join(_total_terms(id_col)[:3])}
            FROM {table} WHERE {among} AND {rows} AND {in_view.format(day="watermark")}
              AND {id_col} <= {int(top)}"""
            row = conn.execute(sa.text(sql).bindparams(bind)).one()
            sums = [a + int(b) for a, b in zip(sums, row, strict=True)]
        out.append(sums)
    return out


def _bookkeeping_rows_of(conn: sa.Connection, cases: list[int]) -> int:
    return sum(
        conn.execute(sa.text(f"SELECT COUNT(*) FROM case_sweep WHERE {among}")).scalar_one()
        for among in case_id_lists(cases)
    )


@dataclass
class _Move:
    """The cases a change of the ledger touches, and their share of the totals before it."""

    stored: _StoredFacts | None
    cases: set[int] = field(default_factory=set)
    before: list[list[int]] = field(default_factory=list)
    rows_before: int = 0

    def add(self, conn: sa.Connection, case_ids: Iterable[int | None]) -> None:
        """Cases about to be touched: their share, as it stands, joins ``before``."""
        new = sorted({int(c) for c in case_ids if c is not None} - self.cases)
        if not new:
            return
        self.cases.update(new)
        if self.stored is None:
            return
        more = _seen_totals_of(conn, new, self.stored)
        self.before = [
            [a + b for a, b in zip(x, y, strict=True)]
            for x, y in zip(self.before, more, strict=True)
        ]
        self.rows_before += _bookkeeping_rows_of(conn, new)


_MOVE_KEY = "xinfang.escalation.moving_facts"


@contextlib.contextmanager
def moving_facts(conn: sa.Connection, case_ids: Iterable[int | None]) -> Iterator[set[int]]:
    """Around a change of the ledger that moves fact rows (items, progress rows, risk
    flags) between cases or drops cases (a fold, merge, split or rebuild): the next
    whole-ledger sweep stays a delta sweep and derives those cases in full (issue 18).

    Every row the change moves or deletes belongs to one of ``case_ids`` before it,
    and to one of them, or of the new cases the caller adds to the yielded set, after
    it. Their rows' share of the watermark's totals is taken before and after, and the
    stored totals moved by the difference (rows of other cases did not move, so a change
    nobody declared still makes the next sweep check every case); each of the cases
    still in the ledger gets a ``case_sweep`` marker (signature ``moved``, due: a
    candidate of the next sweep, derived in full), the rows of cases gone are removed,
    and the stored count of case_sweep rows follows. Nested in another on the same
    connection, it adds its cases to the outer one, which does the bookkeeping once."""
    outer = conn.info.get(_MOVE_KEY)
    if outer is not None:
        outer.add(conn, case_ids)
        yield outer.cases
        return
    move = _Move(_stored_facts(conn), before=[[0, 0, 0] for _ in _fact_tables()])
    move.add(conn, case_ids)
    conn.info[_MOVE_KEY] = move
    try:
        yield move.cases
    finally:
        del conn.info[_MOVE_KEY]
    _moved(conn, move)


def _moved(conn: sa.Connection, move: _Move) -> None:
    """After the change: the markers, the rows of cases gone, the totals and count."""
    listed = sorted(move.cases)
    if not listed:
        return
    due = sa.bindparam("due", type_=sa.Date)
    marker = {"sig": _MOVED_SIG, "due": _MOVED_DUE_ON}
    for among in case_id_lists(listed):
        conn.execute(
            sa.text(
                f"""DELETE FROM case_sweep WHERE {among} AND NOT EXISTS (
                  SELECT 1 FROM ledger_case c WHERE c.case_id = case_sweep.case_id)"""
            )
        )
        conn.execute(
            sa.text(
                f"""UPDATE case_sweep SET sweep_sig = :sig, swept_as_of = NULL,
                  due_tier = NULL, due_base = NULL, due_on = :due WHERE {among}"""
            ).bindparams(due),
            marker,
        )
        if move.stored:  # (without totals the next sweep checks every case: a new one too)
            conn.execute(
                sa.text(
                    f"""INSERT INTO case_sweep
                      (case_id, swept_as_of, sweep_sig, due_tier, due_base, due_on)
                    SELECT c.case_id, NULL, :sig, NULL, NULL, :due FROM ledger_case c
                    WHERE c.{among} AND NOT EXISTS (
                      SELECT 1 FROM case_sweep x WHERE x.case_id = c.case_id)"""
                ).bindparams(due),
                marker,
            )
    stored = move.stored
    if stored is None:
        return
    after = _seen_totals_of(conn, listed, stored)
    totals = [
        [*(t + a - b for t, a, b in zip(old[:3], now, then, strict=True)), old[3]]
        for old, now, then in zip(stored.totals, after, move.before, strict=True)
    ]
    n_swept = stored.n_swept + _bookkeeping_rows_of(conn, listed) - move.rows_before
    facts = "|".join([*stored.head, *(",".join(str(v) for v in t) for t in totals), str(n_swept)])
    conn.execute(
        sa.text("UPDATE sweep_watermark SET facts = :facts WHERE name = 'escalation'"),
        {"facts": facts},
    )


def _analyze_grown(ctx: SweepContext, grown: dict[str, int]) -> None:
    """Keep the planner's picture of a table current when this sweep grew it by a good
    part (a first sweep; ``grown``: rows added per table, supervision notices counted
    with the others); daily growth is left to autovacuum."""
    for table, n in grown.items():
        before = ctx.conn.exec_driver_sql(
            f"SELECT reltuples FROM pg_class WHERE oid = '{table}'::regclass"
        ).scalar_one()
        if n > 10_000 and n * 4 > max(before, 0):
            ctx.conn.exec_driver_sql(f"ANALYZE {table}")


def _status_counts(ctx: SweepContext) -> dict[str, int]:
    """The status of every case swept (those outside the working set kept theirs)."""
    in_scope = " AND case_id IN (SELECT case_id FROM esc_scope)" if ctx.scoped else ""
    counts = dict(
        ctx.run(
            "SELECT status, COUNT(*) FROM ledger_case"
            f" WHERE first_received_at < :as_of_next{in_scope} GROUP BY status"
        ).all()
    )
    return {
        "cases": sum(counts.values()),
        "open": counts.get("open", 0),
        "paused": counts.get("paused", 0),
        "closed": counts.get("closed", 0),
    }
