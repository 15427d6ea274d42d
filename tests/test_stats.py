"""Month-end statistics against the hand-computed July 2023 scenario."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH
from test_stats_scenario import EXPECTED_DISPOSITIONS, EXPECTED_KPI, JULY, ZERO_KPI, Ledger, build

from xinfang import stats
from xinfang.config import get_config
from xinfang.schema import disposition_monthly, kpi_monthly


def _grid(engine, month):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(disposition_monthly).where(disposition_monthly.c.month == month)
        ).all()
    return {(r.court_code, r.disposition): r.case_count for r in rows}


def _kpis(engine, month):
    with engine.connect() as conn:
        rows = conn.execute(sa.select(kpi_monthly).where(kpi_monthly.c.month == month)).all()
    return {r.court_code: r._mapping for r in rows}


@BOTH
def test_july_scenario_every_cell(engine):
    build(engine)
    summary = stats.compute_month(engine, JULY)
    assert summary["month"] == "2023-07-01"
    assert summary["disposition_rows"] == 55
    assert summary["kpi_rows"] == 11
    assert summary["cases_closed"] == 4

    grid = _grid(engine, JULY)
    courts = list(get_config().courts)
    assert len(courts) == 11
    assert set(grid) == {(c, d) for c in courts for d in stats.DISPOSITIONS}
    for key, count in grid.items():
        assert count == EXPECTED_DISPOSITIONS.get(key, 0), key

    kpis = _kpis(engine, JULY)
    assert set(kpis) == set(courts)
    for court in courts:
        expected = EXPECTED_KPI.get(court, ZERO_KPI)
        row = kpis[court]
        for column, value in expected.items():
            if value is None or isinstance(value, float):
                assert row[column] == (None if value is None else pytest.approx(value)), (
                    court,
                    column,
                )
            else:
                assert row[column] == value, (court, column)
        assert row["computed_at"] is not None
    # The grid and the KPI table agree on closings.
    for court in courts:
        closed = sum(grid[(court, d)] for d in stats.DISPOSITIONS)
        assert closed == kpis[court]["cases_closed"]


@BOTH
def test_rerun_replaces_the_month_only(engine):
    ids = build(engine)
    stats.compute_month(engine, "2023-07")
    stats.compute_month(engine, dt.date(2023, 6, 15))  # any day of June means June
    june = _grid(engine, dt.date(2023, 6, 1))
    assert june[("冀1022", "review")] == 1  # E, closed 6-30
    assert june[("冀1003", "aid")] == 1  # C, closed 6-15 (progress row only)

    # A late progress row closes F on 7-31: rerunning July picks it up and
    # replaces July's rows, June's stay.
    with engine.begin() as conn:
        Ledger(conn).progress(ids["F"], dt.date(2023, 7, 31), "closed", "aid")
    stats.compute_month(engine, JULY)
    grid = _grid(engine, JULY)
    assert len(grid) == 55
    assert grid[("冀1022", "aid")] == 1
    kpis = _kpis(engine, JULY)
    assert kpis["冀1022"]["cases_closed"] == 1
    assert kpis["冀1022"]["cases_open_end"] == 1
    assert kpis["冀1022"]["resolution_rate"] == pytest.approx(0.5)
    with engine.connect() as conn:
        counts = dict(
            conn.execute(
                sa.select(kpi_monthly.c.month, sa.func.count()).group_by(kpi_monthly.c.month)
            ).all()
        )
    assert counts == {dt.date(2023, 6, 1): 11, JULY: 11}


def test_empty_ledger_gives_a_full_grid_of_zeros(engine):
    stats.compute_month(engine, JULY)
    grid = _grid(engine, JULY)
    assert len(grid) == 55 and set(grid.values()) == {0}
    kpis = _kpis(engine, JULY)
    assert all(r["resolution_rate"] is None and r["cases_total"] == 0 for r in kpis.values())


def test_month_parsing():
    assert stats.month_start("2023-07") == JULY
    assert stats.month_start("2023-07-19") == JULY
    assert stats.month_start(dt.datetime(2023, 7, 19, 8)) == JULY
    assert stats.month_bounds(dt.date(2023, 12, 5)) == (
        dt.date(2023, 12, 1),
        dt.date(2023, 12, 31),
        dt.date(2024, 1, 1),
    )
    with pytest.raises(ValueError, match="YYYY-MM"):
        stats.month_start("July")
