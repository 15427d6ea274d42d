"""Migration 0003 on a populated ledger: decisions taken before it keep their rows.

A ledger deduplicated under 0002 is upgraded: its match decisions stay as they were
(evidence and threshold null: the older rules took them), the review view reads them,
and the next run explains its new decisions.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from intake_helpers import drop
from migration_helpers import downgrade_to

from xinfang import db
from xinfang.intake.sweep import run_sweep
from xinfang.ledger import assign_cases

DAY = dt.date(2023, 7, 10)
LETTER = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容\n"
FIRST = (
    "2023-07-03,郝建国,110101199003077777,13812345678,,,广阳区人民法院,"
    "我与恒达建材有限公司借款纠纷，判决对方支付35万元，至今没有执行\n"
)
LATER = (
    "2023-07-08,郝建国,110101199003077777,13812345678,,,广阳区人民法院,"
    "恒达建材欠我的三十五万元还是没有执行\n"
)


@BOTH
def test_upgrade_keeps_the_decisions_already_taken(engine, dirs):
    landing = dirs["landing"]
    drop(landing, "letter", "first.csv", LETTER + FIRST)
    run_sweep(engine, day=DAY)
    assign_cases(engine)
    with engine.connect() as conn:
        before = conn.execute(
            sa.text("SELECT item_id, case_id, rule FROM match_decision ORDER BY decision_id")
        ).all()
    assert len(before) == 1

    downgrade_to(engine, "0002")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("match_decision")}
    assert "evidence" not in columns and "threshold" not in columns
    db.upgrade(engine)

    with engine.connect() as conn:
        after = conn.execute(
            sa.text(
                "SELECT item_id, case_id, rule, evidence, threshold FROM match_decision "
                "ORDER BY decision_id"
            )
        ).all()
        assert conn.execute(sa.text("SELECT count(*) FROM v_match_review")).scalar_one() == 0
    assert [tuple(r[:3]) for r in after] == [tuple(r) for r in before]
    assert after[0].evidence is None and after[0].threshold is None

    # the next run joins a paraphrase on its facts and says so
    drop(landing, "letter", "later.csv", LETTER + LATER)
    run_sweep(engine, day=DAY)
    assign_cases(engine)
    with engine.connect() as conn:
        last = conn.execute(
            sa.text(
                "SELECT case_id, rule, evidence, threshold, score FROM match_decision "
                "ORDER BY decision_id DESC LIMIT 1"
            )
        ).one()
    assert last.case_id == before[0].case_id
    assert last.rule.endswith("+facts")
    assert "money=350000" in last.evidence and last.score >= last.threshold
