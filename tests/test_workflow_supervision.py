"""督办 (docs/progress.md): a case neither closed nor replied by its supervision deadline is
flagged and noticed once, to its court's leader tier.

Hand-derived, deadline Thursday 20 July 2023: on the 20th nothing yet; from the 21st
the unanswered cases are flagged and each has one ``supervision`` notice dated the
21st; a reply on the 19th answers it, a reply on the 22nd does not; a case closed
on the 25th keeps its notice and loses its flag.
"""

from __future__ import annotations

import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_case, add_item, add_progress, case_row, notices

from xinfang import escalation
from xinfang.progress import apply_progress

DUE = D("2023-07-20")
FIRST = D("2023-07-03")
# case -> the progress rows after the supervision notice (day, extra columns)
CASES = {
    "silent": [],
    "replied_in_time": [("2023-07-19", {"replied_on": D("2023-07-19")})],
    "replied_late": [("2023-07-22", {"replied_on": D("2023-07-22")})],
    "closed_later": [("2023-07-25", {"status": "closed", "disposition": "resolved"})],
    "closed_in_time": [("2023-07-18", {"status": "closed", "disposition": "resolved"})],
    "led": [("2023-07-06", {"leader": "李副院长"})],
}


def _load(engine) -> dict[str, int]:
    ids = {}
    with engine.begin() as conn:
        for name, rows in CASES.items():
            case_id = add_case(conn, FIRST)
            add_item(conn, case_id, FIRST)
            add_progress(
                conn, case_id, D("2023-07-05"), supervision_unit="市中院", supervision_due_on=DUE
            )
            for day, columns in rows:
                given = dict(columns)
                add_progress(conn, case_id, D(day), given.pop("status", None), **given)
            ids[name] = case_id
        apply_progress(conn)
    return ids


def _state(engine, ids):
    flags = {name: bool(case_row(engine, cid).supervision_overdue) for name, cid in ids.items()}
    sent = {
        name: [n for n in notices(engine, cid) if n[0] == "supervision"]
        for name, cid in ids.items()
    }
    return flags, sent


@BOTH
def test_unanswered_supervision_is_flagged_and_noticed_once(engine):
    ids = _load(engine)
    escalation.sweep(engine, DUE)
    flags, sent = _state(engine, ids)
    assert not any(flags.values()) and not any(sent.values())

    for day in ("2023-07-21", "2023-07-24", "2023-07-31"):
        escalation.sweep(engine, D(day))
    flags, sent = _state(engine, ids)
    assert flags == {
        "silent": True,
        "replied_in_time": False,
        "replied_late": True,
        "closed_later": False,
        "closed_in_time": False,
        "led": True,
    }
    on = D("2023-07-21")
    assert sent == {
        "silent": [("supervision", 4, on, "分管院领导")],
        "replied_in_time": [],
        "replied_late": [("supervision", 4, on, "分管院领导")],
        "closed_later": [("supervision", 4, on, "分管院领导")],
        "closed_in_time": [],
        "led": [("supervision", 4, on, "李副院长")],
    }
    with engine.connect() as conn:
        shown = conn.execute(
            sa.text("SELECT case_id FROM v_overdue_cases WHERE supervision_overdue")
        ).scalars()
        assert sorted(shown) == sorted(ids[n] for n in ("silent", "replied_late", "led"))


@BOTH
def test_sweeping_once_gives_the_same(engine):
    ids = _load(engine)
    escalation.sweep(engine, D("2023-07-31"))
    flags, sent = _state(engine, ids)
    assert [n for n, f in flags.items() if f] == ["silent", "replied_late", "led"]
    assert [n for n, s in sent.items() if s] == ["silent", "replied_late", "closed_later", "led"]


@BOTH
def test_supervision_notices_count_in_the_notification_tables_growth(engine, monkeypatch):
    """The sweep re-ANALYZEs a table it grew by a good part; the supervision notices are
    rows of ``notification`` too (a day with very many of them planned on stale figures)."""
    ids = _load(engine)
    grown: list[dict[str, int]] = []
    monkeypatch.setattr(escalation, "_analyze_grown", lambda ctx, g: grown.append(g))
    out = escalation.sweep(engine, D("2023-07-21"))
    assert (
        out["supervision_notices"]
        == 4
        == len([n for cid in ids.values() for n in notices(engine, cid) if n[0] == "supervision"])
    )
    if engine.dialect.name == "postgresql":
        assert grown == [
            {
                "escalation_event": out["events_inserted"],
                "notification": out["notifications_inserted"] + 4,
                "case_sweep": grown[0]["case_sweep"],
            }
        ]
