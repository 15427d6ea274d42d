"""Ledger database access: engines, schema migrations, and what differs between databases.

The ledger has its own SQLAlchemy engine (psycopg2 on PostgreSQL); Airflow's
metadata database is never touched. ``dialect_of(conn)`` (``xinfang.db.dialect``)
answers every SQLite/PostgreSQL difference; ``xinfang.db.copy`` is PostgreSQL's
COPY; the advisory-lock keys are in ``xinfang.locks``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import settings, sql
from xinfang.db.dialect import Dialect, dialect_of

__all__ = [
    "Dialect",
    "case_id_lists",
    "dialect_of",
    "get_engine",
    "insert_rows",
    "is_postgres",
    "make_engine",
    "upgrade",
]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = sql.MIGRATIONS_DIR


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across app crashes
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    url = url or settings.ledger_url()
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The engine for the ledger of the current settings (one per URL per process)."""
    return _engine_for(settings.ledger_url())


def is_postgres(engine_or_conn: Engine | sa.Connection) -> bool:
    """Kept for the callers not yet moved to ``dialect_of(...).is_postgres``."""
    return dialect_of(engine_or_conn).is_postgres


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows (dicts by column name) in the caller's transaction: COPY on
    PostgreSQL, executemany on SQLite."""
    dialect_of(conn).insert_rows(conn, table, rows)


def case_id_lists(cases: Sequence[int], size: int = 1000) -> Iterator[str]:
    """SQL ``case_id IN (...)`` over ``cases`` (integers), ``size`` at a time: a change of
    many cases in statements of bounded length."""
    for k in range(0, len(cases), size):
        yield "case_id IN (" + ", ".join(str(int(c)) for c in cases[k : k + size]) + ")"


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Create or upgrade the ledger schema in place (idempotent, never drops data).

    A ledger already at the newest revision skips Alembic (its import and run are most
    of a DAG's ``migrate`` task); the courts and views are refreshed either way."""
    from xinfang import locks

    engine = engine or get_engine()
    if revision != "head" or not schema_is_current(engine):
        from alembic import command

        cfg = alembic_config(engine)
        with engine.begin() as conn:
            locks.take(conn, locks.MIGRATION)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    sync_courts(engine)
    from xinfang.reports.views import create_views

    create_views(engine)  # analysts' views (sql/views), recreated on every upgrade
    log.info("ledger schema at %s on %s", revision, engine.url.render_as_string())


def schema_is_current(engine: Engine) -> bool:
    """The ledger is at the package's newest migration (``alembic_version`` read directly)."""
    try:
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except sa.exc.DBAPIError:  # no such table: a new ledger
        return False
    return [v for (v,) in versions] == [sql.head_revision()]


def sync_courts(engine: Engine) -> None:
    """Mirror the configured courts into the ``court`` table for analysts' joins."""
    from xinfang.config import get_config
    from xinfang.schema import court

    rows = [
        {"court_code": c.code, "name": c.name, "level": c.level}
        for c in get_config().courts.values()
    ]
    with engine.begin() as conn:
        conn.execute(court.delete())
        conn.execute(court.insert(), rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m xinfang.db upgrade``: create or upgrade the ledger schema by hand."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m xinfang.db")
    parser.add_argument("command", choices=["upgrade", "current"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    engine = get_engine()
    if args.command == "upgrade":
        upgrade(engine)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    print(f"ledger {engine.url.render_as_string()} at schema revision {version}")
    return 0
