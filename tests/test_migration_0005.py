"""Migration 0005 on a populated ledger: every row survives, the history state is seeded
from the ledger so that the first run after the upgrade records no spurious rows."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_progress, new_case
from migration_helpers import downgrade_to

from xinfang import db, history, pipeline
from xinfang.schema import HISTORY_FIELDS

TABLES = ("ledger_case", "intake_item", "case_progress", "escalation_event")


def _rows(conn: sa.Connection, table: str, columns: list[str]) -> list[tuple]:
    listed = ", ".join(columns)
    return [tuple(r) for r in conn.execute(sa.text(f"SELECT {listed} FROM {table} ORDER BY 1, 2"))]


@BOTH
def test_upgrade_seeds_the_state_and_keeps_every_row(engine):
    first = new_case(engine, D("2023-07-03"))
    second = new_case(engine, D("2023-07-05"), channel="referral", due_on=D("2023-08-10"))
    with engine.begin() as conn:
        add_progress(conn, first, D("2023-07-06"), "open", judge="王法官")
        add_progress(conn, first, D("2023-07-20"), "closed", disposition="resolved")
    pipeline.apply_updates(D("2023-07-31"), engine)  # the ledger as a run leaves it
    downgrade_to(engine, "0004")
    inspector = sa.inspect(engine)
    assert "case_history" not in inspector.get_table_names()
    old = {t: [c["name"] for c in inspector.get_columns(t)] for t in TABLES}
    with engine.connect() as conn:
        before = {t: _rows(conn, t, old[t]) for t in TABLES}

    db.upgrade(engine)

    fields = ", ".join(HISTORY_FIELDS)
    with engine.connect() as conn:
        assert {t: _rows(conn, t, old[t]) for t in TABLES} == before
        assert conn.execute(sa.text("SELECT count(*) FROM case_history")).scalar_one() == 0
        state = _rows(conn, "case_history_state", ["case_id", "ledger_no", fields])
        ledger = _rows(conn, "ledger_case", ["case_id", "ledger_no", fields])
        assert state == ledger and len(state) == 2
        anchors = conn.execute(
            sa.text("SELECT count(*) FROM case_history_state WHERE anchor_item_id IS NULL")
        ).scalar_one()
        assert anchors == 0
        origins = conn.execute(
            sa.text("SELECT count(*) FROM case_progress WHERE origin IS NOT NULL")
        ).scalar_one()
        assert origins == 0
    pipeline.apply_updates(D("2023-07-31"), engine)  # nothing changed since: no rows
    with engine.connect() as conn:
        assert history.rows_of(conn, first) == [] and history.rows_of(conn, second) == []
