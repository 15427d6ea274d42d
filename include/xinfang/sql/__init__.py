"""The SQL the package ships: Alembic migrations, the analysts' views, the analyst role.

Found through the package (``importlib.resources``), not the repository, so an installed
wheel upgrades a ledger as a source checkout does. The files must be on disk (Alembic
reads a folder): a normal or editable install, not a zipped one.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SQL_DIR = Path(str(files(__name__)))
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
ANALYST_SQL = SQL_DIR / "roles" / "analyst.sql"


def head_revision() -> str:
    """The newest migration's revision, read from the file names without importing
    Alembic: migrations are linear and named after their revision (``0003_….py`` is
    revision ``0003``; a test holds this to what Alembic says)."""
    names = [p.name for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(names)[:4]
