"""docker-compose.yaml, checked by a real compose parser (Debian's docker-compose, offline).

No Docker engine runs here, so the stack is parsed and resolved (`docker-compose
config`), not started. The parser is required: without it the tests fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}
CORE_SERVICES = AIRFLOW_SERVICES | {"postgres", "ledger-db", "redis"}
MOUNTS = {
    "/opt/airflow/dags": "dags",
    "/opt/airflow/plugins": "plugins",
    "/opt/airflow/data": "data",
}


def _compose() -> str:
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail(
            "docker-compose (Debian package docker-compose) is required to validate "
            "docker-compose.yaml: run scripts/setup-system.sh"
        )
    return exe


def _project(tmp_path: Path, env_text: str | None = None) -> Path:
    """A copy of the deployment files, with .env.example as .env."""
    shutil.copy(REPO / "docker-compose.yaml", tmp_path / "docker-compose.yaml")
    shutil.copytree(REPO / "docker", tmp_path / "docker")
    shutil.copy(REPO / "requirements.txt", tmp_path / "requirements.txt")
    text = (REPO / ".env.example").read_text() if env_text is None else env_text
    (tmp_path / ".env").write_text(text)
    return tmp_path


def _config(project: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_compose(), "-f", "docker-compose.yaml", *extra, "config"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp("compose"))


@pytest.fixture(scope="module")
def resolved(project: Path) -> dict:
    done = _config(project)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def test_services_of_the_official_shape(resolved: dict) -> None:
    services = resolved["services"]
    assert set(services) >= CORE_SERVICES
    assert services["redis"]["image"].startswith("redis:")
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["ledger-db"]["image"].startswith("postgres:")
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] in ("api-server", ["api-server"])
    assert commands["airflow-scheduler"] in ("scheduler", ["scheduler"])
    assert commands["airflow-dag-processor"] in ("dag-processor", ["dag-processor"])
    assert commands["airflow-triggerer"] in ("triggerer", ["triggerer"])
    assert commands["airflow-worker"] in ("celery worker", ["celery", "worker"])
    # Everything waits for the init service; workers for a healthy api-server too.
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert deps["redis"]["condition"] == "service_healthy", name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == (
        "service_healthy"
    )
    # A scalable worker: no fixed container name or host port.
    assert "container_name" not in services["airflow-worker"]
    assert "ports" not in services["airflow-worker"]


def test_celery_executor_and_the_ledger_connection(resolved: dict) -> None:
    services = resolved["services"]
    for name in AIRFLOW_SERVICES:
        env = _env(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        ledger = env["AIRFLOW_CONN_XINFANG_LEDGER"]
        assert re.fullmatch(r"postgresql://[^:]+:[^@]+@ledger-db:5432/\w+", ledger), ledger
        assert "PYTHONPATH" not in env, name  # the image installs the package
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver")
        # The same keys everywhere: tokens and encrypted fields work across components.
        assert (
            env["AIRFLOW__API_AUTH__JWT_SECRET"]
            == _env(services["airflow-apiserver"])["AIRFLOW__API_AUTH__JWT_SECRET"]
        )
    # The admin password only reaches the init service.
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert "_AIRFLOW_WWW_USER_PASSWORD" not in _env(services[name]), name


def test_project_folders_are_mounted(resolved: dict, project: Path) -> None:
    for name in AIRFLOW_SERVICES:
        volumes = resolved["services"][name]["volumes"]
        mounts = {}
        for v in volumes:
            if isinstance(v, str):
                source, target = v.split(":")[:2]
            else:
                source, target = v["source"], v["target"]
            mounts[target] = source
        for target, folder in MOUNTS.items():
            assert target in mounts, f"{name} does not mount {folder}/"
            assert Path(mounts[target]) == project / folder, (name, mounts[target])


def test_image_built_from_the_project_dockerfile(resolved: dict) -> None:
    build = resolved["services"]["airflow-scheduler"]["build"]
    assert build["dockerfile"] == "docker/Dockerfile"
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python3\.11$", dockerfile, re.M)
    assert "ARG AIRFLOW_VERSION=3.3.2" in dockerfile
    assert "requirements.txt" in dockerfile


def test_secrets_come_from_env_and_are_required(tmp_path: Path) -> None:
    """No password or key in the repository; without .env's values compose refuses to resolve."""
    text = (REPO / "docker-compose.yaml").read_text()
    for line in text.splitlines():
        m = re.match(r"\s*[\w]*(PASSWORD|SECRET|FERNET_KEY)[\w]*:\s*(.+)$", line)
        if m:
            assert m.group(2).startswith("${"), f"literal secret in docker-compose.yaml: {line}"
    env_example = (REPO / ".env.example").read_text()
    lines = [x for x in env_example.splitlines() if x and not x.startswith("#")]
    missing_password = "\n".join(x for x in lines if not x.startswith("LEDGER_DB_PASSWORD="))
    done = _config(_project(tmp_path, missing_password))
    assert done.returncode != 0
    assert "LEDGER_DB_PASSWORD" in done.stderr


def test_env_example_defines_every_required_variable() -> None:
    text = (REPO / "docker-compose.yaml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required >= {"AIRFLOW_DB_PASSWORD", "LEDGER_DB_PASSWORD", "AIRFLOW_FERNET_KEY"}
    defined = {
        line.split("=", 1)[0]
        for line in (REPO / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert required <= defined, required - defined
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def _airflow_closure() -> set[str]:
    """Distributions apache-airflow itself pulls in (the official image has them)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo = ["apache-airflow"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for spec in requires:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def test_image_installs_the_package_with_what_dags_and_plugins_import() -> None:
    """The image installs ``include/`` (with its declared dependencies) and nothing else is
    needed: every third-party import of dags/ and plugins/ is Airflow's or the package's."""
    import ast
    import sys
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert "COPY --chown=airflow:0 include /tmp/xinfang/include" in dockerfile
    assert re.search(
        r"pip install .*\\\n\s*-c /tmp/xinfang/constraints.txt /tmp/xinfang", dockerfile
    )
    modules: set[str] = set()
    for folder in ("dags", "plugins"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    local = {p.stem for f in ("dags", "plugins") for p in (REPO / f).rglob("*.py")}
    local |= {p.name for f in ("dags", "plugins") for p in (REPO / f).iterdir() if p.is_dir()}
    third_party = modules - set(sys.stdlib_module_names) - local - {"xinfang"}
    owners = metadata.packages_distributions()
    unknown = {m for m in third_party if m not in owners and not m.startswith("airflow")}
    assert not unknown, f"imports no installed distribution provides: {unknown}"
    needed = {
        canonicalize_name(owners[m][0])
        for m in third_party
        if m in owners and not m.startswith("airflow")
    }
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        canonicalize_name(Requirement(d).name) for d in pyproject["project"]["dependencies"]
    }
    in_image = _airflow_closure() | declared
    assert needed <= in_image, f"not in the image: {needed - in_image}"
