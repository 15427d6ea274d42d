"""What the intake tests share: dropping a file into a channel's incoming folder, counting rows."""

from __future__ import annotations

import sqlalchemy as sa


def drop(landing, channel: str, name: str, data: bytes | str):
    folder = landing / channel / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
