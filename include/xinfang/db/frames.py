"""DataFrames to and from the database through the driver (the path without COPY)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["fetch_frame", "python_value"]


def python_value(value: Any) -> Any:
    """A pandas or numpy scalar as the Python value a DB-API driver takes (None for null)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def fetch_frame(conn: Connection, stmt: sa.Executable) -> pd.DataFrame:
    """The statement's rows as a DataFrame, each column as the driver returned it."""
    result = conn.execute(stmt)
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=keys)
    columns = list(zip(*rows, strict=True))
    return pd.DataFrame({k: pd.Series(v) for k, v in zip(keys, columns, strict=True)})
