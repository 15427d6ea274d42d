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
import sys
from pathlib import Path
from typing import Annotated, Any

from airflow.api_fastapi.core_api.security import get_user
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment

# The project's package, when it is not pip-installed (a plain Airflow install).
_INCLUDE = Path(__file__).resolve().parents[1] / "include"
if _INCLUDE.is_dir() and str(_INCLUDE) not in sys.path:
    sys.path.append(str(_INCLUDE))

URL_PREFIX = "/xinfang"
NAV_NAME = "信访看板"  # short: the nav rail shows about four characters

ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
    'stroke="#c0392b" stroke-width="2"><rect x="3" y="3" width="18" height="18" rx="2"/>'
    '<path d="M7 16v-4M12 16V8M17 16v-6"/></svg>'
)

PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>集中办访 Dashboard {{ s.as_of }}</title>
<style>
 body{font-family:"Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;margin:16px;color:#222}
 h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #ddd}
 table{border-collapse:collapse;font-size:13px} th,td{border:1px solid #ccc;padding:3px 7px}
 th{background:#f3f3f3} td.n{text-align:right} tr.total td{font-weight:bold;background:#fafafa}
 .cards{display:flex;flex-wrap:wrap;gap:8px} .card{border:1px solid #ccc;border-radius:6px;padding:6px 12px}
 .card b{display:block;font-size:22px} .muted{color:#777;font-size:12px} .warn{color:#c0392b}
 td.nw{white-space:nowrap}
</style></head><body>
<h1>集中办访 · 信访台账 Dashboard</h1>
<form method="get" class="muted">as of <input type="date" name="as_of" value="{{ s.as_of }}">
 <button type="submit">show</button>
 {% if s.latest_activity and s.latest_activity != s.as_of %}
 · last ledger activity <a href="?as_of={{ s.latest_activity }}">{{ s.latest_activity }}</a>{% endif %}
 · <a href="api/summary?as_of={{ s.as_of }}">JSON</a></form>
{% if s.calendar.warning %}
<p class="warn" id="calendar-warning">
{%- if s.calendar.provisional %}<b id="calendar-provisional">{{ s.calendar.provisional|join('、') }}年工作日历为临时日历（仅法定节假日，无调休）
{%- if s.calendar.days_left >= 0 %}，自 {{ s.calendar.provisional[0] }}-01-01 起使用（官方日历还剩 {{ s.calendar.days_left }} 天）{% endif -%}
：逐级升级照常计算，但日期可能变动。请在 XINFANG_CONFIG 的 calendar 中补充官方节假日和调休安排（years、holidays、workdays），或升级 chinese-calendar；补充后系统自动重新计算受影响的案件。</b><br>{% endif %}
{%- if s.calendar.stops %}<b id="calendar-stops">工作日历没有 {{ s.calendar.stops|join('、') }} 年的数据，逐级升级将在该年停止：请补充该年度的节假日和调休安排。</b><br>{% endif %}
{{ s.calendar.warning }}</p>
{% endif %}

<div class="cards" id="headline">
{% for key, label in headline_labels %}
 <div class="card" data-figure="{{ key }}"><span class="muted">{{ label }}</span><b>{{ s.headline[key] }}</b></div>
{% endfor %}
</div>

<h2>Cases by court, status and tier 各院案件 (状态 / 未结案件所在层级)</h2>
<table id="by-court"><tr><th>court 法院</th>
{% for code, label in statuses %}<th>{{ label }}</th>{% endfor %}<th>total 合计</th><th>重点 (open)</th>
{% for t in s.cases_by_court.tiers %}<th>tier {{ t }}</th>{% endfor %}</tr>
{% for row in s.cases_by_court.courts + [s.cases_by_court.totals] %}
<tr{% if row.court_code == 'total' %} class="total"{% endif %}><td>{{ row.court_name }}</td>
{% for code, label in statuses %}<td class="n">{{ row[code] }}</td>{% endfor %}
<td class="n">{{ row.total }}</td><td class="n">{{ row.key_open }}</td>
{% for t in s.cases_by_court.tiers %}<td class="n">{{ row.tiers[t|string] }}</td>{% endfor %}</tr>
{% endfor %}</table>

<h2>Escalations on {{ s.as_of }} 今日升级 ({{ s.escalations.count }})</h2>
{% if s.escalations.rows %}<table id="escalations"><tr><th>台账编号</th><th>court</th><th>from → to</th>
<th>reason</th><th>重点</th><th>信访人</th><th>身份证号</th><th>电话</th></tr>
{% for r in s.escalations.rows %}<tr><td>{{ r.ledger_no }}</td><td>{{ court(r.court_code) }}</td>
<td>{{ r.from_tier or '' }} → {{ r.to_tier }}</td><td>{{ r.reason }}</td><td>{{ '是' if r.is_key else '' }}</td>
<td>{{ r.petitioner_name or '' }}</td><td>{{ r.id_number or '' }}</td><td>{{ r.phone or '' }}</td></tr>
{% endfor %}</table>{% else %}<p class="muted">none</p>{% endif %}

<h2>Warnings on {{ s.as_of }} 今日预警 ({{ s.notifications.warning_count }})</h2>
<p class="muted">notifications today by kind:
{% for kind, n in s.notifications.by_kind.items() %}{{ kind }} {{ n }}{{ ', ' if not loop.last }}{% else %}none{% endfor %}</p>
{% if s.notifications.warnings %}<table id="warnings"><tr><th>台账编号</th><th>court</th><th>tier</th>
<th>recipient 责任人</th><th>sent</th><th>信访人</th><th>身份证号</th><th>电话</th></tr>
{% for r in s.notifications.warnings %}<tr><td>{{ r.ledger_no }}</td><td>{{ court(r.court_code) }}</td>
<td class="n">{{ r.tier }}</td><td>{{ r.recipient }}</td><td>{{ r.sent_at or 'not sent' }}</td>
<td>{{ r.petitioner_name or '' }}</td><td>{{ r.id_number or '' }}</td><td>{{ r.phone or '' }}</td></tr>
{% endfor %}</table>{% endif %}

<h2 class="warn">Overdue cases 超期案件 ({{ s.overdue.count }})</h2>
{% if s.overdue.rows %}<table id="overdue"><tr><th>台账编号</th><th>court</th><th>tier</th><th>since</th>
<th>status</th><th>重点</th><th>超期</th><th>法定期限</th><th>信访人</th><th>身份证号</th><th>电话</th></tr>
{% for r in s.overdue.rows %}<tr><td>{{ r.ledger_no }}</td><td>{{ court(r.court_code) }}</td>
<td class="n">{{ r.tier }}</td><td>{{ r.tier_entered_on }}</td><td>{{ status_label(r.status) }}</td>
<td>{{ '是' if r.is_key else '' }}</td><td>{{ '层级超期' if r.overdue else '' }}</td>
<td{% if r.statutory_overdue %} class="warn"{% endif %}>{{ r.statutory_due_on or '' }}{{ ' 已过法定期限' if r.statutory_overdue }}</td>
<td>{{ r.petitioner_name or '' }}</td><td>{{ r.id_number or '' }}</td><td>{{ r.phone or '' }}</td></tr>
{% endfor %}</table>
{% if s.overdue.count > s.overdue.rows|length %}<p class="muted">first {{ s.overdue.rows|length }} shown</p>{% endif %}
{% else %}<p class="muted">none</p>{% endif %}

<h2>Dispositions {{ s.dispositions.month[:7] }} 五个一批 (本月销号)</h2>
<p class="muted">source: {{ s.dispositions.source }}</p>
<table id="dispositions"><tr><th>court 法院</th>
{% for code, label in dispositions %}<th>{{ label }}<br><span class="muted">{{ code }}</span></th>{% endfor %}
<th>total 合计</th></tr>
{% for row in s.dispositions.courts + [s.dispositions.totals] %}
<tr{% if row.court_code == 'total' %} class="total"{% endif %}><td>{{ row.court_name }}</td>
{% for code, label in dispositions %}<td class="n">{{ row[code] }}</td>{% endfor %}
<td class="n">{{ row.total }}</td></tr>
{% endfor %}</table>
<h2 id="review-heading">待甄别 / matches to review ({{ s.review.count }})</h2>
<p class="muted">The deduplication decisions closest to the bar (|margin| ≤ 0.15, view v_match_review),
closest call first. 合并 join: the item joined the case; 未合并 near miss: it opened a case of its own
although the candidate case came close. Staff decide with the command shown (python -m xinfang.admin;
fill in the reason 理由 and your name 姓名); the decision is kept across reruns.</p>
{% if s.review.rows %}<table id="match-review"><tr><th>item</th><th>kind 类型</th><th>margin</th>
<th>rule</th><th>evidence 依据</th><th>台账编号</th><th>candidate 候选台账</th><th>信访人</th><th>身份证号</th>
<th>电话</th><th>received</th><th>command 命令</th></tr>
{% for r in s.review.rows %}<tr data-item="{{ r.item_id }}"><td class="n">{{ r.item_id }}</td>
<td class="nw">{{ '合并 join' if r.kind == 'join' else '未合并 near miss' }}</td>
<td class="n">{{ '%+.3f'|format(r.margin) }}</td><td>{{ r.rule }}</td><td>{{ r.evidence or '' }}</td>
<td class="nw">{{ r.ledger_no or '' }}</td><td class="nw">{{ r.candidate_ledger_no or '' }}</td>
<td class="nw">{{ r.petitioner_name or '' }}</td><td class="nw">{{ r.id_number_masked or '' }}</td>
<td class="nw">{{ r.phone_masked or '' }}</td><td class="nw">{{ (r.received_at or '')[:16]|replace('T', ' ') }}</td>
<td>{% for c in r.commands %}<span class="muted">{{ c.label }}</span> <code>{{ c.command }}</code>{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
{% if s.review.count > s.review.rows|length %}<p class="muted">first {{ s.review.rows|length }} shown: <code>python -m xinfang.admin review --limit {{ s.review.count }}</code> lists them all</p>{% endif %}
{% else %}<p class="muted">none</p>{% endif %}
<p class="muted">ID and phone numbers are masked. Data: the ledger database.</p>
</body></html>
"""
)

ERROR_PAGE = Environment(autoescape=True).from_string(
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>信访看板</title></head>'
    '<body style="font-family:system-ui,sans-serif;margin:16px"><h1>信访看板 {{ title }}</h1>'
    '<p id="error">{{ message }}</p></body></html>'
)

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
