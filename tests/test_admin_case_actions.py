"""The staff commands' case actions (assign, mark-key, reopen, close): their refusals,
one line with exit status 2 and nothing written, and the survival of an action through
the next intake run, sweep and rebuild."""

from __future__ import annotations

import sqlalchemy as sa
from conftest import BOTH
from intake_helpers import drop
from test_case_history import D, admin_ok, case_of_item, ledger_no, on_day, total
from test_match_review import LETTER_HEAD, load

from xinfang import admin, ledger, pipeline
from xinfang.intake.sweep import sweep_channel
from xinfang.schema import case_progress, ledger_case


def _written(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        people = conn.execute(
            sa.select(sa.func.count()).where(case_progress.c.origin.is_not(None))
        ).scalar_one()
    return people, total(engine)


@BOTH
def test_each_refusal_is_one_line_and_writes_nothing(engine, dirs, monkeypatch, capsys):
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    a, b = (ledger_no(engine, case_of_item(engine, it[k])) for k in ("A1", "B1"))
    on_day(monkeypatch, "2023-07-12")
    admin_ok(engine, "close", b, "--disposition", "resolved", "--reason", "已化解", "--by", "王芳")
    capsys.readouterr()
    before = _written(engine)
    staff = ["--reason", "r", "--by", "王芳"]
    cases = [
        (["assign", "XF2099-999999", "--judge", "王", *staff], "no case with 台账编号"),
        (["assign", a, *staff], "nothing to assign"),
        (["assign", a, "--judge", " ", *staff], "--judge must not be empty"),
        (["assign", b, "--judge", "王", *staff], "is closed (已销号): reopen it"),
        (["assign", a, "--judge", "王", "--reason", "", "--by", "x"], "--reason must not"),
        (["assign", a, "--judge", "王", "--reason", "r", "--by", " "], "--by must not"),
        (["mark-key", b, *staff], "is closed"),
        (["mark-key", a, "--unset", *staff], "not a key case"),
        (["reopen", a, *staff], "only a closed case can be reopened"),
        (["close", b, "--disposition", "aid", *staff], "already closed"),
        (["close", a, "--disposition", "forgiven", *staff], "unknown disposition"),
        (["close", a, *staff], "required: --disposition"),
        (["reopen", a, "--by", "x"], "required: --reason"),
    ]
    for argv, says in cases:
        assert admin.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and says in err, (argv, err)
        assert err.count("\n") == 1, err
    assert _written(engine) == before
    # the disposition as its Chinese name, with or without 依法, is the code
    admin_ok(engine, "reopen", b, *staff)
    admin_ok(engine, "close", b, "--disposition", "救助", *staff)
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.select(ledger_case.c.disposition).where(ledger_case.c.ledger_no == b)
            ).scalar_one()
            == "aid"
        )


@BOTH
def test_a_manual_close_and_assignment_survive_intake_sweep_and_rebuild(engine, dirs, monkeypatch):
    it = load(engine, dirs["landing"])
    pipeline.apply_updates(D("2023-07-11"), engine)
    d = case_of_item(engine, it["D1"])
    no = ledger_no(engine, d)
    on_day(monkeypatch, "2023-07-12")
    staff = ("--reason", "已当面答复", "--by", "王芳")
    admin_ok(engine, "assign", no, "--department", "执行局", "--judge", "刘法官", *staff)
    admin_ok(engine, "close", no, "--disposition", "procedure", *staff)

    def state():
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    sa.select(
                        ledger_case.c.status,
                        ledger_case.c.disposition,
                        ledger_case.c.judge,
                        ledger_case.c.department,
                        ledger_case.c.closed_on,
                    ).where(ledger_case.c.case_id == d)
                ).one()
            )

    after = state()
    assert after[:4] == ("closed", "procedure", "刘法官", "执行局")
    assert str(after[4])[:10] == "2023-07-12"
    # the next intake run (another person's letter), the sweep, the daily sweep
    letter = LETTER_HEAD + "2023-07-12,郑新民,,,廊坊市,,广阳区人民法院,工资被拖欠半年请求帮助\n"
    drop(dirs["landing"], "letter", "more.csv", letter)
    sweep_channel("letter", engine, dirs["landing"], day=D("2023-07-12"))
    ledger.assign_cases(engine)
    pipeline.apply_updates(D("2023-07-12"), engine)
    pipeline.daily_sweep(D("2023-07-13"), engine)
    assert state() == after
    on_day(monkeypatch, "2023-07-14")
    ledger.rebuild(engine)
    pipeline.daily_sweep(D("2023-07-14"), engine)
    assert state() == after
