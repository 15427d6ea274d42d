"""What differs between the ledger's two databases, answered in one place.

The ledger runs on PostgreSQL in production and on an embedded SQLite file for
``make run`` and most tests. ``dialect_of(conn)`` gives the object that knows the
differences: SQL spellings (dates, booleans, NULL-safe comparison, upserts),
bulk writes and reads (COPY on PostgreSQL, executemany and fetches on SQLite),
temporary tables and their statistics, advisory locks (a no-op on SQLite, which
has one writer anyway) and per-transaction settings (PostgreSQL only).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from xinfang.db import copy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Dialect", "dialect_of"]

_EXECUTEMANY_CHUNK = 50_000


class Dialect:
    """SQLite's answers; ``_Postgres`` overrides what PostgreSQL does otherwise."""

    name = "sqlite"
    is_postgres = False
    _insert = staticmethod(sqlite.insert)

    # ------------------------------------------------------------- SQL spellings

    def day(self, expr: str) -> str:
        """The calendar date of a timestamp (or date) expression."""
        return f"date({expr})"

    def add_days(self, expr: str, n: int | str) -> str:
        """A date ``n`` days after the date ``expr`` (``n``: a number or an SQL expression)."""
        if isinstance(n, int):
            return f"date({expr}, '{n:+d} days')"
        return f"date({expr}, '+' || ({n}) || ' days')"

    def next_day(self, expr: str) -> str:
        """The day after the date ``expr``."""
        return f"date({expr}, '+1 day')"

    def days_since(self, expr: str, origin: dt.date) -> str:
        """The date of ``expr`` as a whole number of days after ``origin`` (RANGE windows
        need a number)."""
        return f"CAST(julianday(date({expr})) - julianday('{origin.isoformat()}') AS INTEGER)"

    def boolean(self, value: bool) -> str:
        """A boolean literal."""
        return "1" if value else "0"

    def text(self, expr: str) -> str:
        """``expr`` as text (the same spelling on both; here so SQL builders need one object)."""
        return f"CAST({expr} AS TEXT)"

    def is_distinct(self, a: str, b: str) -> str:
        """``a`` and ``b`` differ, a NULL counting as a value."""
        return f"({a} IS NOT {b})"

    def least(self, *exprs: str) -> str:
        """The smallest argument. NULLs differ: PostgreSQL skips them, SQLite returns NULL
        (wrap in COALESCE where a NULL may come)."""
        return f"MIN({', '.join(exprs)})"

    def greatest(self, *exprs: str) -> str:
        """The largest argument (NULLs as in ``least``)."""
        return f"MAX({', '.join(exprs)})"

    def insert_or_ignore(self, table: sa.Table, conflict: Sequence[str]) -> sa.Insert:
        """An INSERT that leaves a row already holding the same ``conflict`` key alone."""
        return self._insert(table).on_conflict_do_nothing(index_elements=list(conflict))

    def upsert(self, table: sa.Table, conflict: Sequence[str], update: Sequence[str]) -> sa.Insert:
        """An INSERT that, on a row with the same ``conflict`` key, sets its ``update``
        columns to the values offered."""
        stmt = self._insert(table)
        return stmt.on_conflict_do_update(
            index_elements=list(conflict), set_={c: stmt.excluded[c] for c in update}
        )

    # ------------------------------------------------------------- bulk writes, reads

    def insert_rows(
        self, conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert many rows (dicts keyed by column name), in the caller's transaction."""
        if rows:
            conn.execute(table.insert(), list(rows))

    def insert_frame(self, conn: Connection, table: sa.Table, df: pd.DataFrame) -> None:
        """Insert a DataFrame whose columns are named as the table's."""
        from xinfang.db.frames import python_value  # pandas only where frames are written

        if df.empty:
            return
        columns = list(df.columns)
        records = [
            {c: python_value(v) for c, v in zip(columns, row, strict=True)}
            for row in df.itertuples(index=False, name=None)
        ]
        for i in range(0, len(records), _EXECUTEMANY_CHUNK):
            conn.execute(table.insert(), records[i : i + _EXECUTEMANY_CHUNK])

    def read_frame(self, conn: Connection, stmt: sa.Select) -> pd.DataFrame:
        """Many rows of a SELECT as a DataFrame."""
        from xinfang.db.frames import fetch_frame

        return fetch_frame(conn, stmt)

    # ------------------------------------------------------------- temporary tables

    def temp_table(self, conn: Connection, name: str, columns: Sequence[sa.Column]) -> sa.Table:
        """A fresh, empty temporary table (dropped first if an earlier batch left it)."""
        table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        table.create(conn)
        return table

    def temp_table_as(
        self, conn: Connection, name: str, select: str, params: Mapping[str, Any] | None = None
    ) -> None:
        """A fresh temporary table holding the rows of ``select`` (SQL text)."""
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        conn.execute(sa.text(f"CREATE TEMPORARY TABLE {name} AS {select}"), dict(params or {}))

    def analyze(self, conn: Connection, *tables: str) -> None:
        """Planner statistics for freshly filled tables (autovacuum never sees temp tables)."""

    # ------------------------------------------------------------- locks, settings

    def advisory_lock(self, conn: Connection, key: int) -> bool:
        """Hold ``key`` until the transaction ends; False where there is nothing to take."""
        return False

    def begin_writing(self, conn: Connection) -> None:
        """Begin the caller's transaction in the database now, as its writer, so that
        SAVEPOINTs nest inside it. pysqlite begins only at the first write: a SAVEPOINT
        before it opens a transaction of its own, which its RELEASE commits. SQLite:
        ``BEGIN IMMEDIATE`` (waits for the one writer); PostgreSQL: nothing to do."""
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    def set_local(self, conn: Connection, **settings: str) -> None:
        """Server settings for the rest of this transaction (``jit="off"``, ...)."""

    @contextlib.contextmanager
    def tuned(self, conn: Connection, **settings: str) -> Iterator[None]:
        """Server settings for the statements of the ``with`` block, restored after it."""
        yield


class _Postgres(Dialect):
    name = "postgresql"
    is_postgres = True
    _insert = staticmethod(postgresql.insert)

    def day(self, expr: str) -> str:
        return f"CAST({expr} AS DATE)"

    def add_days(self, expr: str, n: int | str) -> str:
        return f"({expr} + {n})"

    def next_day(self, expr: str) -> str:
        return f"({expr} + 1)"

    def days_since(self, expr: str, origin: dt.date) -> str:
        return f"(CAST({expr} AS DATE) - DATE '{origin.isoformat()}')"

    def boolean(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    def is_distinct(self, a: str, b: str) -> str:
        return f"({a} IS DISTINCT FROM {b})"

    def least(self, *exprs: str) -> str:
        return f"LEAST({', '.join(exprs)})"

    def greatest(self, *exprs: str) -> str:
        return f"GREATEST({', '.join(exprs)})"

    def insert_rows(
        self, conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        if not rows:
            return
        present: set[str] = set()
        for row in rows:
            present.update(row)
        columns = [c.name for c in table.columns if c.name in present]
        copy.copy_in(conn, table.name, columns, copy.encode_rows(rows, columns))

    def insert_frame(self, conn: Connection, table: sa.Table, df: pd.DataFrame) -> None:
        if not df.empty:
            copy.copy_in(conn, table.name, list(df.columns), copy.encode_frame(df))

    def read_frame(self, conn: Connection, stmt: sa.Select) -> pd.DataFrame:
        return copy.read_frame(conn, stmt)

    def analyze(self, conn: Connection, *tables: str) -> None:
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")

    def begin_writing(self, conn: Connection) -> None:
        pass

    def advisory_lock(self, conn: Connection, key: int) -> bool:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")
        return True

    def set_local(self, conn: Connection, **settings: str) -> None:
        for name, value in settings.items():
            conn.execute(sa.text("SELECT set_config(:k, :v, true)"), {"k": name, "v": value})

    @contextlib.contextmanager
    def tuned(self, conn: Connection, **settings: str) -> Iterator[None]:
        saved = {
            name: conn.execute(sa.text("SELECT current_setting(:k)"), {"k": name}).scalar_one()
            for name in settings
        }
        self.set_local(conn, **settings)
        yield  # on an error the transaction is rolled back, and its settings with it
        self.set_local(conn, **saved)


_DIALECTS: dict[str, Dialect] = {"sqlite": Dialect(), "postgresql": _Postgres()}


def dialect_of(bind: Connection | Engine) -> Dialect:
    """The dialect object of a connection or engine."""
    return _DIALECTS[bind.dialect.name]
