"""The campaign dashboard: its queries and the FastAPI app of the UI plugin, on a seeded ledger."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import BOTH
from fastapi.testclient import TestClient

from xinfang import dashboard
from xinfang.schema import (
    disposition_monthly,
    escalation_event,
    intake_item,
    ledger_case,
    notification,
)

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

AS_OF = dt.date(2023, 7, 20)
ID_A = "13100219800101123X"
PHONE_A = "13812345678"
ID_B = "131002198505052345"
PHONE_B = "0316-2345678"


def seed(engine: sa.Engine) -> None:
    """Five cases in three courts; escalations and a warning on AS_OF; two closed in July."""
    t0 = dt.datetime(2023, 7, 3, 9, 0)

    def case(no, court, tier, status, **kw):
        return {
            "ledger_no": no,
            "court_code": court,
            "tier": tier,
            "tier_entered_on": kw.pop("entered", dt.date(2023, 7, 3)),
            "status": status,
            "first_received_at": t0,
            "last_received_at": t0,
            "item_count": 1,
            "petitioner_name": kw.pop("name", "张伟"),
            # executemany takes its columns from the first row: give every row all keys.
            "overdue": False,
            "statutory_overdue": False,
            "is_key": False,
            "disposition": None,
            "closed_on": None,
            **kw,
        }

    cases = [
        case("XF2023-0001", "冀1003", 3, "open", name="张伟", entered=AS_OF),
        case("XF2023-0002", "冀1003", 5, "open", name="李强", overdue=True, is_key=True),
        case("XF2023-0003", "冀10", 1, "paused", name="王芳", statutory_overdue=True),
        case("XF2023-0004", "冀1081", 2, "closed", disposition="resolved", closed_on=AS_OF),
        case(
            "XF2023-0005", "冀1003", 1, "closed", disposition="aid", closed_on=dt.date(2023, 7, 5)
        ),
        case(
            "XF2023-0006", "冀1003", 1, "closed", disposition="aid", closed_on=dt.date(2023, 6, 30)
        ),
    ]
    with engine.begin() as conn:
        conn.execute(ledger_case.insert(), cases)
        ids = dict(conn.execute(sa.select(ledger_case.c.ledger_no, ledger_case.c.case_id)).all())
        items = []
        for n, (no, id_number, phone) in enumerate(
            [
                ("XF2023-0001", ID_A, PHONE_A),
                ("XF2023-0002", ID_B, PHONE_B),
                ("XF2023-0003", None, None),
            ]
        ):
            items.append(
                {
                    "channel": "letter",
                    "source_file": "letters.csv",
                    "source_row": n + 1,
                    "received_at": t0,
                    "petitioner_name": "x",
                    "id_number": id_number,
                    "phone": phone,
                    "content": "c",
                    "raw": "{}",
                    "case_id": ids[no],
                    "loaded_at": t0,
                }
            )
        conn.execute(intake_item.insert(), items)
        conn.execute(
            escalation_event.insert(),
            [
                {
                    "case_id": ids["XF2023-0001"],
                    "from_tier": 2,
                    "to_tier": 3,
                    "escalated_on": AS_OF,
                    "reason": "sla",
                },
                {
                    "case_id": ids["XF2023-0002"],
                    "from_tier": 4,
                    "to_tier": 5,
                    "escalated_on": AS_OF - dt.timedelta(days=8),
                    "reason": "sla",
                },
            ],
        )
        conn.execute(
            notification.insert(),
            [
                {
                    "case_id": ids["XF2023-0002"],
                    "kind": "warning",
                    "tier": 5,
                    "recipient": "院长",
                    "created_on": AS_OF,
                },
                {
                    "case_id": ids["XF2023-0001"],
                    "kind": "escalation",
                    "tier": 3,
                    "recipient": "民一庭",
                    "created_on": AS_OF,
                },
                {
                    "case_id": ids["XF2023-0003"],
                    "kind": "warning",
                    "tier": 1,
                    "recipient": "信访办",
                    "created_on": AS_OF - dt.timedelta(days=1),
                },
            ],
        )


@BOTH
def test_summary_figures(engine) -> None:
    seed(engine)
    s = dashboard.summary(engine, AS_OF)
    h = s["headline"]
    assert (h["cases"], h["open"], h["paused"], h["closed"]) == (6, 2, 1, 3)
    assert (h["overdue"], h["escalations_today"], h["warnings_today"], h["key_open"]) == (
        2,
        1,
        1,
        1,
    )
    assert h["closed_this_month"] == 2  # 0004 and 0005; 0006 closed in June
    by_court = {c["court_code"]: c for c in s["cases_by_court"]["courts"]}
    assert len(by_court) == 11  # every configured court, zeros included
    gy = by_court["冀1003"]
    assert (gy["open"], gy["closed"], gy["total"]) == (2, 2, 4)
    assert gy["tiers"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert by_court["冀10"]["tiers"]["1"] == 1  # paused cases count at their tier
    assert by_court["冀1081"]["tiers"]["2"] == 0  # closed cases do not
    assert {
        (r["court_code"], r["tier"], r["status"], r["count"])
        for r in s["cases_by_court"]["breakdown"]
    } >= {("冀1003", 1, "closed", 2)}
    [esc] = s["escalations"]["rows"]
    assert (esc["ledger_no"], esc["from_tier"], esc["to_tier"]) == ("XF2023-0001", 2, 3)
    assert s["notifications"]["by_kind"] == {"escalation": 1, "warning": 1}
    assert [w["ledger_no"] for w in s["notifications"]["warnings"]] == ["XF2023-0002"]
    assert [r["ledger_no"] for r in s["overdue"]["rows"]] == ["XF2023-0002", "XF2023-0003"]
    d = s["dispositions"]
    assert d["source"] == "ledger_case" and d["month"] == "2023-07-01"
    assert d["totals"]["resolved"] == 1 and d["totals"]["aid"] == 1 and d["totals"]["total"] == 2
    assert s["latest_activity"] == AS_OF.isoformat()


@BOTH
def test_official_month_figures_win_over_live_count(engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        conn.execute(
            disposition_monthly.insert(),
            [
                {"month": dt.date(2023, 6, 1), "court_code": c, "disposition": d, "case_count": 0}
                for c in ("冀10", "冀1003")
                for d in dashboard.DISPOSITIONS
            ],
        )
        conn.execute(
            disposition_monthly.update()
            .where(
                disposition_monthly.c.court_code == "冀1003",
                disposition_monthly.c.disposition == "aid",
            )
            .values(case_count=7)
        )
        d = dashboard.month_dispositions(conn, dt.date(2023, 6, 15))
    assert d["source"] == "disposition_monthly"
    assert d["totals"]["aid"] == 7 and d["totals"]["total"] == 7


@pytest.fixture
def client(engine):
    from airflow.api_fastapi.core_api.security import get_user
    from xinfang_dashboard_plugin import create_app

    seed(engine)
    app = create_app()
    app.dependency_overrides[get_user] = lambda: "tester"
    with TestClient(app) as c:
        yield c


@BOTH
def test_json_endpoint_masks_personal_data(client) -> None:
    r = client.get("/api/summary", params={"as_of": AS_OF.isoformat()})
    assert r.status_code == 200
    body = r.text
    for secret in (ID_A, ID_B, PHONE_A, PHONE_B, "2345678"):
        assert secret not in body
    data = r.json()
    [esc] = data["escalations"]["rows"]
    assert esc["id_number"] == "131002********123X" and esc["phone"] == "138****5678"
    overdue = {row["ledger_no"]: row for row in data["overdue"]["rows"]}
    assert overdue["XF2023-0002"]["id_number"] == "131002********2345"
    assert overdue["XF2023-0002"]["phone"] == "031****5678"
    assert overdue["XF2023-0003"]["id_number"] is None
    assert data["headline"]["overdue"] == 2


@BOTH
def test_html_page_shows_figures_masked(client) -> None:
    r = client.get("/dashboard", params={"as_of": AS_OF.isoformat()})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for secret in (ID_A, ID_B, PHONE_A, PHONE_B):
        assert secret not in html
    assert "131002********123X" in html and "138****5678" in html
    assert "广阳区人民法院" in html and "XF2023-0002" in html
    assert 'data-figure="overdue"' in html
    assert "依法化解" in html


def test_calendar_warning_shows_when_the_calendar_turns_provisional(client, monkeypatch) -> None:
    from xinfang import calendar as workcal

    end = workcal.calendar_bounds()[1]
    nxt = end.year + 1
    params = {"as_of": AS_OF.isoformat()}
    monkeypatch.setattr(dashboard, "_today", lambda: end - dt.timedelta(days=100))
    assert 'id="calendar-warning"' not in client.get("/dashboard", params=params).text
    assert client.get("/api/summary", params=params).json()["calendar"]["warning"] is None
    # 20 days before the official calendar ends: the next year will be provisional
    monkeypatch.setattr(dashboard, "_today", lambda: end - dt.timedelta(days=20))
    html = client.get("/dashboard", params=params).text
    assert 'id="calendar-warning"' in html and f"years: [{nxt}]" in html
    cal = client.get("/api/summary", params=params).json()["calendar"]
    assert cal["days_left"] == 20 and cal["provisional"] == [nxt]
    chinese = f"{nxt}年工作日历为临时日历（仅法定节假日，无调休）"
    assert chinese in html and "（官方日历还剩 20 天）" in html
    # Chinese first, then the English text for IT
    assert html.index(chinese) < html.index(f"provisional calendar for {nxt}")
    assert "停止" not in html
    # in the provisional year itself
    monkeypatch.setattr(dashboard, "_today", lambda: end + dt.timedelta(days=3))
    html = client.get("/dashboard", params=params).text
    assert chinese in html and "自动重新计算" in html and "还剩" not in html
    assert f"in force on {end + dt.timedelta(days=3)}" in html


@pytest.mark.parametrize(
    "as_of", ["2023-13-01", "not-a-date", "9999-12-31", "2101-01-04", "2003-12-31", "0001-01-01"]
)
def test_an_as_of_it_cannot_use_is_a_400_with_the_reason(client, as_of) -> None:
    r = client.get("/api/summary", params={"as_of": as_of})
    assert r.status_code == 400 and "as_of" in r.json()["detail"]
    page = client.get("/dashboard", params={"as_of": as_of})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert 'id="error"' in page.text and "as_of" in page.text


def test_the_provisional_year_itself_can_be_shown(client) -> None:
    r = client.get("/api/summary", params={"as_of": "2027-03-01"})
    assert r.status_code == 200 and r.json()["as_of"] == "2027-03-01"


def test_requires_login(engine) -> None:
    from xinfang_dashboard_plugin import create_app

    with TestClient(create_app()) as c:
        assert c.get("/api/summary").status_code == 401
        assert c.get("/dashboard").status_code == 401


def test_ledger_without_schema_gives_an_actionable_503(tmp_path, monkeypatch) -> None:
    from airflow.api_fastapi.core_api.security import get_user
    from xinfang_dashboard_plugin import create_app

    from xinfang import db

    monkeypatch.setenv("AIRFLOW_CONN_XINFANG_LEDGER", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    db._engine_for.cache_clear()
    app = create_app()
    app.dependency_overrides[get_user] = lambda: "tester"
    try:
        with TestClient(app) as c:
            r = c.get("/api/summary")
            assert r.status_code == 503 and "migrate" in r.json()["detail"]
            page = c.get("/dashboard")
            assert page.status_code == 503 and "AIRFLOW_CONN_XINFANG_LEDGER" in page.text
    finally:
        db._engine_for.cache_clear()


def test_plugin_registers_app_and_nav_entry() -> None:
    from xinfang_dashboard_plugin import XinfangDashboardPlugin

    [mounted] = XinfangDashboardPlugin.fastapi_apps
    assert mounted["url_prefix"] == "/xinfang"
    [view] = XinfangDashboardPlugin.external_views
    assert view["destination"] == "nav" and view["url_route"] == "campaign-dashboard"
    assert view["href"] == "xinfang/dashboard"
    # The api-server's own validation of what the UI receives.
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

    assert ExternalViewResponse(**view).destination == "nav"
