"""Migration 0006 on a populated ledger: progress rows giving a workflow value re-keyed.

The ledger is loaded by the loader as it was before 0006 (keys over the 11 original
values), then upgraded: the rows giving a 受理日期 or 满意度 get the keys the loader gives
them now, so their files dropped again load nothing; the other rows, a staff case action
(no key) and a row changed since it was keyed keep theirs; downgrade gives the old keys
back, and upgrading again the new ones.

The files, for one case: A has a plain row ``a2`` and the same row with a 满意度 ``a3``
(old occurrences 1 and 2 of one text, new: two texts, each the first), and two equal rated
rows ``a4``/``a5``; B is A again plus ``b1`` (the plain row with another rating: old
occurrence 3, after A's two rows recognised as loaded; new: the first) and a third ``a4``
(``b2``: old and new occurrence 3). D is A with a1's 受理日期 fixed, which the old keys
took as loaded (the bug): dropped again after the upgrade, the fixed row loads.
"""

from __future__ import annotations

import datetime as dt
import importlib.util

import sqlalchemy as sa
from conftest import BOTH
from intake_helpers import drop
from migration_helpers import downgrade_to

from xinfang import db
from xinfang.intake import loader
from xinfang.intake.rowkey import PROGRESS_FIELDS, WORKFLOW_FIELDS, row_key
from xinfang.intake.sweep import run_sweep, sweep_channel
from xinfang.ledger import assign_cases
from xinfang.schema import case_progress
from xinfang.sql import MIGRATIONS_DIR

DAY = dt.date(2023, 8, 1)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容\n"
LETTER_ROW = "2023-07-03,张伟,110101199003074514,13812345678,,(2023)冀1003民初1号,,执行款未到位\n"
HEADER = "台账编号,日期,办理进展,状态,受理日期,满意度\n"
A_ROWS = {
    "a1": "{no},2023-07-05,受理告知,办理中,2023-07-05,",
    "a2": "{no},2023-07-20,,办理中,,",
    "a3": "{no},2023-07-20,,办理中,,满意",
    "a4": "{no},2023-07-21,回访,办理中,,基本满意",
    "a5": "{no},2023-07-21,回访,办理中,,基本满意",
}
B_ROWS = {
    **A_ROWS,
    "b1": "{no},2023-07-20,,办理中,,不满意",
    "b2": "{no},2023-07-21,回访,办理中,,基本满意",
}

D_ROWS = {**A_ROWS, "a1": "{no},2023-07-05,受理告知,办理中,2023-07-06,"}


def _file(rows: dict[str, str], no: str) -> str:
    return HEADER + "".join(r.format(no=no) + "\n" for r in rows.values())


def _load(engine, landing, name: str, data: str | bytes) -> tuple[int, int]:
    drop(landing, "progress", name, data)
    (result,) = sweep_channel("progress", engine, day=DAY)
    assert result.outcome == "loaded", result.reason
    return result.items, result.known


def _rows(engine) -> list[dict]:
    with engine.connect() as conn:
        query = sa.select(case_progress).order_by(case_progress.c.progress_id)
        return [dict(r._mapping) for r in conn.execute(query)]


def _keys(engine) -> dict[int, str | None]:
    return {r["progress_id"]: r["row_key"] for r in _rows(engine)}


def _populate(engine, landing, monkeypatch) -> dict[str, dict]:
    """The ledger at 0005 as the loader before 0006 left it; the rows by their names."""
    downgrade_to(engine, "0005")
    with monkeypatch.context() as patch:
        patch.setattr(loader, "WORKFLOW_FIELDS", ())  # the key over the 11 values only
        drop(landing, "letter", "l.csv", LETTER + LETTER_ROW)
        run_sweep(engine, day=dt.date(2023, 7, 3))
        assign_cases(engine)
        with engine.connect() as conn:
            case_id, no = conn.execute(sa.text("SELECT case_id, ledger_no FROM ledger_case")).one()
        assert _load(engine, landing, "A.csv", _file(A_ROWS, no)) == (5, 0)
        assert _load(engine, landing, "B.csv", _file(B_ROWS, no)) == (2, 5)
        changed = f"{no},2023-07-22,约谈,办理中,,满意\n"
        assert _load(engine, landing, "C.csv", HEADER + changed) == (1, 0)
        # the bug: A with a1's 受理日期 fixed was taken as loaded, the correction lost
        assert _load(engine, landing, "D.csv", _file(D_ROWS, no)) == (0, 5)
    with engine.begin() as conn:
        # a row changed since it was keyed (as a merge moves rows to another case)
        conn.execute(case_progress.update().where(case_progress.c.note == "约谈").values(note="约"))
        conn.execute(  # a staff case action: no file, no key
            case_progress.insert().values(
                case_id=case_id,
                progress_date=dt.date(2023, 7, 25),
                satisfaction="basic",
                loaded_at=dt.datetime(2023, 7, 25, 9),
                origin="admin",
                entered_by="李主任",
            )
        )
    rows = _rows(engine)
    names = [*A_ROWS, "b1", "b2", "c1", "staff"]
    return dict(zip(names, rows, strict=True)) | {"no": no}


@BOTH
def test_upgrade_rekeys_the_rows_giving_a_workflow_value(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    rows = _populate(engine, landing, monkeypatch)
    no = rows.pop("no")
    old = {name: r["row_key"] for name, r in rows.items()}
    # as the old loader numbered them: a3 the second of its 11 values, b1 the third
    assert old["a3"] == row_key(rows["a3"], PROGRESS_FIELDS, 2)
    assert old["b1"] == row_key(rows["b1"], PROGRESS_FIELDS, 3)
    assert old["staff"] is None
    before = _keys(engine)

    db.upgrade(engine)

    after = _keys(engine)
    new = {name: after[r["progress_id"]] for name, r in rows.items()}
    assert {n for n in new if new[n] != old[n]} == {"a1", "a3", "a4", "a5", "b1", "b2"}
    expected = {"a1": 1, "a3": 1, "a4": 1, "a5": 2, "b1": 1, "b2": 3}
    for name, occurrence in expected.items():
        assert new[name] == row_key(rows[name], PROGRESS_FIELDS, occurrence, WORKFLOW_FIELDS)
    assert len(set(after.values())) == len(after)  # no two rows share a key

    # downgrade gives the old keys back, upgrading again the new ones
    downgrade_to(engine, "0005")
    assert _keys(engine) == before
    db.upgrade(engine)
    assert _keys(engine) == after

    # each file dropped again (renamed, GBK, CRLF) with the live loader: nothing new
    for name, source in (("A-again.csv", A_ROWS), ("B-again.csv", B_ROWS)):
        data = _file(source, no).replace("\n", "\r\n").encode("gbk")
        assert _load(engine, landing, name, data) == (0, len(source))
    # the lost correction, re-saved and dropped again, loads now
    data = _file(D_ROWS, no).replace("\n", "\r\n").encode("gbk")
    assert _load(engine, landing, "D-again.csv", data) == (1, 4)


@BOTH
def test_a_ledger_without_workflow_values_keeps_every_key(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    rows = _populate(engine, landing, monkeypatch)
    with engine.begin() as conn:
        for column in WORKFLOW_FIELDS:
            conn.execute(case_progress.update().values({column: None}))
    before = _keys(engine)
    db.upgrade(engine)
    assert _keys(engine) == before
    assert rows["a2"]["row_key"] == row_key(rows["a2"], PROGRESS_FIELDS, 1, WORKFLOW_FIELDS)


def test_the_frozen_rule_is_the_live_one():
    """The migration's copy of the key rule gives the live module's keys (as of 0006)."""
    path = MIGRATIONS_DIR / "versions" / "0006_progress_keys_workflow.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    frozen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frozen)
    values = {
        "case_id": 3,
        "progress_date": dt.date(2023, 7, 20),
        "note": " 回访  信访人 ",
        "status": "open",
        "is_key": True,
        "hearing_date": None,
    }
    for extra in ({}, {"satisfaction": "basic"}, {"accepted_on": dt.date(2023, 7, 5)}):
        both = {**values, **extra}
        assert frozen.key(frozen.old_text(both), 2) == row_key(both, PROGRESS_FIELDS, 2)
        live = row_key(both, PROGRESS_FIELDS, 2, WORKFLOW_FIELDS)
        assert frozen.key(frozen.new_text(both), 2) == live
