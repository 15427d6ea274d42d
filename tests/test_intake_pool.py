"""The intake pool (``xinfang.intake.pool``): files parsed in worker processes, written in
order by the sweep, must leave exactly the tables the serial path leaves, and keep every
guarantee of the serial path (damaged files quarantined beside good ones, concurrent
sweeps loading a file once, a crash leaving nothing half-written)."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import BOTH, _drop_pg_database, _new_pg_database
from intake_helpers import count, drop

from xinfang import db
from xinfang.intake import loader, pool
from xinfang.intake.sweep import run_sweep, sweep_channel

DAY = dt.date(2024, 12, 31)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"
HOTLINE = "工单号,来电时间,来电人,来电号码,涉及案号,通话摘要"
IGNORED = {"loaded_at", "rejected_at"}
"""Columns holding the moment of loading, which differs between two loads."""


def letters(n: int, start: int = 0) -> list[str]:
    return [
        f"2023-07-03,张{i}号,,1380013{i:04d},,(2023)冀1003民初{i}号,,执行款未到位{i}"
        for i in range(start, start + n)
    ]


def csv_text(header: str, rows: list[str]) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def workers(tmp_path, monkeypatch):
    """``set_workers(n)``: the configuration's ``intake.workers`` for what follows."""

    def set_workers(n: int) -> None:
        config = tmp_path / f"intake-{n}.yaml"
        config.write_text(f"intake:\n  settle_seconds: 0\n  workers: {n}\n", encoding="utf-8")
        monkeypatch.setenv("XINFANG_CONFIG", str(config))
        monkeypatch.setattr(pool, "POOL_MIN_BYTES", 0)  # the tests' small files too

    return set_workers


def test_the_pool_starts_only_for_enough_work(tmp_path, monkeypatch):
    small = [tmp_path / "a.csv", tmp_path / "b.csv"]
    for path in small:
        path.write_bytes(b"x" * 1000)
    assert not pool.worth_it(small, 2)  # a replay day's files: loaded in the task itself
    monkeypatch.setattr(pool, "POOL_MIN_BYTES", 2000)
    assert pool.worth_it(small, 2)
    assert not pool.worth_it(small, 1)
    assert not pool.worth_it(small[:1], 2)  # one file not worth splitting
    monkeypatch.setattr(pool, "PART_BYTES", 500)
    assert pool.worth_it(small[:1], 2)


@pytest.fixture
def other_engine(ledger_url, tmp_path, request):
    """A second empty ledger of the same kind as ``engine``'s."""
    if ledger_url.startswith("sqlite"):
        engine = db.make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
        db.upgrade(engine)
        yield engine
        engine.dispose()
        return
    admin = request.getfixturevalue("pg_admin")
    name = _new_pg_database(admin)
    engine = db.make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    db.upgrade(engine)
    yield engine
    engine.dispose()
    _drop_pg_database(admin, name)


def tricky_files(landing: Path) -> None:
    """Letter files that exercise what crosses chunk and part boundaries: blank rows inside
    and at the end, a row repeated within a file, refused rows, a corrected re-drop."""
    body = letters(40)
    body[5] = ",,,,,,,"  # a blank row inside: an empty record
    body[12] = body[11]  # the same row twice in one file: two items, two keys
    body[30] = body[11]
    body[20] = "2031-07-03,王五,,,,,,日期太晚"  # refused: after the run's date
    body[25] = "2023-07-03,赵六,,,,,,多了,一列"
    drop(landing, "letter", "a-week.csv", csv_text(LETTER, [*body, ",,,,,,,", ",,,,,,,"]))
    corrected = [*body[:10], *letters(5, 100)]
    corrected[3] = "2023-07-03,张3号,,13800130003,,(2023)冀1003民初3号,,执行款已到位"
    drop(landing, "letter", "b-again.csv", csv_text(LETTER, corrected).encode("gb18030"))
    drop(landing, "letter", "c-more.csv", csv_text(LETTER, letters(33, 200)))
    drop(landing, "letter", "d-empty.csv", csv_text(LETTER, []))
    drop(landing, "hotline", "h1.csv", csv_text(HOTLINE, ["T1,2023-07-03 09:00,王五,139,,问进度"]))
    drop(landing, "hotline", "h2.csv", csv_text(HOTLINE, ["T1,2023-07-03 09:00,王五,139,,改了"]))


def heldout_files(landing: Path, tmp_path: Path) -> None:
    """An independently written set: every channel, CSV encodings, XLSX, JSON Lines."""
    from heldout.generate import generate

    out = tmp_path / "heldout"
    generate(60, 7, out)
    shutil.copytree(out / "landing", landing, dirs_exist_ok=True)


def table_dump(engine, table: str, order: str) -> list[tuple]:
    with engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
        kept = ", ".join(c for c in columns if c not in IGNORED)
        return [
            tuple(r) for r in conn.execute(sa.text(f"SELECT {kept} FROM {table} ORDER BY {order}"))
        ]


def ledger_dump(engine) -> dict[str, list[tuple]]:
    return {
        "intake_file": table_dump(engine, "intake_file", "file_id"),
        "intake_item": table_dump(engine, "intake_item", "item_id"),
        "intake_reject": table_dump(engine, "intake_reject", "reject_id"),
    }


def folders(landing: Path) -> list[str]:
    return sorted(str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file())


@BOTH
@pytest.mark.parametrize("split", [False, True], ids=["files", "parts"])
def test_pool_leaves_the_tables_of_the_serial_path(
    engine, other_engine, dirs, tmp_path, workers, monkeypatch, split
):
    if split:  # every file in parts, chunks of 7 rows: parts interleave chunk by chunk
        monkeypatch.setattr(pool, "PART_BYTES", 64)
        monkeypatch.setattr(loader, "CHUNK", 7)
    source = tmp_path / "source"
    tricky_files(source)
    heldout_files(source, tmp_path)
    serial_landing, pool_landing = tmp_path / "serial", tmp_path / "pool"
    shutil.copytree(source, serial_landing)
    shutil.copytree(source, pool_landing)

    workers(1)
    serial = run_sweep(engine, serial_landing, DAY)
    workers(2)
    calls = []
    real = pool.sweep_files
    monkeypatch.setattr(pool, "sweep_files", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    pooled = run_sweep(other_engine, pool_landing, DAY)

    assert calls == ["letter", "visit", "online", "hotline", "referral"]  # the pool ran
    assert pooled == serial
    assert serial["items"] > 100 and serial["rejects"] > 0 and serial["already_loaded"] > 0
    assert ledger_dump(other_engine) == ledger_dump(engine)
    assert folders(pool_landing) == folders(serial_landing)


@BOTH
def test_a_damaged_file_among_good_ones_is_quarantined_by_the_pool(engine, dirs, workers):
    workers(2)
    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", csv_text(LETTER, letters(3)))
    drop(landing, "letter", "b-bomb.xlsx", b"PK\x03\x04 not really a workbook" * 10)
    drop(landing, "letter", "c-header.csv", csv_text("日期,姓名", ["2023-07-03,张三"]))
    drop(landing, "letter", "d.csv", csv_text(LETTER, letters(4, 10)))
    os.symlink(landing / "letter/incoming/a.csv", landing / "letter/incoming/e-link.csv")
    results = sweep_channel("letter", engine, day=DAY)
    outcomes = {r.source_file: r.outcome for r in results}
    assert outcomes == {
        "e-link.csv": "quarantined",
        "a.csv": "loaded",
        "b-bomb.xlsx": "quarantined",
        "c-header.csv": "quarantined",
        "d.csv": "loaded",
    }
    assert count(engine, "intake_item") == 7
    reason = (landing / "letter/quarantine/c-header.csv.reason.txt").read_text(encoding="utf-8")
    assert "missing required column" in reason
    assert not list((landing / "letter/incoming").iterdir())


def _sweep_in_a_process(url: str, landing: str, queue) -> None:
    engine = db.make_engine(url)
    try:
        results = sweep_channel("letter", engine, Path(landing), DAY)
        queue.put([(r.source_file, r.outcome, r.items) for r in results])
    except BaseException as exc:  # reported to the test
        queue.put(repr(exc))
    finally:
        engine.dispose()


@BOTH
def test_two_sweeps_in_two_processes_load_each_file_once(engine, ledger_url, dirs, workers):
    workers(2)
    landing = dirs["landing"]
    for n in range(8):
        drop(landing, "letter", f"f{n}.csv", csv_text(LETTER, letters(60, n * 100)))
    # a corrected copy of f0 (same rows, one changed): only the changed row loads
    again = letters(60)
    again[7] = again[7].replace("未到位", "已到位")
    drop(landing, "letter", "g-f0-again.csv", csv_text(LETTER, again))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    sweeps = [ctx.Process(target=_sweep_in_a_process, args=(ledger_url, str(landing), queue))]
    sweeps.append(ctx.Process(target=_sweep_in_a_process, args=(ledger_url, str(landing), queue)))
    for p in sweeps:
        p.start()
    reports = [queue.get(timeout=300) for _ in sweeps]
    for p in sweeps:
        p.join(timeout=60)
    assert all(isinstance(r, list) for r in reports), reports
    loaded = sorted(f for r in reports for f, outcome, _ in r if outcome == "loaded")
    assert loaded == sorted([f"f{n}.csv" for n in range(8)] + ["g-f0-again.csv"])
    assert {o for r in reports for _, o, _ in r} <= {"loaded", "skipped", "duplicate"}
    assert count(engine, "intake_item") == 8 * 60 + 1
    assert count(engine, "intake_file") == 9
    assert len(list((landing / "letter/archive").rglob("*.csv"))) == 9


def _crash_on(names: set[str], how: str):
    real = pool.parse_file

    def parse_file(spec, path, *args, **kwargs):
        if path.name in names:
            if how == "exit":
                os._exit(7)
            raise MemoryError("the reader ran out of memory")
        return real(spec, path, *args, **kwargs)

    return parse_file


@BOTH
def test_a_file_that_kills_its_worker_is_quarantined_and_the_others_load(
    engine, dirs, workers, monkeypatch, caplog
):
    workers(2)
    landing = dirs["landing"]
    for n in range(6):
        drop(landing, "letter", f"f{n}.csv", csv_text(LETTER, letters(20, n * 100)))
    monkeypatch.setattr(pool, "parse_file", _crash_on({"f2.csv"}, "exit"))
    with caplog.at_level(logging.INFO, logger="xinfang"):
        results = sweep_channel("letter", engine, day=DAY)
    assert [(r.source_file, r.outcome) for r in results] == [
        (f"f{n}.csv", "quarantined" if n == 2 else "loaded") for n in range(6)
    ]
    assert count(engine, "intake_item") == 5 * 20
    reason = (landing / "letter/quarantine/f2.csv.reason.txt").read_text(encoding="utf-8")
    assert "exit code 7" in reason
    # written in the order the files were found, each logged with the pace
    with engine.connect() as conn:
        order = conn.execute(sa.text("SELECT source_file FROM intake_file ORDER BY file_id"))
        assert [r[0] for r in order] == ["f0.csv", "f1.csv", "f2.csv", "f3.csv", "f4.csv", "f5.csv"]
    assert any("file 6/6" in r.getMessage() and "rows/s" in r.getMessage() for r in caplog.records)


def test_an_error_in_a_worker_quarantines_that_file_only(engine, dirs, workers, monkeypatch):
    workers(2)
    landing = dirs["landing"]
    for n in range(3):
        drop(landing, "letter", f"f{n}.csv", csv_text(LETTER, letters(5, n * 100)))
    monkeypatch.setattr(pool, "parse_file", _crash_on({"f1.csv"}, "memory"))
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["loaded", "quarantined", "loaded"]
    assert "MemoryError" in results[1].reason
    assert count(engine, "intake_item") == 10


def test_workers_dying_on_every_file_fail_the_task_and_keep_the_files(
    engine, dirs, workers, monkeypatch
):
    workers(2)
    landing = dirs["landing"]
    names = {f"f{n}.csv" for n in range(5)}
    for name in names:
        drop(landing, "letter", name, csv_text(LETTER, letters(3)))
    monkeypatch.setattr(pool, "parse_file", _crash_on(names, "exit"))
    with pytest.raises(RuntimeError, match="not the files"):
        sweep_channel("letter", engine, day=DAY)
    assert count(engine, "intake_item") == 0
    kept = {p.name for p in (landing / "letter/incoming").iterdir()}
    assert len(kept) == 5 - (pool.CRASHES_IN_A_ROW - 1)


def test_worker_count_setting(workers, monkeypatch):
    from xinfang.config import ConfigError, get_config

    workers(3)
    assert pool.worker_count(get_config().intake) == 3
    workers(0)
    assert pool.worker_count(get_config().intake) == len(os.sched_getaffinity(0))
    workers(-1)
    with pytest.raises(ConfigError, match=r"intake\.workers"):
        get_config()


def _sweep_as_daemon(url: str, landing: str, queue) -> None:
    engine = db.make_engine(url)
    try:
        queue.put([r.outcome for r in sweep_channel("letter", engine, Path(landing), DAY)])
    except BaseException as exc:  # reported to the test
        queue.put(repr(exc))
    finally:
        engine.dispose()


def test_a_daemonic_process_loads_without_workers(engine, ledger_url, dirs, workers):
    workers(2)
    landing = dirs["landing"]
    for n in range(3):
        drop(landing, "letter", f"f{n}.csv", csv_text(LETTER, letters(4, n * 100)))
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_sweep_as_daemon, args=(ledger_url, str(landing), queue))
    process.daemon = True
    process.start()
    assert queue.get(timeout=120) == ["loaded", "loaded", "loaded"]
    process.join(timeout=30)
    assert count(engine, "intake_item") == 12
