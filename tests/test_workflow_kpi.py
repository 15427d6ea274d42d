"""kpi_monthly's three workflow rates (docs/progress.md), hand-derived for July 2023.

冀1003, acceptance (cases first received in July; 15 days after registration):
  a reg 3 Jul, accepted 18 Jul (day 15): in time     b reg 3 Jul, accepted 19 Jul: late
  c reg 10 Jul, none, window ended 25 Jul: against   d reg 16 Jul, none, window ends
  31 Jul, the last day: against                      e reg 17 Jul, none, window ends
  1 Aug: left out                                    f reg 20 Jul, accepted 25 Jul: in time
  g reg 20 Jul, accepted 2 Aug (after month end, window still open): left out
  -> 2 of 5 = 0.4
冀1003, closure and rating (closed in July): h closed 20 Jul, due 31 Jul, 基本满意;
  i closed 15 Jul, due 10 Jul, 不满意; j closed 25 Jul on its due day, no rating;
  k closed 28 Jun, 满意 (not July) -> on time 2 of 3, satisfied 1 of 2 = 0.5
冀1023: one case closed on time, unrated, and one received 25 Jul without acceptance
  -> closure 1.0, acceptance and satisfaction null. Every other court: all null.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_case, add_item

from xinfang import stats
from xinfang.schema import kpi_monthly, ledger_case

# name -> (court, registered, ledger columns)
CASES = {
    "a": ("冀1003", "2023-07-03", {"accepted_on": D("2023-07-18")}),
    "b": ("冀1003", "2023-07-03", {"accepted_on": D("2023-07-19")}),
    "c": ("冀1003", "2023-07-10", {}),
    "d": ("冀1003", "2023-07-16", {}),
    "e": ("冀1003", "2023-07-17", {}),
    "f": ("冀1003", "2023-07-20", {"accepted_on": D("2023-07-25")}),
    "g": ("冀1003", "2023-07-20", {"accepted_on": D("2023-08-02")}),
    "h": (
        "冀1003",
        "2023-06-01",
        {
            "closed_on": D("2023-07-20"),
            "statutory_due_on": D("2023-07-31"),
            "satisfaction": "basic",
        },
    ),
    "i": (
        "冀1003",
        "2023-05-11",
        {
            "closed_on": D("2023-07-15"),
            "statutory_due_on": D("2023-07-10"),
            "satisfaction": "dissatisfied",
        },
    ),
    "j": (
        "冀1003",
        "2023-05-26",
        {"closed_on": D("2023-07-25"), "statutory_due_on": D("2023-07-25")},
    ),
    "k": (
        "冀1003",
        "2023-05-01",
        {
            "closed_on": D("2023-06-28"),
            "statutory_due_on": D("2023-06-30"),
            "satisfaction": "satisfied",
        },
    ),
    "m": (
        "冀1023",
        "2023-06-05",
        {"closed_on": D("2023-07-03"), "statutory_due_on": D("2023-08-04")},
    ),
    "n": ("冀1023", "2023-07-25", {}),
}


def _load(engine) -> None:
    with engine.begin() as conn:
        for court, registered, columns in CASES.values():
            case_id = add_case(conn, D(registered), court=court)
            add_item(conn, case_id, D(registered))
            closed = (
                {"status": "closed", "disposition": "resolved"} if "closed_on" in columns else {}
            )
            conn.execute(
                ledger_case.update()
                .where(ledger_case.c.case_id == case_id)
                .values(item_count=1, **columns, **closed)
            )


@BOTH
def test_the_three_rates_per_court(engine):
    _load(engine)
    stats.compute_month(engine, "2023-07")
    with engine.connect() as conn:
        rows = {
            r.court_code: (r.timely_acceptance_rate, r.on_time_closure_rate, r.satisfaction_rate)
            for r in conn.execute(sa.select(kpi_monthly)).all()
        }
    assert len(rows) == 11
    assert rows.pop("冀1003") == (pytest.approx(0.4), pytest.approx(2 / 3), pytest.approx(0.5))
    assert rows.pop("冀1023") == (None, 1.0, None)
    assert set(rows.values()) == {(None, None, None)}


@BOTH
def test_the_rates_in_the_analysts_view(engine):
    _load(engine)
    stats.compute_month(engine, "2023-07")
    with engine.connect() as conn:
        shown = conn.execute(
            sa.text(
                "SELECT timely_acceptance_rate, on_time_closure_rate, satisfaction_rate "
                "FROM v_monthly_figures WHERE court_code = '冀1003'"
            )
        ).one()
    assert tuple(shown) == (pytest.approx(0.4), pytest.approx(2 / 3), pytest.approx(0.5))


def test_the_rates_in_the_monthly_workbook(engine, dirs):
    import openpyxl

    from xinfang.reports import monthly

    _load(engine)
    monthly.write_month(engine, "2023-07")
    sheet = openpyxl.load_workbook(dirs["reports"] / "2023-07" / "xinfang_2023-07.xlsx")["月度指标"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[-3:] == ["及时受理率", "按期办结率", "满意率"]
    by_court = {r[0]: r[-3:] for r in rows}
    assert by_court["冀1003"] == [pytest.approx(0.4), pytest.approx(2 / 3), pytest.approx(0.5)]
    assert by_court["冀1022"] == [None, None, None]
    assert by_court[""] == [None, None, None]  # the total row: no rate summed
