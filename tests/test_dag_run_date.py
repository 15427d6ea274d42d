"""The date a DAG run stands for (``xinfang_dags.context_date``): a manual run of Airflow 3
may have no logical date at all, and every task must still know its day."""

from __future__ import annotations

import datetime as dt
import sys
from types import SimpleNamespace

from conftest import REPO

sys.path.insert(0, str(REPO / "dags"))

import xinfang_dags

UTC = dt.UTC


def test_a_cron_run_is_dated_by_its_logical_date_in_shanghai():
    # 20:00 UTC on 2 July is already 3 July in Asia/Shanghai
    at = dt.datetime(2023, 7, 2, 20, 0, tzinfo=UTC)
    context = {"logical_date": at, "dag_run": SimpleNamespace(run_after=at + dt.timedelta(days=9))}
    assert xinfang_dags.context_date(context) == dt.date(2023, 7, 3)


def test_a_run_triggered_without_a_logical_date_is_dated_by_when_it_was_set_to_run():
    run_after = dt.datetime(2026, 12, 7, 21, 20, tzinfo=UTC)
    for context in (
        {"dag_run": SimpleNamespace(run_after=run_after)},  # the key absent (the UI, the CLI)
        {"logical_date": None, "dag_run": SimpleNamespace(run_after=run_after)},
    ):
        assert xinfang_dags.context_date(context) == dt.date(2026, 12, 8)
