"""One case the calendar cannot judge never stops the escalation sweep for the others.

A case with an item received or a progress row dated before the calendar's first
day (2004-01-01) is left out: ``ledger_case.sweep_problem`` says why, the summary
counts and names it, a WARNING names it; once its dates are corrected (or the year
is declared in the configuration) the next sweep computes it and clears the problem.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_case, add_item, add_progress, case_row, events, new_case

from xinfang import escalation
from xinfang.config import build, load_raw
from xinfang.schema import intake_item, ledger_case

WORKED = [(1, 2, D("2023-07-11"), "sla"), (2, 3, D("2023-07-19"), "sla")]


def _bad_case(engine, ledger_no: str = "XF2003-0001") -> int:
    with engine.begin() as conn:
        cid = add_case(conn, D("2003-05-06"), ledger_no=ledger_no)
        add_item(conn, cid, D("2003-05-06"))
        add_item(conn, cid, D("2023-07-03"))  # a repeat in the campaign
    return cid


@BOTH
def test_a_case_dated_2003_is_left_out_and_the_others_escalate(engine, caplog):
    good = new_case(engine, D("2023-07-03"))
    bad = _bad_case(engine)
    with caplog.at_level(logging.WARNING, logger="xinfang.escalation"):
        out = escalation.sweep(engine, D("2023-07-20"))
    assert out["problems"] == 1 and out["problem_cases"] == ["XF2003-0001"]
    assert events(engine, good) == WORKED
    assert case_row(engine, good).sweep_problem is None
    row = case_row(engine, bad)
    assert "2003-05-06" in row.sweep_problem and "2004-01-01" in row.sweep_problem
    assert "intake item" in row.sweep_problem and "calendar: years" in row.sweep_problem
    assert (row.tier, events(engine, bad)) == (1, [])  # untouched
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "XF2003-0001" in warning and "1 case(s) left out" in warning

    # daily sweeps go on (on the delta path) and keep reporting it
    for n in range(1, 8):
        out = escalation.sweep(engine, D("2023-07-20") + dt.timedelta(days=n))
        assert out["working_set"] == "delta"
        assert out["problems"] == 1 and out["problem_cases"] == ["XF2003-0001"]
    assert events(engine, good)[-1] == (3, 4, D("2023-07-27"), "sla")
    assert events(engine, bad) == []


@BOTH
def test_a_corrected_date_makes_the_case_computable_again(engine):
    bad = _bad_case(engine)
    escalation.sweep(engine, D("2023-07-20"))
    assert case_row(engine, bad).sweep_problem is not None
    # the clerk corrects the year in place (same row, so the fact totals do not change)
    with engine.begin() as conn:
        conn.execute(
            intake_item.update()
            .where(
                intake_item.c.case_id == bad, intake_item.c.received_at < dt.datetime(2004, 1, 1)
            )
            .values(received_at=dt.datetime(2023, 7, 3, 9, 0))
        )
    out = escalation.sweep(engine, D("2023-07-21"))
    assert out["problems"] == 0 and out["problem_cases"] == []
    row = case_row(engine, bad)
    assert row.sweep_problem is None and row.tier == 3
    assert events(engine, bad) == WORKED
    # and it stays computed: the next sweep takes it from its clock like any case
    assert escalation.sweep(engine, D("2023-07-27"))["problems"] == 0
    assert events(engine, bad)[-1] == (3, 4, D("2023-07-27"), "sla")


@BOTH
def test_declaring_the_year_in_the_config_computes_it(engine):
    bad = _bad_case(engine)
    assert escalation.sweep(engine, D("2023-07-20"))["problems"] == 1
    raw = load_raw()
    raw["calendar"] = {"years": [2003], "holidays": [], "workdays": []}
    out = escalation.sweep(engine, D("2023-07-20"), config=build(raw))
    assert out["problems"] == 0
    row = case_row(engine, bad)
    assert row.sweep_problem is None and row.tier == 5 and row.overdue
    assert events(engine, bad)[0] == (1, 2, D("2003-05-14"), "sla")


@BOTH
def test_a_progress_row_dated_before_2004(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2003-07-05"), "paused")
    out = escalation.sweep(engine, D("2023-07-20"))
    assert out["problems"] == 1
    problem = case_row(engine, cid).sweep_problem
    assert "progress row" in problem and "2003-07-05" in problem
    assert events(engine, cid) == []
    # the row deleted (a correction), the case escalates as if it never was
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM case_progress WHERE case_id = :c"), {"c": cid})
    assert escalation.sweep(engine, D("2023-07-20"))["problems"] == 0
    assert events(engine, cid) == WORKED and case_row(engine, cid).sweep_problem is None


@BOTH
def test_a_case_swept_before_it_got_a_bad_fact_is_held(engine):
    cid = new_case(engine, D("2023-07-03"))
    escalation.sweep(engine, D("2023-07-12"))
    assert case_row(engine, cid).tier == 2
    with engine.begin() as conn:
        add_item(conn, cid, D("2003-01-06"))
    out = escalation.sweep(engine, D("2023-07-20"))
    assert out["problems"] == 1
    # not advanced from its stored clock on later sweeps either
    escalation.sweep(engine, D("2023-07-21"))
    assert case_row(engine, cid).tier == 2 and case_row(engine, cid).sweep_problem
    assert events(engine, cid) == [(1, 2, D("2023-07-11"), "sla")]


@BOTH
def test_many_problems_are_counted_and_the_first_twenty_named(engine, caplog):
    good = new_case(engine, D("2023-07-03"))
    for n in range(25):
        _bad_case(engine, ledger_no=f"XF2003-{n:04d}")
    with caplog.at_level(logging.WARNING, logger="xinfang.escalation"):
        out = escalation.sweep(engine, D("2023-07-20"))
    assert out["problems"] == 25
    assert out["problem_cases"] == [f"XF2003-{n:04d}" for n in range(20)]
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "XF2003-0019" in warning and "XF2003-0020" not in warning and "5 more" in warning
    assert events(engine, good) == WORKED
    with engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count()).where(ledger_case.c.sweep_problem.is_not(None))
        ).scalar_one()
    assert n == 25


@BOTH
def test_a_sweep_of_some_cases_reports_its_own(engine):
    good = new_case(engine, D("2023-07-03"))
    bad = _bad_case(engine)
    out = escalation.sweep(engine, D("2023-07-20"), case_ids=[good])
    assert out["problems"] == 0 and case_row(engine, bad).sweep_problem is None
    out = escalation.sweep(engine, D("2023-07-20"), case_ids=[good, bad])
    assert out["problems"] == 1 and events(engine, good) == WORKED
