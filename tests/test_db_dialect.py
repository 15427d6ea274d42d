"""``xinfang.db.dialect``: the same answers on SQLite and PostgreSQL, each in its own SQL."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from conftest import BOTH

from xinfang import locks
from xinfang.db import dialect_of, insert_rows
from xinfang.schema import ledger_counter


def _scalar(conn: sa.Connection, sql: str, **params) -> object:
    return conn.execute(sa.text(f"SELECT {sql}"), params).scalar_one()


def _day(value: object) -> dt.date:
    """A date as either database returns it (SQLite: ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@BOTH
def test_date_arithmetic(engine):
    with engine.connect() as conn:
        d = dialect_of(conn)
        t = dt.datetime(2023, 12, 31, 23, 30)
        day = d.day("CAST(:t AS TIMESTAMP)" if d.is_postgres else ":t")
        assert _day(_scalar(conn, day, t=t)) == dt.date(2023, 12, 31)
        assert _day(_scalar(conn, d.next_day(day), t=t)) == dt.date(2024, 1, 1)
        assert _day(_scalar(conn, d.add_days(day, 60), t=t)) == dt.date(2024, 2, 29)
        assert _day(_scalar(conn, d.add_days(day, -1), t=t)) == dt.date(2023, 12, 30)
        assert _day(_scalar(conn, d.add_days(day, "(1 + 1)"), t=t)) == dt.date(2024, 1, 2)
        since = d.days_since(
            "CAST(:t AS TIMESTAMP)" if d.is_postgres else ":t", dt.date(2000, 1, 1)
        )
        assert _scalar(conn, since, t=t) == (dt.date(2023, 12, 31) - dt.date(2000, 1, 1)).days


@BOTH
def test_booleans_null_safe_comparison_least_greatest(engine):
    with engine.connect() as conn:
        d = dialect_of(conn)
        assert bool(_scalar(conn, d.boolean(True))) is True
        assert bool(_scalar(conn, d.boolean(False))) is False
        assert bool(_scalar(conn, d.is_distinct("NULL", "1")))
        assert not bool(_scalar(conn, d.is_distinct("NULL", "NULL")))
        assert not bool(_scalar(conn, d.is_distinct("2", "2")))
        assert _scalar(conn, d.least("3", "1", "2")) == 1
        assert _scalar(conn, d.greatest("3", "1", "2")) == 3


@BOTH
def test_insert_or_ignore_and_upsert(engine):
    with engine.begin() as conn:
        d = dialect_of(conn)
        conn.execute(d.insert_or_ignore(ledger_counter, ["name"]), {"name": "x", "value": 1})
        conn.execute(d.insert_or_ignore(ledger_counter, ["name"]), {"name": "x", "value": 2})
        counter = sa.select(ledger_counter.c.value).where(ledger_counter.c.name == "x")
        assert conn.execute(counter).scalar_one() == 1
        conn.execute(d.upsert(ledger_counter, ["name"], ["value"]), {"name": "x", "value": 5})
        assert conn.execute(counter).scalar_one() == 5


@BOTH
def test_bulk_rows_and_frames_round_trip(engine):
    columns = [
        sa.Column("n", sa.BigInteger),
        sa.Column("s", sa.String(32)),
        sa.Column("at", sa.DateTime),
        sa.Column("on", sa.Date),
        sa.Column("ok", sa.Boolean),
        sa.Column("x", sa.Float),
    ]
    t1, t2 = dt.datetime(2023, 7, 3, 9, 30), dt.datetime(2023, 7, 4, 10, 0, 1)
    with engine.begin() as conn:
        d = dialect_of(conn)
        table = d.temp_table(conn, "tmp_test_bulk", columns)
        insert_rows(conn, table, [{"n": 1, "s": "a\tb\\c", "at": t1, "on": t1.date(), "ok": True}])
        frame = pd.DataFrame(
            {
                "n": pd.array([2, None], dtype="Int64"),
                "s": ["张伟\n", None],
                "at": pd.to_datetime([t2, None]),
                "on": [t2.date(), None],
                "ok": np.array([False, True]),
                "x": [np.nan, 0.5],
            }
        )
        d.insert_frame(conn, table, frame)
        d.analyze(conn, table.name)
        got = d.read_frame(conn, sa.select(table).order_by(table.c.n.nulls_last()))
        assert got["n"].tolist()[:2] == [1, 2] and pd.isna(got["n"].tolist()[2])
        assert [None if pd.isna(v) else v for v in got["s"]] == ["a\tb\\c", "张伟\n", None]
        assert list(pd.to_datetime(got["at"][:2])) == [pd.Timestamp(t1), pd.Timestamp(t2)]
        assert pd.isna(got["at"].tolist()[2])
        assert [_day(v) if v is not None else None for v in got["on"]] == [
            t1.date(),
            t2.date(),
            None,
        ]
        assert [None if pd.isna(v) else bool(v) for v in got["ok"]] == [True, False, True]
        assert [None if v is None or v != v else float(v) for v in got["x"]] == [None, None, 0.5]
        # a fresh temp table of the same name starts empty
        again = d.temp_table(conn, "tmp_test_bulk", [sa.Column("n", sa.BigInteger)])
        assert conn.execute(sa.select(sa.func.count()).select_from(again)).scalar_one() == 0


@BOTH
def test_temp_table_as(engine):
    with engine.begin() as conn:
        d = dialect_of(conn)
        d.temp_table_as(conn, "tmp_test_as", "SELECT :v AS v", {"v": 7})
        d.temp_table_as(conn, "tmp_test_as", "SELECT :v AS v", {"v": 8})
        assert conn.execute(sa.text("SELECT v FROM tmp_test_as")).scalars().all() == [8]


@BOTH
def test_tuned_settings_last_for_the_block_only(engine):
    with engine.begin() as conn:
        d = dialect_of(conn)
        if not d.is_postgres:
            with d.tuned(conn, work_mem="64MB"):  # nothing to tune on SQLite
                pass
            assert locks.take(conn, locks.LEDGER) is False
            return
        before = _scalar(conn, "current_setting('work_mem')")
        with d.tuned(conn, work_mem="77MB", jit="off"):
            assert _scalar(conn, "current_setting('work_mem')") == "77MB"
            assert _scalar(conn, "current_setting('jit')") == "off"
        assert _scalar(conn, "current_setting('work_mem')") == before
        d.set_local(conn, work_mem="65MB")
        assert _scalar(conn, "current_setting('work_mem')") == "65MB"
    with engine.connect() as conn:  # SET LOCAL: gone with the transaction
        assert _scalar(conn, "current_setting('work_mem')") == before


@BOTH
def test_read_frame_types_a_date_column_empty_then_filled_without_a_warning(engine):
    """pandas reads CSV in chunks; left to infer, a date column empty for the first
    chunks and filled later came out of mixed types with a DtypeWarning."""
    import warnings

    rows = 300_000
    with engine.begin() as conn:
        d = dialect_of(conn)
        table = d.temp_table(
            conn, "tmp_test_dates", [sa.Column("n", sa.BigInteger), sa.Column("on", sa.Date)]
        )
        day = dt.date(2026, 12, 8)
        frame = pd.DataFrame({"n": np.arange(rows), "on": [None] * (rows - 2) + [day, day]})
        d.insert_frame(conn, table, frame)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = d.read_frame(conn, sa.select(table).order_by(table.c.n))
    values = got["on"].tolist()
    assert values[0] is None and values[-1] == day and len(values) == rows
