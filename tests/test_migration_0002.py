"""Migration 0002 on a populated ledger: keys and masked notes for the rows already there.

A ledger loaded before the upgrade must recognise its own rows afterwards: a file
loaded under 0001 and dropped again (another name and encoding) after the upgrade
loads nothing new, and old progress notes show masked in the analysts' view.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from intake_helpers import drop
from migration_helpers import downgrade_to

from xinfang import db
from xinfang.intake.sweep import run_sweep, sweep_channel
from xinfang.ledger import assign_cases

DAY = dt.date(2023, 7, 3)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容"
ROWS = [
    "2023-07-03,张伟,110101199003074514,13812345678,,(2023)冀1003民初1号,,执行款未到位",
    "2023-07-03,张伟,110101199003074514,13812345678,,(2023)冀1003民初1号,,执行款未到位",
    "2023-07-02 10:30,李强,,0316-2345678,,,广阳区人民法院,拖延审理",
]


def _text(rows: list[str]) -> str:
    return "\n".join([LETTER, *rows]) + "\n"


@BOTH
def test_upgrade_keys_the_rows_already_loaded(engine, dirs):
    landing = dirs["landing"]
    drop(landing, "letter", "before.csv", _text(ROWS))
    run_sweep(engine, day=DAY)
    assign_cases(engine)
    with engine.connect() as conn:
        ledger_no = conn.execute(sa.text("SELECT min(ledger_no) FROM ledger_case")).scalar_one()
    note = "电话联系信访人13812345678"
    drop(
        landing,
        "progress",
        "p.csv",
        f"台账编号,日期,办理进展,状态\n{ledger_no},2023-07-03,{note},办理中\n",
    )
    sweep_channel("progress", engine, day=DAY)
    with engine.connect() as conn:
        keys_at_load = conn.execute(
            sa.text("SELECT item_id, row_key FROM intake_item ORDER BY item_id")
        ).all()

    # the ledger as 0001 left it: the new columns gone, the rows there
    downgrade_to(engine, "0001")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("intake_item")}
    assert "row_key" not in columns
    db.upgrade(engine)

    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT item_id, row_key FROM intake_item ORDER BY item_id")).all()
            == keys_at_load
        )
        masked = conn.execute(sa.text("SELECT note_masked FROM case_progress")).scalar_one()
        latest = conn.execute(
            sa.text("SELECT latest_progress FROM v_case_list WHERE ledger_no = :n"),
            {"n": ledger_no},
        ).scalar_one()
    assert masked == latest == "电话联系信访人138****5678"

    # the same rows dropped again after the upgrade, in GBK with CRLF: nothing new
    drop(landing, "letter", "again-gbk.csv", _text(ROWS).replace("\n", "\r\n").encode("gbk"))
    summary = run_sweep(engine, day=DAY)
    assert summary["items"] == 0 and summary["already_loaded"] == 3
