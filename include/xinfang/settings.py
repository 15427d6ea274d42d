"""Settings of docs/settings.md, read from the environment each time they are asked for.

Nothing is cached at import time so tests and Airflow workers can change the
environment between calls.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    """``data/`` of the checkout the package runs from; an installed package (no checkout
    around it) keeps its data under ``$AIRFLOW_HOME/xinfang`` instead of site-packages."""
    if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "dags").is_dir():
        return REPO_ROOT / "data"
    airflow_home = os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow"
    return Path(airflow_home) / "xinfang"


DATA_DIR = _data_dir()


def ledger_url() -> str:
    """SQLAlchemy URL of the ledger database.

    ``AIRFLOW_CONN_XINFANG_LEDGER`` is an Airflow connection URI; the ledger uses
    its own engine with psycopg2 (Airflow's hook would bring psycopg 3).
    """
    uri = os.environ.get("AIRFLOW_CONN_XINFANG_LEDGER", "").strip()
    if not uri:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DATA_DIR / 'ledger.sqlite'}"
    return to_sqlalchemy_url(uri)


def to_sqlalchemy_url(uri: str) -> str:
    """Turn an Airflow connection URI into a SQLAlchemy URL."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise ValueError(f"AIRFLOW_CONN_XINFANG_LEDGER is not a URI: {uri!r}")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        return f"postgresql+psycopg2://{rest}"
    if scheme.startswith("sqlite"):
        return f"sqlite://{rest}"
    raise ValueError(
        f"unsupported ledger database scheme {scheme!r}: use postgresql:// or sqlite://"
    )


def landing_dir() -> Path:
    return Path(os.environ.get("XINFANG_LANDING_DIR") or DATA_DIR / "landing")


def reports_dir() -> Path:
    return Path(os.environ.get("XINFANG_REPORTS_DIR") or DATA_DIR / "reports")


def config_path() -> Path | None:
    value = os.environ.get("XINFANG_CONFIG", "").strip()
    return Path(value) if value else None
