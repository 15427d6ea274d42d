"""Acceptance from outside (issue 13): poison beside good files, through the real DAGs.

The corpus (``tests/acceptance/hostile_corpus.py``) was written blind to the code from
the contract alone, with its expected outcomes in a manifest. Each run date builds it
afresh and runs ``airflow dags test intake_sweep <date>`` then ``escalation_sweep`` on
a PostgreSQL ledger: June 2023 (before the campaign), July 2023, and January 2027
(past the holiday package's last year: the provisional calendar).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import REPO
from test_e2e_airflow import airflow_env, run

pytestmark = pytest.mark.airflow

sys.path.insert(0, str(REPO / "tests" / "acceptance"))
from hostile_corpus import build  # noqa: E402

RUN_DATES = [dt.date(2023, 6, 26), dt.date(2023, 7, 17), dt.date(2027, 1, 11)]


def _loaded_outcomes(entry: dict) -> set[str]:
    return set(entry.get("acceptable_outcomes") or [entry["outcome"]])


def _check_files(manifest: dict, landing: Path, day: dt.date, files: dict) -> None:
    archive = landing / "{channel}" / "archive" / day.isoformat()
    for entry in manifest["files"]:
        channel, name = entry["channel"], entry["name"]
        where = {part: (landing / channel / part / name) for part in ("incoming", "quarantine")}
        archived = Path(str(archive).format(channel=channel)) / name
        outcomes = _loaded_outcomes(entry)
        if os_exists(archived):
            got = "loaded"
        elif os_exists(where["quarantine"]):
            got = "quarantined"
            reason = landing / channel / "quarantine" / f"{name}.reason.txt"
            assert reason.exists(), f"{name}: quarantined without a reason file"
        elif os_exists(where["incoming"]):
            got = "not_taken"
        else:
            raise AssertionError(f"{channel}/{name} is nowhere: lost")
        assert any(o.startswith(got) or (got == "not_taken" and "left" in o) for o in outcomes), (
            f"{channel}/{name}: {got}, expected {outcomes}"
        )
        if got != "loaded" or entry["kind"] == "redrop" or channel == "progress":
            continue
        row = files.get((channel, name))
        assert row is not None, f"{name}: archived but no intake_file row"
        assert row.item_count == entry["rows_new"], f"{name}: {row.item_count} items loaded"
        assert row.reject_count == entry["rows_refused"], f"{name}: {row.reject_count} refused"


def os_exists(path: Path) -> bool:
    return path.is_symlink() or path.exists()


@pytest.mark.parametrize("day", RUN_DATES, ids=[d.isoformat() for d in RUN_DATES])
def test_hostile_corpus_through_the_dags(tmp_path, airflow_ledger, day):
    landing, reports = tmp_path / "landing", tmp_path / "reports"
    manifest = build(landing, day)
    env = airflow_env(tmp_path, airflow_ledger, landing, reports)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    run(["db", "migrate"], env, elsewhere)
    intake = run(["dags", "test", "intake_sweep", day.isoformat()], env, elsewhere)
    sweep = run(["dags", "test", "escalation_sweep", day.isoformat()], env, elsewhere)

    engine = sa.create_engine(airflow_ledger.replace("postgresql://", "postgresql+psycopg2://"))
    with engine.connect() as conn:
        files = {
            (r.channel, r.source_file): r
            for r in conn.execute(sa.text("SELECT * FROM intake_file WHERE status = 'loaded'"))
        }
        per_channel = dict(
            conn.execute(
                sa.text("SELECT channel, count(*) FROM intake_item GROUP BY channel")
            ).all()
        )
        reasons = [r[0] for r in conn.execute(sa.text("SELECT reason FROM intake_reject"))]
        contents = [
            r[0] + (r[1] or "")
            for r in conn.execute(sa.text("SELECT raw, content FROM intake_item"))
        ]
        unassigned = conn.execute(
            sa.text("SELECT count(*) FROM intake_item WHERE case_id IS NULL")
        ).scalar_one()
        swept = conn.execute(sa.text("SELECT count(*) FROM ledger_case WHERE tier >= 1")).scalar()
    engine.dispose()

    _check_files(manifest, landing, day, files)
    for channel, expected in manifest["expected_per_channel"].items():
        if channel != "progress":
            assert per_channel.get(channel, 0) == expected["items_new"], channel
    for group in manifest["redrop_groups"].values():
        loaded = sum(
            files[(group["channel"], f)].item_count
            for f in group["files"]
            if (group["channel"], f) in files
        )
        assert loaded == group["distinct_rows"], group
    assert unassigned == 0 and swept > 0

    # nothing of the poison loaded, no full ID or phone anywhere a person reads
    for marker in manifest["never_loaded_markers"]:
        assert not any(marker["text"] in c for c in contents), marker
    logs = [p.read_text(errors="replace") for p in (tmp_path / "airflow_home").rglob("*.log")]
    reason_files = [p.read_text() for p in landing.glob("*/quarantine/*.reason.txt")]
    readable = reasons + reason_files + logs + [intake.stdout, intake.stderr, sweep.stdout]
    for secret in manifest["secrets"]:
        for text in readable:
            assert secret not in text, f"{secret} in {text[:200]!r}"
    summary = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))
    assert summary["run_date"] == day.isoformat()
