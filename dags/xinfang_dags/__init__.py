"""What the xinfang DAG files share: default args, the start date, the failure notifier.

Airflow puts the DAGs folder on ``sys.path`` when it parses and runs DAG files, so they
import this package; the business logic is the installed package ``xinfang``, and the
plugins folder (the working-day timetable) is on ``sys.path`` wherever Airflow runs.

Every task is ``@task(multiple_outputs=False)``: a task returning a summary dict pushes
it as one XCom, not one more per key (a metadata write each; nothing reads them).
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import pendulum

# light modules only: the zone's name and the channel list, read when DAG files parse
from xinfang.intake.channels import PETITION_CHANNELS  # noqa: F401
from xinfang.timeutil import TZ_NAME

log = logging.getLogger("xinfang.dags")


TIMEZONE = TZ_NAME
OWNER = "xinfang-ops"
START_DATE = pendulum.datetime(2004, 1, 1, tz=TIMEZONE)
"""The working calendar's first day: a run of any date it covers does its work (history
and backfill included); ``catchup=False`` keeps the scheduler from filling the years."""


def notify_failure(context) -> None:
    """Task failure callback: a clear log line, and an e-mail when SMTP and a recipient are set.

    Set ``XINFANG_ALERT_EMAIL`` (comma-separated) and an ``smtp_default``
    connection to receive alerts; otherwise the failure is only logged.

    The exception text may quote the data (a PostgreSQL error carries the offending
    value, an intake error the row): the log line and the e-mail carry it with every
    ID- and phone-like number masked (``xinfang.masking.mask_text``), cut to 2,000
    characters, and in the e-mail HTML-escaped, braces too (no markup and no Jinja
    from the data); the subject is one masked line.
    """
    import html

    from xinfang.masking import mask_text

    limit = 2_000

    def masked(value, cap: int) -> str:
        text = mask_text(str(value)[: cap * 10]) or ""  # (a huge text is cut before masking)
        return text if len(text) <= cap else text[: cap - 1] + "…"

    def escaped(text: str) -> str:
        return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")

    ti = context.get("task_instance") or context.get("ti")
    what = masked(f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}", 250)
    run_id = masked(context.get("run_id"), 250)
    exc = context.get("exception")
    detail = masked(f"{type(exc).__name__}: {exc}" if exc is not None else "", limit)
    log.error("xinfang task failed: %s (%s) run %s", what, detail, run_id)
    recipients = os.environ.get("XINFANG_ALERT_EMAIL", "").strip()
    if not recipients:
        return
    subject = " ".join(f"[xinfang] {what} failed".split())  # one line: no header injection
    try:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        SmtpNotifier(
            to=recipients,
            subject=subject,
            html_content=(
                f"<p>{escaped(what)} failed in run {escaped(run_id)}:</p>"
                f"<pre>{escaped(detail)}</pre>"
            ),
        ).notify(context)
    except Exception:  # an alert that cannot be sent must not hide the original failure
        log.exception("could not e-mail the failure alert for %s", what)


DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=5),
    "on_failure_callback": notify_failure,
}


def local_date(logical_date) -> dt.date:
    """The Asia/Shanghai date of a run's logical date (cron runs: the run time)."""
    from xinfang.timeutil import to_local_date

    return to_local_date(logical_date)


def context_date(context) -> dt.date:
    """The Asia/Shanghai date a run stands for: its logical date (cron runs: the run
    time), or, for a run triggered without one (Airflow 3's UI and ``dags trigger``
    leave it empty), the time it was set to run."""
    when = context.get("logical_date") or context["dag_run"].run_after
    return local_date(when)


def run_date() -> dt.date:
    """Inside a task: the date of the running DAG run (``context_date``)."""
    from airflow.sdk import get_current_context

    return context_date(get_current_context())


def migrate_task():
    """The first task of every DAG: create or upgrade the ledger schema (a no-op when current)."""
    from airflow.sdk import task

    @task(task_id="migrate")
    def migrate() -> str:
        from xinfang import db

        db.upgrade()
        return "ok"

    return migrate()
