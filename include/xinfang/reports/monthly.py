"""Month-end reports: a workbook, CSVs and charts under ``XINFANG_REPORTS_DIR/<YYYY-MM>/``.

What leaders read: the five batches per court, the campaign KPIs, the month's
escalations and its daily intake, as an XLSX workbook with Chinese headers,
the same tables as CSV (UTF-8 with BOM, for Excel) and three PNG charts drawn
with a CJK font. Files are built in a scratch folder and swapped in, so a rerun
replaces the month's folder whole and a failed run leaves the previous one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import settings, stats, vocab
from xinfang.config import Config, get_config
from xinfang.db import dialect_of
from xinfang.months import month_bounds, month_start
from xinfang.reports import fonts
from xinfang.reports.tables import write_csv, write_sheet

log = logging.getLogger(__name__)

KPI_HEADERS: dict[str, str] = {
    "cases_total": "台账案件数",
    "cases_new": "新增案件",
    "cases_closed": "销号案件",
    "cases_open_start": "月初在办",
    "cases_open_end": "月末在办",
    "resolution_rate": "化解率",
    "repeat_items": "重复信访件次",
    "repeat_cases": "重复信访案件",
    "reopened_cases": "销号后再访案件",
    **{f"esc_to_tier{t}": f"升至第{t}级" for t in stats.KPI_ESCALATION_TIERS},
    "overdue_cases": "超期案件",
    "statutory_overdue_cases": "超法定期限案件",
    "key_open": "重点案件在办",
    "key_closed": "重点案件销号",
    "hearings": "信访听证",
    "items_total": "收件总数",
    **{f"items_{c}": name for c, name in vocab.CHANNEL_NAMES.items()},
    "timely_acceptance_rate": "及时受理率",
    "on_time_closure_rate": "按期办结率",
    "satisfaction_rate": "满意率",
}
REASON_NAMES = {"sla": "超过层级时限", "key_case": "重点案件领导包案", "reopened": "销号后再访"}

SHEET_DISPOSITIONS = "五个一批"
SHEET_KPI = "月度指标"
SHEET_ESCALATIONS = "逐级上报"
SHEET_DAILY = "每日收件"

DISPOSITION_HEADERS = ["法院代字", "法院", *vocab.DISPOSITION_NAMES.values(), "合计"]
KPI_SHEET_HEADERS = ["法院代字", "法院", *KPI_HEADERS.values()]
"""The KPI sheet's headers with the longest ladder (see :func:`kpi_keys`)."""
ESCALATION_HEADERS = [
    "台账编号",
    "法院代字",
    "法院",
    "原层级",
    "升至层级",
    "层级责任人",
    "上报日期",
    "原因",
]
DAILY_HEADERS = ["日期", *vocab.CHANNEL_NAMES.values(), "合计"]


def kpi_keys(cfg: Config) -> list[str]:
    """The KPI sheet's columns: every KPI, escalations only to the configured ladder's tiers."""
    left_out = {f"esc_to_tier{t}" for t in stats.KPI_ESCALATION_TIERS} - {
        f"esc_to_tier{t}" for t in cfg.escalation_tiers
    }
    return [k for k in KPI_HEADERS if k not in left_out]


def kpi_sheet_headers(cfg: Config) -> list[str]:
    return ["法院代字", "法院", *(KPI_HEADERS[k] for k in kpi_keys(cfg))]


def month_dir(month: dt.date) -> Path:
    return settings.reports_dir() / f"{month:%Y-%m}"


def short_court_name(name: str) -> str:
    return name.removesuffix("人民法院").replace("中级", "中院")


@dataclass(frozen=True)
class _MonthFacts:
    """What the month's report reads from the ledger, in one connection."""

    grid: dict[tuple[str, str], int]
    """(court, disposition) -> cases (``disposition_monthly``)."""
    kpi: dict[str, Any]
    """court -> its ``kpi_monthly`` row."""
    escalations: list[Any]
    daily: list[Any]
    """(day, channel, n): the items received per day and channel."""


def _read_month(engine: Engine, start: dt.date, last: dt.date, nxt: dt.date) -> _MonthFacts:
    date_params = (
        sa.bindparam("start", type_=sa.Date()),
        sa.bindparam("last", type_=sa.Date()),
        sa.bindparam("next", type_=sa.Date()),
    )
    p = {"start": start, "last": last, "next": nxt}

    def q(sql: str, **types):
        names = [b for b in date_params if f":{b.key}" in sql]
        stmt = sa.text(sql).bindparams(*names)
        # typed result columns: SQLite hands dates back as text otherwise
        return conn.execute(stmt.columns(**types) if types else stmt, p)

    day = dialect_of(engine).day("received_at")
    with engine.connect() as conn:
        return _MonthFacts(
            grid={
                (r.court_code, r.disposition): r.case_count
                for r in q(
                    "SELECT court_code, disposition, case_count FROM disposition_monthly"
                    " WHERE month = :start"
                )
            },
            kpi={
                r.court_code: r._mapping
                for r in q("SELECT * FROM kpi_monthly WHERE month = :start").all()
            },
            escalations=q(
                "SELECT c.ledger_no, c.court_code, e.from_tier, e.to_tier, e.escalated_on,"
                " e.reason FROM escalation_event e JOIN ledger_case c ON c.case_id = e.case_id"
                " WHERE e.escalated_on >= :start AND e.escalated_on <= :last"
                " ORDER BY e.escalated_on, c.ledger_no, e.to_tier",
                escalated_on=sa.Date(),
            ).all(),
            daily=q(
                f"SELECT {day} AS day, channel, COUNT(*) AS n FROM intake_item"
                " WHERE received_at >= :start AND received_at < :next"
                f" GROUP BY {day}, channel"
            ).all(),
        )


def _disposition_rows(cfg: Config, grid: dict[tuple[str, str], int]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for code, court in cfg.courts.items():
        counts = [grid.get((code, d), 0) for d in vocab.DISPOSITIONS]
        rows.append([code, court.name, *counts, sum(counts)])
    totals = [sum(r[i] for r in rows) for i in range(2, len(DISPOSITION_HEADERS))]
    return [*rows, ["", "合计", *totals]]


def _kpi_rows(cfg: Config, kpi: dict[str, Any]) -> list[list[Any]]:
    """A row per court and a total, whose resolution rate is worked out from the totals
    (the workflow rates' totals are left blank: their counts are not kept per court)."""
    keys = kpi_keys(cfg)
    rows = [
        [code, court.name, *(kpi.get(code, {}).get(k) for k in keys)]
        for code, court in cfg.courts.items()
    ]
    total: list[Any] = []
    for i, key in enumerate(keys, start=2):
        rate = key == "resolution_rate" or key in stats.RATES
        total.append(None if rate else sum(r[i] or 0 for r in rows))
    denom = total[keys.index("cases_open_start")] + total[keys.index("cases_new")]
    closed = total[keys.index("cases_closed")]
    total[keys.index("resolution_rate")] = closed / denom if denom else None
    return [*rows, ["", "合计", *total]]


def _escalation_row(cfg: Config, r: Any) -> list[Any]:
    return [
        r.ledger_no,
        r.court_code,
        cfg.courts[r.court_code].name if r.court_code in cfg.courts else r.court_code,
        r.from_tier,
        r.to_tier,
        cfg.tiers[r.to_tier].role if r.to_tier in cfg.tiers else "",
        r.escalated_on,
        REASON_NAMES.get(r.reason, r.reason),
    ]


def _daily_rows(start: dt.date, last: dt.date, counted: list[Any]) -> list[list[Any]]:
    """Every day of the month, zeros included, by channel and in all."""
    by_day: dict[dt.date, dict[str, int]] = {}
    for r in counted:
        d = r.day if isinstance(r.day, dt.date) else dt.date.fromisoformat(str(r.day)[:10])
        by_day.setdefault(d, {})[r.channel] = r.n
    daily: list[list[Any]] = []
    d = start
    while d <= last:
        counts = [by_day.get(d, {}).get(c, 0) for c in vocab.CHANNELS]
        daily.append([d, *counts, sum(counts)])
        d += dt.timedelta(days=1)
    return daily


def load_month(engine: Engine, month: dt.date) -> dict[str, list[list[Any]]]:
    """The report's tables as rows (headers as in the ``*_HEADERS`` lists)."""
    cfg = get_config()
    start, last, nxt = month_bounds(month)
    facts = _read_month(engine, start, last, nxt)
    return {
        SHEET_DISPOSITIONS: _disposition_rows(cfg, facts.grid),
        SHEET_KPI: _kpi_rows(cfg, facts.kpi),
        SHEET_ESCALATIONS: [_escalation_row(cfg, r) for r in facts.escalations],
        SHEET_DAILY: _daily_rows(start, last, facts.daily),
    }


@dataclass(frozen=True)
class _ChartLabels:
    """Every Chinese label of the month's charts (checked against the CJK font at once)."""

    courts: list[str]
    dispositions: list[str]
    tiers: list[str]
    channels: list[str]
    titles: dict[str, str]
    axis: list[str]

    def all(self) -> list[str]:
        return [
            *self.courts,
            *self.dispositions,
            *self.tiers,
            *self.channels,
            *self.titles.values(),
            *self.axis,
        ]


def _chart_labels(cfg: Config, month: dt.date) -> _ChartLabels:
    title_month = f"{month.year}年{month.month}月"
    return _ChartLabels(
        courts=[short_court_name(c.name) for c in cfg.courts.values()],
        dispositions=list(vocab.DISPOSITION_NAMES.values()),
        tiers=[f"第{t}级\n{cfg.tiers[t].role}" for t in cfg.escalation_tiers],
        channels=list(vocab.CHANNEL_NAMES.values()),
        titles={
            "dispositions": f"{title_month} 五个一批处置情况（按法院）",
            "escalations": f"{title_month} 逐级上报次数（按升至层级）",
            "daily": f"{title_month} 每日收件（按渠道）",
        },
        axis=["销号案件数", "上报次数", "件数", "日期"],
    )


def _axes(size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    return path


def _dispositions_chart(path: Path, labels: _ChartLabels, rows: list[list[Any]]) -> Path:
    """The five batches by court, stacked."""
    fig, ax = _axes((11, 5.5))
    bottom = [0] * len(rows)
    for j, name in enumerate(labels.dispositions):
        values = [r[2 + j] for r in rows]
        ax.bar(labels.courts, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(labels.titles["dispositions"])
    ax.set_ylabel(labels.axis[0])
    ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    ax.tick_params(axis="x", labelrotation=30)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _save(fig, path)


def _escalations_chart(path: Path, labels: _ChartLabels, values: list[int]) -> Path:
    """The month's escalations by the tier entered."""
    fig, ax = _axes((8, 5))
    bars = ax.bar(labels.tiers, values, color="#C0504D")
    ax.bar_label(bars)
    ax.set_title(labels.titles["escalations"])
    ax.set_ylabel(labels.axis[1])
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _save(fig, path)


def _daily_chart(path: Path, labels: _ChartLabels, daily: list[list[Any]]) -> Path:
    """The month's daily intake by channel, stacked."""
    fig, ax = _axes((12, 5))
    days = [f"{r[0].day}" for r in daily]
    bottom = [0] * len(daily)
    for j, name in enumerate(labels.channels):
        values = [r[1 + j] for r in daily]
        ax.bar(days, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(labels.titles["daily"])
    ax.set_xlabel(labels.axis[3])
    ax.set_ylabel(labels.axis[2])
    ax.legend(ncols=5, loc="upper left", frameon=False)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _save(fig, path)


def _charts(folder: Path, month: dt.date, tables: dict[str, list[list[Any]]]) -> list[Path]:
    """Three PNG charts; Chinese labels drawn with the CJK font (checked glyph by glyph)."""
    import matplotlib

    cfg = get_config()
    font = fonts.cjk_font()
    labels = _chart_labels(cfg, month)
    fonts.check_labels(labels.all())
    total = tables[SHEET_KPI][-1]
    keys = kpi_keys(cfg)
    escalations = [total[2 + keys.index(f"esc_to_tier{t}")] for t in cfg.escalation_tiers]
    with matplotlib.rc_context(
        {"font.family": [font.name], "axes.unicode_minus": False, "savefig.dpi": 120}
    ):
        return [
            _dispositions_chart(
                folder / "dispositions_by_court.png", labels, tables[SHEET_DISPOSITIONS][:-1]
            ),
            _escalations_chart(folder / "escalations_by_tier.png", labels, escalations),
            _daily_chart(folder / "daily_intake.png", labels, tables[SHEET_DAILY]),
        ]


def _replace_dir(target: Path, build) -> list[Path]:
    """Build into a scratch folder beside ``target``, then swap it in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    scratch.mkdir()
    try:
        names = [p.name for p in build(scratch)]
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:6]}"
            target.rename(old)
        scratch.rename(target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return [target / n for n in names]


def write_month(engine: Engine, month: dt.date | str) -> list[Path]:
    """Write the month's workbook, CSVs and charts; rerunning replaces the month's folder.

    Reads ``disposition_monthly`` / ``kpi_monthly``; when the month was never
    computed it is computed first.
    """
    import xlsxwriter

    start = month_start(month)
    with engine.connect() as conn:
        computed = conn.execute(
            sa.text("SELECT COUNT(*) FROM kpi_monthly WHERE month = :m").bindparams(
                sa.bindparam("m", type_=sa.Date())
            ),
            {"m": start},
        ).scalar_one()
    if not computed:
        stats.compute_month(engine, start)
    tables = load_month(engine, start)
    headers = {
        SHEET_DISPOSITIONS: DISPOSITION_HEADERS,
        SHEET_KPI: kpi_sheet_headers(get_config()),
        SHEET_ESCALATIONS: ESCALATION_HEADERS,
        SHEET_DAILY: DAILY_HEADERS,
    }
    csv_names = {
        SHEET_DISPOSITIONS: "dispositions",
        SHEET_KPI: "kpi",
        SHEET_ESCALATIONS: "escalations",
        SHEET_DAILY: "daily_intake",
    }

    def build(folder: Path) -> list[Path]:
        book_path = folder / f"xinfang_{start:%Y-%m}.xlsx"
        # constant_memory: rows stream to disk (a big month's escalation list stays cheap)
        book = xlsxwriter.Workbook(str(book_path), {"constant_memory": True})
        book.set_properties({"title": f"{start.year}年{start.month}月 信访工作月报"})
        for sheet, rows in tables.items():
            write_sheet(book, sheet, headers[sheet], rows, percent=["化解率"])
        book.close()
        paths = [book_path]
        for sheet, rows in tables.items():
            path = folder / f"{csv_names[sheet]}_{start:%Y-%m}.csv"
            paths.append(write_csv(path, headers[sheet], rows))
        paths += _charts(folder, start, tables)
        return paths

    paths = _replace_dir(month_dir(start), build)
    log.info(
        "month %s: wrote %d report files to %s", f"{start:%Y-%m}", len(paths), month_dir(start)
    )
    return paths


def run_month(engine: Engine, month: dt.date | str) -> dict[str, Any]:
    """The ``monthly_disposition`` DAG's work: compute the month's tables, then its reports."""
    summary = stats.compute_month(engine, month)
    files = write_month(engine, summary["month"])
    return {**summary, "month": summary["month"][:7], "files": [str(p) for p in files]}
