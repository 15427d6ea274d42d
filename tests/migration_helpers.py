"""Taking a populated test ledger back to an older schema revision."""

from __future__ import annotations

import sqlalchemy as sa

from xinfang import db


def downgrade_to(engine: sa.Engine, revision: str) -> None:
    """Downgrade the ledger to ``revision`` with its rows (the views, which read newer
    columns, are dropped first; ``db.upgrade`` recreates them)."""
    from alembic import command

    from xinfang.reports.views import drop_views

    cfg = db.alembic_config(engine)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # batch mode rebuilds tables others refer to
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        drop_views(conn)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()
