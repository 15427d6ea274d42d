"""A day's batch on a populated ledger (issue 18): the same cases as loading everything
at once, and the work done proportional to the batch, not to the ledger."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import BOTH
from dedup_helpers import insert, item, partition

from xinfang import db, ledger
from xinfang.db.dialect import Dialect, _Postgres
from xinfang.ledger import assign_cases
from xinfang.matching import TextIndex, plan_matters

LOAN = "我与廊坊市恒达建材有限公司民间借贷纠纷一案，判决对方支付35万元，至今没有执行到位。"
LOAN_CALL = "来电人反映：恒达建材有限公司欠我35万元的案子，8个月了还没执行。"
HOUSE = "我的房子（广阳区新华小区12号楼）被法院错误查封，我提出的执行异议一直没有结果。"
DELAY = "我诉孙立明房屋租赁合同纠纷一案立案已9个月，至今不开庭，请求尽快审理。"


def _background(n: int) -> list[dict]:
    """``n`` unrelated petitioners, one letter each (ID, phone, case number of their own)."""
    return [
        item(
            name=f"路人{k:04d}",
            id_number=f"1310021990{k:06d}X",
            phone=f"139{k:08d}",
            case_number=f"(2023)冀1003民初{9000 + k}号",
            text=f"请求执行第{k}号判决，对方欠款{k + 3}万元至今未还。",
            day=1 + k % 20,
            tag=f"bg{k}",
        )
        for k in range(n)
    ]


def _ledger_people() -> list[dict]:
    """Petitioners on the ledger that the batch comes back to, each by another key."""
    return [
        item(name="郝建国", id_number="110101199003077777", text=LOAN, day=2, tag="l1"),
        item(name="钱多多", phone="13600000001", text=HOUSE, day=3, tag="l2"),
        item(
            name="孙立明",
            case_number="(2023)冀1081民初77号",
            text=DELAY,
            day=4,
            tag="l3",
        ),
        # one person under two cases so far (no key in common): a batch item bridges them
        item(name="欧阳修远", phone="13700000007", text=HOUSE, day=5, tag="l4"),
        item(name="欧阳修远", id_number="13100219850101002X", text=DELAY, day=6, tag="l5"),
    ]


def _batch() -> list[dict]:
    return [
        item(
            name="郝建国",
            id_number="110101199003077777",
            text=LOAN_CALL,
            channel="hotline",
            day=25,
            tag="n1",
        ),
        item(name="钱多多", phone="13600000001", text=HOUSE, day=25, tag="n2"),
        item(name="孙立明", case_number="(2023)冀1081民初77号", text=DELAY, day=26, tag="n3"),
        item(
            name="欧阳修远",
            phone="13700000007",
            id_number="13100219850101002X",
            text=DELAY,
            day=26,
            tag="n4",
        ),
        item(name="新来人", phone="13500000099", text=LOAN, day=27, tag="n5"),
    ]


@BOTH
def test_a_batch_on_a_populated_ledger_gives_the_cases_of_one_load(engine, tmp_path):
    old = _background(60) + _ledger_people()
    insert(engine, old)
    assign_cases(engine)
    insert(engine, _batch())
    assign_cases(engine)
    in_two = partition(engine)

    url = engine.url.render_as_string(hide_password=False)
    other = db.make_engine(f"sqlite:///{tmp_path / 'once.sqlite'}")
    db.upgrade(other)
    insert(other, old + _batch())
    assign_cases(other)
    assert in_two == partition(other)
    assert url  # (the ledger under test: SQLite or PostgreSQL)
    together = {g for g in in_two if {"n1", "l1"} <= {_tag(x) for x in g}}
    assert together, "the repeat joined its ledger case"


def _tag(raw: str) -> str:
    import json

    return json.loads(raw)["tag"]


class _Spy:
    """What ``assign_cases`` read of the ledger: the rows handed to the matcher, and the
    rows of every frame the ledger module fetched."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.planned: list[int] = []
        self.fetched = 0
        real_plan, real_fetch = ledger.plan_matters, ledger.fetch_frame

        def plan(frame, *a, **k):
            self.planned.append(len(frame))
            return real_plan(frame, *a, **k)

        def fetch(*a, **k):
            out = real_fetch(*a, **k)
            self.fetched += len(out)
            return out

        monkeypatch.setattr(ledger, "plan_matters", plan)
        monkeypatch.setattr(ledger, "fetch_frame", fetch)
        for cls in (Dialect, _Postgres):
            monkeypatch.setattr(cls, "read_frame", self._counted(cls.read_frame))

    def _counted(self, read):
        def counted(dialect, *a, **k):
            out = read(dialect, *a, **k)
            self.fetched += len(out)
            return out

        return counted


@BOTH
@pytest.mark.parametrize("ledger_size", [40, 400])
def test_the_batch_reads_its_candidates_not_the_ledger(engine, monkeypatch, ledger_size):
    insert(engine, _background(ledger_size) + _ledger_people())
    assign_cases(engine)
    insert(engine, _batch())
    spy = _Spy(monkeypatch)
    statements: list[str] = []
    sa.event.listen(
        engine, "before_cursor_execute", lambda *a: statements.append(a[2]), retval=False
    )
    summary = assign_cases(engine)
    assert summary["items"] == 5
    # the matcher saw the 5 new items and the 5 items of the 4 ledger persons they
    # name (two hops), whatever the size of the ledger
    assert spy.planned == [10]
    # every row fetched: the 5 new items, the 5 candidates, their ID numbers and phones
    # for the second hop (5), the case holding the batch's case number (1), and on
    # SQLite the id of the one new case read back: the same on a ledger of 40 or 400
    # other petitioners
    read_back = 0 if engine.dialect.name == "postgresql" else 1
    assert spy.fetched == 5 + 5 + 5 + 1 + read_back
    # and no statement reads a whole table without a condition
    reads = [s for s in statements if "FROM intake_item" in s and "WHERE" not in s.upper()]
    assert not [s for s in reads if "JOIN" not in s.upper()]


def test_text_index_forgets_and_rebuilds_the_same():
    t = TextIndex([LOAN, LOAN_CALL, HOUSE])
    before = (t.tokens(0), t.amounts(0), t.facts(0), t.score(0, 1, 0.25))
    t.forget([0, 1])
    assert t._tok[0] is None and t._facts[0] is None and t._amt[1] is None
    assert (t.tokens(0), t.amounts(0), t.facts(0), t.score(0, 1, 0.25)) == before


def test_bigram_codes_are_one_to_one_on_meaningful_characters():
    # every pair of distinct meaningful characters keeps distinct codes (the compact
    # numbering must not fold a CJK character onto a letter or digit)
    chars = "09AZaz㐀䶿一鿿中文"
    seen = {}
    for a in chars:
        for b in chars:
            (code,) = TextIndex([a + b])._codes.tolist()
            assert seen.setdefault(code, a + b) == a + b
    assert max(seen) < 2**30


def test_matching_in_workers_gives_the_plan_of_one_process(monkeypatch):
    import pandas as pd

    import xinfang.matching as matching

    monkeypatch.setattr(matching, "PARALLEL_MIN", 1)
    rows = _background(30) + _ledger_people() + _batch()
    df = pd.DataFrame(rows)
    df["item_id"] = range(1, len(df) + 1)
    df["case_id"] = -1
    one = plan_matters(df, workers=1)
    two = plan_matters(df, workers=2)
    assert one.target.tolist() == two.target.tolist()
    assert (one.rule, one.score, one.matched, one.evidence) == (
        two.rule,
        two.score,
        two.matched,
        two.evidence,
    )


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("", 2),  # the default: by the batch's size, two for a small one
        ("dedup: {workers: 0}\n", 2),
        ("dedup: {workers: 0, parallel_max_items: 2}\n", 1),  # over the bound: one
        ("dedup: {workers: 1}\n", 1),
        ("dedup: {workers: 2, parallel_max_items: 2}\n", 2),  # asked for: always
    ],
)
def test_the_matching_processes_follow_the_config(engine, tmp_path, monkeypatch, setting, expected):
    from xinfang import matching

    path = tmp_path / "xinfang.yaml"
    path.write_text(setting or "{}\n", encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    monkeypatch.setattr(matching.os, "cpu_count", lambda: 2)
    asked: list[int] = []
    real_plan = ledger.plan_matters

    def plan(frame, params, cannot, workers=1, **k):
        asked.append(workers)
        return real_plan(frame, params, cannot, workers=1, **k)

    monkeypatch.setattr(ledger, "plan_matters", plan)
    insert(engine, _ledger_people())
    assign_cases(engine)
    assert asked == [expected]


def test_a_bad_worker_count_is_refused(tmp_path, monkeypatch):
    from xinfang.config import ConfigError, get_config

    path = tmp_path / "xinfang.yaml"
    path.write_text("dedup: {workers: many}\n", encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    with pytest.raises(ConfigError, match=r"dedup\.workers"):
        get_config()
