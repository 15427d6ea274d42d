"""Shared fixtures: a fresh ledger on SQLite and on a real PostgreSQL per test.

PostgreSQL is required: when it cannot be reached the tests fail, they never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from xinfang import db

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config) -> None:
    """Airflow reads its settings at import: give the whole run its own AIRFLOW_HOME.

    Property tests: no deadline and no "too slow to generate" health check. CI shares
    two cores, and a loaded machine is not a failing property (a clerk-date test once
    failed that way at load 10); examples stay random, their failures stay pinned.
    """
    import tempfile

    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "xinfang", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("xinfang")

    home = Path(tempfile.mkdtemp(prefix="xinfang-airflow-home-"))
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
    os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
    os.environ.setdefault("XINFANG_SHARED_DIR", str(REPO.parent / "shared"))
    # Tests write whole files before they sweep: no waiting for files to settle.
    if not os.environ.get("XINFANG_CONFIG"):
        config = home / "xinfang-test-config.yaml"
        config.write_text(TEST_CONFIG, encoding="utf-8")
        os.environ["XINFANG_CONFIG"] = str(config)


TEST_CONFIG = "intake:\n  settle_seconds: 0\n"
"""The test session's XINFANG_CONFIG (a test that sets its own starts from the defaults)."""


PG_SERVER = os.environ.get(
    "XINFANG_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


def _pg_admin() -> sa.Engine:
    engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required for the tests and is not reachable at {PG_SERVER}: {exc}"
        )
    return engine


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    engine = _pg_admin()
    yield engine
    engine.dispose()


def _new_pg_database(admin: sa.Engine) -> str:
    name = f"xinfang_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return name


def _drop_pg_database(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def ledger_url(request, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """URL of an empty, migrated ledger; parametrize indirectly with 'sqlite'/'postgres'."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        conn_uri = url
        name = None
        admin = None
    else:
        admin = request.getfixturevalue("pg_admin")
        name = _new_pg_database(admin)
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        conn_uri = url.replace("postgresql+psycopg2://", "postgresql://")
    monkeypatch.setenv("AIRFLOW_CONN_XINFANG_LEDGER", conn_uri)
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    yield url
    db._engine_for.cache_clear()
    if name is not None:
        _drop_pg_database(admin, name)


@pytest.fixture
def engine(ledger_url: str) -> Iterator[sa.Engine]:
    engine = db.make_engine(ledger_url)
    yield engine
    engine.dispose()


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    """Fresh landing and reports folders, set in the environment."""
    landing = tmp_path / "landing"
    reports = tmp_path / "reports"
    landing.mkdir()
    reports.mkdir()
    monkeypatch.setenv("XINFANG_LANDING_DIR", str(landing))
    monkeypatch.setenv("XINFANG_REPORTS_DIR", str(reports))
    return {"landing": landing, "reports": reports}


BOTH = pytest.mark.parametrize("ledger_url", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def airflow_ledger(tmp_path, pg_admin):
    """A fresh PostgreSQL ledger as an Airflow connection URI (for `airflow dags test`)."""
    name = _new_pg_database(pg_admin)
    url = pg_admin.url.set(database=name)
    yield url.render_as_string(hide_password=False).replace("postgresql+psycopg2", "postgresql")
    _drop_pg_database(pg_admin, name)
