"""A court with a four-tier ladder: the statistics, the reports and the notices follow
the configured ladder, not the shipped five tiers."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_progress, new_case, notices
from risk_helpers import add_case, add_item, d

from xinfang import dashboard, escalation, notify, risk, stats
from xinfang.config import get_config
from xinfang.reports import monthly
from xinfang.schema import kpi_monthly, notification

FOUR_TIERS = """
tiers:
  3: {role: 分管院领导, limit_days: 5}
  4: {role: 院长, limit_days: null, overdue_after_days: 5}
  5: null
key_case_tier: 3
"""


@pytest.fixture
def four_tiers(tmp_path, monkeypatch):
    path = tmp_path / "four.yaml"
    path.write_text("intake:\n  settle_seconds: 0\n" + FOUR_TIERS, encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    return get_config()


def test_the_ladder_is_read_from_the_config(four_tiers):
    assert sorted(four_tiers.tiers) == [1, 2, 3, 4] and four_tiers.max_tier == 4
    assert four_tiers.escalation_tiers == (2, 3, 4)
    assert four_tiers.top_tier_overdue_days == 5
    # the key tier is the leader's: no tribunal between the judge and the leader
    assert four_tiers.assignee_columns == {2: "judge", 3: "leader"}


def test_the_shipped_ladder_names_judge_tribunal_and_leader():
    config = get_config()
    assert config.escalation_tiers == (2, 3, 4, 5)
    assert config.assignee_columns == {2: "judge", 3: "department", 4: "leader"}


def _july_case(engine) -> int:
    """A case registered on Monday 3 July 2023: tier 2 on 11 July, 3 on 19 July, 4 on 27 July."""
    cid = new_case(engine, D("2023-07-03"))
    escalation.sweep(engine, D("2023-07-31"))
    return cid


@BOTH
def test_stats_and_the_monthly_report_count_the_four_tiers(engine, dirs, four_tiers):
    cid = _july_case(engine)
    with engine.connect() as conn:
        to_tiers = conn.execute(sa.text("SELECT to_tier FROM escalation_event")).scalars().all()
    assert sorted(to_tiers) == [2, 3, 4]
    assert [n[:2] for n in notices(engine, cid) if n[0] == "escalation"] == [
        ("escalation", 2),
        ("escalation", 3),
        ("escalation", 4),
    ]

    with engine.connect() as conn:
        by_court = dashboard.cases_by_court(conn)
    assert by_court["tiers"] == [1, 2, 3, 4] and by_court["totals"]["tiers"]["4"] == 1

    stats.compute_month(engine, "2023-07")
    with engine.connect() as conn:
        row = conn.execute(sa.select(kpi_monthly).where(kpi_monthly.c.court_code == "冀1003")).one()
    assert [row.esc_to_tier2, row.esc_to_tier3, row.esc_to_tier4, row.esc_to_tier5] == [1, 1, 1, 0]

    monthly.write_month(engine, "2023-07")
    book = openpyxl.load_workbook(dirs["reports"] / "2023-07" / "xinfang_2023-07.xlsx")
    sheet = book[monthly.SHEET_KPI]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "升至第4级" in header and "升至第5级" not in header
    assert header == monthly.kpi_sheet_headers(four_tiers)
    court = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "冀1003")
    assert court[header.index("升至第4级")] == 1
    escalations = list(book[monthly.SHEET_ESCALATIONS].iter_rows(min_row=2, values_only=True))
    assert [(r[4], r[5]) for r in escalations] == [
        (2, "案件承办法官"),
        (3, "分管院领导"),
        (4, "院长"),
    ]


def test_a_notice_names_the_tier_of_the_ladder(four_tiers):
    fields = {
        "ledger_no": "T1",
        "court_code": "冀1003",
        "kind": "escalation",
        "tier": 4,
        "created_on": dt.date(2023, 7, 27),
        "case_tier": 4,
        "status": "open",
        "statutory_due_on": None,
    }
    subject, body = notify.message(type("Notice", (), fields))
    assert "第4级(院长)" in subject and "第4级(院长)" in body


def test_a_key_case_goes_to_the_configured_key_tier(engine, four_tiers):
    with engine.begin() as conn:
        case = add_case(conn)
        add_item(conn, case, d(6), "再不解决我就去北京上访")
    risk.screen(engine, as_of=dt.date(2023, 7, 6))
    with engine.connect() as conn:
        notes = conn.execute(sa.select(notification.c.tier, notification.c.recipient)).all()
    assert [tuple(n) for n in notes] == [(3, "分管院领导")]


def test_escalation_notices_go_to_the_person_the_ladder_names(engine, four_tiers):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-04"), judge="王法官", leader="李副院长")
    escalation.sweep(engine, D("2023-07-31"))
    got = {n[1]: n[3] for n in notices(engine, cid) if n[0] == "escalation"}
    assert got == {2: "王法官", 3: "李副院长", 4: "院长"}
