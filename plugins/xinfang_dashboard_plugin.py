"""The campaign dashboard inside the Airflow UI (Airflow 3 plugin: a FastAPI app plus a nav entry).

The api-server mounts the app under ``/xinfang``:

- ``/xinfang/dashboard`` — the page (server-rendered HTML), shown in the UI's
  navigation as "集中办访 Dashboard" (an embedded view at ``/plugin/campaign-dashboard``);
- ``/xinfang/api/summary`` — the same figures as JSON.

Both take ``?as_of=YYYY-MM-DD`` (default: today in Asia/Shanghai) for the day
whose escalations and warnings are listed and whose month's dispositions are
counted; a value that is not a date, or a day the working calendar cannot judge
(before 2004, past what it can compute), is answered 400 with the reason.
Above the figures the page says when the working calendar is provisional (a year
past the chinese-calendar package's, statutory holidays only, no 调休). Below the
figures, the review queue of deduplication (待甄别, the view ``v_match_review``): the
20 closest calls, each with the ``python -m xinfang.admin`` command that confirms,
splits or merges it (the page only shows the commands; it changes nothing). They read
the ledger database (``xinfang.db.get_engine()``, i.e.
``AIRFLOW_CONN_XINFANG_LEDGER``), never Airflow's metadata database, and need a
logged-in Airflow user (the UI's session cookie or a bearer token). ID and phone
numbers are masked; the queries are in ``xinfang.dashboard``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import get_user
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"), autoescape=True
)
"""The dashboard's pages (``plugins/templates``), HTML-escaped."""

URL_PREFIX = "/xinfang"
NAV_NAME = "信访看板"  # short: the nav rail shows about four characters

ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
    'stroke="#c0392b" stroke-width="2"><rect x="3" y="3" width="18" height="18" rx="2"/>'
    '<path d="M7 16v-4M12 16V8M17 16v-6"/></svg>'
)

PAGE = _TEMPLATES.get_template("dashboard.html")

ERROR_PAGE = _TEMPLATES.get_template("error.html")

HEADLINE_LABELS = [
    ("cases", "cases 案件"),
    ("open", "open 办理中"),
    ("paused", "paused 中止"),
    ("closed", "closed 已销号"),
    ("key_open", "key 重点(未结)"),
    ("overdue", "overdue 超期"),
    ("escalations_today", "escalations today 今日升级"),
    ("warnings_today", "warnings today 今日预警"),
    ("closed_this_month", "closed this month 本月销号"),
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


def _summary(as_of: str | None) -> dict[str, Any]:
    import sqlalchemy as sa

    from xinfang import dashboard, db
    from xinfang.masking import mask_text

    day = _as_of(as_of)
    try:
        return dashboard.summary(db.get_engine(), day)
    except sa.exc.SQLAlchemyError as exc:
        raise LedgerUnavailable(
            "The ledger database cannot be read: it is unreachable "
            "(check AIRFLOW_CONN_XINFANG_LEDGER) or its schema is not created yet "
            "(run any xinfang DAG; its first task, migrate, creates it). "
            f"Error: {type(exc).__name__}: {mask_text(str(exc).splitlines()[0][:300])}"
        ) from exc


User = Annotated[Any, Depends(get_user)]
AsOf = Annotated[str | None, Query(description="YYYY-MM-DD; default today (Asia/Shanghai)")]


def create_app() -> FastAPI:
    """The dashboard app (synchronous routes: FastAPI runs them in its thread pool)."""
    from xinfang.dashboard import BadAsOf

    app = FastAPI(title="xinfang campaign dashboard", docs_url=None, redoc_url=None)

    def error(request: Request, exc: Exception, code: int, title: str) -> Response:
        if request.url.path.endswith("/dashboard"):
            return HTMLResponse(ERROR_PAGE.render(title=title, message=str(exc)), status_code=code)
        return JSONResponse({"detail": str(exc)}, status_code=code)

    @app.exception_handler(LedgerUnavailable)
    def ledger_unavailable(request: Request, exc: LedgerUnavailable) -> Response:
        return error(request, exc, status.HTTP_503_SERVICE_UNAVAILABLE, "unavailable")

    @app.exception_handler(BadAsOf)
    def bad_as_of(request: Request, exc: BadAsOf) -> Response:
        return error(request, exc, status.HTTP_400_BAD_REQUEST, "bad request")

    @app.get("/dashboard", response_class=HTMLResponse)
    def dashboard_page(user: User, as_of: AsOf = None) -> HTMLResponse:
        from xinfang import dashboard

        s = _summary(as_of)
        courts = {c["court_code"]: c["court_name"] for c in s["cases_by_court"]["courts"]}
        html = PAGE.render(
            s=s,
            headline_labels=HEADLINE_LABELS,
            statuses=list(dashboard.STATUSES.items()),
            dispositions=list(dashboard.DISPOSITIONS.items()),
            court=lambda code: courts.get(code, code),
            status_label=lambda st: dashboard.STATUSES.get(st, st),
        )
        return HTMLResponse(html)

    @app.get("/api/summary")
    def summary_json(user: User, as_of: AsOf = None) -> JSONResponse:
        return JSONResponse(_summary(as_of))

    @app.get("/icon.svg", include_in_schema=False)
    def icon() -> Response:
        return Response(ICON_SVG, media_type="image/svg+xml")

    return app


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
