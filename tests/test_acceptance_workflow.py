"""Acceptance: a month of letters and progress rows with the workflow columns, run day by
day with a roster in the config, twice: through the code the DAGs run (intake_sweep's
tasks, escalation_sweep's daily sweep, monthly_disposition's figures) on SQLite and
PostgreSQL, and through the real DAGs (``dag.test``, as ``make run``).

July 2023, hand-derived:
  1 郝建国 冀1003 reg Mon 3 Jul; 5 Jul 受理 (judge 王法官); 20 Jul replied, 已销号 化解, 满意
    -> due 3 Sep; tier 2 on 11 Jul noticed to 王法官; closed on time, satisfied
  2 李秀英 冀1003 reg 3 Jul; 10 Jul 督办 by 市中院 until 14 Jul (no reply); 25 Jul 受理
    (22 days: late); an extension to 30 Nov refused (limit 23 Oct)
    -> due 23 Sep; supervision flag and one notice on 15 Jul to the roster's 赵建华
  3 张伟 冀1022 reg Wed 5 Jul; 10 Jul 受理; 28 Jul replied, 已销号 依法终结, 不满意
    -> due 8 Sep; closed on time, dissatisfied; notices to roles (no roster for 冀1022)
  4 王芳 冀1022 reg 20 Jul, not accepted: 15 days end 4 Aug -> left out of 及时受理率
  5 刘洋 冀1003 reg 10 Jul, not accepted: 15 days ended 25 Jul -> counts against
Rates: 冀1003 1/3, 1.0, 1.0; 冀1022 1.0, 1.0, 0.0; every other court null.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from conftest import BOTH, REPO
from intake_helpers import drop

from xinfang import pipeline, stats
from xinfang.intake.sweep import sweep_channel
from xinfang.ledger import assign_cases
from xinfang.schema import ledger_case

ROSTER = """intake:
  settle_seconds: 0
roster:
  冀1003:
    1: {name: 刘静, email: liujing@gyfy.example}
    4: {name: 赵建华, email: zhaojh@gyfy.example}
"""
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容\n"
LETTERS = {
    "2023-07-03": [
        ("郝建国", "广阳区人民法院", "借款纠纷判决对方支付35万元至今没有执行"),
        ("李秀英", "广阳区人民法院", "房屋拆迁补偿款一直没有发放"),
    ],
    "2023-07-05": [("张伟", "固安县人民法院", "劳动争议案件审理拖延两年")],
    "2023-07-10": [("刘洋", "广阳区人民法院", "交通事故赔偿执行款被扣留")],
    "2023-07-20": [("王芳", "固安县人民法院", "离婚案件财产分割判决不公")],
}
PROGRESS = "台账编号,日期,办理进展,状态,处置类别,承办法官,受理日期,答复日期,延期至,满意度,督办单位,督办期限\n"
# day -> rows (petitioner, the row after its 台账编号)
ROWS = {
    "2023-07-05": [("郝建国", "2023-07-05,已受理,办理中,,王法官,2023-07-05,,,,,")],
    "2023-07-10": [
        ("李秀英", "2023-07-10,市中院督办,,,,,,,,市中院,2023-07-14"),
        ("张伟", "2023-07-10,已受理,办理中,,,2023-07-10,,,,,"),
    ],
    "2023-07-20": [("郝建国", "2023-07-20,已答复,已销号,化解,,,2023-07-20,,满意,,")],
    "2023-07-25": [
        ("李秀英", "2023-07-25,已受理,办理中,,,2023-07-25,,,,,"),
        ("李秀英", "2023-07-25,申请延期,,,,,,2023-11-30,,,"),
    ],
    "2023-07-28": [("张伟", "2023-07-28,已答复,已销号,依法终结,,,2023-07-28,,不满意,,")],
}


def _ledger_nos(engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT petitioner_name, ledger_no FROM ledger_case"))
        return {name: number for name, number in rows}


def run_july(engine, landing, run_day: Callable[[dt.date, bool], None]) -> None:
    """Each day: the day's files dropped, then ``run_day(day, with_files)`` runs intake (on
    a day with files) and the daily sweep."""
    day = dt.date(2023, 7, 3)
    while day <= dt.date(2023, 7, 31):
        iso = day.isoformat()
        if iso in LETTERS:
            rows = "".join(f"{iso},{n},,,,,{court},{text}\n" for n, court, text in LETTERS[iso])
            drop(landing, "letter", f"letters_{iso}.csv", LETTER + rows)
        if iso in ROWS:
            numbers = _ledger_nos(engine)
            rows = "".join(f"{numbers[name]},{rest}\n" for name, rest in ROWS[iso])
            drop(landing, "progress", f"progress_{iso}.csv", PROGRESS + rows)
        run_day(day, iso in LETTERS or iso in ROWS)
        day += dt.timedelta(days=1)


def task_code_runner(engine, landing) -> Callable[[dt.date, bool], None]:
    """The code intake_sweep's tasks and escalation_sweep's sweep run, called directly."""

    def run_day(day: dt.date, with_files: bool) -> None:
        if with_files:
            sweep_channel("letter", engine=engine, landing_root=landing, day=day)
            assign_cases(engine)
            sweep_channel("progress", engine=engine, landing_root=landing, day=day)
            pipeline.apply_updates(day, engine)
        pipeline.daily_sweep(day, engine)

    return run_day


def dag_runner(run: Callable[[str, object], None]) -> Callable[[dt.date, bool], None]:
    """The real DAGs through ``run(dag_id, logical_date)`` (the replay's ``dag.test``):
    intake_sweep at noon on a day with files, escalation_sweep in the evening."""
    import pendulum

    def run_day(day: dt.date, with_files: bool) -> None:
        at = pendulum.datetime(day.year, day.month, day.day, tz="Asia/Shanghai")
        if with_files:
            run("intake_sweep", at.add(hours=12))
        run("escalation_sweep", at.add(hours=18))

    return run_day


@BOTH
def test_a_month_of_the_office_workflow(engine, dirs, tmp_path, monkeypatch):
    config = tmp_path / "roster.yaml"
    config.write_text(ROSTER, encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(config))
    run_july(engine, dirs["landing"], task_code_runner(engine, dirs["landing"]))
    stats.compute_month(engine, "2023-07")
    check_july(engine)


@pytest.mark.airflow
def test_the_same_month_through_the_real_dags(tmp_path):
    """The month through intake_sweep, escalation_sweep and monthly_disposition themselves
    (``dag.test`` in a fresh interpreter with its own Airflow home, as ``make run``), on
    the embedded SQLite ledger: the same hand-derived fields, notices, history and rates."""
    data = tmp_path / "dags"
    config = tmp_path / "roster.yaml"
    config.write_text(ROSTER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "XINFANG"))}
    env.update(
        {
            "XINFANG_CONFIG": str(config),
            "AIRFLOW_CONN_XINFANG_LEDGER": f"sqlite:///{data / 'ledger.sqlite'}",
            "XINFANG_LANDING_DIR": str(data / "landing"),
            "XINFANG_REPORTS_DIR": str(data / "reports"),
            "PYTHONPATH": os.pathsep.join(
                [str(REPO / "include"), str(REPO / "dev"), str(REPO / "tests")]
            ),
        }
    )
    code = (
        "import sys, datetime as dt, pendulum\n"
        "from pathlib import Path\n"
        "from xinfang_dev import replay\n"
        "from xinfang import db\n"
        "import test_acceptance_workflow as july\n"
        "data = replay.prepare(sys.argv[1])\n"
        "run = replay.in_process_runner(replay.REPO_ROOT / 'dags')\n"
        "july.run_july(db.get_engine(), data / 'landing', july.dag_runner(run))\n"
        "run('monthly_disposition', pendulum.datetime(2023, 8, 1, 6, tz='Asia/Shanghai'))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(data)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    engine = sa.create_engine(f"sqlite:///{data / 'ledger.sqlite'}")
    try:
        check_july(engine)
    finally:
        engine.dispose()


def check_july(engine) -> None:
    """The hand-derived outcome of the month (the module docstring)."""
    D = dt.date.fromisoformat

    with engine.connect() as conn:
        cases = {r.petitioner_name: r for r in conn.execute(sa.select(ledger_case)).all()}
        rejects = conn.execute(sa.text("SELECT reason FROM intake_reject")).scalars().all()
        sent = conn.execute(
            sa.text(
                "SELECT c.petitioner_name, n.kind, n.tier, n.created_on, n.recipient "
                "FROM notification n JOIN ledger_case c ON c.case_id = n.case_id"
            )
        ).all()
    assert len(cases) == 5
    workflow = {
        name: (
            c.accepted_on,
            c.replied_on,
            c.extended_to,
            c.satisfaction,
            c.supervision_due_on,
            c.statutory_due_on,
            bool(c.supervision_overdue),
            c.status,
        )
        for name, c in cases.items()
    }
    assert workflow == {
        "郝建国": (
            D("2023-07-05"),
            D("2023-07-20"),
            None,
            "satisfied",
            None,
            D("2023-09-03"),
            False,
            "closed",
        ),
        "李秀英": (
            D("2023-07-25"),
            None,
            None,
            None,
            D("2023-07-14"),
            D("2023-09-23"),
            True,
            "open",
        ),
        "张伟": (
            D("2023-07-10"),
            D("2023-07-28"),
            None,
            "dissatisfied",
            None,
            D("2023-09-08"),
            False,
            "closed",
        ),
        "王芳": (None, None, None, None, None, D("2023-09-18"), False, "open"),
        "刘洋": (None, None, None, None, None, D("2023-09-08"), False, "open"),
    }
    assert rejects == [
        "延期至 2023-11-30 is more than 30 days past the statutory deadline 2023-09-23 "
        "(60 days from 受理日期 2023-07-25); the latest extension allowed is 2023-10-23"
    ]
    notices = {  # (SQLite returns a date of a text query as text)
        (n.petitioner_name, n.kind, n.tier, D(str(n.created_on))): n.recipient for n in sent
    }
    assert [k for k in notices if k[1] == "supervision"] == [
        ("李秀英", "supervision", 4, D("2023-07-15"))
    ]
    assert notices[("李秀英", "supervision", 4, D("2023-07-15"))] == "赵建华"
    assert notices[("李秀英", "warning", 1, D("2023-07-07"))] == "刘静"
    assert notices[("郝建国", "escalation", 2, D("2023-07-11"))] == "王法官"
    assert notices[("张伟", "warning", 1, D("2023-07-11"))] == "信访部门工作人员"

    with engine.connect() as conn:
        rates = {
            r[0]: tuple(r[1:])
            for r in conn.execute(
                sa.text(
                    "SELECT court_code, timely_acceptance_rate, on_time_closure_rate, "
                    "satisfaction_rate FROM kpi_monthly WHERE month = :m"
                ),
                {"m": dt.date(2023, 7, 1)},
            )
        }
    assert rates.pop("冀1003") == (pytest.approx(1 / 3), 1.0, 1.0)
    assert rates.pop("冀1022") == (1.0, 1.0, 0.0)
    assert set(rates.values()) == {(None, None, None)}
    # the history of 郝建国's case, by hand: created on 3 Jul by intake (60 days from
    # registration: due 1 Sep, set with the case); 5 Jul the court's row names the judge
    # and its 受理 moves the deadline to 3 Sep (the sweep derives it); tier 2 on 11 Jul
    # and tier 3 on 19 Jul (§4's example); 20 Jul closed as resolved
    with engine.connect() as conn:
        got = conn.execute(
            sa.text(
                "SELECT field, old_value, new_value, changed_on, source FROM v_case_history "
                "WHERE ledger_no = :no ORDER BY history_id"
            ),
            {"no": cases["郝建国"].ledger_no},
        ).all()
    assert [(f, o, n, str(d)[:10], s) for f, o, n, d, s in got] == [
        ("created", None, "冀1003", "2023-07-03", "intake"),
        ("judge", None, "王法官", "2023-07-05", "progress"),
        ("statutory_due_on", "2023-09-01", "2023-09-03", "2023-07-05", "sweep"),
        ("tier", "1", "2", "2023-07-11", "sweep"),
        ("tier", "2", "3", "2023-07-19", "sweep"),
        ("status", "open", "closed", "2023-07-20", "progress"),
        ("disposition", None, "resolved", "2023-07-20", "progress"),
    ]
