"""The case console: search, filters, the case page, the forms, who may use them, and
forged requests (``xinfang.console`` and the dashboard plugin's FastAPI app)."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import BOTH
from fastapi.testclient import TestClient
from test_plugins_dashboard import AS_OF, ID_A, ID_B, PHONE_A, PHONE_B, seed

from xinfang import console
from xinfang.normalize.names import name_key
from xinfang.schema import (
    case_history,
    case_progress,
    intake_item,
    kpi_monthly,
    ledger_case,
    match_decision,
    notification,
    risk_flag,
)

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

CASE_NO = "(2023)冀1003民初1234号"
ORIGIN = {"origin": "http://testserver"}
SECRETS = (ID_A, ID_B, PHONE_A, PHONE_B, "2345678", "13900001111")


def seed_console(engine: sa.Engine) -> dict[str, int]:
    """The dashboard's seed, plus names, a 案号, a second item in XF2023-0001 and one row of
    every section of its case page. Returns the case ids by 台账编号."""
    seed(engine)
    t0 = dt.datetime(2023, 7, 3, 9, 0)
    with engine.begin() as conn:
        ids = dict(conn.execute(sa.select(ledger_case.c.ledger_no, ledger_case.c.case_id)).all())
        for no, name in (("XF2023-0001", "张伟"), ("XF2023-0002", "李强"), ("XF2023-0003", "王芳")):
            conn.execute(
                intake_item.update()
                .where(intake_item.c.case_id == ids[no])
                .values(petitioner_name=name, name_key=name_key(name))
            )
        conn.execute(
            intake_item.update()
            .where(intake_item.c.case_id == ids["XF2023-0001"])
            .values(case_number=CASE_NO, content=f"请回电 {PHONE_A}，身份证 {ID_A}")
        )
        conn.execute(
            ledger_case.update()
            .where(ledger_case.c.case_id == ids["XF2023-0001"])
            .values(
                case_number=CASE_NO,
                accepted_on=dt.date(2023, 7, 5),
                replied_on=dt.date(2023, 7, 18),
                extended_to=dt.date(2023, 9, 30),
                satisfaction="basic",
                supervision_unit="廊坊中院",
                supervision_due_on=dt.date(2023, 7, 28),
                statutory_due_on=dt.date(2023, 9, 30),
                judge="刘法官",
            )
        )
        conn.execute(
            intake_item.insert(),
            {
                "channel": "hotline",
                "source_file": "hotline.csv",
                "source_row": 9,
                "received_at": t0 + dt.timedelta(days=2),
                "petitioner_name": "张伟",
                "name_key": name_key("张伟"),
                "phone": "13900001111",
                "content": "再次来电",
                "raw": "{}",
                "case_id": ids["XF2023-0001"],
                "loaded_at": t0,
            },
        )
        one = ids["XF2023-0001"]
        conn.execute(
            case_progress.insert(),
            {
                "case_id": one,
                "progress_date": dt.date(2023, 7, 5),
                "note": f"已电话联系 {PHONE_A}",
                "note_masked": "已电话联系 138****5678",
                "status": "open",
                "accepted_on": dt.date(2023, 7, 5),
                "loaded_at": t0,
            },
        )
        conn.execute(
            notification.update()
            .where(notification.c.case_id == one)
            .values(message=f"请联系 {PHONE_A}")
        )
        conn.execute(
            risk_flag.insert(),
            {"case_id": one, "kind": "repeat", "detected_on": AS_OF, "evidence": "3 次来访"},
        )
        first_item = conn.execute(
            sa.select(sa.func.min(intake_item.c.item_id)).where(intake_item.c.case_id == one)
        ).scalar_one()
        conn.execute(
            match_decision.insert(),
            {
                "item_id": first_item + 100,
                "case_id": one,
                "matched_item_id": first_item,
                "rule": "facts",
                "score": 0.62,
                "threshold": 0.55,
                "evidence": "same amount 12万元; same counterparty 某建筑公司",
                "decided_at": t0,
            },
        )
        conn.execute(
            case_history.insert(),
            [
                {
                    "case_id": one,
                    "ledger_no": "XF2023-0001",
                    "field": field,
                    "old_value": old,
                    "new_value": new,
                    "changed_on": day,
                    "changed_at": dt.datetime.combine(day, dt.time()),
                    "source": source,
                    "via": via,
                    "actor": by,
                    "reason": reason,
                    "recorded_at": t0,
                }
                for field, old, new, day, source, via, by, reason in (
                    ("tier", "1", "2", dt.date(2023, 7, 11), "sweep", "escalation", None, None),
                    (
                        "judge",
                        None,
                        "刘法官",
                        dt.date(2023, 7, 12),
                        "manual",
                        "admin",
                        "王芳",
                        "分派",
                    ),
                )
            ],
        )
    return ids


@pytest.fixture
def ledger(engine) -> sa.Engine:
    seed_console(engine)
    return engine


# -- the search box ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("XF2023-0001", "ledger_no", "XF2023-0001"),
        ("ｘｆ2023-0001 ", "ledger_no", "XF2023-0001"),
        ("（2023）冀1003民初1234", "case_number", CASE_NO),
        ("11010119900307451x".upper()[:-1] + "4", "id_number", "110101199003074514"),
        (ID_A.lower(), "tail", ID_A),  # its check character is wrong: no stored ID is
        ("+86 138-1234-5678", "phone", PHONE_A),
        ("5678", "tail", "5678"),
        ("１２３x", "tail", "123X"),
        ("张伟", "name", "zhang wei"),
    ],
)
def test_the_search_box_reads_each_kind_of_key(typed, kind, value) -> None:
    assert console.read_key(typed) == console.Key(kind, value)


@pytest.mark.parametrize("typed", ["567", "12", "+86"])
def test_fewer_than_four_digits_is_refused(typed) -> None:
    with pytest.raises(console.BadQuery, match="至少"):
        console.read_key(typed)


def _nos(result: dict) -> list[str]:
    return [r["ledger_no"] for r in result["rows"]]


@BOTH
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("XF2023-0002", ["XF2023-0002"]),
        ("张伟", ["XF2023-0001"]),
        ("章玮", ["XF2023-0001"]),  # a homophone: the hotline hears names
        ("(2023)冀1003民初1234号", ["XF2023-0001"]),
        (ID_B, ["XF2023-0002"]),
        ("138 1234 5678", ["XF2023-0001"]),
        ("5678", ["XF2023-0002", "XF2023-0001"]),  # a mobile and a landline end alike
        ("123X", ["XF2023-0001"]),  # an ID's check character: IDs only
        ("1111", ["XF2023-0001"]),  # the second item's phone
        ("9999", []),
    ],
)
def test_search_finds_cases_by_each_key(ledger, typed, expected) -> None:
    with ledger.connect() as conn:
        got = console.search(conn, typed)
    assert _nos(got) == expected
    assert got["total"] == len(expected)


@BOTH
def test_search_results_show_masked_numbers_only(ledger) -> None:
    with ledger.connect() as conn:
        got = console.search(conn, "5678")
    text = repr(got)
    for secret in SECRETS:
        assert secret not in text
    rows = {r["ledger_no"]: r for r in got["rows"]}
    assert rows["XF2023-0001"]["id_number"] == "131002********123X"
    assert rows["XF2023-0001"]["phone"] == "138****5678"
    assert rows["XF2023-0002"]["phone"] == "031****5678"


@BOTH
def test_filters_and_pages(ledger) -> None:
    F = console.Filters
    with ledger.connect() as conn:

        def nos(**kw) -> list[str]:
            return _nos(console.search(conn, kw.pop("q", None), F(**kw)))

        assert nos(court="冀1003") == ["XF2023-0006", "XF2023-0005", "XF2023-0002", "XF2023-0001"]
        assert nos(status="closed") == ["XF2023-0006", "XF2023-0005", "XF2023-0004"]
        assert nos(key=True) == ["XF2023-0002"]
        assert "XF2023-0002" not in nos(key=False)
        assert nos(overdue=True) == ["XF2023-0003", "XF2023-0002"]
        assert nos(tier=5) == ["XF2023-0002"]
        assert nos(q="5678", court="冀1003", tier=3) == ["XF2023-0001"]
        assert nos(q="5678", status="closed") == []
        first = console.search(conn, None, F(court="冀1003"), page=1, page_size=3)
        second = console.search(conn, None, F(court="冀1003"), page=2, page_size=3)
    assert (first["total"], first["pages"], len(first["rows"])) == (4, 2, 3)
    assert _nos(second) == ["XF2023-0001"]
    with pytest.raises(console.BadQuery):
        console.Filters(status="gone").where()


@BOTH
def test_last_digits_search_is_bounded(ledger, monkeypatch) -> None:
    monkeypatch.setattr(console, "TAIL_CAP", 1)
    with ledger.connect() as conn:
        got = console.search(conn, "5678")
    assert got["tail_capped"] and len(got["rows"]) == 1


# -- the case page -------------------------------------------------------------------------
@BOTH
def test_case_page_sections(ledger) -> None:
    with ledger.connect() as conn:
        page = console.case_page(conn, "XF2023-0001")
        assert console.case_page(conn, "XF2023-9999") is None
    text = repr(page)
    for secret in SECRETS:
        assert secret not in text
    c = page["case"]
    assert (c["accepted_on"], c["replied_on"], c["extended_to"]) == (
        "2023-07-05",
        "2023-07-18",
        "2023-09-30",
    )
    assert (c["satisfaction"], c["supervision_due_on"], c["statutory_due_on"]) == (
        "basic",
        "2023-07-28",
        "2023-09-30",
    )
    items = page["items"]
    assert [i["channel"] for i in items] == ["letter", "hotline"]
    assert items[0]["id_number"] == "131002********123X" and items[1]["phone"] == "139****1111"
    assert items[0]["content"] == "请回电 138****5678，身份证 131002********123X"
    [progress] = page["progress"]
    assert progress["note"] == "已电话联系 138****5678" and progress["accepted_on"] == "2023-07-05"
    assert [(e["from_tier"], e["to_tier"]) for e in page["escalations"]] == [(2, 3)]
    [notice] = page["notifications"]
    assert notice["kind"] == "escalation" and notice["message"] == "请联系 138****5678"
    assert [f["kind"] for f in page["risk_flags"]] == ["repeat"]
    [decision] = page["decisions"]
    assert decision["margin"] == pytest.approx(0.07) and "12万元" in decision["evidence"]
    assert [h["field"] for h in page["history"]] == ["judge", "tier"]  # newest first
    assert page["history"][0]["actor"] == "王芳"


# -- the app ----------------------------------------------------------------------------------
def _app_client(role: str | None):
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.api_fastapi.core_api.security import get_user
    from xinfang_dashboard_plugin import auth_manager, create_app

    app = create_app()
    user = SimpleAuthManagerUser(username=role or "anon", role=role)
    app.dependency_overrides[get_user] = lambda: user
    app.dependency_overrides[auth_manager] = SimpleAuthManager
    return TestClient(app), user


@pytest.fixture
def admin(ledger):
    client, _ = _app_client("admin")
    with client:
        yield client


@pytest.fixture
def viewer(ledger):
    client, _ = _app_client("viewer")
    with client:
        yield client


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert m, "no form token on the page"
    return m.group(1)


def _items_of(engine, ledger_no: str) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(intake_item.c.item_id)
                .join(ledger_case, ledger_case.c.case_id == intake_item.c.case_id)
                .where(ledger_case.c.ledger_no == ledger_no)
                .order_by(intake_item.c.item_id)
            ).scalars()
        )


@BOTH
def test_search_page_html(admin) -> None:
    r = admin.get("/cases", params={"q": "5678", "court": "冀1003"})
    assert r.status_code == 200
    html = r.text
    for secret in SECRETS:
        assert secret not in html
    assert 'data-ledger-no="XF2023-0002"' in html and 'data-ledger-no="XF2023-0001"' in html
    assert 'href="/case/XF2023-0001"' in html and "138****5678" in html
    assert "共 2 件" in html and "身份证号/电话后几位" in html
    assert admin.get("/cases", params={"q": "12"}).status_code == 400
    assert admin.get("/cases", params={"tier": "x"}).status_code == 400
    data = admin.get("/api/cases", params={"status": "closed"}).json()
    assert data["total"] == 3 and data["filters"] == {"status": "closed"}


@BOTH
def test_case_page_html_for_an_editor_and_a_viewer(admin, viewer) -> None:
    page = admin.get("/case/XF2023-0001")
    assert page.status_code == 200
    html = page.text
    for secret in SECRETS:
        assert secret not in html
    for section in ("case-fields", "workflow", "items", "progress", "escalations"):
        assert f'id="{section}"' in html
    for section in ("notifications", "risk-flags", "decisions", "history", "actions"):
        assert f'id="{section}"' in html
    assert "2023-09-30" in html and "基本满意" in html and "廊坊中院" in html
    history = html[html.index('id="history"') :]
    assert history.index("承办法官 judge") < history.index("层级 tier")  # newest first
    assert 'id="form-merge"' in html and _token(html) and "可办理 can edit" in html
    seen = viewer.get("/case/XF2023-0001").text
    assert 'id="case-fields"' in seen and '<form method="post"' not in seen
    assert "csrf_token" not in seen and "只读 read-only" in seen
    assert admin.get("/case/XF2023-9999").status_code == 404
    assert admin.get("/api/case/XF2023-0001").json()["case"]["judge"] == "刘法官"


@BOTH
def test_a_merge_and_a_split_through_the_forms_change_the_ledger(ledger, admin) -> None:
    token = _token(admin.get("/case/XF2023-0001").text)
    [lone] = _items_of(ledger, "XF2023-0003")
    first, second = _items_of(ledger, "XF2023-0001")
    form = {"action": "merge", "item_id": str(lone), "other_item_id": str(first)}
    r = admin.post(
        "/case/XF2023-0001/action",
        data={**form, "reason": "同一事项", "csrf_token": token},
        headers=ORIGIN,
    )
    assert r.status_code == 200, r.text
    assert 'id="action-result"' in r.text and f"merged item {lone} into case XF2023-0001" in r.text
    assert _items_of(ledger, "XF2023-0001") == sorted([first, second, lone])
    assert "now empty and removed" in r.text and 'href="/case/XF2023-0003"' not in r.text
    r = admin.post(
        "/case/XF2023-0001/action",
        data={"action": "split", "item_id": str(second), "reason": "另一事项", "csrf_token": token},
        headers=ORIGIN,
    )
    assert r.status_code == 200, r.text
    assert second not in _items_of(ledger, "XF2023-0001")
    [new_case] = re.findall(r"into new case (XF\d{4}-\d+)", r.text)
    assert f'href="/case/{new_case}"' in r.text
    with ledger.connect() as conn:
        by = conn.execute(sa.text("SELECT created_by FROM manual_override")).scalars().all()
    assert by == ["admin", "admin"]  # the logged-in user, never a name typed in the form


@BOTH
def test_a_refused_command_is_a_400_with_its_reason(admin) -> None:
    token = _token(admin.get("/case/XF2023-0001").text)
    base = {"csrf_token": token, "reason": "r"}
    r = admin.post(
        "/case/XF2023-0001/action",
        data={**base, "action": "merge", "item_id": "999999", "other_item_id": "1"},
        headers=ORIGIN,
    )
    assert r.status_code == 400 and 'id="action-error"' in r.text
    assert "操作被拒绝" in r.text and "no intake item 999999" in r.text
    r = admin.post(
        "/case/XF2023-0001/action",
        data={**base, "action": "split", "item_id": "1", "reason": " "},
        headers=ORIGIN,
    )
    assert r.status_code == 400 and "--reason must not be empty" in r.text
    bad = {**base, "action": "merge", "item_id": "-1", "other_item_id": "2"}
    assert admin.post("/case/XF2023-0001/action", data=bad, headers=ORIGIN).status_code == 400
    bad = {**base, "action": "drop-table"}
    assert admin.post("/case/XF2023-0001/action", data=bad, headers=ORIGIN).status_code == 400


@BOTH
def test_forged_and_unauthorised_posts_are_403(ledger, admin, viewer) -> None:
    from xinfang_dashboard_plugin import csrf_token

    token = _token(admin.get("/case/XF2023-0001").text)
    [lone] = _items_of(ledger, "XF2023-0003")
    form = {"action": "merge", "item_id": str(lone), "other_item_id": "1", "reason": "r"}
    url = "/case/XF2023-0001/action"
    assert admin.post(url, data=form, headers=ORIGIN).status_code == 403  # no token
    assert admin.post(url, data={**form, "csrf_token": "0" * 64}, headers=ORIGIN).status_code == 403
    other = csrf_token(type("U", (), {"get_id": lambda self: "someone-else"})())
    assert admin.post(url, data={**form, "csrf_token": other}, headers=ORIGIN).status_code == 403
    evil = {"origin": "http://evil.example"}
    assert admin.post(url, data={**form, "csrf_token": token}, headers=evil).status_code == 403
    assert admin.post(url, data={**form, "csrf_token": token}).status_code == 403  # no origin
    referer = {"referer": "http://testserver/case/XF2023-0001"}
    _, viewer_user = _app_client("viewer")
    r = viewer.post(url, data={**form, "csrf_token": csrf_token(viewer_user)}, headers=referer)
    assert r.status_code == 403 and "无权办理" in r.text
    assert _items_of(ledger, "XF2023-0003") == [lone]  # nothing moved


@BOTH
@pytest.mark.parametrize(
    ("form", "argv"),
    [
        (
            {"action": "assign", "judge": "-x 赵", "leader": "孙院长", "department": ""},
            ["assign", "XF2023-0001", "--judge=-x 赵", "--leader=孙院长"],
        ),
        ({"action": "mark-key"}, ["mark-key", "XF2023-0001"]),
        ({"action": "mark-key", "unset": "1"}, ["mark-key", "XF2023-0001", "--unset"]),
        ({"action": "reopen"}, ["reopen", "XF2023-0001"]),
        (
            {"action": "close", "disposition": "resolved"},
            ["close", "XF2023-0001", "--disposition=resolved"],
        ),
    ],
)
def test_the_new_forms_call_the_admin_command(admin, monkeypatch, form, argv) -> None:
    from xinfang import admin as admin_command

    calls = []

    def fake_run(engine, words, source="admin"):
        calls.append((list(words), source))
        return ["done XF2023-0001"]

    monkeypatch.setattr(admin_command, "run", fake_run)
    token = _token(admin.get("/case/XF2023-0001").text)
    data = {**form, "reason": "理由", "csrf_token": token}
    r = admin.post("/case/XF2023-0001/action", data=data, headers=ORIGIN)
    assert r.status_code == 200 and "done XF2023-0001" in r.text
    assert calls == [([*argv, "--reason=理由", "--by=admin"], "console")]


@BOTH
def test_assign_and_close_through_the_forms_change_the_case_and_its_history(ledger, admin) -> None:
    """The forms run the real command: the ledger changes, and case_history names the
    logged-in user and the console as the way the change came."""
    token = _token(admin.get("/case/XF2023-0001").text)
    url = "/case/XF2023-0001/action"
    form = {"action": "assign", "judge": "赵法官", "reason": "调整承办", "csrf_token": token}
    r = admin.post(url, data=form, headers=ORIGIN)
    assert r.status_code == 200, r.text
    form = {"action": "close", "disposition": "resolved", "reason": "已化解", "csrf_token": token}
    r = admin.post(url, data=form, headers=ORIGIN)
    assert r.status_code == 200, r.text
    with ledger.connect() as conn:
        case = conn.execute(
            sa.text("SELECT judge, status, disposition FROM ledger_case WHERE ledger_no = :n"),
            {"n": "XF2023-0001"},
        ).one()
        rows = conn.execute(
            sa.text(
                "SELECT field, new_value, source, via, actor, reason FROM case_history "
                "WHERE ledger_no = 'XF2023-0001' AND via = 'console' ORDER BY history_id"
            )
        ).all()
        created = conn.execute(
            sa.text(
                "SELECT via, actor FROM case_history "
                "WHERE ledger_no = 'XF2023-0001' AND field = 'created'"
            )
        ).all()
    assert tuple(case) == ("赵法官", "closed", "resolved")
    # the case predates the history (seeded directly): caught up as the pipeline's, not
    # attributed to the person who acted on it
    assert created == [("intake", None)]
    assert ("judge", "赵法官", "manual", "console", "admin", "调整承办") in rows
    assert ("status", "closed", "manual", "console", "admin", "已化解") in rows
    assert ("disposition", "resolved", "manual", "console", "admin", "已化解") in rows
    page = admin.get("/case/XF2023-0001").text
    assert "赵法官" in page and "console" in page
    r = admin.post(url, data=form, headers=ORIGIN)  # closing a closed case is refused
    assert r.status_code == 400 and "操作被拒绝" in r.text


def test_assign_and_close_forms_need_their_fields() -> None:
    with pytest.raises(console.BadQuery, match="分派"):
        console.action_argv("assign", "XF2023-0001", {"reason": "r"}, "admin")
    with pytest.raises(console.BadQuery, match="处置类别"):
        console.action_argv("close", "XF2023-0001", {"disposition": "gone"}, "admin")


# -- the month's rates on the dashboard ---------------------------------------------------
def _kpi_row(month: dt.date, court: str, **rates) -> dict:
    ints = {
        c.name: 0
        for c in kpi_monthly.columns
        if not c.nullable and c.name not in ("month", "court_code", "computed_at")
    }
    return {
        **ints,
        "month": month,
        "court_code": court,
        "computed_at": dt.datetime(2023, 8, 1),
        "timely_acceptance_rate": None,
        "on_time_closure_rate": None,
        "satisfaction_rate": None,
        **rates,
    }


@BOTH
def test_dashboard_shows_the_months_kpi_rates(ledger, admin) -> None:
    params = {"as_of": AS_OF.isoformat()}
    assert admin.get("/api/summary", params=params).json()["kpi"]["month"] is None
    assert 'id="kpi-none"' in admin.get("/dashboard", params=params).text
    with ledger.begin() as conn:
        conn.execute(
            kpi_monthly.insert(),
            [
                _kpi_row(dt.date(2023, 6, 1), "冀1003", timely_acceptance_rate=0.5),
                _kpi_row(
                    dt.date(2023, 7, 1),
                    "冀1003",
                    timely_acceptance_rate=0.85,
                    on_time_closure_rate=1.0,
                    satisfaction_rate=2 / 3,
                ),
                _kpi_row(dt.date(2023, 7, 1), "冀10"),
            ],
        )
    kpi = admin.get("/api/summary", params=params).json()["kpi"]
    assert kpi["month"] == "2023-07-01"
    rows = {r["court_code"]: r for r in kpi["courts"]}
    assert len(rows) == 11
    assert (rows["冀1003"]["timely_acceptance_rate"], rows["冀1003"]["satisfaction_rate"]) == (
        0.85,
        0.6667,
    )
    assert rows["冀10"]["on_time_closure_rate"] is None
    html = admin.get("/dashboard", params=params).text
    row = re.search(r'<tr data-court="冀1003">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"[\d.]+%|—", row) == ["85.0%", "100.0%", "66.7%"]
    assert "及时受理率" in html and "满意率" in html
    assert "只读" not in html and "可办理" not in html  # the dashboard does not ask
    # August before the month-end DAG wrote it: July's rates, and the page says so
    kpi = admin.get("/api/summary", params={"as_of": "2023-08-10"}).json()["kpi"]
    assert (kpi["month"], kpi["requested"]) == ("2023-07-01", "2023-08-01")


@BOTH
def test_merging_a_cases_last_item_away_shows_where_it_went(ledger, admin) -> None:
    token = _token(admin.get("/case/XF2023-0003").text)
    [lone] = _items_of(ledger, "XF2023-0003")
    first = _items_of(ledger, "XF2023-0001")[0]
    form = {"action": "merge", "item_id": str(lone), "other_item_id": str(first), "reason": "r"}
    r = admin.post("/case/XF2023-0003/action", data={**form, "csrf_token": token}, headers=ORIGIN)
    assert r.status_code == 200 and 'id="action-result"' in r.text
    assert '<h1 id="case-title">XF2023-0001' in r.text  # the case it went to
    assert admin.get("/case/XF2023-0003").status_code == 404


TAIL_INDEXES = (
    "CREATE INDEX ix_intake_item_id_tail ON intake_item (substr(id_number, length(id_number) - 3))",
    "CREATE INDEX ix_intake_item_phone_tail ON intake_item (substr(phone, length(phone) - 3))",
)
"""The indexes a last-digits search would use (not in the schema yet: README, console.py)."""


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
def test_the_last_digits_query_uses_tail_indexes_when_the_ledger_has_them(ledger) -> None:
    stmt = console._matching_case_ids(console.Key("tail", "5678"))
    with ledger.begin() as conn:
        for ddl in TAIL_INDEXES:
            conn.exec_driver_sql(ddl)
        sql = str(stmt.compile(ledger, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        found = conn.execute(stmt).scalars().all()
    assert "USING INDEX ix_intake_item_id_tail" in plan
    assert "USING INDEX ix_intake_item_phone_tail" in plan
    assert len(found) == 2
