"""The steps the DAGs run, composed from the concern modules (one call per DAG task).

Kept here rather than in dags/ so the replay, the tests and the DAGs run the
same sequence, and DAG files stay thin.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.engine import Engine

from xinfang import db
from xinfang.timeutil import now_local

log = logging.getLogger(__name__)


def apply_updates(as_of: dt.date, engine: Engine | None = None) -> dict:
    """After intake: progress rows, risk screening, then the tier refresh as of ``as_of``.

    ``case_history`` records each step's changes at its end, in its transaction, as of
    ``as_of``: first what deduplication did since the last record (new cases, folds;
    the intake DAG's ``deduplicate`` task runs ``ledger.assign_cases`` just before), then
    the progress rows' changes, then the sweep's. Key persons are recomputed by the
    daily sweep only (a whole-ledger pass).

    The first transaction runs without PostgreSQL's JIT (the screening and the sweep turn
    it off themselves): right after deduplication the planner's statistics of
    ``intake_item.case_id`` are stale (thousands of items per case), so the progress
    step's correlated per-case subqueries look costly enough to compile, and compiling
    took 2-3 s of its 4 s on the intake DAG's first run (issue 18, bench/apply_updates.py).
    """
    from xinfang import escalation, history, progress, risk

    engine = engine or db.get_engine()
    with engine.begin() as conn:
        db.dialect_of(conn).set_local(conn, jit="off")
        recorded = history.record(conn, as_of, "intake")
        progress.apply_progress(conn)
        recorded += history.record(conn, as_of, "progress")
    summary = {"risk": risk.screen(engine, as_of=as_of)}
    with engine.begin() as conn:
        started = now_local()  # what the sweep changes carries updated_at from now on
        summary["escalation"] = escalation.sweep(conn, as_of=as_of)
        recorded += history.record(conn, as_of, "escalation", since=started)
    summary["history_rows"] = recorded
    return summary


def daily_sweep(as_of: dt.date, engine: Engine | None = None) -> dict:
    """The escalation sweep of one day over the whole ledger, then the key persons.

    Warns first when the working calendar is provisional around ``as_of`` (the
    year past the chinese-calendar package's, or the next within
    ``calendar.warn_days``): "provisional calendar for 2027 ...", with what to add.
    The sweep goes on; the warning is returned as ``calendar`` (``provisional``: the
    years), and cases the calendar cannot judge are in ``escalation.problems``.
    """
    from xinfang import calendar as workcal
    from xinfang import persons

    horizon = workcal.horizon(as_of)
    if horizon["warning"]:
        log.warning("%s", horizon["warning"])
    engine = engine or db.get_engine()
    summary = apply_updates(as_of, engine)
    summary["persons"] = persons.refresh(engine)
    summary["calendar"] = horizon
    log.info("sweep as of %s: %s", as_of, summary)
    return summary


def daily_reports(day: dt.date, engine: Engine | None = None) -> list[str]:
    from xinfang.reports.ledger_export import write_daily as ledger_export
    from xinfang.risk.report import write_daily as risk_report

    engine = engine or db.get_engine()
    paths = [*ledger_export(engine, day), risk_report(engine, day)]
    return [str(p) for p in paths]


def report_month(run_date: dt.date, param: str | None = None) -> dt.date:
    """First day of the month to report: ``param`` (YYYY-MM) or the month before ``run_date``."""
    from xinfang.months import month_start, previous_month

    return month_start(param) if param else previous_month(run_date)
