"""The daily risk report (隐患排查日报): ``<reports>/risk/<YYYY-MM-DD>.xlsx``.

Three sheets for the morning after: the risk flags detected that day, the key persons
(重点人员, ID and phone masked as in ``v_key_persons``), and the open key cases that still
have no leader in charge (包案领导). Rerunning a day replaces its file.

The evidence is a sentence of the petition as received, which may hold the petitioner's
phone or ID: it goes through ``mask_text``, as do the typed-in names, so the file holds
no full ID or phone number.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xinfang import settings
from xinfang.config import get_config
from xinfang.masking import mask_id, mask_phone, mask_text
from xinfang.reports.tables import write_sheet
from xinfang.vocab import CHANNEL_NAMES, STATUS_NAMES

log = logging.getLogger(__name__)

KIND_NAMES = {
    "threat": "极端言论",
    "group": "集体访",
    "repeat": "重复信访",
    "multi_channel": "多渠道信访",
    "referral": "上级交办",
}

FLAG_HEADERS = [
    "台账编号",
    "信访人",
    "案号",
    "责任法院",
    "隐患类型",
    "发现日期",
    "信访件编号",
    "渠道",
    "依据",
    "重点案件",
    "包案领导",
    "层级",
    "状态",
]
PERSON_HEADERS = [
    "姓名",
    "身份证号",
    "联系电话",
    "案件数",
    "未结案件数",
    "信访次数",
    "渠道数",
    "隐患数",
    "极端言论数",
    "更新时间",
]
NO_LEADER_HEADERS = [
    "台账编号",
    "信访人",
    "案号",
    "责任法院",
    "层级",
    "重点起始日期",
    "优先级",
    "隐患类型",
    "首次信访时间",
    "最近信访时间",
    "信访次数",
    "状态",
]

_FLAGS = """
SELECT c.ledger_no, c.petitioner_name, c.case_number, c.court_code, f.kind, f.detected_on,
       f.item_id, i.channel, f.evidence, c.is_key, c.leader, c.tier, c.status
FROM risk_flag f
JOIN ledger_case c ON c.case_id = f.case_id
LEFT JOIN intake_item i ON i.item_id = f.item_id
WHERE f.detected_on = :day
ORDER BY c.court_code, c.ledger_no, f.kind, f.item_id
"""
_PERSONS = """
SELECT name, id_number, phone, case_count, open_case_count, item_count, channel_count,
       risk_flag_count, threat_count, updated_at
FROM key_person WHERE is_key_person
ORDER BY threat_count DESC, open_case_count DESC, item_count DESC, person_key
"""
_NO_LEADER = """
SELECT c.case_id, c.ledger_no, c.petitioner_name, c.case_number, c.court_code, c.tier,
       c.key_since, c.priority, c.first_received_at, c.last_received_at, c.item_count, c.status
FROM ledger_case c
WHERE c.is_key AND c.status <> 'closed' AND (c.leader IS NULL OR c.leader = '')
  AND c.first_received_at < :next
ORDER BY c.priority DESC, c.key_since, c.ledger_no
"""
_CASE_KINDS = """
SELECT DISTINCT f.case_id, f.kind FROM risk_flag f
JOIN ledger_case c ON c.case_id = f.case_id
WHERE c.is_key AND c.status <> 'closed' AND (c.leader IS NULL OR c.leader = '')
  AND f.detected_on <= :day
"""


def report_path(day: dt.date) -> Path:
    return settings.reports_dir() / "risk" / f"{day:%Y-%m-%d}.xlsx"


@dataclass(frozen=True)
class _DailyRisk:
    """What the report of one day shows, read in one connection."""

    flags: list[Any]
    people: list[Any]
    no_leader: list[Any]
    kinds: dict[int, set[str]]
    """Per key case without a leader: the kinds of risk it carries by the day."""


def _read(engine: Engine, day: dt.date) -> _DailyRisk:
    next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    with engine.connect() as conn:
        flags = conn.execute(
            sa.text(_FLAGS)
            .bindparams(sa.bindparam("day", type_=sa.Date()))
            .columns(detected_on=sa.Date(), is_key=sa.Boolean()),
            {"day": day},
        ).all()
        people = conn.execute(sa.text(_PERSONS).columns(updated_at=sa.DateTime())).all()
        no_leader = conn.execute(
            sa.text(_NO_LEADER)
            .bindparams(sa.bindparam("next", type_=sa.DateTime()))
            .columns(
                key_since=sa.Date(), first_received_at=sa.DateTime(), last_received_at=sa.DateTime()
            ),
            {"next": next_day},
        ).all()
        kinds: dict[int, set[str]] = {}
        for case_id, kind in conn.execute(
            sa.text(_CASE_KINDS).bindparams(sa.bindparam("day", type_=sa.Date())), {"day": day}
        ):
            kinds.setdefault(case_id, set()).add(kind)
    return _DailyRisk(flags, people, no_leader, kinds)


def _flag_row(r: Any, courts: dict[str, str]) -> list[Any]:
    return [
        r.ledger_no,
        mask_text(r.petitioner_name),
        r.case_number,
        courts.get(r.court_code, r.court_code),
        KIND_NAMES.get(r.kind, r.kind),
        r.detected_on,
        r.item_id,
        CHANNEL_NAMES.get(r.channel, r.channel),
        mask_text(r.evidence),
        bool(r.is_key),
        mask_text(r.leader),
        r.tier,
        STATUS_NAMES.get(r.status, r.status),
    ]


def _person_row(r: Any) -> list[Any]:
    return [
        mask_text(r.name),
        mask_id(r.id_number),
        mask_phone(r.phone),
        r.case_count,
        r.open_case_count,
        r.item_count,
        r.channel_count,
        r.risk_flag_count,
        r.threat_count,
        r.updated_at,
    ]


def _no_leader_row(r: Any, courts: dict[str, str], kinds: set[str]) -> list[Any]:
    return [
        r.ledger_no,
        mask_text(r.petitioner_name),
        r.case_number,
        courts.get(r.court_code, r.court_code),
        r.tier,
        r.key_since,
        r.priority,
        "、".join(name for kind, name in KIND_NAMES.items() if kind in kinds),
        r.first_received_at,
        r.last_received_at,
        r.item_count,
        STATUS_NAMES.get(r.status, r.status),
    ]


def _write_book(path: Path, day: dt.date, risk: _DailyRisk) -> None:
    """The three sheets, written beside ``path`` and swapped in (a rerun replaces the day)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    book = xlsxwriter.Workbook(str(tmp))
    book.set_properties({"title": f"隐患排查日报 {day:%Y-%m-%d}"})
    courts = {code: court.name for code, court in get_config().courts.items()}
    write_sheet(book, "当日新增隐患", FLAG_HEADERS, (_flag_row(r, courts) for r in risk.flags))
    write_sheet(book, "重点人员", PERSON_HEADERS, map(_person_row, risk.people))
    write_sheet(
        book,
        "无包案领导的重点案件",
        NO_LEADER_HEADERS,
        (_no_leader_row(r, courts, risk.kinds.get(r.case_id, set())) for r in risk.no_leader),
    )
    book.close()
    tmp.replace(path)


def write_daily(engine: Engine, day: dt.date | str) -> Path:
    """Write the risk report of ``day`` and return its path."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    elif isinstance(day, dt.datetime):
        day = day.date()
    risk = _read(engine, day)
    path = report_path(day)
    _write_book(path, day, risk)
    log.info(
        "risk report %s: %d flags, %d key persons, %d key cases without a leader",
        path,
        len(risk.flags),
        len(risk.people),
        len(risk.no_leader),
    )
    return path
