"""The progress channel (办理进展): row parsing, loading, and applying rows to cases."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_case, add_item, add_progress, case_row, new_case

from xinfang import escalation
from xinfang.intake.base import RowError
from xinfang.intake.progress import SPEC, parse_row
from xinfang.progress import WORKFLOW, apply_progress
from xinfang.schema import case_progress, intake_reject

BASE = {"ledger_no": "XF2023-000001", "progress_date": "2023-07-05", "status": "办理中"}


def row(**kw):
    return {**BASE, **kw}


def test_spec_declares_the_contract_columns():
    assert list(SPEC.columns) == [
        "台账编号",
        "日期",
        "办理进展",
        "状态",
        "处置类别",
        "责任法院",
        "承办部门",
        "承办法官",
        "包案领导",
        "重点案件",
        "听证日期",
        "受理日期",
        "答复日期",
        "延期至",
        "满意度",
        "督办单位",
        "督办期限",
    ]
    assert SPEC.target == "progress" and set(SPEC.formats) == {"csv", "xlsx"}
    assert set(SPEC.required) <= set(SPEC.columns.values())


@pytest.mark.parametrize(
    ("text", "status"), [("办理中", "open"), ("中止", "paused"), ("已销号", "closed"), ("", None)]
)
def test_statuses(text, status):
    disp = "化解" if status == "closed" else None
    assert parse_row(row(status=text, disposition=disp))["status"] == status


@pytest.mark.parametrize("text", ["resolved", "依法化解", "化解", "RESOLVED", " 化解 "])
def test_disposition_spellings(text):
    out = parse_row(row(status="已销号", disposition=text))
    assert (out["status"], out["disposition"]) == ("closed", "resolved")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("依法评查", "review"),
        ("导入程序", "procedure"),
        ("救助", "aid"),
        ("terminated", "terminated"),
    ],
)
def test_every_batch(text, code):
    assert parse_row(row(status="已销号", disposition=text))["disposition"] == code


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"status": "已完成"}, "状态"),
        ({"status": "已销号"}, "处置类别"),
        ({"status": "已销号", "disposition": "调解"}, "处置类别"),
        ({"progress_date": "2023-02-30"}, "日期"),
        ({"progress_date": ""}, "日期"),
        ({"ledger_no": " "}, "台账编号"),
        ({"court": "北京市第一中级人民法院"}, "责任法院"),
        ({"is_key": "也许"}, "重点案件"),
        ({"hearing_date": "下周"}, "听证日期"),
    ],
)
def test_unusable_rows_say_why(kw, reason):
    with pytest.raises(RowError, match=reason):
        parse_row(row(**kw))


def test_a_full_row():
    out = parse_row(
        row(
            progress_date=dt.datetime(2023, 7, 6, 15, 30),
            note="  已约谈信访人 ",
            court="广阳区法院",
            department="民一庭",
            judge="王 法官",
            leader="李副院长",
            is_key="是",
            hearing_date="2023年7月20日",
        )
    )
    assert out == {
        "ledger_no": "XF2023-000001",
        "progress_date": D("2023-07-06"),
        "note": "已约谈信访人",
        "status": "open",
        "disposition": None,
        "court_code": "冀1003",
        "department": "民一庭",
        "judge": "王 法官",
        "leader": "李副院长",
        "is_key": True,
        "hearing_date": D("2023-07-20"),
        **dict.fromkeys(WORKFLOW),
    }
    assert parse_row(row(is_key="否", court="冀10"))["is_key"] is False
    assert parse_row(row(court="冀10"))["court_code"] == "冀10"


def test_loading_a_progress_file(engine, dirs):
    from xinfang.intake.sweep import sweep_channel

    with engine.begin() as conn:
        add_case(conn, D("2023-07-03"), ledger_no="XF2023-000001")
    incoming = dirs["landing"] / "progress" / "incoming"
    incoming.mkdir(parents=True)
    text = (
        " 台账编号 ,日期,办理进展,状态,处置类别,责任法院,承办部门,承办法官,包案领导,重点案件,听证日期\n"
        "XF2023-000001,2023/7/5,约谈,办理中,,,民一庭,王法官,,,\n"
        "XF2023-000001,2023年7月20日,化解完毕,已销号,化解,,,,,,2023-07-18\n"
        "XF2023-000999,2023-07-05,未知,办理中,,,,,,,\n"
        "XF2023-000001,2023-07-06,,已销号,,,,,,,\n"
        "XF2023-000001,2023-07-06,,搁置,,,,,,,\n"
    )
    (incoming / "progress.csv").write_bytes(text.encode("gb18030"))
    (result,) = sweep_channel(
        "progress", engine=engine, landing_root=dirs["landing"], day=D("2023-07-21")
    )
    assert (result.items, result.rejects) == (2, 3)
    with engine.connect() as conn:
        reasons = [
            r[0]
            for r in conn.execute(
                sa.select(intake_reject.c.reason).order_by(intake_reject.c.source_row)
            )
        ]
        rows = conn.execute(
            sa.select(
                case_progress.c.status, case_progress.c.disposition, case_progress.c.hearing_date
            ).order_by(case_progress.c.progress_date)
        ).all()
    assert "XF2023-000999" in reasons[0]
    assert "处置类别" in reasons[1] and "状态" in reasons[2]
    assert rows == [("open", None, None), ("closed", "resolved", D("2023-07-18"))]


@BOTH
def test_apply_progress_assignments_follow_the_latest_date(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        # loaded out of order: the row dated 10 July wins over the one dated 6 July
        add_progress(conn, cid, D("2023-07-10"), judge="赵法官", court_code="冀10")
        add_progress(
            conn, cid, D("2023-07-06"), judge="王法官", department="民一庭", leader="李副院长"
        )
        touched = apply_progress(conn)
    assert touched >= 1
    r = case_row(engine, cid)
    assert (r.court_code, r.department, r.judge, r.leader) == (
        "冀10",
        "民一庭",
        "赵法官",
        "李副院长",
    )
    with engine.begin() as conn:
        assert apply_progress(conn) == 0  # idempotent


@BOTH
def test_apply_progress_key_status_and_close(engine):
    a = new_case(engine, D("2023-07-03"))
    b = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, a, D("2023-07-05"), is_key=True)
        add_progress(conn, b, D("2023-07-05"), "closed", disposition="aid")
        apply_progress(conn)
    ra, rb = case_row(engine, a), case_row(engine, b)
    assert (ra.is_key, ra.key_since, ra.tier, ra.tier_entered_on) == (
        True,
        D("2023-07-05"),
        4,
        D("2023-07-05"),
    )
    assert (rb.status, rb.disposition, rb.closed_on) == ("closed", "aid", D("2023-07-05"))
    with engine.begin() as conn:  # a repeat item after 销号 reopens
        add_item(conn, b, D("2023-07-09"))
        apply_progress(conn, case_ids=[b])
    rb = case_row(engine, b)
    assert (rb.status, rb.disposition, rb.closed_on) == ("open", None, None)


@BOTH
def test_apply_then_sweep_agree(engine):
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-05"), "paused")
        apply_progress(conn)
    assert case_row(engine, cid).status == "paused"
    escalation.sweep(engine, D("2023-07-20"))
    r = case_row(engine, cid)
    assert (r.status, r.tier) == ("paused", 1)
