"""Every DAG imports cleanly and carries what operations rely on (Astronomer-style integrity test)."""

from __future__ import annotations

import pytest
from conftest import REPO

EXPECTED = {"intake_sweep", "escalation_sweep", "monthly_disposition"}
ALL = EXPECTED | {"notification_dispatch"}


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import BundleDagBag

    # as the dag-processor parses them: the DAGs folder on sys.path, nothing else added
    return BundleDagBag(dag_folder=str(REPO / "dags"), bundle_path=REPO / "dags")


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


def test_contract_dags_present(dagbag):
    assert set(dagbag.dag_ids) == ALL


def test_notifications_run_on_chinese_working_days_only(dagbag):
    import datetime as dt

    import pendulum

    timetable = dagbag.dags["notification_dispatch"].timetable
    assert type(timetable).__name__ == "ChineseWorkdayTimetable"
    from airflow.timetables.base import TimeRestriction

    start = pendulum.datetime(2023, 9, 28, tz="Asia/Shanghai")
    runs, last = [], None
    for _ in range(4):
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last,
            restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
        )
        runs.append(info.logical_date.in_timezone("Asia/Shanghai").date())
        last = info.data_interval
    # National Day 2023: 29 Sep - 6 Oct off, Saturday 7 and Sunday 8 October worked.
    assert runs == [
        dt.date(2023, 9, 28),
        dt.date(2023, 10, 7),
        dt.date(2023, 10, 8),
        dt.date(2023, 10, 9),
    ]


@pytest.mark.parametrize("dag_id", sorted(ALL))
def test_dag_carries_schedule_owner_tags_docs_retries(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    assert type(dag.timetable).__name__ != "NullTimetable", "explicit schedule"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.tags and "xinfang" in dag.tags
    assert dag.doc_md and len(dag.doc_md) > 200
    assert str(dag.timezone) in ("Asia/Shanghai", "Timezone('Asia/Shanghai')")
    for task in dag.tasks:
        assert task.owner == "xinfang-ops", task.task_id
        assert task.retries >= 1, task.task_id
        assert task.on_failure_callback, task.task_id


def test_dag_files_have_no_heavy_top_level_imports():
    """DAG files are parsed every few seconds: pandas, SQLAlchemy etc. load inside tasks only."""
    heavy = ("pandas", "sqlalchemy", "openpyxl", "opencc", "matplotlib", "xinfang.")
    for path in (REPO / "dags").glob("*.py"):
        top = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(("import ", "from "))
        ]
        assert not [line for line in top if any(h in line for h in heavy)], path.name


@pytest.mark.parametrize("dag_id", sorted(ALL))
def test_tasks_push_one_xcom_not_one_per_key(dagbag, dag_id):
    """A task returning a dict would push every key as its own XCom (TaskFlow infers
    ``multiple_outputs`` from ``-> dict``): one metadata write per key, most of a small
    task's cost, and nothing reads them. The summary is one ``return_value``."""
    for task in dagbag.dags[dag_id].tasks:
        if hasattr(task, "multiple_outputs"):
            assert task.multiple_outputs is False, task.task_id
