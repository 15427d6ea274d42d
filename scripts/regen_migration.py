"""Regenerate sql/migrations/versions/0001 from xinfang.schema (pre-release only)."""

import tempfile
from pathlib import Path

from alembic import command

from xinfang import db

versions = db.MIGRATIONS_DIR / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    engine = db.make_engine(f"sqlite:///{Path(tmp) / 'empty.sqlite'}")
    cfg = db.alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")

# Keep the generated file lint-clean like the rest of the code.
import subprocess  # noqa: E402
import sys  # noqa: E402

ruff = str(Path(sys.executable).with_name("ruff"))
for generated in versions.glob("0001_*.py"):
    subprocess.run([ruff, "check", "--fix", "--unsafe-fixes", "-q", str(generated)], check=False)
    subprocess.run([ruff, "format", "-q", str(generated)], check=False)
