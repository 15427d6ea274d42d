"""The daily risk report: its three sheets, Chinese headers, frozen header row, masking."""

from __future__ import annotations

import datetime as dt

import openpyxl
import sqlalchemy as sa
from conftest import BOTH
from risk_helpers import add_case, add_item, d

from xinfang import persons, risk
from xinfang.risk.report import FLAG_HEADERS, NO_LEADER_HEADERS, PERSON_HEADERS, write_daily

ID = "110101199003070000"


@BOTH
def test_daily_report_sheets(engine, dirs):
    with engine.begin() as conn:
        led = add_case(conn, person_key=ID, leader="王副院长", petitioner_name="张三")
        add_item(conn, led, d(5), "如不解决我就去北京上访", id_number=ID, phone="13912345678")
        alone = add_case(conn, person_key="B", petitioner_name="李四")
        add_item(conn, alone, d(5), channel="visit", group_size=6)
        add_item(conn, alone, d(4), channel="visit")  # an earlier day: not in the day's flags
        add_case(conn, person_key=ID, petitioner_name="张三")
    risk.screen(engine, as_of=dt.date(2023, 7, 5))
    persons.refresh(engine)
    path = write_daily(engine, dt.date(2023, 7, 5))
    assert path == dirs["reports"] / "risk" / "2023-07-05.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["当日新增隐患", "重点人员", "无包案领导的重点案件"]
    flags, people, no_leader = (book[n] for n in book.sheetnames)
    for sheet, headers in (
        (flags, FLAG_HEADERS),
        (people, PERSON_HEADERS),
        (no_leader, NO_LEADER_HEADERS),
    ):
        assert [c.value for c in sheet[1]] == headers
        assert sheet.freeze_panes == "A2"
    kinds = sorted(row[4] for row in flags.iter_rows(min_row=2, values_only=True))
    assert kinds == ["极端言论", "集体访"]
    person_rows = list(people.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2], r[8]) for r in person_rows] == [
        ("张三", "110101********0000", "139****5678", 1)
    ]
    cases = list(no_leader.iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[7]) for r in cases] == [("李四", "集体访")]
    # a rerun replaces the file; a quiet day has empty sheets with their headers
    assert write_daily(engine, "2023-07-05") == path
    quiet = openpyxl.load_workbook(write_daily(engine, dt.date(2023, 7, 6)))
    assert quiet["当日新增隐患"].max_row == 1


PHONE = "13912345678"


@BOTH
def test_daily_report_holds_no_full_id_or_phone(engine, dirs):
    """A threat sentence that carries the petitioner's phone and ID is the flag's evidence;
    the report shows it masked, with the names typed in."""
    text = f"如不解决我就去北京上访，电话{PHONE}身份证{ID}我就去北京上访"
    with engine.begin() as conn:
        case = add_case(conn, person_key=ID, petitioner_name=f"张三{PHONE}", is_key=True)
        add_item(conn, case, d(5), text, id_number=ID, phone=PHONE)
        add_case(conn, person_key=ID, petitioner_name="张三")
    risk.screen(engine, as_of=dt.date(2023, 7, 5))
    persons.refresh(engine)
    with engine.connect() as conn:
        evidence = conn.execute(sa.text("SELECT evidence FROM risk_flag")).scalars().all()
    assert any(PHONE in e and ID in e for e in evidence)  # stored as received
    book = openpyxl.load_workbook(write_daily(engine, dt.date(2023, 7, 5)))
    flags = list(book["当日新增隐患"].iter_rows(min_row=2, values_only=True))
    threat = next(r for r in flags if r[4] == "极端言论")
    assert "139****5678" in threat[8] and "110101********0000" in threat[8]
    assert threat[1] == "张三139****5678"
    everything = "\n".join(
        repr(row) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
    )
    assert "无包案领导的重点案件" in book.sheetnames and "张三139****5678" in everything
    assert PHONE not in everything and ID not in everything
