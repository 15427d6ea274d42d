"""Migration 0004 on a populated ledger: every row survives, the workflow columns start null.

A ledger with cases, items, progress rows, escalations, notifications and a month's
KPIs is taken back to 0003 and upgraded: each table holds the same rows with the same
values, the new columns are null (not given), and the satisfaction check is in force.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_progress, new_case
from migration_helpers import downgrade_to

from xinfang import db, escalation, stats

TABLES = (
    "ledger_case",
    "intake_item",
    "case_progress",
    "escalation_event",
    "notification",
    "kpi_monthly",
    "disposition_monthly",
)
NEW_COLUMNS = {
    "ledger_case": (
        "accepted_on",
        "replied_on",
        "extended_to",
        "satisfaction",
        "supervision_unit",
        "supervision_due_on",
    ),
    "kpi_monthly": ("timely_acceptance_rate", "on_time_closure_rate", "satisfaction_rate"),
}
NEW_COLUMNS["case_progress"] = NEW_COLUMNS["ledger_case"]
NEW_COLUMNS["ledger_case"] += ("supervision_overdue",)


def _rows(conn: sa.Connection, table: str, columns: list[str]) -> list[tuple]:
    listed = ", ".join(columns)
    return [tuple(r) for r in conn.execute(sa.text(f"SELECT {listed} FROM {table} ORDER BY 1, 2"))]


def _populate(engine: sa.Engine) -> None:
    first = new_case(engine, D("2023-07-03"))
    new_case(engine, D("2023-07-05"), channel="referral", due_on=D("2023-08-10"))
    with engine.begin() as conn:
        add_progress(conn, first, D("2023-07-06"), "open", note="约谈", judge="王法官")
        add_progress(conn, first, D("2023-07-20"), "closed", disposition="resolved")
    escalation.sweep(engine, D("2023-07-31"))
    stats.compute_month(engine, "2023-07")


@BOTH
def test_upgrade_keeps_every_row(engine):
    _populate(engine)
    downgrade_to(engine, "0003")
    inspector = sa.inspect(engine)
    old_columns = {t: [c["name"] for c in inspector.get_columns(t)] for t in TABLES}
    assert "accepted_on" not in old_columns["ledger_case"]
    with engine.connect() as conn:
        before = {t: _rows(conn, t, old_columns[t]) for t in TABLES}
    assert all(before[t] for t in TABLES)

    db.upgrade(engine)

    with engine.connect() as conn:
        after = {t: _rows(conn, t, old_columns[t]) for t in TABLES}
        for table, columns in NEW_COLUMNS.items():
            nulls = conn.execute(
                sa.text(
                    f"SELECT count(*) FROM {table} WHERE "
                    + " AND ".join(
                        f"{c} IS NULL" if c != "supervision_overdue" else f"NOT {c}"
                        for c in columns
                    )
                )
            ).scalar_one()
            assert nulls == len(before[table])
    assert after == before


@BOTH
def test_satisfaction_takes_only_the_three_ratings(engine):
    case_id = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, case_id, D("2023-07-06"), satisfaction="basic")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        add_progress(conn, case_id, D("2023-07-07"), satisfaction="满意")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_case SET satisfaction = 'happy'"))
