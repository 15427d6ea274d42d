"""
### monthly_disposition — the month's "five batches" (五个一批) and reports

**What it does.** On the 1st of each month at 02:00 Asia/Shanghai, for the month
before (or the month given in the `month` param, `YYYY-MM`):

1. `migrate` — schema up to date.
2. `compute` — `disposition_monthly` (11 courts × 5 dispositions, zeros included:
   cases closed in the month per 处置类别) and the per-court KPI table.
3. `write_reports` — an XLSX workbook, CSVs and PNG charts under
   `XINFANG_REPORTS_DIR/<YYYY-MM>/`.

**Reruns.** Rerunning a month replaces that month's rows and files. To redo a past
month: *Trigger DAG w/ config* with `{"month": "2023-07"}`, or
`airflow dags test monthly_disposition 2023-08-01`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, get_current_context, task
from xinfang_dags import DEFAULT_ARGS, START_DATE, context_date, migrate_task


def _month():
    from xinfang.pipeline import report_month

    context = get_current_context()
    return report_month(context_date(context), context["params"].get("month"))


@dag(
    dag_id="monthly_disposition",
    schedule="0 2 1 * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["xinfang", "statistics"],
    doc_md=__doc__,
    params={
        "month": Param(
            None,
            type=["null", "string"],
            pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
            description="Month to compute (YYYY-MM); empty means the month before the run.",
        )
    },
)
def monthly_disposition():
    @task(multiple_outputs=False)
    def compute() -> dict:
        from xinfang import db
        from xinfang.stats import compute_month

        return compute_month(db.get_engine(), _month())

    @task(multiple_outputs=False)
    def write_reports() -> list[str]:
        from xinfang import db
        from xinfang.reports.monthly import write_month

        return [str(p) for p in write_month(db.get_engine(), _month())]

    migrate_task() >> compute() >> write_reports()


monthly_disposition()
