"""End to end through Airflow itself: `airflow dags test` on a PostgreSQL ledger.

Runs the real CLI in a subprocess with a fresh AIRFLOW_HOME (metadata on SQLite,
ledger on PostgreSQL), from a working directory outside the repo, as operations would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO

pytestmark = pytest.mark.airflow

AIRFLOW = str(Path(sys.executable).with_name("airflow"))


def airflow_env(tmp_path: Path, ledger_uri: str, landing: Path, reports: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow_home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW_CONN_XINFANG_LEDGER=ledger_uri,
        XINFANG_LANDING_DIR=str(landing),
        XINFANG_REPORTS_DIR=str(reports),
    )
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [AIRFLOW, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, (
        f"airflow {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    return proc


def test_intake_sweep_runs_through_airflow_on_postgres(tmp_path, airflow_ledger):
    import datetime as dt

    from xinfang_dev.synth.campaign import generate_campaign
    from xinfang_dev.synth.files import write_campaign

    landing, reports = tmp_path / "landing", tmp_path / "reports"
    campaign = generate_campaign(
        seed=11, n_items=150, start=dt.date(2023, 7, 3), end=dt.date(2023, 7, 3)
    )
    write_campaign(campaign, landing)
    dropped = sorted(p.name for p in landing.glob("*/incoming/*"))
    assert dropped, "the generator dropped files"

    env = airflow_env(tmp_path, airflow_ledger, landing, reports)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    run(["db", "migrate"], env, elsewhere)
    run(["dags", "test", "intake_sweep", "2023-07-03"], env, elsewhere)

    engine = sa.create_engine(airflow_ledger.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        items = conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar_one()
        unassigned = conn.execute(
            sa.text("SELECT count(*) FROM intake_item WHERE case_id IS NULL")
        ).scalar_one()
        cases = conn.execute(sa.text("SELECT count(*) FROM ledger_case")).scalar_one()
        rejects = conn.execute(sa.text("SELECT count(*) FROM intake_reject")).scalar_one()
    engine.dispose()
    expected = len(campaign.items)
    assert items + rejects == expected
    assert items >= expected * 0.95
    assert unassigned == 0
    assert 0 < cases <= items
    assert not list(landing.glob("*/incoming/*")), "every file left incoming/"
    archived = sorted(p.name for p in landing.glob("*/archive/2023-07-03/*"))
    assert archived == dropped

    # A second run of the same date loads nothing new.
    run(["dags", "test", "intake_sweep", "2023-07-03"], env, elsewhere)
    engine = sa.create_engine(airflow_ledger.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar_one() == items
    engine.dispose()
