"""The campaign dashboard and case console inside the Airflow UI (Airflow 3 plugin: a
FastAPI app plus a nav entry).

The api-server mounts the app under ``/xinfang``:

- ``/xinfang/dashboard`` — the page (server-rendered HTML), shown in the UI's
  navigation as "信访看板" (an embedded view at ``/plugin/campaign-dashboard``);
- ``/xinfang/api/summary`` — the same figures as JSON;
- ``/xinfang/cases`` — search (台账编号, name, 案号, the last four or more digits of an
  ID or phone) and filters (court, tier, status, key, overdue), paged;
  ``/xinfang/api/cases`` the same as JSON;
- ``/xinfang/case/{ledger_no}`` — one case: its fields, items, progress rows,
  escalations, notifications, risk flags, match decisions and history;
  ``/xinfang/api/case/{ledger_no}`` the same as JSON;
- ``POST /xinfang/case/{ledger_no}/action`` — the forms of the manual actions (merge,
  split, confirm, assign, mark-key, reopen, close), run by ``xinfang.admin.run`` with
  ``--by`` the logged-in user.

Who may act is the auth manager's decision: a user it allows to edit the
``intake_sweep`` DAG (``is_authorized_dag(method="PUT")``; with SimpleAuthManager the
roles user, op and admin, not viewer) sees the forms; for anyone else they are not
shown and a POST is 403. A POST also carries a token bound to the user (an HMAC of the
user id with Airflow's ``[api_auth] jwt_secret``) and must come from a page of this
site (Origin, else Referer); otherwise 403.

The dashboard and summary take ``?as_of=YYYY-MM-DD`` (default: today in Asia/Shanghai)
for the day whose escalations and warnings are listed, whose month's dispositions are
counted and whose month's KPI rates are shown; a value that is not a date, or a day the
working calendar cannot judge, is answered 400 with the reason. Above the figures the
page says when the working calendar is provisional. Everything reads the ledger
database (``xinfang.db.get_engine()``, i.e. ``AIRFLOW_CONN_XINFANG_LEDGER``), never
Airflow's metadata database, and needs a logged-in Airflow user (the UI's session
cookie or a bearer token). ID and phone numbers are masked; the queries are in
``xinfang.dashboard`` and ``xinfang.console``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from airflow.api_fastapi.core_api.security import get_user
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=True
)
"""The dashboard's pages (``plugins/templates``), HTML-escaped."""

URL_PREFIX = "/xinfang"
NAV_NAME = "信访看板"  # short: the nav rail shows about four characters
EDIT_DAG = "intake_sweep"
"""Editing the ledger is allowed to whoever the auth manager lets edit this DAG: its runs
apply (and honour) every manual change."""

ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
    'stroke="#c0392b" stroke-width="2"><rect x="3" y="3" width="18" height="18" rx="2"/>'
    '<path d="M7 16v-4M12 16V8M17 16v-6"/></svg>'
)

PAGE = _TEMPLATES.get_template("dashboard.html")
CASES_PAGE = _TEMPLATES.get_template("cases.html")
CASE_PAGE = _TEMPLATES.get_template("case.html")
ERROR_PAGE = _TEMPLATES.get_template("error.html")

HEADLINE_LABELS = [
    ("cases", "案件 cases"),
    ("open", "办理中 open"),
    ("paused", "中止 paused"),
    ("closed", "已销号 closed"),
    ("key_open", "重点(未结) key open"),
    ("overdue", "超期 overdue"),
    ("escalations_today", "今日升级 escalations"),
    ("warnings_today", "今日预警 warnings"),
    ("closed_this_month", "本月销号 closed this month"),
]


def _as_of(as_of: str | None) -> dt.date | None:
    """The requested day, or None for today; not a date is a 400 (a date the dashboard
    cannot show is refused by ``dashboard.summary``, also a 400)."""
    from xinfang.dashboard import BadAsOf

    if not as_of:
        return None
    try:
        day = dt.date.fromisoformat(as_of.strip())
    except ValueError as exc:
        raise BadAsOf(
            f"as_of must be a date YYYY-MM-DD, got {as_of[:40]!r} (as_of 须为 YYYY-MM-DD 日期)"
        ) from exc
    return day


class LedgerUnavailable(Exception):
    """The ledger database cannot be read (unreachable, or its schema not created yet)."""


class Forbidden(Exception):
    """A POST this user may not make, or one not from this site's own form: 403."""


class NotFound(Exception):
    """No case with this 台账编号: 404."""


def _unavailable(exc: Exception) -> LedgerUnavailable:
    from xinfang.masking import mask_text

    return LedgerUnavailable(
        "台账数据库无法读取 The ledger database cannot be read: it is unreachable "
        "(check AIRFLOW_CONN_XINFANG_LEDGER) or its schema is not created yet "
        "(run any xinfang DAG; its first task, migrate, creates it). "
        f"Error: {type(exc).__name__}: {mask_text(str(exc).splitlines()[0][:300])}"
    )


def _read(fn: Callable[[Any], Any]) -> Any:
    """``fn(conn)`` on the ledger; a database error is LedgerUnavailable (503)."""
    import sqlalchemy as sa

    from xinfang import db

    try:
        with db.get_engine().connect() as conn:
            return fn(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


def _summary(as_of: str | None) -> dict[str, Any]:
    import sqlalchemy as sa

    from xinfang import dashboard, db

    day = _as_of(as_of)
    try:
        return dashboard.summary(db.get_engine(), day)
    except sa.exc.SQLAlchemyError as exc:
        raise _unavailable(exc) from exc


# -- who may act, and forged requests ------------------------------------------------------
def auth_manager() -> Any:
    """Airflow's auth manager (a dependency: tests put their own in its place)."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager()


def can_edit(manager: Any, user: Any) -> bool:
    """Whether the auth manager lets ``user`` change cases (edit the intake DAG)."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    return bool(manager.is_authorized_dag(method="PUT", details=DagDetails(id=EDIT_DAG), user=user))


def _user_id(user: Any) -> str:
    return str(user.get_id()) if hasattr(user, "get_id") else str(user)


def _user_name(user: Any) -> str:
    return str(user.get_name()) if hasattr(user, "get_name") else str(user)


def _secret() -> bytes:
    """Airflow's ``[api_auth] jwt_secret``, read as the api-server reads it for its own
    tokens (a process without one makes one up and keeps it, as Airflow does)."""
    from airflow.api_fastapi.auth.tokens import get_signing_key

    return get_signing_key("api_auth", "jwt_secret").encode()


def csrf_token(user: Any) -> str:
    """The form token of ``user``: an HMAC of the user id, so a page of one user does not
    work for another and a forged form cannot guess it."""
    message = f"xinfang-console|{_user_id(user)}".encode()
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


def _same_site(request: Request) -> bool:
    """The POST comes from a page of this site: its Origin (else Referer) names our host."""
    from airflow.configuration import conf

    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source or source == "null":
        return False
    hosts = {request.headers.get("host", "")}
    base_url = conf.get("api", "base_url", fallback="") or ""
    if base_url:
        hosts.add(urlsplit(base_url).netloc)
    return urlsplit(source).netloc in hosts - {""}


def check_post(request: Request, manager: Any, user: Any, token: str | None) -> None:
    """Forbidden unless the user may edit, the token is theirs and the page is ours."""
    if not can_edit(manager, user):
        raise Forbidden(
            f"无权办理 {_user_name(user)} may view the ledger but not change it "
            "(the auth manager does not allow editing the intake_sweep DAG)"
        )
    if not token or not hmac.compare_digest(token, csrf_token(user)):
        raise Forbidden("表单令牌无效 the form's token is missing or not yours: reload the page")
    if not _same_site(request):
        raise Forbidden("请求来源不符 the request did not come from this site's page")


# -- pages ---------------------------------------------------------------------------------
User = Annotated[Any, Depends(get_user)]
Manager = Annotated[Any, Depends(auth_manager)]
AsOf = Annotated[str | None, Query(description="YYYY-MM-DD; default today (Asia/Shanghai)")]


def _root(request: Request) -> str:
    """The app's own URL path (``/xinfang`` under the api-server, maybe below a base_url)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _context(request: Request, user: Any, page: str, editor: bool | None) -> dict[str, Any]:
    """What every page's frame (``_layout.html``) needs, and the shared helpers."""
    from xinfang.dashboard import court_names

    root = _root(request)
    courts = court_names()

    def case_link(ledger_no: str | None) -> Markup:
        if not ledger_no:
            return Markup("")
        return Markup('<a href="{}/case/{}">{}</a>').format(root, ledger_no, ledger_no)

    return {
        "root": root,
        "page": page,
        "user_name": _user_name(user),
        "can_edit": editor,
        "courts": courts,
        "court": lambda code: courts.get(code, code),
        "case_link": case_link,
    }


def _filters(court, tier, status_, key, overdue) -> Any:
    from xinfang.console import BadQuery, Filters

    def flag(value: str | None, name: str) -> bool | None:
        if value in (None, ""):
            return None
        if value in ("1", "true", "yes"):
            return True
        if value in ("0", "false", "no"):
            return False
        raise BadQuery(f"{name} must be 1 or 0, got {value[:10]!r} ({name} 须为 1 或 0)")

    if tier not in (None, "") and not re.fullmatch(r"[0-9]{1,2}", tier):
        raise BadQuery(f"层级须为数字 tier must be a number, got {tier[:10]!r}")
    return Filters(
        court=court or None,
        tier=int(tier) if tier not in (None, "") else None,
        status=status_ or None,
        key=flag(key, "key"),
        overdue=flag(overdue, "overdue"),
    )


def create_app() -> FastAPI:
    """The dashboard app (synchronous routes: FastAPI runs them in its thread pool)."""
    from xinfang.console import BadQuery
    from xinfang.dashboard import BadAsOf

    app = FastAPI(title="xinfang campaign dashboard", docs_url=None, redoc_url=None)

    def error(request: Request, exc: Exception, code: int, title: str) -> Response:
        if "/api/" in request.url.path:
            return JSONResponse({"detail": str(exc)}, status_code=code)
        return HTMLResponse(ERROR_PAGE.render(title=title, message=str(exc)), status_code=code)

    handlers = {
        LedgerUnavailable: (status.HTTP_503_SERVICE_UNAVAILABLE, "暂不可用 unavailable"),
        BadAsOf: (status.HTTP_400_BAD_REQUEST, "请求有误 bad request"),
        BadQuery: (status.HTTP_400_BAD_REQUEST, "请求有误 bad request"),
        Forbidden: (status.HTTP_403_FORBIDDEN, "禁止 forbidden"),
        NotFound: (status.HTTP_404_NOT_FOUND, "未找到 not found"),
    }
    for exc_class, (code, title) in handlers.items():
        app.add_exception_handler(
            exc_class, lambda request, exc, code=code, title=title: error(request, exc, code, title)
        )

    _dashboard_routes(app)
    _case_routes(app)

    @app.get("/icon.svg", include_in_schema=False)
    def icon() -> Response:
        return Response(ICON_SVG, media_type="image/svg+xml")

    return app


def _dashboard_routes(app: FastAPI) -> None:
    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard_page(request: Request, user: User, as_of: AsOf = None) -> HTMLResponse:
        from xinfang import dashboard
        from xinfang.console import NOTICE_NAMES, RATE_LABELS

        s = _summary(as_of)
        html = PAGE.render(
            **_context(request, user, "dashboard", None),
            s=s,
            headline_labels=HEADLINE_LABELS,
            rate_labels=RATE_LABELS,
            statuses=list(dashboard.STATUSES.items()),
            dispositions=list(dashboard.DISPOSITIONS.items()),
            status_label=lambda st: dashboard.STATUSES.get(st, st),
            notice_label=lambda kind: NOTICE_NAMES.get(kind, kind),
        )
        return HTMLResponse(html)

    @app.get("/api/summary")
    def summary_json(user: User, as_of: AsOf = None) -> JSONResponse:
        return JSONResponse(_summary(as_of))


def _search(request: Request) -> tuple[str, Any, int, dict[str, Any]]:
    """The search box, the filters and the page of a /cases request, and its results."""
    from xinfang import console

    p = request.query_params
    q = p.get("q", "")
    filters = _filters(
        p.get("court"), p.get("tier"), p.get("status"), p.get("key"), p.get("overdue")
    )
    page = p.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,6}", page) or int(page) < 1:
        raise console.BadQuery(f"页码须为正整数 page must be a positive number, got {page[:10]!r}")
    result = _read(lambda conn: console.search(conn, q, filters, int(page)))
    return q, filters, int(page), result


def _case_routes(app: FastAPI) -> None:
    from xinfang import console

    @app.get("/cases", response_class=HTMLResponse)
    def cases_page(request: Request, user: User, manager: Manager) -> HTMLResponse:
        from xinfang.dashboard import tier_numbers

        q, filters, _page, result = _search(request)
        params = {k: v for k, v in request.query_params.items() if k != "page" and v}
        root = _root(request)
        html = CASES_PAGE.render(
            **_context(request, user, "cases", can_edit(manager, user)),
            q=q,
            f=filters,
            r=result,
            tiers=tier_numbers(),
            statuses=console.STATUS_NAMES,
            tail_cap=console.TAIL_CAP,
            json_url=f"{root}/api/cases?{urlencode(params)}",
            page_url=lambda n: f"{root}/cases?{urlencode({**params, 'page': n})}",
        )
        return HTMLResponse(html)

    @app.get("/api/cases")
    def cases_json(request: Request, user: User) -> JSONResponse:
        return JSONResponse(_search(request)[3])

    @app.get("/api/case/{ledger_no}")
    def case_json(ledger_no: str, user: User) -> JSONResponse:
        return JSONResponse(_case(ledger_no))

    @app.get("/case/{ledger_no}", response_class=HTMLResponse)
    def case_html(request: Request, ledger_no: str, user: User, manager: Manager) -> HTMLResponse:
        return _case_response(request, ledger_no, user, can_edit(manager, user))

    @app.post("/case/{ledger_no}/action", response_class=HTMLResponse)
    async def case_action(
        request: Request, ledger_no: str, user: User, manager: Manager
    ) -> HTMLResponse:
        from starlette.concurrency import run_in_threadpool

        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        check_post(request, manager, user, form.get("csrf_token"))
        # the command writes the ledger: in a worker thread, as the synchronous routes
        return await run_in_threadpool(_run_action, request, ledger_no, user, form)


def _case(ledger_no: str) -> dict[str, Any]:
    from xinfang import console

    page = _read(lambda conn: console.case_page(conn, ledger_no))
    if page is None:
        raise NotFound(f"没有台账编号为 {ledger_no[:40]} 的案件 no case {ledger_no[:40]!r}")
    return page


def _case_response(
    request: Request,
    ledger_no: str,
    user: Any,
    editor: bool,
    result: dict[str, Any] | None = None,
    refusal: str | None = None,
    code: int = 200,
) -> HTMLResponse:
    from xinfang import console
    from xinfang.config import get_config

    d = _case(ledger_no)
    tiers = get_config().tiers
    html = CASE_PAGE.render(
        **_context(request, user, "case", editor),
        d=d,
        c=d["case"],
        items=d["items"],
        L=console.labels(),
        csrf=csrf_token(user) if editor else "",
        post_url=f"{_root(request)}/case/{ledger_no}/action",
        tier_role=lambda t: tiers[t].role if t in tiers else "",
        field_label=lambda f: console.FIELD_NAMES.get(f, f),
        result=result,
        refusal=refusal,
    )
    return HTMLResponse(html, status_code=code)


_LEDGER_NOS = re.compile(r"XF\d{4}-\d+")


def _run_action(request: Request, ledger_no: str, user: Any, form: dict[str, str]) -> HTMLResponse:
    """Run one form through ``xinfang.admin.run`` and show the case with the command's
    output, or with its refusal (``AdminError``) as a 400."""
    import sqlalchemy as sa

    from xinfang import admin, console, db

    _case(ledger_no)  # 404 before anything runs
    argv = console.action_argv(form.get("action", ""), ledger_no, form, _user_name(user))
    try:
        lines = admin.run(db.get_engine(), argv, source="console")
    except admin.AdminError as exc:
        refusal = f"操作被拒绝 refused: {exc}"
        return _case_response(request, ledger_no, user, True, refusal=refusal, code=400)
    except sa.exc.SQLAlchemyError as exc:
        raise _unavailable(exc) from exc
    shown = " ".join(argv[:-2])  # without --reason/--by: the history shows who and why
    named = sorted({no for line in lines for no in _LEDGER_NOS.findall(line)} - {ledger_no})
    others = _read(lambda conn: console.existing(conn, named))
    result = {"command": f"{admin.PROG} {shown}", "lines": lines, "cases": others}
    for no in (ledger_no, *others):  # a case emptied by a merge is removed: show where it went
        try:
            return _case_response(request, no, user, True, result=result)
        except NotFound:
            continue
    return HTMLResponse(ERROR_PAGE.render(title="已办理 done", message="\n".join(lines)))


app = create_app()


class XinfangDashboardPlugin(AirflowPlugin):
    """Mounts the dashboard under /xinfang and adds it to the UI's navigation."""

    name = "xinfang_dashboard"
    fastapi_apps = [  # noqa: RUF012
        {"app": app, "url_prefix": URL_PREFIX, "name": "xinfang campaign dashboard"}
    ]
    external_views = [  # noqa: RUF012
        {
            "name": NAV_NAME,
            # Relative (no leading slash) so it works under a base_url sub-path too.
            "href": "xinfang/dashboard",
            "icon": "xinfang/icon.svg",
            "url_route": "campaign-dashboard",
            "destination": "nav",
            "nav_top_level": True,
        }
    ]
