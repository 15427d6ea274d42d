"""The ``intake_sweep`` DAG end to end on PostgreSQL: the intake figure that counts.

    python bench/dag_intake.py                          # ~274k items, both modes
    python bench/dag_intake.py --mode dags-test --matters 2000     # a quick look

The landing folder comes from the independent generator (``python -m heldout``): all
five channels, CSV in UTF-8 (with and without BOM), GBK, GB18030 and UTF-16, XLSX and
JSON Lines. It is generated once into ``data/bench/dag_intake/`` and reused; each run
copies it into a fresh landing folder and a fresh PostgreSQL ledger.

Modes (each timed end to end, then per task from Airflow's own task instances):

- ``dags-test``: ``airflow dags test intake_sweep`` as operations run a day by hand
  (metadata on SQLite; tasks one after another);
- ``scheduler``: the api-server, dag-processor and scheduler with LocalExecutor
  (metadata on PostgreSQL; mapped tasks in parallel), the DAG unpaused and triggered.

Prints items/s end to end, each task's seconds, and the machine. Target (issue 18):
>= 8,000 items/s under ``dags test`` (goal 15,000).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine
from _pg import throwaway_database

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
DAG_ID = "intake_sweep"
CONFIG = "intake:\n  settle_seconds: 0\n"
"""Files are timed as soon as they are dropped, not after the settle time."""


def landing_set(matters: int, seed: int) -> Path:
    """The generated set (landing/ and truth.csv), written once and reused."""
    out = REPO / "data" / "bench" / "dag_intake" / f"m{matters}_s{seed}"
    if not (out / "summary.json").exists():
        print(f"generating {matters:,} matters once into {out} ...", flush=True)
        args = ["--matters", str(matters), "--seed", str(seed), "--out", str(out), "--force"]
        subprocess.run([sys.executable, "-m", "heldout", *args, "--quiet"], cwd=REPO, check=True)
    return out


def airflow_env(home: Path, ledger_url: str, landing: Path, metadata_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XINFANG"))}
    (home / "xinfang.yaml").write_text(CONFIG, encoding="utf-8")
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(REPO / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW_CONN_XINFANG_LEDGER=ledger_url.replace("postgresql+psycopg2://", "postgresql://"),
        XINFANG_LANDING_DIR=str(landing),
        XINFANG_REPORTS_DIR=str(home / "reports"),
        XINFANG_CONFIG=str(home / "xinfang.yaml"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "include"), env.get("PYTHONPATH")])),
    )
    if metadata_url:
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = metadata_url
    return env


def airflow(env: dict, *args: str, timeout: float = 3600) -> None:
    proc = subprocess.run(
        [AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd="/"
    )
    if proc.returncode:
        raise SystemExit(f"airflow {' '.join(args)} failed:\n{proc.stderr[-4000:]}")


def task_seconds(metadata_url: str) -> list[tuple[str, str, float]]:
    """(task, map index, seconds) of every task instance of the DAG's runs."""
    engine = sa.create_engine(metadata_url)
    query = sa.text(
        "SELECT task_id, map_index, start_date, end_date FROM task_instance "
        "WHERE dag_id = :dag ORDER BY start_date"
    )
    with engine.connect() as conn:
        rows = conn.execute(query, {"dag": DAG_ID}).all()
    engine.dispose()
    out = []
    for task, index, start, end in rows:
        if start is None or end is None:
            continue
        start, end = (dt.datetime.fromisoformat(str(v)) for v in (start, end))
        out.append((task, "" if index in (None, -1) else str(index), (end - start).total_seconds()))
    return out


def ledger_counts(ledger_url: str) -> tuple[int, int]:
    engine = sa.create_engine(ledger_url)
    with engine.connect() as conn:
        items = conn.execute(sa.text("SELECT count(*) FROM intake_item")).scalar_one()
        rejects = conn.execute(sa.text("SELECT count(*) FROM intake_reject")).scalar_one()
    engine.dispose()
    return items, rejects


def run_dags_test(env: dict, home: Path) -> tuple[float, str]:
    metadata = f"sqlite:///{home / 'airflow.db'}"
    airflow(env, "db", "migrate")
    t0 = time.perf_counter()
    airflow(env, "dags", "test", DAG_ID, dt.date.today().isoformat())
    return time.perf_counter() - t0, metadata


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def components(env: dict, home: Path) -> Iterator[None]:
    """api-server, dag-processor and scheduler, stopped (process groups) on exit."""
    procs = []
    try:
        for name, args in (
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", env["PORT"]]),
            ("dag-processor", ["dag-processor"]),
            ("scheduler", ["scheduler"]),
        ):
            log = (home / f"{name}.log").open("w")
            procs.append(
                subprocess.Popen(
                    [AIRFLOW, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                    cwd="/", start_new_session=True,
                )
            )  # fmt: skip
        yield
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _wait(metadata: sa.Engine, sql: str, done, timeout: float, what: str, home: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with metadata.connect() as conn:
            value = conn.execute(sa.text(sql), {"dag": DAG_ID}).all()
        if done(value):
            return value
        time.sleep(1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in home.glob("*.log"))
    raise SystemExit(f"timed out waiting for {what}\n{tails}")


def run_scheduler(env: dict, home: Path, metadata_url: str) -> tuple[float, str]:
    port = str(_free_port())
    env.update(
        PORT=port,
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{port}/execution/",
        AIRFLOW__API_AUTH__JWT_SECRET="bench-" + os.urandom(8).hex(),
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="False",
    )
    airflow(env, "db", "migrate")
    metadata = sa.create_engine(metadata_url)
    with components(env, home):
        _wait(
            metadata, "SELECT 1 FROM serialized_dag WHERE dag_id = :dag",
            bool, 300, "the DAG to be parsed", home,
        )  # fmt: skip
        t0 = time.perf_counter()
        airflow(env, "dags", "unpause", DAG_ID)  # catchup=False: the latest run starts
        states = _wait(
            metadata, "SELECT state FROM dag_run WHERE dag_id = :dag",
            lambda rows: rows and all(r[0] in ("success", "failed") for r in rows),
            3600, "the run to finish", home,
        )  # fmt: skip
        took = time.perf_counter() - t0
    metadata.dispose()
    if any(r[0] != "success" for r in states):
        kept = REPO / "data" / "bench" / "dag_intake" / f"failed-{time.strftime('%Y%m%d-%H%M%S')}"
        shutil.copytree(home, kept, ignore=shutil.ignore_patterns("landing"))
        raise SystemExit(f"a run failed: {states}; logs kept in {kept}")
    return took, metadata_url


def bench(mode: str, data: Path, items_written: int) -> None:
    with contextlib.ExitStack() as stack:
        ledger_url = stack.enter_context(throwaway_database("bench_dag_ledger"))
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xinfang_dagb_")))
        landing = home / "landing"
        shutil.copytree(data / "landing", landing)
        metadata_url = None
        if mode == "scheduler":
            metadata_url = stack.enter_context(throwaway_database("bench_dag_meta"))
        env = airflow_env(home, ledger_url, landing, metadata_url)
        if mode == "dags-test":
            took, metadata_url = run_dags_test(env, home)
        else:
            assert metadata_url is not None
            took, _ = run_scheduler(env, home, metadata_url)
        tasks = task_seconds(metadata_url)
        items, rejects = ledger_counts(ledger_url)
    print(
        f"{mode:<10} {items_written:,} rows written, {items:,} items loaded, {rejects:,} "
        f"refused; {took:.1f} s end to end = {items / took:,.0f} items/s",
        flush=True,
    )
    for task, index, seconds in tasks:
        print(f"    {task:<16} {index:>3} {seconds:8.1f} s")
    loads = sum(seconds for task, _, seconds in tasks if task == "load_channel")
    print(f"    load_channel ×5 in all {loads:.1f} s = {items / max(loads, 1e-9):,.0f} items/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matters", type=int, default=100_000, help="~2.7 items per matter")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", choices=["dags-test", "scheduler", "both"], default="both")
    args = ap.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    data = landing_set(args.matters, args.seed)
    written = sum(1 for _ in (data / "truth.csv").open(encoding="utf-8")) - 1
    files = sum(1 for p in (data / "landing").rglob("*") if p.is_file())
    print(f"data: {data} ({files} files, {written:,} rows)", flush=True)
    for mode in ("dags-test", "scheduler") if args.mode == "both" else (args.mode,):
        bench(mode, data, written)


if __name__ == "__main__":
    main()
