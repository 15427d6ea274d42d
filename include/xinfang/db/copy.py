"""PostgreSQL's COPY: the one encoder of its text format, and the two directions.

COPY is several times faster than multi-row INSERT for the intake's and the
ledger's volumes and runs inside the caller's transaction, so all-or-nothing
loads keep working. Rows (dicts, from the intake loader) and DataFrames (from
deduplication) are encoded by the same column encoder; reading back
(``read_frame``) goes through ``COPY ... TO STDOUT`` as CSV.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["copy_in", "encode_frame", "encode_rows", "escape_copy_text", "read_frame"]

NULL = "\\N"
_READ_SIZE = 1 << 18
"""psycopg2 reads the COPY buffer in pieces of this many characters (its default is 8 KiB)."""

try:  # PostgreSQL client encodings as Python codecs (psycopg2's own table)
    from psycopg2.extensions import encodings as _PY_ENCODINGS
except ImportError:  # SQLite-only installs never read through COPY
    _PY_ENCODINGS = {}


def escape_copy_text(value: str) -> str:
    """COPY's text format: backslash escapes for the characters that delimit fields and rows.

    ``str.translate`` with a mapping costs ~0.1 µs a character on Chinese text; four
    ``in`` scans (C memchr) and a ``replace`` only where needed are ~20x cheaper.
    """
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


def _is_null(value: Any) -> bool:
    """None, NaN (stored as NULL, as SQLite does) and pandas' NaT and NA."""
    if value is None or (isinstance(value, float) and value != value):
        return True
    # no pandas loaded (the intake loader): no pandas value to meet, and none imported
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NaT or value is pd.NA)


def _is_bool(value: Any) -> bool:
    """A Python or numpy boolean."""
    np = sys.modules.get("numpy")
    return isinstance(value, bool) or (np is not None and isinstance(value, np.bool_))


def _encode_value(value: Any) -> str:
    """One value of any type (the slow path: columns of mixed or unusual types)."""
    if value is None:
        return NULL
    if type(value) is str:
        return escape_copy_text(value)
    if value is True:
        return "t"
    if value is False:
        return "f"
    if _is_null(value):
        return NULL
    if _is_bool(value):
        return "t" if value else "f"
    if isinstance(value, str):
        return escape_copy_text(value)
    if isinstance(value, dt.datetime):  # pd.Timestamp too
        return value.isoformat(sep=" ")
    return str(value)


def _encode_text_column(values: Sequence[Any], has_null: bool) -> list[str]:
    """A column of strings (and None), escaped in one pass over its values joined by NUL
    (which PostgreSQL text cannot hold, so it is free as a separator; a value holding
    one falls back to value by value)."""
    joined = "\x00".join(["" if v is None else v for v in values])
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        if joined.count("\x00") != len(values) - 1:
            return [_encode_value(v) for v in values]
        texts: Sequence[str] = escape_copy_text(joined).split("\x00")
    else:
        texts = values
    if has_null:
        return [NULL if v is None else t for v, t in zip(values, texts, strict=True)]
    return list(texts)


def encode_column(values: Sequence[Any]) -> list[str]:
    """One column as COPY text, a column at a time.

    Per-value type tests cost more than the values' own conversion: a column holds
    one type (plus None), so it is tested once.
    """
    types = set(map(type, values))
    has_null = type(None) in types
    types.discard(type(None))
    if types == {str}:
        return _encode_text_column(values, has_null)
    if types <= {int}:
        return [NULL if v is None else str(v) for v in values]
    if types == {bool}:
        return [NULL if v is None else "t" if v else "f" for v in values]
    if types <= {int, float}:
        return [NULL if v is None or v != v else str(v) for v in values]
    if types <= {dt.datetime} or types <= {dt.date}:
        # str() of a datetime is ~0.5 µs; a column repeats its values (loaded_at, days)
        memo: dict[Any, str] = {None: NULL}
        return [memo[v] if v in memo else memo.setdefault(v, str(v)) for v in values]
    return [_encode_value(v) for v in values]


def _encode_series(col: pd.Series) -> list[str]:
    """A DataFrame column: numpy dtypes converted whole, the others as Python values."""
    import numpy as np

    dtype = col.dtype
    kind = dtype.kind if isinstance(dtype, np.dtype) else ""  # numpy: no nulls but NaT
    if kind == "b":
        return ["t" if v else "f" for v in col.tolist()]
    if kind in ("i", "u"):
        return list(map(str, col.tolist()))
    if kind == "M":  # naive datetimes
        out = np.datetime_as_string(col.to_numpy(dtype="datetime64[us]"), unit="us").tolist()
        for i in np.flatnonzero(col.isna().to_numpy()).tolist():
            out[i] = NULL
        return out
    return encode_column(col.astype(object).tolist())


def _lines(columns: Sequence[list[str]]) -> str:
    return "\n".join(["\t".join(line) for line in zip(*columns, strict=True)]) + "\n"


def encode_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """The rows in COPY text format (one line each, columns in the given order)."""
    if not rows:
        return ""
    try:
        # Every row has every column (the usual case): one C call per row.
        get = itemgetter(*columns)
        table = [get(row) for row in rows] if len(columns) > 1 else [(get(r),) for r in rows]
    except KeyError:
        table = [tuple([row.get(c) for c in columns]) for row in rows]
    return _lines([encode_column(col) for col in zip(*table, strict=True)])


def encode_frame(df: pd.DataFrame) -> str:
    """``df`` in COPY text format, its columns in order."""
    if df.empty:
        return ""
    return _lines([_encode_series(df[c]) for c in df.columns])


def copy_in(conn: Connection, table_name: str, columns: Sequence[str], text: str) -> None:
    """Send ``text`` (COPY text format) into ``table_name``, in the caller's transaction."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor.copy_expert(
            f'COPY "{table_name}" ({quoted}) FROM STDIN', io.StringIO(text), _READ_SIZE
        )
    finally:
        cursor.close()


def read_frame(conn: Connection, stmt: sa.Select) -> pd.DataFrame:
    """A big SELECT read through ``COPY ... TO STDOUT``: several times faster than
    fetching rows one by one. Typed from the statement's columns: integers as int64
    (Int64 with nulls), timestamps as datetime64, dates as ``datetime.date`` or None,
    booleans as bool or None, the rest as Python objects with None for null."""
    import pandas as pd

    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    # bytes, not text: pandas wraps a text buffer in a re-encoder whose carry-over
    # grows with every chunk of non-ASCII text (quadratic on a million Chinese rows)
    buf = io.BytesIO()
    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()
    try:
        cur.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
    finally:
        cur.close()
    buf.seek(0)
    encoding = _PY_ENCODINGS.get(getattr(dbapi, "encoding", "UTF8"), "utf-8")
    dtypes: dict[str, Any] = {}
    for c in stmt.selected_columns:
        # everything but integers as text, typed by _typed: left to inference, a date
        # column that is empty in one chunk and filled in the next came out of mixed
        # types (pandas' DtypeWarning on the intake DAG's deduplicate)
        dtypes[c.name] = "Int64" if isinstance(c.type, sa.Integer) else object
    df = pd.read_csv(buf, dtype=dtypes, keep_default_na=False, na_values=[""], encoding=encoding)
    for c in stmt.selected_columns:
        df[c.name] = _typed(df[c.name], c.type)
    return df


def _typed(col: pd.Series, type_: sa.types.TypeEngine) -> pd.Series:
    """A column read as CSV, in the types ``read_frame`` promises."""
    import numpy as np
    import pandas as pd

    if isinstance(type_, sa.DateTime):
        return pd.to_datetime(col, format="ISO8601")
    if isinstance(type_, sa.Date):
        stamps = pd.to_datetime(col, format="ISO8601")
        days = stamps.dt.date.to_numpy(dtype=object, copy=True)
        days[stamps.isna().to_numpy()] = None
        return pd.Series(days, index=col.index, dtype=object)
    if isinstance(type_, sa.Integer):
        return col if col.isna().any() else col.astype(np.int64)
    if isinstance(type_, sa.Boolean):
        return col.map({"t": True, "f": False}).astype(object).where(col.notna(), None)
    return col.astype(object).where(col.notna(), None)
