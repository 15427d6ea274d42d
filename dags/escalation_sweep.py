"""
### escalation_sweep — SLA clocks, escalations, warnings and notifications

**What it does.** Daily at 00:30 Asia/Shanghai, as of the run's logical date
(the run's own date: cron schedules have no data interval):

1. `migrate` — schema up to date.
2. `sweep` — for every open or paused case: working-day clocks (Chinese calendar,
   调休 included, paused days not counted), tier escalations (信访部门 → 承办法官 →
   业务庭 → 分管院领导 → 院长) with their true dates in `escalation_event`, 80%
   warnings, the tier-5 overdue flag and the statutory (60-day / 办结时限) flag;
   a `notification` row for each.
3. `daily_reports` — the per-court ledger export (台账) and the daily risk report
   under `XINFANG_REPORTS_DIR`.

The notices are e-mailed by `notification_dispatch` on working days.

**Reruns and backfill.** The outcome depends only on the ledger's facts and the
as-of date: rerunning a date changes nothing, and a skipped day is caught up by the
next run (escalations keep their true dates). To sweep as of a past date, trigger
with that logical date (`airflow dags test escalation_sweep 2023-07-31`).

**When it fails.** Past the years the `chinese-calendar` package knows, the sweep
runs on a provisional calendar (Monday-Friday minus the statutory public holidays,
no 调休) and its log warns `provisional calendar for <year> ...` from
`calendar.warn_days` (45) days ahead, as does the dashboard: add that year's official
holidays and 调休 days to `XINFANG_CONFIG` (`calendar: {years: [...], holidays: [...],
workdays: [...]}`) or upgrade `chinese-calendar`, and the next run re-derives the
affected cases by itself. A case dated before 2004 is left out with
`ledger_case.sweep_problem` set and named in a WARNING (the other cases are swept);
correct its date. A `CalendarError` now means only that the run's own date cannot be
judged (before 2004, or past the `holidays` package's tables).
"""

from __future__ import annotations

from airflow.sdk import dag, task
from xinfang_dags import DEFAULT_ARGS, START_DATE, migrate_task, run_date


@dag(
    dag_id="escalation_sweep",
    schedule="30 0 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["xinfang", "escalation"],
    doc_md=__doc__,
)
def escalation_sweep():
    @task(multiple_outputs=False)
    def sweep() -> dict:
        from xinfang.pipeline import daily_sweep

        return daily_sweep(as_of=run_date())

    @task(multiple_outputs=False)
    def daily_reports() -> list[str]:
        from xinfang.pipeline import daily_reports as write

        return write(day=run_date())

    swept = sweep()
    migrate_task() >> swept >> daily_reports()


escalation_sweep()
