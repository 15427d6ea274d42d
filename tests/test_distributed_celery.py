"""The distributed shape proven: intake_sweep run by a Celery worker, as docker-compose deploys it.

The scheduler, dag-processor, api-server and a Celery worker run as separate processes
of the installed Airflow (CeleryExecutor, Redis as the broker, PostgreSQL for Airflow's
metadata and for the ledger), with the project on PYTHONPATH as ``make`` provides it.
The test unpauses and triggers ``intake_sweep`` through the REST API and waits for the
run to succeed on the worker. Redis and PostgreSQL are required: without them it fails.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from conftest import REPO, _drop_pg_database, _new_pg_database
from distributed_helpers import (
    Components,
    forget_queue,
    free_port,
    require_redis,
    run_airflow,
)

pytestmark = pytest.mark.airflow

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
REDIS_SERVER = os.environ.get("XINFANG_TEST_REDIS", "redis://127.0.0.1:6379")
STARTUP_SECONDS = 240
RUN_SECONDS = 240
RUN_DAY = dt.date(2023, 7, 3)
# 12:00 in Asia/Shanghai on RUN_DAY: one of the sweep's own times.
LOGICAL_DATE = "2023-07-03T04:00:00+00:00"


@dataclass
class CeleryDeployment:
    """A running deployment: where to reach it and what it reads and writes."""

    api: httpx.Client
    metadata_url: str
    ledger_url: str
    landing: Path
    queue: str
    components: Components

    def worker_log(self) -> str:
        return self.components.log_of("celery worker")


def deployment_env(home: Path, metadata_url: str, ledger_uri: str, **settings: str) -> dict:
    """The settings docker-compose.yaml gives every Airflow service, for this machine."""
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + metadata_url,
        AIRFLOW__CORE__FERNET_KEY=Fernet.generate_key().decode(),
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
        AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DEFAULT_TIMEZONE="Asia/Shanghai",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LAZY_LOAD_PLUGINS="False",
        AIRFLOW_CONN_XINFANG_LEDGER=ledger_uri,
        PYTHONPATH=str(REPO / "include"),
        TZ="Asia/Shanghai",
        # Here and not in the compose file: no login for the test's REST calls, and no
        # scheduled run of the sweep next to the one the test triggers.
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
    )
    env.update(settings)
    return env


@pytest.fixture
def celery_deployment(
    tmp_path: Path, pg_admin: sa.Engine, airflow_ledger: str
) -> Iterator[CeleryDeployment]:
    """Airflow's metadata database, a broker queue and the four components, all this test's own.

    Every process started here is stopped and the metadata database dropped on the way
    out, whatever happened; the components' log tails are printed (pytest shows them
    when the test failed).
    """
    run_id = uuid.uuid4().hex[:12]
    queue = f"xinfang_test_{run_id}"
    # A database of its own on the shared server, and a queue nobody else listens on.
    broker = f"{REDIS_SERVER}/{1 + int(run_id, 16) % 15}"
    require_redis(broker)
    metadata_name = _new_pg_database(pg_admin)
    metadata_url = pg_admin.url.set(database=metadata_name).render_as_string(False)
    api_port = free_port()
    landing, reports, logs, cwd = (tmp_path / d for d in ("landing", "reports", "logs", "cwd"))
    for folder in (landing, reports, logs, cwd):
        folder.mkdir()
    home = tmp_path / "airflow_home"
    env = deployment_env(
        home,
        metadata_url,
        airflow_ledger,
        AIRFLOW__CELERY__BROKER_URL=broker,
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,
        AIRFLOW__API__PORT=str(api_port),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{api_port}",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api_port}/execution/",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
        XINFANG_LANDING_DIR=str(landing),
        XINFANG_REPORTS_DIR=str(reports),
    )
    components = Components(logs, env, cwd)
    api = httpx.Client(base_url=f"http://127.0.0.1:{api_port}/api/v2", timeout=30)
    try:
        run_airflow([AIRFLOW, "db", "migrate"], env, cwd)
        components.start("scheduler", [AIRFLOW, "scheduler"])
        components.start("dag-processor", [AIRFLOW, "dag-processor"])
        components.start("api-server", [AIRFLOW, "api-server", "--port", str(api_port)])
        worker = [AIRFLOW, "celery", "worker", "--queues", queue, "--concurrency", "2"]
        components.start("celery worker", [*worker, "--celery-hostname", f"{queue}@%h"])
        components.wait_for("the api-server", lambda: _answers(api, "/version"), STARTUP_SECONDS)
        components.wait_for(
            "intake_sweep to be parsed",
            lambda: _answers(api, "/dags/intake_sweep"),
            STARTUP_SECONDS,
        )
        yield CeleryDeployment(api, metadata_url, airflow_ledger, landing, queue, components)
    finally:
        api.close()
        components.stop_all()
        components.print_log_tails(sorted(home.glob("logs/dag_id=*/**/*.log")))
        forget_queue(broker, queue)
        _drop_pg_database(pg_admin, metadata_name)


def celery_results(metadata_url: str) -> dict[str, int]:
    """How many Celery tasks ended in each state, from the result backend's table."""
    engine = sa.create_engine(metadata_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT status, count(*) FROM celery_taskmeta GROUP BY status")
            ).all()
    finally:
        engine.dispose()
    return dict(rows)


def _answers(api: httpx.Client, path: str) -> bool:
    try:
        return api.get(path).status_code == 200
    except httpx.TransportError:
        return False


def test_intake_sweep_runs_on_a_celery_worker(celery_deployment: CeleryDeployment) -> None:
    from xinfang_dev.synth.campaign import generate_campaign
    from xinfang_dev.synth.files import write_campaign

    deployment = celery_deployment
    campaign = generate_campaign(seed=16, n_items=40, start=RUN_DAY, end=RUN_DAY)
    write_campaign(campaign, deployment.landing)
    dropped = sorted(p.name for p in deployment.landing.glob("*/incoming/*"))
    assert dropped, "the generator dropped files"

    api = deployment.api
    assert api.patch("/dags/intake_sweep", json={"is_paused": False}).status_code == 200
    created = api.post(
        "/dags/intake_sweep/dagRuns",
        json={"dag_run_id": "celery_proof", "logical_date": LOGICAL_DATE},
    )
    assert created.status_code == 200, created.text
    run_path = "/dags/intake_sweep/dagRuns/celery_proof"

    def finished() -> bool:
        return api.get(run_path).json()["state"] in ("success", "failed")

    deployment.components.wait_for("the intake_sweep run", finished, RUN_SECONDS)
    assert api.get(run_path).json()["state"] == "success"

    # Every task went through the Celery queue and was run by this test's worker.
    instances = api.get(f"{run_path}/taskInstances", params={"limit": 100}).json()
    instances = instances["task_instances"]
    task_ids = {ti["task_id"] for ti in instances}
    assert task_ids == {"migrate", "load_channel", "deduplicate", "load_progress", "apply_updates"}
    assert {(ti["state"], ti["queue"]) for ti in instances} == {("success", deployment.queue)}
    worker_log = deployment.worker_log()
    assert worker_log.count("Executing workload in Celery") == len(instances)
    for task_id in task_ids:
        assert f"task_id='{task_id}'" in worker_log, task_id

    # Celery's own record: one result per task instance (a worker process may still be
    # exiting when the run is already marked done).
    def celery_done() -> bool:
        return celery_results(deployment.metadata_url) == {"SUCCESS": len(instances)}

    deployment.components.wait_for("Celery's results of every task", celery_done, 60)

    # The worker loaded the files into the ledger.
    ledger = sa.create_engine(
        deployment.ledger_url.replace("postgresql://", "postgresql+psycopg2://")
    )
    with ledger.connect() as conn:
        items = conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar_one()
        rejects = conn.execute(sa.text("SELECT count(*) FROM intake_reject")).scalar_one()
        unassigned = conn.execute(
            sa.text("SELECT count(*) FROM intake_item WHERE case_id IS NULL")
        ).scalar_one()
    ledger.dispose()
    assert items + rejects == len(campaign.items)
    assert items >= len(campaign.items) * 0.9
    assert unassigned == 0
    archived = sorted(p.name for p in deployment.landing.glob(f"*/archive/{RUN_DAY}/*"))
    assert archived == dropped
