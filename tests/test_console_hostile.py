"""The console under hostile input: every odd search, filter, page, path and form value
is a clear 4xx (never a 500, never a database error shown as 503), values are escaped,
and form values cannot become options of the admin command."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import BOTH
from test_console import ORIGIN, _app_client, _token, seed_console

from xinfang import console


@pytest.fixture
def ledger(engine) -> sa.Engine:
    seed_console(engine)
    return engine


@pytest.fixture
def admin(ledger):
    client, _ = _app_client("admin")
    with client:
        yield client


ODD_SEARCHES = [
    "x" * 5000,
    "张" * 300,
    "'; DROP TABLE ledger_case; --",
    "%",
    "_",
    "%5678",
    "56_8",
    "1234%",
    "\x00",
    "张\x00伟",
    "\x07\x1b[31m",
    "😀",
    "张😀伟",
    "ＸＦ２０２３－０００１",
    "XF2023-99999999999999999999",
    "XF9999-0000001",
    "9" * 400,
    "1" * 19,
    "%00",
    "\u202e张伟",
    "\ufeff",
]


@BOTH
@pytest.mark.parametrize("q", ODD_SEARCHES)
def test_odd_searches_are_answered_or_refused_never_a_server_error(admin, q) -> None:
    for url in ("/cases", "/api/cases"):
        r = admin.get(url, params={"q": q})
        assert r.status_code in (200, 400), (q, r.status_code, r.text[:300])


ODD_PARAMS = [
    {"tier": "99999999999999999999999"},
    {"tier": "-1"},
    {"tier": "²"},
    {"tier": "١"},
    {"tier": "1e3"},
    {"court": "\x00"},
    {"court": "冀" * 2000},
    {"status": "open' OR '1'='1"},
    {"status": "\x00"},
    {"key": "maybe"},
    {"overdue": "2"},
    {"page": "0"},
    {"page": "-3"},
    {"page": "99999999999999999999999"},
    {"page": "1000000"},
    {"page": "²"},
    {"page": "१"},
    {"page": ""},
    {"page": "1.5"},
]


@BOTH
@pytest.mark.parametrize("params", ODD_PARAMS)
def test_odd_filters_and_pages_are_answered_or_refused(admin, params) -> None:
    for url in ("/cases", "/api/cases"):
        r = admin.get(url, params=params)
        assert r.status_code in (200, 400), (params, r.status_code, r.text[:300])


ODD_PATHS = [
    "..%2F..%2Fetc%2Fpasswd",
    "..",
    "-h",
    "--help",
    "XF2023-0001%00",
    "%00",
    "%E5%BC%A0%E4%BC%9F",
    "x" * 1024,
    "XF2023-" + "9" * 1000,
    "%F0%9F%98%80",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
]


@BOTH
@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_ledger_numbers_in_the_path_are_404(admin, path) -> None:
    for url in (f"/case/{path}", f"/api/case/{path}"):
        r = admin.get(url)
        assert r.status_code == 404, (url, r.status_code, r.text[:300])
        assert "<script>" not in r.text


@BOTH
@pytest.mark.parametrize("path", ODD_PATHS)
def test_odd_ledger_numbers_in_a_form_post_are_4xx(admin, path) -> None:
    token = _token(admin.get("/case/XF2023-0001").text)
    data = {"action": "reopen", "reason": "r", "csrf_token": token}
    r = admin.post(f"/case/{path}/action", data=data, headers=ORIGIN)
    assert r.status_code == 404, (path, r.status_code, r.text[:300])


# -- form values that the ledger cannot hold ----------------------------------------------
def _post(client, data: dict) -> object:
    token = _token(client.get("/case/XF2023-0001").text)
    return client.post(
        "/case/XF2023-0001/action", data={**data, "csrf_token": token}, headers=ORIGIN
    )


def _history_and_progress(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT COUNT(*) FROM case_history")).scalar_one(),
            conn.execute(sa.text("SELECT COUNT(*) FROM case_progress")).scalar_one(),
        )


@BOTH
@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"action": "assign", "judge": "赵" * 65}, "--judge is 65 characters long"),
        ({"action": "assign", "leader": "孙\x00院长"}, "--leader must not contain control"),
        ({"action": "assign", "department": "立案\x1b庭"}, "--department must not contain"),
        ({"action": "assign", "judge": "赵", "reason": "理由\x00"}, "--reason must not contain"),
        ({"action": "merge", "item_id": "9" * 30, "other_item_id": "1"}, "no intake item"),
        ({"action": "split", "item_id": "9" * 19}, "no intake item"),
    ],
)
def test_form_values_the_ledger_cannot_hold_are_refused_in_one_line(
    ledger, admin, form, says
) -> None:
    before = _history_and_progress(ledger)
    r = _post(admin, {"reason": "理由", **form})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert "操作被拒绝" in r.text and says in r.text
    assert _history_and_progress(ledger) == before


@BOTH
def test_a_judge_named_like_an_option_is_a_name(ledger, admin) -> None:
    """``--name=value``: a value that looks like an option, or like another option's
    assignment, stays the value of its own option."""
    r = _post(admin, {"action": "assign", "judge": "--reason=x", "reason": "真的理由"})
    assert r.status_code == 200, r.text[:300]
    with ledger.connect() as conn:
        judge = conn.execute(
            sa.text("SELECT judge FROM ledger_case WHERE ledger_no = 'XF2023-0001'")
        ).scalar_one()
        reason = conn.execute(
            sa.text("SELECT reason FROM case_history WHERE field = 'judge' AND via = 'console'")
        ).scalar_one()
    assert (judge, reason) == ("--reason=x", "真的理由")


@BOTH
def test_every_value_shown_is_escaped(ledger, admin) -> None:
    evil = "<script>alert(1)</script>"
    r = _post(admin, {"action": "assign", "judge": evil, "leader": '"><img src=x>', "reason": evil})
    assert r.status_code == 200, r.text[:300]
    with ledger.begin() as conn:
        conn.execute(sa.text("UPDATE risk_flag SET evidence = :e"), {"e": evil})
        conn.execute(
            sa.text("UPDATE intake_item SET petitioner_name = :e, content = :e"), {"e": evil}
        )
        conn.execute(sa.text("UPDATE ledger_case SET petitioner_name = :e"), {"e": evil})
    for page in (admin.get("/case/XF2023-0001").text, admin.get("/cases").text):
        assert "<script>" not in page and "<img src=x>" not in page
        assert "&lt;script&gt;" in page


@BOTH
def test_search_results_mask_a_number_typed_into_a_name(ledger, admin) -> None:
    from test_plugins_dashboard import ID_A

    with ledger.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_case SET petitioner_name = :n WHERE ledger_no = 'XF2023-0001'"),
            {"n": f"张伟 {ID_A}"},
        )
    r = admin.get("/api/cases", params={"q": "XF2023-0001"})
    assert r.status_code == 200 and ID_A not in r.text and "张伟" in r.text


def test_pages_past_the_counted_cases_are_refused_before_any_query() -> None:
    with pytest.raises(console.BadQuery, match="past the first"):
        console.search(None, None, page=console.COUNT_CAP // console.PAGE_SIZE + 1)  # type: ignore[arg-type]
    with pytest.raises(console.BadQuery, match="tier"):
        console.Filters(tier=10**20).where()
    with pytest.raises(console.BadQuery, match="court"):
        console.Filters(court="冀10\x00").where()
