"""Small files committed together (``loader.ChannelWriter``, issue 18): one transaction
for a group of files, each in a SAVEPOINT, the files moved only after the commit.

A hostile file in a group is rolled back alone and quarantined while the others commit;
a crash before the group's commit leaves every file of it in ``incoming/`` and nothing in
the ledger; the rerun loads them once; a byte-identical re-drop within the group is a
duplicate; a large file keeps a transaction of its own.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowTaskTerminated
from conftest import BOTH
from intake_helpers import count, drop

from xinfang.intake import loader, pool
from xinfang.intake.sweep import sweep_channel

DAY = dt.date(2023, 7, 3)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"
TABLES = {"intake_file": "file_id", "intake_item": "item_id", "intake_reject": "reject_id"}
IGNORED = {"loaded_at", "rejected_at"}


def letters(n: int, start: int = 0) -> str:
    rows = [
        f"2023-07-03,张{i}号,,1380013{i:04d},,(2023)冀1003民初{i}号,,执行款未到位{i}"
        for i in range(start, start + n)
    ]
    return "\n".join([LETTER, *rows]) + "\n"


def dump(engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as conn:
        for table, order in TABLES.items():
            columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
            kept = ", ".join(c for c in columns if c not in IGNORED)
            rows = conn.execute(sa.text(f"SELECT {kept} FROM {table} ORDER BY {order}"))
            out[table] = [tuple(r) for r in rows]
    return out


def files_in(landing, folder: str) -> list[str]:
    return sorted(p.name for p in (landing / "letter" / folder).rglob("*") if p.is_file())


@pytest.fixture
def commits(engine):
    """The transactions committed on ``engine`` from here on (one per group)."""
    seen: list[int] = []
    listener = lambda conn: seen.append(1)  # noqa: E731
    sa.event.listen(engine, "commit", listener)
    yield seen
    sa.event.remove(engine, "commit", listener)


@pytest.fixture(params=[1, 2], ids=["serial", "pool"])
def workers(request, tmp_path, monkeypatch):
    """Both write paths: the sweep reading files itself, and the parsing pool."""
    config = tmp_path / "intake.yaml"
    config.write_text(
        f"intake:\n  settle_seconds: 0\n  workers: {request.param}\n", encoding="utf-8"
    )
    monkeypatch.setenv("XINFANG_CONFIG", str(config))
    monkeypatch.setattr(pool, "POOL_MIN_BYTES", 0)
    return request.param


@BOTH
def test_small_files_share_one_commit_a_large_one_has_its_own(engine, dirs, commits, monkeypatch):
    landing = dirs["landing"]
    for n in range(5):
        drop(landing, "letter", f"f{n}.csv", letters(3, n * 10))
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["loaded"] * 5
    assert len(commits) == 1
    assert count(engine, "intake_item") == 15

    commits.clear()  # a large file between small ones: small, large alone, small
    monkeypatch.setattr(loader, "GROUP_FILE_BYTES", 1000)
    drop(landing, "letter", "g0.csv", letters(3, 100))
    drop(landing, "letter", "g1-large.csv", letters(30, 200))
    drop(landing, "letter", "g2.csv", letters(3, 300))
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["loaded"] * 3
    assert len(commits) == 3


@BOTH
def test_a_group_commits_when_full(engine, dirs, commits, monkeypatch):
    landing = dirs["landing"]
    monkeypatch.setattr(loader, "GROUP_FILES", 2)
    for n in range(5):
        drop(landing, "letter", f"f{n}.csv", letters(3, n * 10))
    sweep_channel("letter", engine, day=DAY)
    assert len(commits) == 3
    commits.clear()
    monkeypatch.setattr(loader, "GROUP_FILES", 100)
    monkeypatch.setattr(loader, "GROUP_ROWS", 5)  # past 5 rows after the second file
    for n in range(5):
        drop(landing, "letter", f"g{n}.csv", letters(3, 100 + n * 10))
    sweep_channel("letter", engine, day=DAY)
    assert len(commits) == 3
    assert count(engine, "intake_item") == 30


@BOTH
def test_a_file_the_database_refuses_is_quarantined_alone_in_its_group(
    engine, dirs, commits, workers, monkeypatch
):
    """A duplicate (file, row) the database refuses in the middle file of a group: that
    file's savepoint is rolled back and it is quarantined; the others commit with it."""
    landing = dirs["landing"]
    for n in range(3):
        drop(landing, "letter", f"f{n}.csv", letters(4, n * 10))
    real = loader.insert_rows

    def doubled(conn, table, rows):
        if table.name == "intake_item" and rows and rows[0]["source_file"] == "f1.csv":
            rows = [*rows, rows[0]]  # the same (file_id, source_row) twice
        return real(conn, table, rows)

    monkeypatch.setattr(loader, "insert_rows", doubled)
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["loaded", "quarantined", "loaded"]
    assert len(commits) == 1
    assert "could not be loaded" in results[1].reason
    assert count(engine, "intake_item") == 8
    with engine.connect() as conn:
        files = conn.execute(
            sa.text("SELECT source_file, status, item_count FROM intake_file ORDER BY file_id")
        ).all()
        reject = conn.execute(sa.text("SELECT source_file, reason FROM intake_reject")).one()
    assert [tuple(f) for f in files] == [
        ("f0.csv", "loaded", 4),
        ("f1.csv", "quarantined", 0),
        ("f2.csv", "loaded", 4),
    ]
    assert reject.source_file == "f1.csv" and "could not be loaded" in reject.reason
    assert files_in(landing, "archive") == ["f0.csv", "f2.csv"]
    assert files_in(landing, "quarantine") == ["f1.csv", "f1.csv.reason.txt"]
    assert files_in(landing, "incoming") == []


@pytest.mark.parametrize("ledger_url", ["postgres"], indirect=True)
def test_a_value_postgres_refuses_quarantines_only_its_file_of_the_group(
    engine, dirs, commits, monkeypatch
):
    from xinfang.intake import checks

    landing = dirs["landing"]
    monkeypatch.setattr(checks, "check_values", lambda *a, **k: None)
    monkeypatch.setattr(checks, "check_typed", lambda *a, **k: None)
    drop(landing, "letter", "a.csv", letters(3))
    body = letters(3, 10).replace("张11号", "王" * 300)
    drop(landing, "letter", "b-long.csv", body)
    drop(landing, "letter", "c.csv", letters(3, 20))
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["loaded", "quarantined", "loaded"]
    assert len(commits) == 1
    assert count(engine, "intake_item") == 6
    reason = (landing / "letter/quarantine/b-long.csv.reason.txt").read_text(encoding="utf-8")
    assert "StringDataRightTruncation" in reason or "DataError" in reason


@BOTH
def test_a_crash_before_the_groups_commit_leaves_every_file_and_no_row(
    engine, dirs, workers, monkeypatch
):
    landing = dirs["landing"]
    names = [f"f{n}.csv" for n in range(4)]
    for n, name in enumerate(names):
        drop(landing, "letter", name, letters(5, n * 10))
    drop(landing, "letter", "g-again.csv", letters(5, 0))  # identical to f0: a duplicate
    drop(landing, "letter", "h-bad.csv", "日期,姓名\n2023-07-03,张三\n")  # quarantined

    def killed(conn):  # every file COPY'd, the worker stopped before the commit
        raise AirflowTaskTerminated("worker killed")

    sa.event.listen(engine, "commit", killed)
    try:
        with pytest.raises(AirflowTaskTerminated):
            sweep_channel("letter", engine, day=DAY)
    finally:
        sa.event.remove(engine, "commit", killed)
    for table in TABLES:
        assert count(engine, table) == 0
    assert files_in(landing, "incoming") == [*names, "g-again.csv", "h-bad.csv"]
    assert files_in(landing, "archive") == files_in(landing, "quarantine") == []

    results = sweep_channel("letter", engine, day=DAY)
    outcomes = [r.outcome for r in results]
    assert outcomes == ["loaded"] * 4 + ["duplicate", "quarantined"]
    assert count(engine, "intake_item") == 20
    before = dump(engine)
    drop(landing, "letter", "f0.csv", letters(5, 0))  # dropped again after all
    assert [r.outcome for r in sweep_channel("letter", engine, day=DAY)] == ["duplicate"]
    assert sweep_channel("letter", engine, day=DAY) == []
    assert dump(engine) == before
    assert files_in(landing, "incoming") == []


@BOTH
def test_a_crash_in_a_later_file_rolls_back_the_files_before_it(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    for n in range(3):
        drop(landing, "letter", f"f{n}.csv", letters(5, n * 10))
    real = loader.insert_rows

    def dies_on_f2(conn, table, rows):
        if table.name == "intake_item" and rows and rows[0]["source_file"] == "f2.csv":
            raise AirflowTaskTerminated("worker killed")
        return real(conn, table, rows)

    monkeypatch.setattr(loader, "insert_rows", dies_on_f2)
    with pytest.raises(AirflowTaskTerminated):
        sweep_channel("letter", engine, day=DAY)
    assert count(engine, "intake_item") == count(engine, "intake_file") == 0
    assert files_in(landing, "incoming") == ["f0.csv", "f1.csv", "f2.csv"]
    monkeypatch.setattr(loader, "insert_rows", real)
    assert [r.outcome for r in sweep_channel("letter", engine, day=DAY)] == ["loaded"] * 3
    assert count(engine, "intake_item") == 15


@BOTH
def test_a_crash_after_the_commit_the_rerun_only_moves_the_files(engine, dirs, monkeypatch):
    landing = dirs["landing"]
    for n in range(3):
        drop(landing, "letter", f"f{n}.csv", letters(5, n * 10))
    archive = loader.landing.archive
    moved: list[str] = []

    def unplugged_after_one(path, *args, **kwargs):
        if moved:
            raise OSError("disk unplugged")
        moved.append(path.name)
        return archive(path, *args, **kwargs)

    monkeypatch.setattr(loader.landing, "archive", unplugged_after_one)
    with pytest.raises(OSError):
        sweep_channel("letter", engine, day=DAY)
    monkeypatch.setattr(loader.landing, "archive", archive)
    assert count(engine, "intake_item") == 15
    before = dump(engine)
    results = sweep_channel("letter", engine, day=DAY)
    assert [(r.source_file, r.outcome) for r in results] == [
        ("f1.csv", "duplicate"),
        ("f2.csv", "duplicate"),
    ]
    assert dump(engine) == before
    assert files_in(landing, "archive") == ["f0.csv", "f1.csv", "f2.csv"]


@BOTH
def test_a_byte_identical_redrop_within_the_group_is_a_duplicate(engine, dirs, commits, workers):
    landing = dirs["landing"]
    drop(landing, "letter", "a.csv", letters(4))
    drop(landing, "letter", "b-copy.csv", letters(4))
    drop(landing, "letter", "c.csv", letters(2, 50))
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["loaded", "duplicate", "loaded"]
    assert len(commits) == 1
    assert count(engine, "intake_item") == 6 and count(engine, "intake_file") == 2
    assert files_in(landing, "archive") == ["a.csv", "b-copy.csv", "c.csv"]


@BOTH
def test_a_file_identical_to_one_quarantined_in_the_group_follows_it(engine, dirs):
    landing = dirs["landing"]
    bad = "日期,姓名\n2023-07-03,张三\n"
    drop(landing, "letter", "a-bad.csv", bad)
    drop(landing, "letter", "b-bad-again.csv", bad)
    drop(landing, "letter", "c.csv", letters(2))
    results = sweep_channel("letter", engine, day=DAY)
    assert [r.outcome for r in results] == ["quarantined", "quarantined", "loaded"]
    assert results[1].reason == "identical to a file quarantined before"
    assert count(engine, "intake_file") == 2
