"""Direct inserts of cases, items and progress rows for the escalation tests."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from xinfang.schema import case_progress, escalation_event, intake_item, ledger_case, notification

_seq = itertools.count(1)

# ledger_case's lifecycle columns: what the escalation sweep derives
LIFECYCLE = (
    "tier",
    "tier_entered_on",
    "status",
    "disposition",
    "closed_on",
    "reopened_count",
    "is_key",
    "key_since",
    "overdue",
    "statutory_due_on",
    "statutory_overdue",
)


def D(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def add_case(conn, first: dt.date, *, court: str = "冀1003", ledger_no: str | None = None) -> int:
    n = next(_seq)
    at = dt.datetime.combine(first, dt.time(9, 30))
    return conn.execute(
        ledger_case.insert()
        .values(
            ledger_no=ledger_no or f"T{n:06d}",
            court_code=court,
            tier=1,
            tier_entered_on=first,
            first_received_at=at,
            last_received_at=at,
            item_count=0,
        )
        .returning(ledger_case.c.case_id)
    ).scalar_one()


def add_item(
    conn, case_id: int, day: dt.date, *, channel: str = "letter", due_on: dt.date | None = None
) -> None:
    n = next(_seq)
    conn.execute(
        intake_item.insert().values(
            channel=channel,
            source_file=f"t{n}.csv",
            source_row=n,
            received_at=dt.datetime.combine(day, dt.time(10, 0)),
            petitioner_name="张三",
            due_on=due_on,
            raw="{}",
            case_id=case_id,
            loaded_at=dt.datetime(2023, 1, 1),
        )
    )


def add_progress(conn, case_id: int, day: dt.date, status: str | None = None, **kw) -> None:
    conn.execute(
        case_progress.insert().values(
            case_id=case_id,
            progress_date=day,
            status=status,
            loaded_at=dt.datetime(2023, 1, 1),
            **kw,
        )
    )


def new_case(engine, first: dt.date, **item_kw) -> int:
    with engine.begin() as conn:
        cid = add_case(conn, first)
        add_item(conn, cid, first, **item_kw)
    return cid


def case_row(engine, case_id: int):
    with engine.connect() as conn:
        return conn.execute(sa.select(ledger_case).where(ledger_case.c.case_id == case_id)).one()


def events(engine, case_id: int | None = None) -> list[tuple]:
    q = sa.select(
        escalation_event.c.case_id,
        escalation_event.c.from_tier,
        escalation_event.c.to_tier,
        escalation_event.c.escalated_on,
        escalation_event.c.reason,
    ).order_by(
        escalation_event.c.case_id, escalation_event.c.escalated_on, escalation_event.c.to_tier
    )
    if case_id is not None:
        q = q.where(escalation_event.c.case_id == case_id)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    if case_id is not None:
        return [tuple(r[1:]) for r in rows]
    return [tuple(r) for r in rows]


def notices(engine, case_id: int | None = None) -> list[tuple]:
    q = sa.select(
        notification.c.case_id,
        notification.c.kind,
        notification.c.tier,
        notification.c.created_on,
        notification.c.recipient,
    ).order_by(
        notification.c.case_id, notification.c.created_on, notification.c.kind, notification.c.tier
    )
    if case_id is not None:
        q = q.where(notification.c.case_id == case_id)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    if case_id is not None:
        return [tuple(r[1:]) for r in rows]
    return [tuple(r) for r in rows]


def swept_state(engine) -> tuple:
    """What the sweep derives: every case's lifecycle columns, events and notices."""
    cols = [ledger_case.c.case_id, *(ledger_case.c[c] for c in LIFECYCLE)]
    with engine.connect() as conn:
        ledger = {r[0]: tuple(r[1:]) for r in conn.execute(sa.select(*cols))}
    return ledger, events(engine), notices(engine)


def sweep_from_nothing(engine, as_of: dt.date) -> tuple:
    """The state one sweep over the same facts derives, from nothing (it forgets what
    earlier sweeps wrote and derives every case)."""
    from xinfang import escalation
    from xinfang.schema import case_sweep

    with engine.begin() as conn:
        for t in (notification, escalation_event, case_sweep):
            conn.execute(t.delete())
        conn.exec_driver_sql("DELETE FROM sweep_watermark")
        conn.execute(ledger_case.update().values(tier=1, overdue=False, statutory_overdue=False))
    assert escalation.sweep(engine, as_of)["working_set"] == "all"
    return swept_state(engine)
