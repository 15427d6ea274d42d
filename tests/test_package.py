"""The runtime package as a worker gets it: a wheel, installed non-editable, that upgrades a
ledger with nothing of the repository around it; its declared dependencies agree with the
lock (requirements.txt) and cover what it imports."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
MIGRATION_0001_SHA256 = "679b9accaed741b8360f3e6831cec091e405bf79a58ea455d39564a6bf699656"
"""Migration 0001 is released: its text never changes (moved with the package, not edited)."""


def _declared() -> dict[str, Requirement]:
    reqs = [Requirement(d) for d in PYPROJECT["project"]["dependencies"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("==")
        if sep:
            pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def _imports(folder: Path) -> set[str]:
    modules: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names)


def test_dependencies_are_pinned_by_the_lock():
    pins = _pins()
    for name, req in _declared().items():
        assert name in pins, (
            f"{name} is declared in pyproject.toml but not pinned in requirements.txt"
        )
        assert req.specifier.contains(pins[name]), (name, str(req.specifier), pins[name])
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        for req in map(Requirement, extra):
            assert req.specifier.contains(pins[canonicalize_name(req.name)]), req


def test_dependencies_cover_what_the_package_imports():
    """Airflow only inside Airflow (the ``airflow`` extra); ``xinfang_dev`` only on a
    development path (``python -m xinfang.risk.evaluate`` without ``--file``)."""
    owners = metadata.packages_distributions()
    imported = _imports(REPO / "include") - {"xinfang", "xinfang_dev", "airflow"}
    needed = {canonicalize_name(owners[m][0]) for m in imported}
    assert needed == set(_declared()), (
        f"undeclared: {needed - set(_declared())}; unused: {set(_declared()) - needed}"
    )


def test_no_sys_path_edits_in_the_deployed_code():
    for folder in ("include", "dags", "plugins"):
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            uses = [
                n.lineno
                for n in ast.walk(tree)
                if isinstance(n, ast.Attribute)
                and n.attr == "path"
                and isinstance(n.value, ast.Name)
                and n.value.id == "sys"
            ]
            assert not uses, f"{path} edits sys.path (lines {uses})"


def test_development_tools_are_not_in_the_runtime_package():
    package = REPO / "include" / "xinfang"
    for gone in ("synth", "replay.py", "evaluate.py"):
        assert not (package / gone).exists(), gone
    assert not any("xinfang_dev" in line for line in _runtime_import_lines(package))


def _runtime_import_lines(package: Path) -> list[str]:
    """Module-level imports (a lazy import inside a function is a development path)."""
    lines = []
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return lines


def test_migration_0001_is_unchanged():
    path = (
        REPO / "include" / "xinfang" / "sql" / "migrations" / "versions" / "0001_initial_schema.py"
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == MIGRATION_0001_SHA256


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of what the wheel is made of (pyproject.toml, include/): nothing
    else of the repository is needed, and the build leaves nothing in the checkout."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(REPO / "pyproject.toml", source)
    shutil.copytree(
        REPO / "include",
        source / "include",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("xinfang-*.whl")
    return found


def test_wheel_holds_the_package_and_its_sql_only(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "xinfang/defaults.yaml" in names
    assert "xinfang/sql/migrations/env.py" in names
    assert "xinfang/sql/migrations/script.py.mako" in names
    assert "xinfang/sql/migrations/versions/0001_initial_schema.py" in names
    assert "xinfang/sql/roles/analyst.sql" in names
    assert "xinfang/sql/views/v_case_list.sql" in names
    assert not [n for n in names if re.match(r"xinfang_dev/|xinfang/(synth|replay|evaluate)", n)]
    assert not [n for n in names if n.startswith(("tests/", "dags/", "plugins/", "bench/"))]


def _install(wheel: Path, target: Path) -> Path:
    """``pip install`` (non-editable, no dependencies) of the wheel into a bare folder."""
    args = ["install", "--no-deps", "--quiet", "--target", str(target), str(wheel)]
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return target


def test_installed_wheel_upgrades_a_ledger(wheel: Path, tmp_path: Path):
    """``pip install`` (non-editable) into a bare folder, run from elsewhere: the migrations,
    views and defaults come from the installed package, not the repository."""
    target = _install(wheel, tmp_path / "site")
    ledger = tmp_path / "ledger.sqlite"
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "AIRFLOW_CONN_XINFANG_LEDGER": f"sqlite:///{ledger}",
    }
    script = (
        "import sys, xinfang, xinfang.db\n"
        "assert xinfang.__file__.startswith(sys.argv[1]), xinfang.__file__\n"
        "raise SystemExit(xinfang.db.main(['upgrade']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "at schema revision 0006" in run.stdout, run.stdout
    with sqlite3.connect(ledger) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
        courts = conn.execute("SELECT count(*) FROM court").fetchone()[0]
    assert {"intake_item", "ledger_case", "alembic_version", "match_decision"} <= tables
    assert {"v_case_list", "v_match_review"} <= views
    assert courts > 0


def test_installed_wheel_keeps_its_data_under_airflow_home(wheel: Path, tmp_path: Path):
    """Without a checkout around the package, the default ledger, landing and reports
    folders are under ``$AIRFLOW_HOME/xinfang``, never beside site-packages."""
    target = _install(wheel, tmp_path / "site")
    home = tmp_path / "airflow_home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XINFANG"))}
    env |= {"PYTHONPATH": str(target), "AIRFLOW_HOME": str(home)}
    script = (
        "from xinfang import settings\n"
        "print(settings.ledger_url()); print(settings.landing_dir()); print(settings.reports_dir())"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    ledger, landing, reports = run.stdout.split()
    assert ledger == f"sqlite:///{home / 'xinfang' / 'ledger.sqlite'}"
    assert landing == str(home / "xinfang" / "landing")
    assert reports == str(home / "xinfang" / "reports")
