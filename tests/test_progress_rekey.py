"""A progress row's key takes the workflow columns (受理日期 … 督办期限) when it gives one.

A clerk who corrects a progress file (adds a 满意度, fixes a 受理日期) and drops it again
must see the corrected row load and the ledger take its value; the identical file dropped
again loads nothing; and a row without workflow values keeps the key the code before the
workflow columns gave it (rows loaded before migration 0004 are still recognised).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from intake_helpers import drop

from xinfang.intake.rowkey import (
    PROGRESS_FIELDS,
    WORKFLOW_FIELDS,
    FileKeys,
    key_text,
    row_key,
    values_text,
)
from xinfang.intake.sweep import run_sweep, sweep_channel
from xinfang.ledger import assign_cases
from xinfang.progress import apply_progress
from xinfang.schema import ledger_case

DAY = dt.date(2023, 8, 1)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容\n"
LETTER_ROW = "2023-07-03,张伟,110101199003074514,13812345678,,(2023)冀1003民初1号,,执行款未到位\n"
HEADER = "台账编号,日期,办理进展,状态,受理日期,满意度\n"

A_ROW = {
    "case_id": 1,
    "progress_date": dt.date(2023, 7, 5),
    "note": "电话联系  信访人",
    "status": "open",
    "judge": "王法官",
    "is_key": False,
    "hearing_date": None,
}
OLD_KEY = "3508f429d69da7865984e3bb214609f2"
"""``row_key(A_ROW, PROGRESS_FIELDS)`` by the code before the workflow columns joined."""


def test_a_row_without_workflow_values_keeps_its_old_key():
    assert row_key(A_ROW, PROGRESS_FIELDS, optional=WORKFLOW_FIELDS) == OLD_KEY
    assert row_key(A_ROW, PROGRESS_FIELDS) == OLD_KEY
    blank = {**A_ROW, "satisfaction": None, "supervision_unit": "  "}
    assert row_key(blank, PROGRESS_FIELDS, optional=WORKFLOW_FIELDS) == OLD_KEY


def test_each_workflow_value_makes_another_key():
    values = {
        "accepted_on": dt.date(2023, 7, 5),
        "replied_on": dt.date(2023, 7, 20),
        "extended_to": dt.date(2023, 10, 1),
        "satisfaction": "satisfied",
        "supervision_unit": "廊坊市中级人民法院",
        "supervision_due_on": dt.date(2023, 7, 30),
    }
    keys = {
        row_key({**A_ROW, f: v}, PROGRESS_FIELDS, optional=WORKFLOW_FIELDS)
        for f, v in values.items()
    }
    assert len(keys) == 6 and OLD_KEY not in keys
    # the same value in another column is another row
    assert row_key(
        {**A_ROW, "accepted_on": dt.date(2023, 7, 20)}, PROGRESS_FIELDS, optional=WORKFLOW_FIELDS
    ) != (
        row_key(
            {**A_ROW, "replied_on": dt.date(2023, 7, 20)}, PROGRESS_FIELDS, optional=WORKFLOW_FIELDS
        )
    )
    text = key_text({**A_ROW, "satisfaction": "basic"}, PROGRESS_FIELDS, WORKFLOW_FIELDS)
    assert text.startswith(values_text(A_ROW, PROGRESS_FIELDS) + "\x1f")


def test_occurrences_count_rows_equal_in_every_column():
    """A row and the same row with a 满意度 are two different rows: each is the first of
    its kind in the file; two equal rows with a 满意度 are the first and the second."""
    keys = FileKeys(PROGRESS_FIELDS, WORKFLOW_FIELDS)
    rated = {**A_ROW, "satisfaction": "basic"}
    got = [keys.key(A_ROW), keys.key(rated), keys.key(rated)]
    assert got[0] == OLD_KEY
    assert got[1] == row_key(rated, PROGRESS_FIELDS, 1, WORKFLOW_FIELDS)
    assert got[2] == row_key(rated, PROGRESS_FIELDS, 2, WORKFLOW_FIELDS)


def _one_case(engine, landing) -> tuple[int, str]:
    drop(landing, "letter", "l.csv", LETTER + LETTER_ROW)
    run_sweep(engine, day=dt.date(2023, 7, 3))
    assign_cases(engine)
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text("SELECT case_id, ledger_no FROM ledger_case")).one())


def _progress(engine, landing, name: str, data: str | bytes) -> tuple[int, int]:
    """Drop one progress file, load it and apply it: (rows loaded, rows already loaded)."""
    drop(landing, "progress", name, data)
    (result,) = sweep_channel("progress", engine, day=DAY)
    assert result.outcome == "loaded", result.reason
    with engine.begin() as conn:
        apply_progress(conn)
    return result.items, result.known


def _case(engine, *columns: str) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.select(*(ledger_case.c[c] for c in columns))).one())


@BOTH
def test_a_corrected_file_dropped_again_loads_the_corrected_rows(engine, dirs):
    landing = dirs["landing"]
    _, no = _one_case(engine, landing)
    first = f"{no},2023-07-05,受理告知,办理中,2023-07-05,\n{no},2023-07-20,书面答复,办理中,,\n"
    assert _progress(engine, landing, "p.csv", HEADER + first) == (2, 0)
    assert _case(engine, "accepted_on", "satisfaction") == (dt.date(2023, 7, 5), None)

    # the second row gets its 满意度: it loads, the first is known
    rated = first.replace("书面答复,办理中,,", "书面答复,办理中,,满意")
    assert _progress(engine, landing, "p-rated.csv", HEADER + rated) == (1, 1)
    assert _case(engine, "satisfaction") == ("satisfied",)

    # the first row's 受理日期 fixed (same 日期: the row loaded last wins)
    fixed = rated.replace("受理告知,办理中,2023-07-05", "受理告知,办理中,2023-07-06")
    assert _progress(engine, landing, "p-fixed.csv", HEADER + fixed) == (1, 1)
    assert _case(engine, "accepted_on", "satisfaction") == (dt.date(2023, 7, 6), "satisfied")

    # each file dropped again, renamed, as GBK with CRLF: nothing new
    for name, text in (("a.csv", first), ("b.csv", rated), ("c.csv", fixed)):
        data = (HEADER + text).replace("\n", "\r\n").encode("gbk")
        assert _progress(engine, landing, name, data) == (0, 2)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM case_progress")).scalar_one() == 4


@BOTH
def test_rows_without_workflow_values_keep_the_keys_the_old_code_gave(engine, dirs):
    landing = dirs["landing"]
    case_id, no = _one_case(engine, landing)
    text = f"{no},2023-07-05,电话联系  信访人,办理中,,\n"
    header = "台账编号,日期,办理进展,状态,承办法官,重点案件\n"
    assert _progress(engine, landing, "p.csv", header + text.replace(",,\n", ",王法官,否\n")) == (
        1,
        0,
    )
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT row_key FROM case_progress")).scalar_one()
    assert case_id == A_ROW["case_id"]  # the ledger's first case
    assert stored == OLD_KEY


@BOTH
def test_equal_rows_in_one_file_stay_two_rows(engine, dirs):
    landing = dirs["landing"]
    _, no = _one_case(engine, landing)
    row = f"{no},2023-07-20,,办理中,,基本满意\n"
    plain = f"{no},2023-07-20,,办理中,,\n"
    assert _progress(engine, landing, "p.csv", HEADER + plain + row + row) == (3, 0)
    assert _progress(engine, landing, "p-again.csv", HEADER + row + plain + row + row) == (1, 3)
