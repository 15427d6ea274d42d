"""The daily ledger export (专门台账): one XLSX per court under ``<reports>/ledger/<day>/``.

What the campaign's dedicated ledger lists: ledger number, petitioner, case
number, responsible court, department, judge, leader in charge, tier, status and
the latest progress. Every case received by the end of ``day`` is listed with
its current assignment and state; the latest progress is the newest note dated
on or before ``day``. One query over the ledger (a window picks each case's
latest note), streamed into one workbook per court; every configured court gets
its file, empty or not. Rerunning a day replaces that day's folder.

The export goes to staff files, so no full ID or phone number is in it: the note is
the one stored masked (``case_progress.note_masked``), passed through ``mask_text``
again (the current rule, and the raw note for a row stored without its masked copy);
the typed-in names (petitioner, department, judge, leader) go through it too.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import settings
from xinfang.config import Config, get_config
from xinfang.masking import mask_text
from xinfang.reports.monthly import _replace_dir
from xinfang.reports.tables import SheetWriter
from xinfang.vocab import DISPOSITION_NAMES, STATUS_NAMES

log = logging.getLogger(__name__)

HEADERS: list[str] = [
    "台账编号",
    "信访人",
    "案号",
    "责任法院",
    "承办部门",
    "承办法官",
    "包案领导",
    "层级",
    "状态",
    "最新进展",
    # more than the campaign's list, after it
    "进展日期",
    "层级责任人",
    "重点案件",
    "首次信访时间",
    "最近信访时间",
    "信访次数",
    "销号后再访次数",
    "处置类别",
    "销号日期",
    "超期",
    "法定办结期限",
    "超法定期限",
]
SHEET = "台账"

_QUERY = """
WITH latest AS (
    SELECT case_id, progress_date, COALESCE(note_masked, note) AS note,
           ROW_NUMBER() OVER (PARTITION BY case_id
                              ORDER BY progress_date DESC, progress_id DESC) AS rn
    FROM case_progress
    WHERE note IS NOT NULL AND progress_date <= :day
)
SELECT c.ledger_no, c.petitioner_name, c.case_number, c.court_code, c.department, c.judge,
       c.leader, c.tier, c.status, l.note, l.progress_date, c.is_key, c.first_received_at,
       c.last_received_at, c.item_count, c.reopened_count, c.disposition, c.closed_on,
       c.overdue, c.statutory_due_on, c.statutory_overdue
FROM ledger_case c
LEFT JOIN latest l ON l.case_id = c.case_id AND l.rn = 1
WHERE c.first_received_at < :next
ORDER BY c.court_code, c.ledger_no
"""


def day_dir(day: dt.date) -> Path:
    return settings.reports_dir() / "ledger" / f"{day:%Y-%m-%d}"


def _statement() -> sa.TextClause:
    """``_QUERY`` with its dates typed (SQLite hands them back as text otherwise)."""
    return (
        sa.text(_QUERY)
        .bindparams(sa.bindparam("day", type_=sa.Date()), sa.bindparam("next", type_=sa.Date()))
        .columns(
            progress_date=sa.Date(),
            closed_on=sa.Date(),
            statutory_due_on=sa.Date(),
            first_received_at=sa.DateTime(),
            last_received_at=sa.DateTime(),
            is_key=sa.Boolean(),
            overdue=sa.Boolean(),
            statutory_overdue=sa.Boolean(),
        )
    )


def _sizes_statement() -> sa.TextClause:
    """Rows per court in the day's export (``_SIZES``, its date typed)."""
    return sa.text(_SIZES).bindparams(sa.bindparam("next", type_=sa.Date()))


def _row(cfg: Config, r: Any) -> list[Any]:
    """One case as the ledger lists it (``HEADERS``), names and notes masked."""
    court = cfg.courts.get(r.court_code)
    tier = cfg.tiers.get(r.tier)
    return [
        r.ledger_no,
        mask_text(r.petitioner_name),
        r.case_number,
        court.name if court else r.court_code,
        mask_text(r.department),
        mask_text(r.judge),
        mask_text(r.leader),
        r.tier,
        STATUS_NAMES.get(r.status, r.status),
        mask_text(r.note),
        r.progress_date,
        tier.role if tier else None,
        bool(r.is_key),
        r.first_received_at,
        r.last_received_at,
        r.item_count,
        r.reopened_count,
        DISPOSITION_NAMES.get(r.disposition, r.disposition),
        r.closed_on,
        bool(r.overdue),
        r.statutory_due_on,
        bool(r.statutory_overdue),
    ]


IN_MEMORY_ROWS = 5000
"""A court's file with at most this many rows is built in memory; a bigger one streams."""

_SIZES = """
SELECT court_code, COUNT(*) FROM ledger_case WHERE first_received_at < :next GROUP BY court_code
"""


class _CourtBooks:
    """One workbook per court in ``folder``, opened on its first row (or up front).

    ``sizes``: rows expected per court. A file of up to ``IN_MEMORY_ROWS`` rows is built
    in memory (``in_memory``: no temporary file per part, a third less time for the
    day's dozen small files); a bigger one streams its rows to disk (``constant_memory``)
    so that a big court stays cheap. The cells, formats and widths are the same."""

    def __init__(
        self, folder: Path, cfg: Config, day: dt.date, sizes: dict[str, int] | None = None
    ) -> None:
        self.folder, self.cfg, self.day = folder, cfg, day
        self.sizes = sizes or {}
        self.books: dict[str, tuple[Any, SheetWriter]] = {}

    def sheet(self, code: str) -> SheetWriter:
        if code not in self.books:
            import xlsxwriter

            path = str(self.folder / f"{code}.xlsx")
            small = self.sizes.get(code, 0) <= IN_MEMORY_ROWS
            book = xlsxwriter.Workbook(
                path, {"in_memory": True} if small else {"constant_memory": True}
            )
            name = self.cfg.courts[code].name if code in self.cfg.courts else code
            book.set_properties({"title": f"{name} 信访事项台账 {self.day:%Y-%m-%d}"})
            self.books[code] = (book, SheetWriter(book, SHEET, HEADERS))
        return self.books[code][1]

    def close(self) -> list[Path]:
        for book, sheet in self.books.values():
            sheet.close()
            book.close()
        return [self.folder / f"{code}.xlsx" for code in self.books]


def write_daily(engine: Engine, day: dt.date | str) -> list[Path]:
    """Write ``<reports>/ledger/<YYYY-MM-DD>/<court_code>.xlsx`` for every court."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    elif isinstance(day, dt.datetime):
        day = day.date()
    cfg = get_config()

    def build(folder: Path) -> list[Path]:
        params = {"day": day, "next": day + dt.timedelta(days=1)}
        with engine.connect() as conn:
            sizes = dict(conn.execute(_sizes_statement(), params).tuples().all())
            books = _CourtBooks(folder, cfg, day, sizes)
            for code in cfg.courts:  # every court gets its file, empty or not
                books.sheet(code)
            streamed = conn.execution_options(stream_results=True, yield_per=5000)
            for r in streamed.execute(_statement(), params):
                books.sheet(r.court_code).write(_row(cfg, r))
        return books.close()

    paths = _replace_dir(day_dir(day), build)
    log.info("ledger export %s: %d court files in %s", day, len(paths), day_dir(day))
    return paths
