"""`make run`'s replay gives the same ledger and statistics as the DAGs run by hand.

The replay runs the DAGs in-process (``dag.test``); "by hand" is what an operator
types: ``airflow dags test <dag> <date>`` in a shell, one run after another, on a
second ledger fed the same files.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO

pytestmark = pytest.mark.airflow

DAY = dt.date(2023, 7, 3)
TABLES = {
    "ledger_case": "SELECT ledger_no, court_code, tier, tier_entered_on, status, is_key, item_count,"
    " disposition, closed_on, overdue, statutory_due_on FROM ledger_case ORDER BY ledger_no",
    "intake_item": "SELECT i.channel, i.source_file, i.source_row, c.ledger_no FROM intake_item i"
    " JOIN ledger_case c ON c.case_id = i.case_id ORDER BY 1, 2, 3",
    "escalation_event": "SELECT c.ledger_no, e.from_tier, e.to_tier, e.escalated_on, e.reason"
    " FROM escalation_event e JOIN ledger_case c ON c.case_id = e.case_id ORDER BY 1, 4, 3",
    "notification": "SELECT c.ledger_no, n.kind, n.tier, n.recipient, n.created_on FROM notification n"
    " JOIN ledger_case c ON c.case_id = n.case_id ORDER BY 1, 5, 2, 3",
    "risk_flag": "SELECT c.ledger_no, r.kind, r.detected_on FROM risk_flag r"
    " JOIN ledger_case c ON c.case_id = r.case_id ORDER BY 1, 2, 3",
    "disposition_monthly": "SELECT month, court_code, disposition, case_count"
    " FROM disposition_monthly ORDER BY 1, 2, 3",
}


def run_replay(data_dir: Path, runner: str) -> dict[str, list]:
    """Replay one day in a fresh interpreter with the given DAG runner; return the tables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XINFANG"))}
    env["NO_UI"] = "1"
    code = (
        "import sys, datetime as dt\n"
        "from xinfang_dev import replay\n"
        "replay.prepare(sys.argv[1])\n"
        f"run = replay.in_process_runner(replay.REPO_ROOT / 'dags') if sys.argv[2] == 'in_process' "
        "else replay.cli_runner\n"
        f"replay.replay(dt.date({DAY.year}, {DAY.month}, {DAY.day}), dt.date({DAY.year}, {DAY.month}, {DAY.day}), 120, 5, run)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(data_dir), runner],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    engine = sa.create_engine(f"sqlite:///{data_dir / 'ledger.sqlite'}")
    with engine.connect() as conn:
        tables = {name: conn.execute(sa.text(sql)).all() for name, sql in TABLES.items()}
    engine.dispose()
    return tables


def test_replay_matches_dags_run_by_hand(tmp_path):
    replayed = run_replay(tmp_path / "replay", "in_process")
    by_hand = run_replay(tmp_path / "by_hand", "cli")
    assert replayed["ledger_case"], "the replay built a ledger"
    assert len(replayed["disposition_monthly"]) == 55
    for name in TABLES:
        assert replayed[name] == by_hand[name], name
