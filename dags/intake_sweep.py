"""
### intake_sweep — load every channel's new files into the ledger (台账)

**What it does.** Several times a day (08:00, 12:00, 16:00, 20:00 Asia/Shanghai):

1. `migrate` creates or upgrades the ledger schema (a no-op when current).
2. `load_channel` — one mapped task per channel (letter, visit, online, hotline,
   referral) — loads each file waiting in `<XINFANG_LANDING_DIR>/<channel>/incoming/`
   into `intake_item`; unusable rows go to `intake_reject` with the reason, the file
   moves to `archive/<date>/`. A file that cannot be read at all moves to
   `quarantine/` with a `<name>.reason.txt` beside it.
   Within the task, `intake.workers` processes (one per core by default) parse the
   files while the task writes them in order, one transaction per file.
3. `deduplicate` joins the new items into ledger cases (one case per petition matter).
4. `load_progress` loads the courts' progress files (`progress/incoming/`).
5. `apply_updates` applies progress rows, refreshes the touched cases' tiers as of the
   run's date and screens the new items for risks.

**Reruns are safe.** A file is loaded in one transaction and leaves `incoming/` only
after it committed; a byte-identical file dropped again loads nothing, and a corrected
file dropped again (any name, encoding or format) loads only its new or changed rows.
Clearing a failed task and rerunning it loads each file exactly once. A file still being
copied (size or times changing, or named `*.part`/`*.tmp`) waits for the next run.

**Bad input is not a failure.** A file that cannot be loaded (unreadable, past a limit,
a symbolic link, any error while loading it) is quarantined with its reason and the
sweep goes on; a row that cannot be used (bad date, too long, control characters,
wrong field count) is refused with its reason and line. See `quarantine/*.reason.txt`
and `intake_reject`; reasons never show full ID or phone numbers.

**When it fails.** A failure means the ledger database or the landing folder is
unreachable, or the worker was stopped: fix that and clear the task.

Settings: `AIRFLOW_CONN_XINFANG_LEDGER`, `XINFANG_LANDING_DIR`, `XINFANG_CONFIG`.
"""

from __future__ import annotations

from airflow.sdk import dag, task
from xinfang_dags import DEFAULT_ARGS, PETITION_CHANNELS, START_DATE, migrate_task, run_date


@dag(
    dag_id="intake_sweep",
    schedule="0 8,12,16,20 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["xinfang", "intake"],
    doc_md=__doc__,
)
def intake_sweep():
    @task(max_active_tis_per_dagrun=5, multiple_outputs=False)
    def load_channel(channel: str) -> dict:
        from xinfang.intake.sweep import summarize, sweep_channel

        return {"channel": channel, **summarize(sweep_channel(channel, day=run_date()))}

    @task(multiple_outputs=False)
    def deduplicate(loaded: list[dict]) -> dict:
        from xinfang import db
        from xinfang.ledger import assign_cases

        return assign_cases(db.get_engine())

    @task(multiple_outputs=False)
    def load_progress() -> dict:
        from xinfang.intake.sweep import summarize, sweep_channel

        return summarize(sweep_channel("progress", day=run_date()))

    @task(multiple_outputs=False)
    def apply_updates() -> dict:
        from xinfang.pipeline import apply_updates as apply

        return apply(as_of=run_date())

    loaded = load_channel.expand(channel=list(PETITION_CHANNELS))
    migrate_task() >> loaded
    deduplicate(loaded) >> load_progress() >> apply_updates()


intake_sweep()
