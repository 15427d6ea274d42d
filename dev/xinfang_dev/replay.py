"""``make run``: replay a sample July 2023 campaign day by day through the real DAGs.

1. Generates a realistic campaign (every channel, progress rows, key cases).
2. For each day: drops that day's files into the landing folders, runs
   ``escalation_sweep`` as of the morning and ``intake_sweep`` in the evening —
   the DAGs themselves, in-process through Airflow's ``dag.test``, on the embedded
   SQLite ledger — and prints a line of progress.
3. Runs ``monthly_disposition`` for the month, prints the disposition table and the
   report paths.
4. Serves the Airflow UI (api-server + dag-processor) with the replayed runs
   visible, printing the URL and login; ``NO_UI=1`` (or ``--no-ui``) skips it.

A replay starts afresh: data of a previous replay under ``data/`` moves to
``data/previous/<timestamp>/`` (nothing is deleted). A ledger that a replay did not
create is never touched: point the settings elsewhere or pass ``--data-dir``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

from xinfang import settings
from xinfang.timeutil import TZ_NAME

MARKER = ".replay"
REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout the replay runs from: its ``dags/``, ``plugins/`` and ``include/``."""


def _env_defaults(data_dir: Path) -> None:
    repo = REPO_ROOT
    os.environ.setdefault("AIRFLOW_HOME", str(data_dir / "airflow_home"))
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(repo / "dags")
    os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(repo / "plugins")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "True")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("AIRFLOW_CONN_XINFANG_LEDGER", f"sqlite:///{data_dir / 'ledger.sqlite'}")
    os.environ.setdefault("XINFANG_LANDING_DIR", str(data_dir / "landing"))
    os.environ.setdefault("XINFANG_REPORTS_DIR", str(data_dir / "reports"))
    if not os.environ.get("XINFANG_CONFIG"):
        # The replay writes each day's files whole before it sweeps: no settle wait.
        config = data_dir / "replay-config.yaml"
        config.write_text("intake:\n  settle_seconds: 0\n", encoding="utf-8")
        os.environ["XINFANG_CONFIG"] = str(config)
    include = str(repo / "include")
    path = os.environ.get("PYTHONPATH", "")
    if include not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (include, path) if p)


def _fresh_start(data_dir: Path) -> None:
    """Move a previous replay's data aside; refuse to touch data a replay did not make."""
    owned = ["ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "landing", "reports"]
    owned.append("airflow_home")
    present = [name for name in owned if (data_dir / name).exists()]
    if not present:
        return
    if not (data_dir / MARKER).exists():
        raise SystemExit(
            f"{data_dir} holds data the replay did not create ({', '.join(present)}); "
            "move it away or use --data-dir"
        )
    aside = data_dir / "previous" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside.mkdir(parents=True)
    for name in present:
        shutil.move(str(data_dir / name), aside / name)
    print(f"previous replay moved to {aside}")


def _airflow(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("airflow")
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise SystemExit(
            f"airflow {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return proc


def ledger_numbers(engine, truth: dict[tuple[str, str, int], str]) -> dict[str, str]:
    """Truth case -> ledger number of the case holding its earliest item (how a clerk finds it)."""
    import sqlalchemy as sa

    from xinfang.schema import intake_item, ledger_case

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                intake_item.c.channel,
                intake_item.c.source_file,
                intake_item.c.source_row,
                ledger_case.c.ledger_no,
            )
            .join(ledger_case, ledger_case.c.case_id == intake_item.c.case_id)
            .order_by(intake_item.c.received_at, intake_item.c.item_id)
        ).all()
    out: dict[str, str] = {}
    for channel, source_file, source_row, ledger_no in rows:
        key = truth.get((channel, source_file, source_row))
        if key is not None:
            out.setdefault(key, ledger_no)
    return out


def _local(day: dt.date, hour: int, minute: int = 0):
    import pendulum

    return pendulum.datetime(day.year, day.month, day.day, hour, minute, tz=TZ_NAME)


def cli_runner(dag_id: str, logical_date) -> None:
    """Runs a DAG as an operator would by hand: ``airflow dags test <dag_id> <date>``."""
    _airflow("dags", "test", dag_id, logical_date.isoformat())


def prepare(data_dir: str | Path) -> Path:
    """Fresh data folder, settings and Airflow metadata for a replay; returns the folder."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    _fresh_start(data_dir)
    (data_dir / MARKER).write_text("created by python -m xinfang_dev.replay\n", encoding="utf-8")
    _env_defaults(data_dir)
    _migrate_metadata(data_dir)
    return data_dir


METADATA_CACHE = "cache"
"""Under the data folder: the empty metadata DB ``airflow db migrate`` made, per Airflow
version and settings (kept when a replay moves aside; ``make clean-data`` removes it)."""


def _metadata_template(data_dir: Path) -> Path | None:
    """Where the migrated, empty metadata DB for these settings is kept; None when the
    metadata DB is not the default SQLite file in the replay's own ``airflow_home``."""
    from importlib.metadata import version

    home = Path(os.environ["AIRFLOW_HOME"])
    if home != data_dir / "airflow_home" or (home / "airflow.cfg").exists():
        return None
    if any(k.startswith("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") for k in os.environ):
        return None
    if os.environ.get("AIRFLOW_CONFIG"):
        return None
    # what the migration's outcome depends on: Airflow and SQLAlchemy, and the settings
    # (log templates are rows of the DB)
    basis = [version("apache-airflow-core"), version("sqlalchemy")]
    basis += sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("AIRFLOW__"))
    digest = hashlib.sha256("\n".join(basis).encode()).hexdigest()[:16]
    return data_dir / METADATA_CACHE / f"airflow-metadata-{digest}.db"


def _migrate_metadata(data_dir: Path) -> None:
    """``airflow db migrate`` into the fresh ``airflow_home``, or a copy of the DB it made
    for the same Airflow and settings before (6-25 s of a replay, the same empty DB)."""
    template = _metadata_template(data_dir)
    target = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    if template is not None and template.exists():
        from airflow.configuration import write_default_airflow_configuration_if_needed

        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, target)
        # as any `airflow` command does first (the UI's commands then share its secrets)
        write_default_airflow_configuration_if_needed()
        return
    _airflow("db", "migrate")
    wal = target.with_name(target.name + "-wal")
    if template is None or not target.exists() or (wal.exists() and wal.stat().st_size):
        return  # nothing to keep, or not checkpointed into the one file
    template.parent.mkdir(parents=True, exist_ok=True)
    scratch = template.with_name(f".{template.name}.{os.getpid()}")
    shutil.copyfile(target, scratch)
    scratch.replace(template)


def _metadata_commits_without_fsync() -> None:
    """Airflow's SQLite metadata DB (already WAL) with ``synchronous=NORMAL`` in this process.

    ``dag.test`` commits the metadata DB a dozen times per task instance, and in WAL mode
    SQLite's default (FULL) syncs the disk at every commit, ~3 ms here. NORMAL syncs at
    checkpoints only: a power cut may lose the last runs' records, never corrupts the
    file (the ledger's own setting, ``xinfang.db``). Other processes are unaffected."""
    import sqlalchemy as sa
    from airflow import settings as airflow_settings

    engine = airflow_settings.engine
    if engine is None or engine.dialect.name != "sqlite":
        return

    def pragma(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    sa.event.listen(engine, "connect", pragma)
    engine.dispose()  # connections opened before the listener reconnect with it


@contextlib.contextmanager
def _parsed_once(bag, dags_folder: Path, synced: set[str]) -> Iterator[None]:
    """Within it, ``dag.test`` takes the replay's parse of the DAGs folder and writes the
    DAGs to the metadata DB once.

    ``dag.test`` re-parses the bundle and re-writes every DAG at each call (so that a DAG
    it triggers is known, apache/airflow#64884): a tenth of a replay. The replay never
    changes the folder, so the first call's parse and write stand for the rest (the write
    is idempotent for unchanged DAGs). In an Airflow without these two names, ``dag.test``
    simply does its own. ``synced``: the bundles written so far, kept by the caller."""
    from airflow.dag_processing import dagbag as dagbag_module

    parse = getattr(dagbag_module, "BundleDagBag", None)
    sync = getattr(dagbag_module, "sync_bag_to_db", None)
    if parse is None or sync is None:
        yield
        return

    def reuse_parse(*args, **kwargs):
        if not args and Path(kwargs.get("dag_folder") or "") == dags_folder:
            return bag
        return parse(*args, **kwargs)

    def sync_once(dagbag, bundle_name, *args, **kwargs):
        if dagbag is not bag:
            return sync(dagbag, bundle_name, *args, **kwargs)
        if bundle_name not in synced:
            sync(dagbag, bundle_name, *args, **kwargs)
            synced.add(bundle_name)
        return None

    with (
        mock.patch.object(dagbag_module, "BundleDagBag", reuse_parse),
        mock.patch.object(dagbag_module, "sync_bag_to_db", sync_once),
    ):
        yield


_PER_REQUEST_ANALYSIS = frozenset({"path", "call", "name", "parent_oauth_scopes", "scope"})
"""The arguments FastAPI's ``solve_dependencies`` passes ``get_dependant`` at each request."""


def _dependency_analysis_cached() -> None:
    """FastAPI's per-request analysis of overridden dependencies done once per dependency.

    The in-process Execution API overrides its auth dependencies, and while an app has
    any override FastAPI re-analyses every dependency of the route (``get_dependant``:
    signatures, type hints, pydantic fields) at every request, 1,500 requests a replay
    (a third of the API thread's time past its start-up; 5 days: its CPU 4.6 s -> 4.1 s).
    The analysis depends only on its arguments, so it is kept, per (path, callable,
    name, scopes, scope), in this process (the replay's and the tests'; the UI's
    api-server is another). Route building (``fastapi.routing``'s
    own reference, and it edits what it gets) and nested analyses (other arguments)
    are left as they are."""
    from fastapi.dependencies import utils

    analyse = utils.get_dependant
    if getattr(analyse, "per_request_cache", None) is not None:
        return
    cache: dict[tuple, object] = {}

    def get_dependant(**kwargs):
        if kwargs.keys() != _PER_REQUEST_ANALYSIS:
            return analyse(**kwargs)
        key = (
            kwargs["path"],
            kwargs["call"],
            kwargs["name"],
            tuple(kwargs["parent_oauth_scopes"] or ()),
            kwargs["scope"],
        )
        try:
            found = cache.get(key)
        except TypeError:  # an unhashable callable
            return analyse(**kwargs)
        if found is None:
            if len(cache) >= 1024:  # dag.test overrides the DAG bag with a new lambda per run
                cache.clear()
            found = cache[key] = analyse(**kwargs)
        return found

    get_dependant.per_request_cache = cache  # type: ignore[attr-defined]
    utils.get_dependant = get_dependant


def in_process_runner(dags_folder: Path) -> Callable[[str, object], None]:
    """Runs a DAG for a logical date in this process with ``dag.test`` (as ``airflow dags test``)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    _metadata_commits_without_fsync()
    _dependency_analysis_cached()
    dags_folder = Path(dags_folder)
    # as the dag-processor parses them: the folder on sys.path for the DAGs' own helpers
    bag = BundleDagBag(dag_folder=str(dags_folder), bundle_path=dags_folder)
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    synced: set[str] = set()

    def run(dag_id: str, logical_date) -> None:
        dag = bag.dags[dag_id]
        with _parsed_once(bag, dags_folder, synced):
            dagrun = dag.test(logical_date=logical_date, run_after=logical_date)
        state = str(getattr(dagrun, "state", "success"))
        if "success" not in state:
            raise SystemExit(f"{dag_id} {logical_date} ended {state}: see the task logs above")

    return run


def replay(
    start: dt.date,
    end: dt.date,
    items: int,
    seed: int,
    run_dag: Callable[[str, object], None],
    report: Callable[[str], None] = print,
) -> dict:
    """Drop each day's files and run the DAGs; returns the month's summary."""
    import sqlalchemy as sa

    from xinfang import db
    from xinfang_dev.synth.campaign import generate_campaign, progress_rows
    from xinfang_dev.synth.files import write_campaign_day

    landing = settings.landing_dir()
    campaign = generate_campaign(seed=seed, n_items=items, start=start, end=end)
    report(f"campaign: {len(campaign.items):,} items, {len(campaign.cases):,} petition matters")
    rng = random.Random(seed)
    truth: dict[tuple[str, str, int], str] = {}
    engine = db.get_engine()
    days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    began = time.monotonic()
    for n, day in enumerate(days, start=1):
        run_dag("escalation_sweep", _local(day, 0, 30))
        numbers = ledger_numbers(engine, truth) if truth else {}
        progress = progress_rows(campaign, numbers.get, as_of=day, rng=rng, since=day)
        dropped = write_campaign_day(campaign, day, landing, rng, progress=progress)
        for row in dropped:
            truth[(row.channel, row.source_file, row.source_row)] = row.truth_case
        run_dag("intake_sweep", _local(day, 20))
        with engine.connect() as conn:
            cases, key, escalated = conn.execute(
                sa.text(
                    "SELECT count(*), sum(CASE WHEN is_key THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN tier > 1 THEN 1 ELSE 0 END) FROM ledger_case"
                )
            ).one()
        report(
            f"[{n:2d}/{len(days)}] {day}: {len(dropped) - len(progress):4d} items, "
            f"{len(progress):3d} progress rows -> ledger {cases:,} cases "
            f"({key or 0} key, {escalated or 0} above tier 1)  {time.monotonic() - began:5.0f} s"
        )
    next_month = (end.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    run_dag("monthly_disposition", _local(next_month, 2))
    return {"days": len(days), "items": len(campaign.items)}


def disposition_table(month: dt.date) -> str:
    import sqlalchemy as sa

    from xinfang import db
    from xinfang.vocab import DISPOSITION_NAMES, DISPOSITIONS

    order = DISPOSITIONS
    names = [DISPOSITION_NAMES[d] for d in order]
    with db.get_engine().connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.name, d.disposition, d.case_count FROM disposition_monthly d "
                "JOIN court c ON c.court_code = d.court_code WHERE d.month = :m "
                "ORDER BY d.court_code"
            ).bindparams(sa.bindparam("m", type_=sa.Date())),
            {"m": month},
        ).all()
    grid: dict[str, dict[str, int]] = {}
    for court, disposition, count in rows:
        grid.setdefault(court, {})[disposition] = count

    def pad(text: str, width: int, right: bool = False) -> str:
        # CJK characters take two terminal columns.
        used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
        fill = " " * max(width - used, 0)
        return fill + text if right else text + fill

    width = 2 + max((len(c) * 2 for c in grid), default=10)
    lines = [pad("法院", width) + "".join(pad(n, 12, right=True) + "  " for n in names) + "合计"]
    for court, cells in [*grid.items(), ("合计", {})]:
        if court == "合计":
            counts = [sum(c.get(code, 0) for c in grid.values()) for code in order]
        else:
            counts = [cells.get(code, 0) for code in order]
        lines.append(
            pad(court, width) + "".join(f"{c:>12d}  " for c in counts) + f"{sum(counts):>4d}"
        )
    return "\n".join(lines)


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_ui(port: int) -> None:
    """api-server + dag-processor until Ctrl-C, with a known admin login."""
    home = Path(os.environ["AIRFLOW_HOME"])
    password = secrets.token_urlsafe(9)
    passwords = home / "simple_auth_passwords.json"
    passwords.write_text(json.dumps({"admin": password}), encoding="utf-8")
    os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin"
    os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(passwords)
    port = _free_port(port)

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a service manager's stop also ends the children
    exe = str(Path(sys.executable).with_name("airflow"))
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen(
            [exe, *args],
            stdout=open(logs / f"{name}.out", "w"),  # noqa: SIM115 - lives as long as the process
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, args in (
            ("dag-processor", ["dag-processor"]),
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(port)]),
        )
    ]
    print(
        f"\nAirflow UI: http://127.0.0.1:{port}/  login admin / {password}\n"
        f"Dashboard: http://127.0.0.1:{port}/plugin/campaign-dashboard  (信访看板 in the navigation)\n"
        f"logs: {logs}; press Ctrl-C to stop"
    )
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        print("the Airflow UI stopped; see the logs above", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xinfang_dev.replay", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2023, 7, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2023, 7, 31))
    parser.add_argument("--data-dir", type=Path, default=settings.DATA_DIR)
    parser.add_argument("--no-ui", action="store_true", default=bool(os.environ.get("NO_UI")))
    parser.add_argument("--port", type=int, default=int(os.environ.get("XINFANG_UI_PORT", 8080)))
    args = parser.parse_args(argv)

    print("preparing the data folder and Airflow metadata (airflow db migrate, or its copy)...")
    prepare(args.data_dir)
    print(f"ledger: {os.environ['AIRFLOW_CONN_XINFANG_LEDGER']}")

    import logging

    logging.getLogger("airflow").setLevel(logging.WARNING)
    began = time.monotonic()
    run = in_process_runner(REPO_ROOT / "dags")
    replay(args.start, args.end, args.items, args.seed, run)
    month = args.start.replace(day=1)
    print(f"\n五个一批 {month:%Y-%m} (cases closed in the month, by court and disposition)\n")
    print(disposition_table(month))
    reports = sorted((settings.reports_dir() / f"{month:%Y-%m}").glob("*"))
    print("\nreports:\n" + "\n".join(f"  {p}" for p in reports))
    print(f"ledger exports: {settings.reports_dir() / 'ledger'}")
    print(f"replay took {time.monotonic() - began:.0f} s")
    if not args.no_ui:
        serve_ui(args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
