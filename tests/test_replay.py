"""`make run`'s replay gives the same ledger and statistics as the DAGs run by hand.

The replay runs the DAGs in-process (``dag.test``); "by hand" is what an operator
types: ``airflow dags test <dag> <date>`` in a shell, one run after another, on a
second ledger fed the same files.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO

pytestmark = pytest.mark.airflow

DAY = dt.date(2023, 7, 3)
TABLES = {
    "ledger_case": "SELECT ledger_no, court_code, tier, tier_entered_on, status, is_key, item_count,"
    " disposition, closed_on, overdue, statutory_due_on FROM ledger_case ORDER BY ledger_no",
    "intake_item": "SELECT i.channel, i.source_file, i.source_row, c.ledger_no FROM intake_item i"
    " JOIN ledger_case c ON c.case_id = i.case_id ORDER BY 1, 2, 3",
    "escalation_event": "SELECT c.ledger_no, e.from_tier, e.to_tier, e.escalated_on, e.reason"
    " FROM escalation_event e JOIN ledger_case c ON c.case_id = e.case_id ORDER BY 1, 4, 3",
    "notification": "SELECT c.ledger_no, n.kind, n.tier, n.recipient, n.created_on FROM notification n"
    " JOIN ledger_case c ON c.case_id = n.case_id ORDER BY 1, 5, 2, 3",
    "risk_flag": "SELECT c.ledger_no, r.kind, r.detected_on FROM risk_flag r"
    " JOIN ledger_case c ON c.case_id = r.case_id ORDER BY 1, 2, 3",
    "disposition_monthly": "SELECT month, court_code, disposition, case_count"
    " FROM disposition_monthly ORDER BY 1, 2, 3",
}


def run_replay(data_dir: Path, runner: str) -> dict[str, list]:
    """Replay one day in a fresh interpreter with the given DAG runner; return the tables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XINFANG"))}
    env["NO_UI"] = "1"
    code = (
        "import sys, datetime as dt\n"
        "from xinfang_dev import replay\n"
        "replay.prepare(sys.argv[1])\n"
        f"run = replay.in_process_runner(replay.REPO_ROOT / 'dags') if sys.argv[2] == 'in_process' "
        "else replay.cli_runner\n"
        f"replay.replay(dt.date({DAY.year}, {DAY.month}, {DAY.day}), dt.date({DAY.year}, {DAY.month}, {DAY.day}), 120, 5, run)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), runner],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    engine = sa.create_engine(f"sqlite:///{data_dir / 'ledger.sqlite'}")
    with engine.connect() as conn:
        tables = {name: conn.execute(sa.text(sql)).all() for name, sql in TABLES.items()}
    engine.dispose()
    return tables


def test_replay_matches_dags_run_by_hand(tmp_path):
    replayed = run_replay(tmp_path / "replay", "in_process")
    by_hand = run_replay(tmp_path / "by_hand", "cli")
    assert replayed["ledger_case"], "the replay built a ledger"
    assert len(replayed["disposition_monthly"]) == 55
    for name in TABLES:
        assert replayed[name] == by_hand[name], name


def test_a_second_replay_copies_the_metadata_db_the_first_migrated(tmp_path):
    """``airflow db migrate`` runs once per Airflow version and settings: the next replay
    in the same data folder starts from a copy of the empty DB it made (and Airflow's
    config file beside it, as the command would write)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XINFANG"))}
    code = (
        "import sys\n"
        "from unittest import mock\n"
        "from xinfang_dev import replay\n"
        "replay.prepare(sys.argv[1])\n"
        "print(sorted(p.name for p in (replay.Path(sys.argv[1]) / 'cache').iterdir()))\n"
        "with mock.patch.object(replay, '_airflow', side_effect=AssertionError('migrated')):\n"
        "    replay.prepare(sys.argv[1])\n"
    )
    data = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(data)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "airflow-metadata-" in proc.stdout
    (first,) = (data / "previous").iterdir()  # the first replay's metadata, moved aside
    migrated, copied = first / "airflow_home" / "airflow.db", data / "airflow_home" / "airflow.db"
    assert _metadata(copied) == _metadata(migrated)
    assert (data / "airflow_home" / "airflow.cfg").is_file()


def _metadata(path: Path) -> list:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT type, name, sql FROM sqlite_master ORDER BY 2")).all()
        rows = [
            conn.execute(sa.text(f"SELECT * FROM {t}")).all()
            for t in ("alembic_version", "slot_pool")
        ]
        templates = conn.execute(sa.text("SELECT id, filename, elasticsearch_id FROM log_template"))
        rows.append(templates.all())
    engine.dispose()
    return [schema, rows]


def test_metadata_kept_per_airflow_version_and_settings(tmp_path, monkeypatch):
    from xinfang_dev import replay

    for name in [k for k in os.environ if k.startswith("AIRFLOW")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow_home"))
    kept = replay._metadata_template(tmp_path)
    assert kept is not None and kept.parent == tmp_path / "cache"
    monkeypatch.setenv("AIRFLOW__LOGGING__LOG_FILENAME_TEMPLATE", "{{ ti.dag_id }}.log")
    assert replay._metadata_template(tmp_path) not in (None, kept)  # a setting: another DB
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://h/airflow")
    assert replay._metadata_template(tmp_path) is None  # not a SQLite file: always migrated
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "elsewhere"))
    assert replay._metadata_template(tmp_path) is None  # not the replay's own home


def test_fastapi_dependency_analysis_done_once_per_dependency(monkeypatch):
    """With a dependency override, FastAPI re-analyses the route's dependencies at every
    request; in the replay's process that analysis is done once and reused, with the
    same answers (routes are built by FastAPI's own, untouched analysis)."""
    from fastapi import Depends, FastAPI
    from fastapi.dependencies import utils
    from fastapi.testclient import TestClient

    from xinfang_dev import replay

    analysed: list[str] = []
    original = utils.get_dependant

    def counting(**kwargs):
        analysed.append(getattr(kwargs["call"], "__name__", "?"))
        return original(**kwargs)

    monkeypatch.setattr(utils, "get_dependant", counting)
    replay._dependency_analysis_cached()
    replay._dependency_analysis_cached()  # a second call keeps the one cache

    def token() -> str:
        return "real"

    def user(tok: str = Depends(token)) -> str:
        return f"user of {tok}"

    app = FastAPI()

    @app.get("/who/{n}")
    def who(n: int, u: str = Depends(user)) -> dict:
        return {"n": n, "u": u}

    app.dependency_overrides[token] = lambda: "override"
    client = TestClient(app)
    before = len(analysed)
    assert client.get("/who/0").json() == {"n": 0, "u": "user of override"}
    first = analysed[before:]
    assert {"user", "<lambda>"} <= set(first)  # the first request analyses them
    answers = [client.get(f"/who/{n}").json() for n in range(1, 5)]
    assert answers == [{"n": n, "u": "user of override"} for n in range(1, 5)]
    assert analysed[before:] == first  # the other four reuse the analysis

    @app.get("/again")
    def again(u: str = Depends(user)) -> dict:
        return {"u": u}

    assert client.get("/again").json() == {"u": "user of override"}  # a route added later
