"""Fast bulk inserts: COPY on PostgreSQL, executemany elsewhere.

COPY is several times faster than multi-row INSERT for the intake's volumes
and runs inside the caller's transaction, so all-or-nothing loads keep working.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

# COPY's text format: backslash escapes for the characters that delimit fields and rows.
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPE)
    return str(value)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), list(rows))
        return
    present: set[str] = set()
    for row in rows:
        present.update(row)
    columns = [c.name for c in table.columns if c.name in present]
    buffer = io.StringIO()
    buffer.writelines(
        "\t".join([_copy_value(row.get(c)) for c in columns]) + "\n" for row in rows
    )
    buffer.seek(0)
    cursor = conn.connection.driver_connection.cursor()
    try:
        quoted = ", ".join(f'"{c}"' for c in columns)
        cursor.copy_expert(f'COPY "{table.name}" ({quoted}) FROM STDIN', buffer)
    finally:
        cursor.close()
