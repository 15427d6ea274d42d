"""Analyst views (``sql/views/*.sql``) and the read-only analyst role (``sql/roles``).

The views are plain portable SQL files, one per question analysts ask, each
``DROP VIEW IF EXISTS`` + ``CREATE VIEW``, so they are recreated on every
upgrade and never drift from the files. On PostgreSQL dropping a view drops its
grants, so recreating the views re-applies the analyst role when it exists.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from xinfang import locks, sql
from xinfang.db import is_postgres

log = logging.getLogger(__name__)

VIEWS_DIR = sql.VIEWS_DIR
ANALYST_SQL = sql.ANALYST_SQL
ANALYST_ROLE = "xinfang_analyst"

_CREATE_VIEW = re.compile(r"CREATE\s+VIEW\s+(\w+)", re.IGNORECASE)


def view_files() -> list[Path]:
    return sorted(VIEWS_DIR.glob("*.sql"))


def view_names() -> list[str]:
    """Names of the views the SQL files define, in file order."""
    names: list[str] = []
    for path in view_files():
        names += _CREATE_VIEW.findall(path.read_text(encoding="utf-8"))
    return names


def _statements(text: str) -> list[str]:
    """Split a views file into statements (the files hold no ';' inside strings)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _run(conn: Connection, sql: str) -> None:
    # no_parameters: the text goes to the driver as is (no '%' or ':' parameter parsing).
    conn.execution_options(no_parameters=True).exec_driver_sql(sql)


def drop_views(conn: Connection) -> None:
    """Drop every project view (e.g. before a migration that rebuilds a table they read)."""
    for name in reversed(view_names()):
        _run(conn, f"DROP VIEW IF EXISTS {name}")


def create_views(engine: Engine | Connection) -> list[str]:
    """(Re)create every view of ``sql/views`` in one transaction; returns their names."""
    if isinstance(engine, Connection):
        return _create_views(engine)
    with engine.begin() as conn:
        return _create_views(conn)


def _create_views(conn: Connection) -> list[str]:
    if is_postgres(conn):  # concurrent upgrades would race between DROP and CREATE
        locks.take(conn, locks.VIEWS)
    for path in view_files():
        for statement in _statements(path.read_text(encoding="utf-8")):
            _run(conn, statement)
    if is_postgres(conn) and _role_exists(conn):
        _run(conn, ANALYST_SQL.read_text(encoding="utf-8"))
    names = view_names()
    log.info("created %d views: %s", len(names), ", ".join(names))
    return names


def _role_exists(conn: Connection) -> bool:
    found = conn.execute(
        sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": ANALYST_ROLE}
    ).first()
    return found is not None


def apply_analyst_role(engine: Engine) -> bool:
    """Create/refresh the analyst role's grants (PostgreSQL); False on SQLite, which has no roles."""
    if not is_postgres(engine):
        log.info("SQLite has no roles: the analyst role applies to PostgreSQL only")
        return False
    with engine.begin() as conn:
        _run(conn, ANALYST_SQL.read_text(encoding="utf-8"))
    return True
