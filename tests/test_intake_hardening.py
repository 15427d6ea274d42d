"""Hardening of intake (issue 13, docs/channels.md): no file, row or date stops the others.

Each test drops poison beside good files and asserts that the good rows loaded,
nothing was lost (every row is an item or a reject) and nothing counted twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

import pytest
import sqlalchemy as sa
from conftest import BOTH
from intake_helpers import count, drop

from xinfang.intake import landing as landing_mod
from xinfang.intake import loader
from xinfang.intake.sweep import run_sweep, sweep_channel

DAY = dt.date(2023, 7, 3)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"
HOTLINE = "工单号,来电时间,来电人,来电号码,涉及案号,通话摘要"
ID_NUMBER = "110101199003074514"
PHONE = "13812345678"


def letters(n: int, start: int = 0, day: str = "2023-07-03") -> list[str]:
    return [
        f"{day},张{i}号,,1380013{i:04d},,(2023)冀1003民初{i}号,,执行款未到位{i}"
        for i in range(start, start + n)
    ]


def csv_text(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


def rows_of(engine, sql: str) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).all()


@BOTH
def test_value_too_long_and_nul_refuse_the_row_not_the_file(engine, dirs):
    landing = dirs["landing"]
    long_name = "张" * 400
    drop(landing, "letter", "a.csv", csv_text(LETTER, [*letters(2), *letters(1, 5)]))
    body = letters(3, 10)
    body[1] = f"2023-07-03,{long_name},,,,,,名字过长"
    drop(landing, "letter", "b.csv", csv_text(LETTER, body))
    online = [
        {"ticket_id": "W1", "submitted_at": "2023-07-03T09:00:00", "name": "王芳", "content": "好"},
        {
            "ticket_id": "W2",
            "submitted_at": "2023-07-03T09:00:00",
            "name": "李\u0000强",
            "content": "x",
        },
        {"ticket_id": "W3", "submitted_at": "2023-07-03T10:00:00", "name": "赵六", "content": "坏"},
    ]
    drop(landing, "online", "o.jsonl", "\n".join(json.dumps(o) for o in online) + "\n")
    summary = run_sweep(engine, day=DAY)
    assert summary["quarantined"] == 0
    assert summary["items"] == 3 + 2 + 2 and summary["rejects"] == 2
    reasons = {r.source_file: r for r in rows_of(engine, "SELECT * FROM intake_reject")}
    assert "400 characters" in reasons["b.csv"].reason and "信访人" in reasons["b.csv"].reason
    assert reasons["b.csv"].source_row == 2
    assert "U+0000" in reasons["o.jsonl"].reason and reasons["o.jsonl"].source_row == 2
    assert count(engine, "intake_item") + count(engine, "intake_reject") == 9


@BOTH
def test_event_dates_out_of_range_are_refused_deadlines_may_lie_ahead(engine, dirs):
    landing = dirs["landing"]
    rows = [*letters(1), *letters(1, 1, day="2003-05-01"), *letters(1, 2, day="2025-07-03")]
    rows += letters(1, 3, day="2023-07-04")  # the run's date plus a day: fine
    drop(landing, "letter", "dates.csv", csv_text(LETTER, rows))
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 2 and summary["rejects"] == 2
    refused = rows_of(engine, "SELECT source_row, reason FROM intake_reject ORDER BY 1")
    assert [r.source_row for r in refused] == [2, 3]
    assert all("登记日期" in r.reason and "plausible range" in r.reason for r in refused)
    assert "2003-05-01" in refused[0].reason


@BOTH
def test_an_unexpected_error_quarantines_that_file_only(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    drop(landing, "letter", "a-good.csv", csv_text(LETTER, letters(2)))
    drop(landing, "letter", "b-bad.csv", csv_text(LETTER, letters(2, 10)))
    drop(landing, "letter", "c-good.csv", csv_text(LETTER, letters(2, 20)))
    drop(
        landing,
        "hotline",
        "h.csv",
        csv_text(HOTLINE, ["T1,2023-07-03 09:00,王五,13900001111,,问进度"]),
    )
    real = loader._load

    def flaky(conn, spec, path, *args):
        if path.name == "b-bad.csv":
            raise MemoryError(f"reader ran out of memory near {ID_NUMBER}")
        return real(conn, spec, path, *args)

    monkeypatch.setattr(loader, "_load", flaky)
    summary = run_sweep(engine, day=DAY)
    assert summary["quarantined"] == 1 and summary["items"] == 5
    reason_file = landing / "letter/quarantine/b-bad.csv.reason.txt"
    text = reason_file.read_text(encoding="utf-8")
    assert "MemoryError" in text and ID_NUMBER not in text and "110101********4514" in text
    assert not list((landing / "letter/incoming").iterdir())


@BOTH
def test_corrected_file_dropped_again_loads_only_new_and_changed_rows(engine, dirs):
    from openpyxl import Workbook

    landing = dirs["landing"]
    original = letters(4)
    drop(landing, "letter", "week.csv", csv_text(LETTER, original))
    assert run_sweep(engine, day=DAY)["items"] == 4
    # the same rows again: GBK with CRLF, under another name
    drop(
        landing,
        "letter",
        "week-gbk.csv",
        csv_text(LETTER, original).replace("\n", "\r\n").encode("gbk"),
    )
    # and as XLSX
    wb = Workbook()
    for line in [LETTER, *original]:
        wb.active.append(line.split(","))
    path = landing / "letter/incoming/week.xlsx"
    wb.save(path)
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 0 and summary["already_loaded"] == 8 and summary["duplicates"] == 0
    # corrected: row 2's content fixed, one row added
    fixed = [*original]
    fixed[1] = fixed[1].replace("执行款未到位1", "执行款未到位1，法官未回电")
    drop(landing, "letter", "week-fixed.csv", csv_text(LETTER, [*fixed, *letters(1, 9)]))
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 2 and summary["already_loaded"] == 3
    assert count(engine, "intake_item") == 6
    items = rows_of(engine, "SELECT item_id, content, corrects_item_id FROM intake_item ORDER BY 1")
    corrected = next(i for i in items if "法官未回电" in i.content)
    assert corrected.corrects_item_id == next(
        i.item_id for i in items if i.content == "执行款未到位1"
    )
    assert next(i for i in items if i.content == "执行款未到位9").corrects_item_id is None
    files = rows_of(engine, "SELECT source_file, known_rows FROM intake_file ORDER BY file_id")
    assert [f.known_rows for f in files] == [0, 4, 4, 3]


@BOTH
def test_corrected_ticket_is_linked_by_its_number(engine, dirs):
    landing = dirs["landing"]
    rows = ["T1,2023-07-03 09:00,王五,13900001111,,问执行进度", "T2,2023-07-03 10:00,赵六,,,投诉"]
    drop(landing, "hotline", "h1.csv", csv_text(HOTLINE, rows))
    run_sweep(engine, day=DAY)
    drop(
        landing,
        "hotline",
        "h2.csv",
        csv_text(HOTLINE, [rows[0], "T2,2023-07-03 10:00,赵六,,,投诉法官"]),
    )
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 1 and summary["already_loaded"] == 1
    first, fix = rows_of(
        engine,
        "SELECT item_id, corrects_item_id FROM intake_item WHERE external_id = 'T2' ORDER BY 1",
    )
    assert fix.corrects_item_id == first.item_id


@BOTH
def test_equal_rows_within_one_file_stay_two_items(engine, dirs):
    landing = dirs["landing"]
    row = letters(1)[0]
    drop(landing, "letter", "twice.csv", csv_text(LETTER, [row, row]))
    assert run_sweep(engine, day=DAY)["items"] == 2
    drop(landing, "letter", "twice-again.csv", csv_text(LETTER, [row, row, row]))
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 1 and summary["already_loaded"] == 2


@BOTH
def test_progress_rows_dropped_again_are_not_applied_twice(engine, dirs):
    from xinfang.ledger import assign_cases

    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", csv_text(LETTER, letters(1)))
    run_sweep(engine, day=DAY)
    assign_cases(engine)
    ledger_no = rows_of(engine, "SELECT ledger_no FROM ledger_case")[0][0]
    header = "台账编号,日期,办理进展,状态,处置类别"
    body = f"{ledger_no},2023-07-03,电话联系信访人{PHONE},办理中,\n"
    drop(landing, "progress", "p1.csv", header + "\n" + body)
    drop(landing, "progress", "p2.csv", header + "\r\n" + body.replace("\n", "\r\n"))
    results = sweep_channel("progress", engine, day=DAY)
    assert [r.items for r in results] == [1, 0] and [r.known for r in results] == [0, 1]
    note, masked = rows_of(engine, "SELECT note, note_masked FROM case_progress")[0]
    assert PHONE in note and PHONE not in masked and "138****5678" in masked


def test_a_file_still_changing_is_left_for_the_next_sweep(tmp_path):
    done = tmp_path / "done.csv"
    growing = tmp_path / "growing.csv"
    done.write_text("a\n")
    growing.write_text("a\n")

    def copy_goes_on(seconds: float) -> None:
        assert 0 < seconds <= 2
        with growing.open("a") as f:
            f.write("more rows\n")

    ready, changing = landing_mod.settled([done, growing], 2, sleep=copy_goes_on)
    assert ready == [done] and changing == [growing]
    ready, changing = landing_mod.settled([done, growing], 2, sleep=lambda s: None)
    assert sorted(ready) == [done, growing] and changing == []


@BOTH
def test_partial_copies_and_links_are_never_read(engine, dirs, tmp_path):
    landing = dirs["landing"]
    drop(landing, "letter", "good.csv", csv_text(LETTER, letters(2)))
    drop(landing, "letter", "copying.csv.part", csv_text(LETTER, letters(5, 10)))
    secret = tmp_path / "outside.csv"
    secret.write_text(csv_text(f"{ID_NUMBER},{PHONE}", letters(1, 30)), encoding="utf-8")
    (landing / "letter/incoming/link.csv").symlink_to(secret)
    (landing / "letter/incoming/folder.csv").mkdir()
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 2 and summary["quarantined"] == 2
    quarantine = landing / "letter/quarantine"
    assert (quarantine / "link.csv").is_symlink()  # the link moved, not its target
    assert secret.exists()
    reason = (quarantine / "link.csv.reason.txt").read_text(encoding="utf-8")
    assert "symbolic link" in reason and ID_NUMBER not in reason
    assert (landing / "letter/incoming/copying.csv.part").exists()
    assert count(engine, "intake_item") == 2


@BOTH
def test_no_full_id_or_phone_in_reasons_logs_or_reason_files(engine, dirs, caplog):
    landing = dirs["landing"]
    headless = f"2023-07-03,张伟,{ID_NUMBER},{PHONE},,,,执行款\n"
    drop(landing, "letter", "no-header.csv", headless)
    bad_date = f"2023-13-45,李强,{ID_NUMBER},{PHONE},,,,日期错\n"
    drop(landing, "letter", "bad-date.csv", LETTER + "\n" + bad_date + letters(1)[0] + "\n")
    with caplog.at_level(logging.INFO):
        summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 1 and summary["quarantined"] == 1
    texts = [r.reason for r in rows_of(engine, "SELECT reason FROM intake_reject")]
    texts += [p.read_text(encoding="utf-8") for p in (landing / "letter/quarantine").glob("*.txt")]
    texts += [r.getMessage() for r in caplog.records]
    assert any("110101********4514" in t for t in texts)
    for text in texts:
        assert ID_NUMBER not in text and PHONE not in text


@BOTH
def test_two_sweeps_of_one_channel_at_once(engine, dirs):
    landing = dirs["landing"]
    for n in range(6):
        drop(landing, "letter", f"f{n}.csv", csv_text(LETTER, letters(50, n * 100)))
    results: dict[str, list] = {}
    errors: list[BaseException] = []

    def sweep(name: str) -> None:
        try:
            results[name] = sweep_channel("letter", engine, day=DAY)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(engine, "intake_item") == 300
    loaded = [r for rs in results.values() for r in rs if r.outcome == "loaded"]
    assert sorted(r.source_file for r in loaded) == [f"f{n}.csv" for n in range(6)]
    assert {r.outcome for rs in results.values() for r in rs} <= {"loaded", "skipped", "duplicate"}
    assert len(list((landing / "letter/archive").rglob("*.csv"))) == 6


def test_a_file_archived_by_another_sweep_after_its_load_still_counts(engine, dirs, monkeypatch):
    # the race the test above can hit: this sweep loads and commits the file, another
    # sweep sees it loaded and archives it as identical before this one moves it
    landing = dirs["landing"]
    drop(landing, "letter", "f.csv", csv_text(LETTER, letters(5)))
    archive = landing_mod.archive

    def archived_by_the_other_sweep(path, *args, **kwargs):
        archive(path, *args, **kwargs)
        raise FileNotFoundError(path)

    monkeypatch.setattr(landing_mod, "archive", archived_by_the_other_sweep)
    (result,) = sweep_channel("letter", engine, day=DAY)
    assert result.outcome == "loaded" and result.items == 5 and result.moved_to is None
    assert count(engine, "intake_item") == 5


@pytest.mark.parametrize("ledger_url", ["postgres"], indirect=True)
def test_database_errors_quarantine_the_file_on_postgres(engine, dirs, monkeypatch):
    """A value PostgreSQL refuses that the checks let through still stops only its file."""
    from xinfang.intake import checks

    landing = dirs["landing"]
    monkeypatch.setattr(checks, "check_values", lambda *a, **k: None)
    monkeypatch.setattr(checks, "check_typed", lambda *a, **k: None)
    body = letters(2)
    body[0] = f"2023-07-03,{'王' * 300},,,,,,太长"
    drop(landing, "letter", "a.csv", csv_text(LETTER, body))
    drop(landing, "letter", "b.csv", csv_text(LETTER, letters(3, 10)))
    summary = run_sweep(engine, day=DAY)
    assert summary["quarantined"] == 1 and summary["items"] == 3
    reason = (landing / "letter/quarantine/a.csv.reason.txt").read_text(encoding="utf-8")
    assert "StringDataRightTruncation" in reason or "DataError" in reason


@BOTH
def test_a_json_line_in_no_encoding_is_refused_even_the_first(engine, dirs):
    """JSON Lines has no header line: an undecodable first line is a refused row."""
    good = [
        json.dumps(
            {
                "ticket_id": f"W{n}",
                "submitted_at": "2023-07-03T09:00:00",
                "name": "王芳",
                "content": f"诉求{n}",
            },
            ensure_ascii=False,
        ).encode()
        for n in range(4)
    ]
    data = b"\n".join([b'{"name": "\xff\xfe"}', *good]) + b"\n"
    drop(dirs["landing"], "online", "o.jsonl", data)
    summary = run_sweep(engine, day=DAY)
    assert summary["quarantined"] == 0 and summary["items"] == 4 and summary["rejects"] == 1
    assert rows_of(engine, "SELECT source_row FROM intake_reject")[0][0] == 1


@BOTH
def test_numbers_typed_into_names_are_masked(engine, dirs):
    """A name reaches every analyst view: an ID or phone typed into it is masked there."""
    from xinfang.ledger import assign_cases

    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", csv_text(LETTER, [f"2023-07-03,张伟 {ID_NUMBER},,,,,,执行款"]))
    run_sweep(engine, day=DAY)
    assign_cases(engine)
    ledger_no = rows_of(engine, "SELECT ledger_no FROM ledger_case")[0][0]
    header = "台账编号,日期,办理进展,状态,承办法官"
    drop(
        landing,
        "progress",
        "p.csv",
        f"{header}\n{ledger_no},2023-07-03,已联系,办理中,李法官{PHONE}\n",
    )
    sweep_channel("progress", engine, day=DAY)
    name, raw = rows_of(engine, "SELECT petitioner_name, raw FROM intake_item")[0]
    judge = rows_of(engine, "SELECT judge FROM case_progress")[0][0]
    assert ID_NUMBER not in name and "110101********4514" in name
    assert ID_NUMBER in raw  # the record as received is kept
    assert judge == "李法官138****5678"
