"""Rows for the risk and key-person tests, inserted straight into the ledger."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from xinfang.schema import intake_item, ledger_case

_seq = itertools.count(1)


def add_case(conn: sa.Connection, person_key: str = "P1", **values) -> int:
    n = next(_seq)
    first = values.pop("first", dt.datetime(2023, 7, 3, 9))
    row = {
        "ledger_no": f"T{n:06d}",
        "court_code": "冀1003",
        "tier": 1,
        "tier_entered_on": first.date(),
        "status": "open",
        "first_received_at": first,
        "last_received_at": first,
        "item_count": 0,
        "person_key": person_key,
        "petitioner_name": "张三",
        "is_key": False,
        "priority": 0,
        **values,
    }
    return conn.execute(ledger_case.insert().values(**row)).inserted_primary_key[0]


def add_item(
    conn: sa.Connection,
    case_id: int | None,
    received_at: dt.datetime,
    text: str = "执行款一直未到位，请求督促执行",
    channel: str = "letter",
    normalized: str | None = None,
    **values,
) -> int:
    n = next(_seq)
    row = {
        "channel": channel,
        "source_file": f"{channel}.csv",
        "source_row": n,
        "received_at": received_at,
        "content": text,
        "content_normalized": normalized if normalized is not None else text,
        "raw": "{}",
        "case_id": case_id,
        "loaded_at": received_at,
        "group_size": 1,
        **values,
    }
    return conn.execute(intake_item.insert().values(**row)).inserted_primary_key[0]


def d(day: int, month: int = 7, hour: int = 10) -> dt.datetime:
    return dt.datetime(2023, month, day, hour)
