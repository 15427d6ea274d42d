"""The landing-zone lifecycle of docs/channels.md and the all-or-nothing file load."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowTaskTerminated
from conftest import BOTH
from intake_helpers import count, drop

from xinfang.intake import loader
from xinfang.intake.sweep import run_sweep, sweep_channel

DAY = dt.date(2023, 7, 3)
HEADER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"


def letter_csv(n: int, start: int = 0) -> str:
    rows = [
        f"2023-07-03,张{i}号,,1380013{i:04d},,(2023)冀1003民初{i}号,,执行款未到位{i}"
        for i in range(start, start + n)
    ]
    return "\n".join([HEADER, *rows]) + "\n"


@BOTH
def test_loaded_file_is_archived_and_identical_redrop_loads_nothing(engine, dirs):
    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", letter_csv(3))
    assert run_sweep(engine, day=DAY)["items"] == 3
    assert (landing / "letter/archive/2023-07-03/a.csv").exists()
    assert not list((landing / "letter/incoming").iterdir())

    drop(landing, "letter", "a-again.csv", letter_csv(3))
    summary = run_sweep(engine, day=DAY)
    assert summary["duplicates"] == 1 and summary["items"] == 0
    assert count(engine, "intake_item") == 3
    # nothing deleted: the re-drop sits in the archive too
    assert (landing / "letter/archive/2023-07-03/a-again.csv").exists()


@BOTH
def test_same_name_different_content_is_archived_beside_not_over(engine, dirs):
    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", letter_csv(2))
    run_sweep(engine, day=DAY)
    drop(landing, "letter", "a.csv", letter_csv(2, start=10))
    run_sweep(engine, day=DAY)
    archived = sorted(p.name for p in (landing / "letter/archive/2023-07-03").iterdir())
    assert archived == ["a.1.csv", "a.csv"]
    assert count(engine, "intake_item") == 4


@BOTH
def test_unreadable_file_is_quarantined_with_reason(engine, dirs):
    landing = dirs["landing"]
    drop(landing, "letter", "broken.xlsx", b"PK\x03\x04 this is not a workbook")
    drop(landing, "letter", "garbage.csv", bytes(range(256)) * 4)
    drop(landing, "letter", "letter.pdf", b"%PDF-1.4")
    summary = run_sweep(engine, day=DAY)
    assert summary["quarantined"] == 3
    quarantine = landing / "letter/quarantine"
    for name in ("broken.xlsx", "garbage.csv", "letter.pdf"):
        assert (quarantine / name).exists()
        reason = (quarantine / f"{name}.reason.txt").read_text(encoding="utf-8")
        assert name in reason and len(reason) > 30
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT source_file, source_row, reason FROM intake_reject ORDER BY source_file"
            )
        ).all()
    assert [r.source_file for r in rows] == ["broken.xlsx", "garbage.csv", "letter.pdf"]
    assert all(r.source_row is None for r in rows)
    assert "takes CSV, XLSX" in rows[2].reason


@BOTH
def test_missing_required_column_quarantines_and_names_the_column(engine, dirs):
    landing = dirs["landing"]
    drop(landing, "letter", "nocontent.csv", "登记日期,信访人\n2023-07-03,张伟\n")
    run_sweep(engine, day=DAY)
    reason = (landing / "letter/quarantine/nocontent.csv.reason.txt").read_text(encoding="utf-8")
    assert "信访内容" in reason
    assert count(engine, "intake_item") == 0


@BOTH
def test_bad_rows_are_rejected_and_the_rest_loads(engine, dirs):
    landing = dirs["landing"]
    body = "\n".join(
        [
            HEADER,
            "2023-07-03,张伟,,13800138000,,,,执行款未到位",
            "2023-02-30,李强,,,,,,日期不存在",
            ",,,,,,,",
            ",,,,,,,",
            "2023-07-04,,,,,,,",
            "2023-07-04,王芳,,,,,,拖延审理",
            ",,,,,,,",
        ]
    )
    drop(landing, "letter", "mixed.csv", body + "\n")
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 2
    with engine.connect() as conn:
        rejects = conn.execute(
            sa.text("SELECT source_row, reason, raw FROM intake_reject ORDER BY source_row")
        ).all()
    assert [r.source_row for r in rejects] == [2, 3, 4, 5]
    assert "2023-02-30" in rejects[0].reason
    assert rejects[1].reason.startswith("empty row")
    assert "nothing to register" in rejects[3].reason
    assert json.loads(rejects[0].raw)["信访人"] == "李强"  # the record as received is kept


@BOTH
def test_crash_mid_file_leaves_nothing_and_rerun_loads_once(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    drop(landing, "letter", "big.csv", letter_csv(25))
    monkeypatch.setattr(loader, "CHUNK", 10)
    calls = {"n": 0}
    real_insert = loader.insert_rows

    def failing_insert(conn, table, rows):
        if table.name == "intake_item":
            calls["n"] += 1
            if calls["n"] == 2:
                raise AirflowTaskTerminated("worker killed")
        return real_insert(conn, table, rows)

    monkeypatch.setattr(loader, "insert_rows", failing_insert)
    with pytest.raises(AirflowTaskTerminated):
        sweep_channel("letter", engine, day=DAY)
    monkeypatch.setattr(loader, "insert_rows", real_insert)
    assert count(engine, "intake_item") == 0
    assert count(engine, "intake_file") == 0
    assert (landing / "letter/incoming/big.csv").exists()

    sweep_channel("letter", engine, day=DAY)
    sweep_channel("letter", engine, day=DAY)
    assert count(engine, "intake_item") == 25


@BOTH
def test_crash_after_commit_before_move_rerun_only_archives(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", letter_csv(4))

    def no_move(*args, **kwargs):
        raise OSError("disk unplugged")

    real_archive = loader.landing.archive
    monkeypatch.setattr(loader.landing, "archive", no_move)
    with pytest.raises(OSError):
        sweep_channel("letter", engine, day=DAY)
    monkeypatch.setattr(loader.landing, "archive", real_archive)
    assert count(engine, "intake_item") == 4
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["duplicate"]
    assert count(engine, "intake_item") == 4
    assert (landing / "letter/archive/2023-07-03/a.csv").exists()


def test_xlsx_rows_date_cells_and_trailing_blank_rows(engine, dirs):
    """Excel date cells and digits typed as numbers read as values; a blank row between
    records is an empty record, blank (formatted) rows after the last record are not."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append([dt.datetime(2023, 7, 3, 9, 30), "张伟", 110101199003071234, 13800138000, None, None, None, "执行款未到位"])  # fmt: skip
    ws.append([None] * 8)
    ws.append([dt.date(2023, 7, 4), "李强", None, "138 0013 8001", None, None, None, "拖延审理"])
    for row in range(5, 9):  # formatting without values, as Excel leaves it
        ws.cell(row=row, column=1).number_format = "yyyy-mm-dd"
        ws.cell(row=row, column=2).value = ""
    path = dirs["landing"] / "letter" / "incoming" / "sheet.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 2
    with engine.connect() as conn:
        items = conn.execute(
            sa.text("SELECT source_row, received_at, phone, raw FROM intake_item ORDER BY 1")
        ).all()
        rejects = conn.execute(sa.text("SELECT source_row, reason FROM intake_reject")).all()
    assert [r.source_row for r in items] == [1, 3]
    assert str(items[0].received_at)[:16] == "2023-07-03 09:30"
    assert str(items[1].received_at)[:10] == "2023-07-04"
    assert [r.phone for r in items] == ["13800138000", "13800138001"]
    assert json.loads(items[0].raw)["信访人"] == "张伟"
    assert [(r.source_row, r.reason.split(":")[0]) for r in rejects] == [(2, "empty row")]


def test_collector_resumes_after_a_load_and_a_failed_one(engine, dirs, monkeypatch):
    """The loader pauses the garbage collector per file; it must always come back on."""
    import gc

    landing = dirs["landing"]
    drop(landing, "letter", "ok.csv", letter_csv(3))
    run_sweep(engine, day=DAY)
    assert gc.isenabled()

    def boom(*args, **kwargs):
        raise sa.exc.OperationalError("COPY", {}, Exception("server closed the connection"))

    monkeypatch.setattr(loader, "insert_rows", boom)
    drop(landing, "letter", "again.csv", letter_csv(3, start=10))
    with pytest.raises(sa.exc.OperationalError):
        sweep_channel("letter", engine, day=DAY)
    assert gc.isenabled()
