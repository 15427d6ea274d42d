"""Hand-made intake items for the deduplication tests (inserted directly, as the loader would)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import sqlalchemy as sa

from xinfang.normalize.names import name_key, split_group
from xinfang.schema import intake_item

_row = itertools.count(1)


def item(
    *,
    name: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    case_number: str | None = None,
    text: str | None = None,
    channel: str = "letter",
    day: int = 3,
    hour: int = 9,
    court_name: str | None = None,
    due_on: dt.date | None = None,
    tag: str | None = None,
) -> dict[str, Any]:
    lead, others, count = split_group(name) if name else ("", (), 1)
    cn_court = None
    if case_number:
        cn_court = case_number.split(")", 1)[1][:5].rstrip("民刑行执赔")
    return {
        "channel": channel,
        "source_file": f"{channel}_{tag or 'x'}.csv",
        "source_row": next(_row),
        "received_at": dt.datetime(2023, 7, 1) + dt.timedelta(days=day - 1, hours=hour),
        "petitioner_name": lead or None,
        "name_key": name_key(lead) if lead else None,
        "id_number": id_number,
        "id_invalid": False,
        "phone": phone,
        "case_number": case_number,
        "court_code": cn_court,
        "court_name": court_name,
        "group_size": max(count, 1),
        "co_petitioners": "、".join(others) or None,
        "content": text,
        "content_normalized": text,
        "due_on": due_on,
        "raw": json.dumps({"tag": tag}, ensure_ascii=False),
        "loaded_at": dt.datetime(2023, 7, 31),
    }


def insert(engine: sa.Engine, rows: list[dict[str, Any]]) -> list[int]:
    """Insert items; returns their item_ids in order."""
    ids = []
    with engine.begin() as conn:
        for r in rows:
            ids.append(conn.execute(intake_item.insert().values(**r)).inserted_primary_key[0])
    return ids


def case_of(engine: sa.Engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(intake_item.c.item_id, intake_item.c.case_id)).all())


def partition(engine: sa.Engine, key: str = "raw") -> set[frozenset[str]]:
    """The partition of items into cases, items named by ``raw`` (stable across databases)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(intake_item.c.case_id, intake_item.c[key])).all()
    groups: dict[int, set[str]] = {}
    for cid, k in rows:
        groups.setdefault(cid, set()).add(k)
    return {frozenset(g) for g in groups.values()}
