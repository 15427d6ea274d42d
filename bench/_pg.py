"""The throw-away PostgreSQL database a benchmark fills and times (dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

ADMIN_URL = os.environ.get(
    "XINFANG_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def throwaway_database(prefix: str, keep: bool = False, reuse: str | None = None) -> Iterator[str]:
    """Create an empty database ``<prefix>_<8 hex>`` and yield its URL; drop it after,
    unless ``keep`` (then print its URL). ``reuse``: an existing database, always kept."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = reuse or f"{prefix}_{uuid.uuid4().hex[:8]}"
    keep = keep or reuse is not None
    try:
        if reuse is None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        yield url
        if keep:
            print(f"kept: {url}")
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
