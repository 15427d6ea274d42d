"""The workflow columns of progress rows (docs/progress.md): 受理日期, 答复日期, 延期至,
满意度, 督办单位, 督办期限 — parsed, refused with a reason, loaded and applied.

Hand-derived values: a case registered on Monday 3 July 2023 and accepted on 5 July
has its 60-day deadline on 3 September, so an extension may go to 3 October at most;
not accepted, its deadline is 1 September and the limit 1 October.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import BOTH
from escalation_helpers import D, add_case, add_item, add_progress, case_row

from xinfang.intake.base import RowError
from xinfang.intake.progress import parse_row
from xinfang.progress import apply_progress
from xinfang.schema import case_progress, intake_reject

BASE = {"ledger_no": "XF2023-000001", "progress_date": "2023-07-05", "status": "办理中"}
HEADER = "台账编号,日期,状态,受理日期,答复日期,延期至,满意度,督办单位,督办期限\n"


def row(**kw):
    return {**BASE, **kw}


def test_the_workflow_columns_parse():
    out = parse_row(
        row(
            accepted_on="2023年7月5日",
            replied_on="2023/8/1",
            extended_to="2023-10-03",
            satisfaction=" 基本满意 ",
            supervision_unit="廊坊市中级人民法院 信访办",
            supervision_due_on="2023.7.20",
        )
    )
    assert {k: out[k] for k in list(out)[-6:]} == {
        "accepted_on": D("2023-07-05"),
        "replied_on": D("2023-08-01"),
        "extended_to": D("2023-10-03"),
        "satisfaction": "basic",
        "supervision_unit": "廊坊市中级人民法院 信访办",
        "supervision_due_on": D("2023-07-20"),
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [("满意", "satisfied"), ("基本满意", "basic"), ("不满意", "dissatisfied"), ("", None)],
)
def test_the_three_ratings(text, code):
    assert parse_row(row(satisfaction=text))["satisfaction"] == code


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"satisfaction": "比较满意"}, "满意度 '比较满意' is not one of 满意, 基本满意, 不满意"),
        ({"accepted_on": "2023-02-30"}, "受理日期"),
        ({"replied_on": "昨天"}, "答复日期"),
        ({"extended_to": "2023-13-01"}, "延期至"),
        ({"supervision_due_on": "下周"}, "督办期限"),
        (
            {"accepted_on": "2023-07-10", "replied_on": "2023-07-09"},
            "答复日期 2023-07-09 is before 受理日期 2023-07-10",
        ),
        ({"supervision_unit": "中院"}, "督办单位 needs a 督办期限"),
        ({"accepted_on": "2003-07-05"}, "受理日期 2003-07-05 is before 2004-01-01"),
        ({"replied_on": "1023-08-01"}, "答复日期 1023-08-01 is before 2004-01-01"),
    ],
)
def test_bad_values_are_refused_with_their_reason(kw, reason):
    with pytest.raises(RowError, match=reason):
        parse_row(row(**kw))


def _load(engine, dirs, text: str, day: str = "2023-08-01"):
    from xinfang.intake.sweep import sweep_channel

    incoming = dirs["landing"] / "progress" / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    (incoming / f"progress{len(list(incoming.iterdir()))}.csv").write_text(text, "utf-8")
    (result,) = sweep_channel("progress", engine=engine, landing_root=dirs["landing"], day=D(day))
    with engine.connect() as conn:
        reasons = conn.execute(
            sa.select(intake_reject.c.source_row, intake_reject.c.reason).order_by(
                intake_reject.c.reject_id
            )
        ).all()
    return result, [tuple(r) for r in reasons]


@BOTH
def test_an_extension_past_30_days_is_refused_at_intake(engine, dirs):
    with engine.begin() as conn:
        accepted = add_case(conn, D("2023-07-03"), ledger_no="XF-A")
        add_item(conn, accepted, D("2023-07-03"))
        registered = add_case(conn, D("2023-07-03"), ledger_no="XF-B")
        add_item(conn, registered, D("2023-07-03"))
    result, reasons = _load(
        engine,
        dirs,
        HEADER
        + "XF-A,2023-07-05,办理中,2023-07-05,,,,,\n"  # deadline 3 Sep, limit 3 Oct
        + "XF-A,2023-07-20,,,,2023-10-04,,,\n"  # one day past the limit
        + "XF-A,2023-07-21,,,,2023-10-03,,,\n"  # exactly 30 days: applied
        + "XF-B,2023-07-20,,,,2023-10-02,,,\n"  # from registration: limit 1 Oct
        + "XF-B,2023-07-21,,,,2023-10-01,,,\n",
    )
    assert (result.items, result.rejects) == (3, 2)
    assert reasons == [
        (
            2,
            "延期至 2023-10-04 is more than 30 days past the statutory deadline 2023-09-03 "
            "(60 days from 受理日期 2023-07-05); the latest extension allowed is 2023-10-03",
        ),
        (
            4,
            "延期至 2023-10-02 is more than 30 days past the statutory deadline 2023-09-01 "
            "(60 days from 登记日期 2023-07-03); the latest extension allowed is 2023-10-01",
        ),
    ]
    # a later file is held against the acceptance already loaded
    result, reasons = _load(engine, dirs, HEADER + "XF-A,2023-07-25,,,,2023-10-05,,,\n")
    assert result.rejects == 1 and "2023-09-03" in reasons[-1][1]


@BOTH
def test_the_latest_row_giving_each_column_sets_the_ledger(engine):
    with engine.begin() as conn:
        case_id = add_case(conn, D("2023-07-03"))
        add_item(conn, case_id, D("2023-07-03"))
        # loaded out of order: the row dated 1 August wins for what it gives
        add_progress(
            conn,
            case_id,
            D("2023-08-01"),
            replied_on=D("2023-08-01"),
            satisfaction="dissatisfied",
        )
        add_progress(
            conn,
            case_id,
            D("2023-07-05"),
            accepted_on=D("2023-07-05"),
            satisfaction="satisfied",
            supervision_unit="市中院",
            supervision_due_on=D("2023-07-20"),
        )
        add_progress(conn, case_id, D("2023-07-10"), extended_to=D("2023-09-30"))
        assert apply_progress(conn) >= 1
        assert apply_progress(conn) == 0  # idempotent
    case = case_row(engine, case_id)
    assert (
        case.accepted_on,
        case.replied_on,
        case.extended_to,
        case.satisfaction,
        case.supervision_unit,
        case.supervision_due_on,
    ) == (
        D("2023-07-05"),
        D("2023-08-01"),
        D("2023-09-30"),
        "dissatisfied",
        "市中院",
        D("2023-07-20"),
    )
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(case_progress)).scalar() == 3


@BOTH
def test_an_acceptance_or_reply_after_the_run_is_refused_as_a_mistyped_date(engine, dirs):
    """受理日期 and 答复日期 are days something happened, held to the run's date like 日期
    (a typo of the year, 2032 for 2023, would stop the statutory clock years ahead)."""
    with engine.begin() as conn:
        case = add_case(conn, D("2023-07-03"), ledger_no="XF-A")
        add_item(conn, case, D("2023-07-03"))
    result, reasons = _load(
        engine,
        dirs,
        HEADER
        + "XF-A,2023-07-05,办理中,2032-07-05,,,,,\n"
        + "XF-A,2023-07-06,,2023-07-05,2032-07-06,,,,\n"
        + "XF-A,2023-07-07,,2023-07-05,2023-08-02,,,,\n",  # the day after the run: allowed
    )
    assert (result.items, result.rejects) == (1, 2)
    assert [n for n, _ in reasons] == [1, 2]
    assert (
        "受理日期 2032-07-05 is outside the plausible range 2004-01-01 to 2023-08-02"
        in (reasons[0][1])
    )
    assert "答复日期 2032-07-06 is outside the plausible range" in reasons[1][1]
