"""
### notification_dispatch — e-mail the day's notices on Chinese working days

**What it does.** At 09:00 Asia/Shanghai on every Chinese working day (public
holidays skipped, 调休 weekend working days included — the `ChineseWorkdayTimetable`
from `plugins/`), e-mails the notifications the escalation sweep and risk screening
wrote to the `notification` table (escalations, 80% warnings, overdue and statutory
flags, risk notices) and stamps their `sent_at`. Notices written on a holiday go out
on the next working day.

**Configuration.** E-mail needs an `smtp_default` Airflow connection
(`AIRFLOW_CONN_SMTP_DEFAULT`) and recipients under `notify:` in `XINFANG_CONFIG`
(`addresses` per recipient name, `default_to`). Without SMTP the task succeeds and
logs how many notices wait; they stay visible in the table and the dashboard.

**Reruns.** Only unsent notices are sent, so a rerun never sends one twice.
**When it fails** with a calendar error, the working calendar has no data for the
year: add the year under `calendar:` in `XINFANG_CONFIG`.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task
from xinfang_dags import DEFAULT_ARGS, START_DATE, TIMEZONE
from xinfang_timetables import ChineseWorkdayTimetable


@dag(
    dag_id="notification_dispatch",
    schedule=ChineseWorkdayTimetable(at=dt.time(9, 0), timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["xinfang", "notifications"],
    doc_md=__doc__,
)
def notification_dispatch():
    @task(multiple_outputs=False)
    def send_notifications() -> dict:
        from xinfang import db
        from xinfang.notify import send_pending

        db.upgrade()
        return send_pending()

    send_notifications()


notification_dispatch()
