"""The days between a person's items weigh in the matter decision (``_Assigner._timed``).

One matter's items come in a run (the letter, the hotline call, the referral within
weeks); a person's next matter comes months or years later, often in the same words.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from xinfang.matching import MatchParams, plan_matters
from xinfang.normalize.names import name_key

LETTER = (
    "信访人郝建国起诉华信建材公司要求支付货款人民币35万元,二审判决后对方一直不履行,"
    "申请执行两年没有进展,请求法院尽快执行。"
)
NOTE = "来电人称多次反映未果,要求领导过问。"  # names no fact, shares no wording
SAME_WORDS = "信访人郝建国申请执行两年没有进展,请求法院尽快执行。"  # the letter's words
SAME_FACTS = "来电人反映华信建材公司欠其货款35万元至今未还。"  # the letter's facts

DAY0 = dt.datetime(2024, 3, 1, 9, 0)


def _frame(rows: list[tuple[int, str, str | None]]) -> pd.DataFrame:
    """One person (the same ID number): (days after DAY0, text, case number) per item."""
    return pd.DataFrame(
        [
            {
                "item_id": i + 1,
                "case_id": -1,
                "case_case_number": None,
                "id_number": "131002196501011234",
                "phone": None,
                "name_key": name_key("郝建国"),
                "case_number": cn,
                "content_normalized": text,
                "received_at": DAY0 + dt.timedelta(days=days),
            }
            for i, (days, text, cn) in enumerate(rows)
        ]
    )


def test_a_note_within_weeks_joins_the_one_matter():
    plan = plan_matters(_frame([(0, LETTER, "(2023)冀10民终1号"), (12, NOTE, None)]))
    assert plan.target[0] == plan.target[1]
    assert plan.rule[1] == "id_number+facts"
    assert "recent=12d" in plan.evidence[1]


def test_the_same_note_without_days_or_a_year_later_opens_another_matter():
    # without the days (no received_at) the note names too little to join
    no_days = _frame([(0, LETTER, "(2023)冀10民终1号"), (12, NOTE, None)])
    plan = plan_matters(no_days.drop(columns=["received_at"]))
    assert plan.target[0] != plan.target[1]
    plan = plan_matters(_frame([(0, LETTER, "(2023)冀10民终1号"), (400, NOTE, None)]))
    assert plan.target[0] != plan.target[1]
    assert plan.rule[1] == "new_case:other_grievance"
    assert "stale=400d" in plan.evidence[1]  # the near miss says why


def test_the_same_words_a_year_later_are_another_matter_the_same_facts_are_not():
    within = plan_matters(_frame([(0, LETTER, None), (30, SAME_WORDS, None)]))
    assert within.target[0] == within.target[1]
    later = plan_matters(_frame([(0, LETTER, None), (400, SAME_WORDS, None)]))
    assert later.target[0] != later.target[1]
    facts = plan_matters(_frame([(0, LETTER, None), (400, SAME_FACTS, None)]))
    assert facts.target[0] == facts.target[1]
    assert "money=350000" in facts.evidence[1] and "stale=400d" in facts.evidence[1]


def test_the_weights_are_knobs():
    rows = _frame([(0, LETTER, "(2023)冀10民终1号"), (12, NOTE, None)])
    plan = plan_matters(rows, MatchParams(recent_weight=0.0))
    assert plan.target[0] != plan.target[1]
    assert MatchParams.from_config({"stale_days": 200}).stale_days == 200
