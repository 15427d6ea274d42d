"""The review queue of deduplication (甄别, issue 14): the view ``v_match_review``, the
staff commands of ``python -m xinfang.admin`` and the dashboard's section.

A small ledger is loaded through intake (a letter file and a hotline file) and
``assign_cases``; the matcher's explanation of some decisions (score, threshold,
evidence) is then written directly, as the matcher does, to put a join and a near
miss close to the bar and others far from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import BOTH
from fastapi.testclient import TestClient
from intake_helpers import drop

from xinfang import admin, dashboard, ledger
from xinfang.intake.sweep import sweep_channel
from xinfang.matching import MatchParams
from xinfang.schema import intake_item, ledger_case, manual_override, match_decision

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

DAY = dt.date(2023, 7, 31)


def _id(body17: str) -> str:
    """A resident ID number with its check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body17, weights, strict=True))
    return body17 + "10X98765432"[total % 11]


ID = {k: _id(f"13100219{70 + n}0101{n:02d}1") for n, k in enumerate("ABCDEGH")}
PHONE = {k: f"1{n + 3}8{n:04d}5678" for n, k in enumerate("ABCDEGH")}
NAME = {
    "A": "张建华",
    "B": "李秀英",
    "C": "王立新",
    "D": "赵国强",
    "E": "陈美玲",
    "G": "孙志刚",
    "H": "周丽娟",
}
CN_D = "(2023)冀1003民初1234号"
TEXT = {
    "A": "华信建筑公司拖欠我的工程款十二万元，多次讨要未果，请求法院督促执行",
    "B": "房屋拆迁补偿款三十五万元至今没有发放到位，请求法院依法处理",
    "C1": "劳动争议仲裁裁决已经生效，用人单位拒不支付工资，申请强制执行没有结果",
    "C2": "邻居在我家宅基地上私自建房，占用通道，多次协商无果",
    "D": "借款合同纠纷判决后被告转移财产，申请执行至今未果",
    "E": "交通事故赔偿判决生效后对方一直不履行，医药费无法报销",
    "G": "物业公司违规收取停车费用并扣押车辆，起诉后判决一直未执行",
    "H1": "儿子在工地受伤后工伤认定迟迟没有结论，单位拒绝赔偿",
    "H2": "村委会截留土地征收补偿款，分配方案不公开不公平",
}

LETTER_HEAD = "登记日期,信访人,身份证号,联系电话,住址,涉及案号,反映法院,信访内容\n"
HOTLINE_HEAD = "工单号,来电时间,来电人,来电号码,涉及案号,通话摘要\n"


def _letter(day: int, k: str, text: str, case_number: str = "") -> str:
    return (
        f"2023-07-{day:02d},{NAME[k]},{ID[k]},{PHONE[k]},廊坊市广阳区,{case_number},"
        f"广阳区人民法院,{text}\n"
    )


def _call(no: int, day: int, k: str, text: str) -> str:
    return f"RX{no:05d},2023-07-{day:02d} 10:00,{NAME[k]},{PHONE[k]},,来电人反映{text}\n"


def load(engine, landing: Path) -> dict[str, int]:
    """Letters and calls of seven people; returns item ids by tag (A1, A2, ...)."""
    letters = (
        LETTER_HEAD
        + _letter(3, "A", TEXT["A"])
        + _letter(4, "B", TEXT["B"])
        + _letter(4, "C", TEXT["C1"])
        + _letter(7, "C", TEXT["C2"])
        + _letter(5, "D", TEXT["D"], CN_D)
        + _letter(8, "D", TEXT["D"], CN_D)
        + _letter(5, "E", TEXT["E"])
        + _letter(9, "E", TEXT["E"])
        + _letter(6, "G", TEXT["G"])
        + _letter(10, "G", TEXT["G"] + "，再次反映")
        + _letter(6, "H", TEXT["H1"])
        + _letter(11, "H", TEXT["H2"])
    )
    calls = HOTLINE_HEAD + _call(1, 5, "A", TEXT["A"]) + _call(2, 6, "B", TEXT["B"])
    drop(landing, "letter", "letters.csv", letters)
    drop(landing, "hotline", "calls.csv", calls)
    for channel in ("letter", "hotline"):
        sweep_channel(channel, engine, landing, day=DAY)
    ledger.assign_cases(engine)
    with engine.begin() as conn:  # the matcher's own calls out of the queue: the test's alone
        conn.execute(match_decision.update().values(threshold=None))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(intake_item.c.item_id, intake_item.c.petitioner_name).order_by(
                intake_item.c.received_at, intake_item.c.item_id
            )
        ).all()
    # each person's items in received order: A1, A2, B1, ...
    by_name = {v: k for k, v in NAME.items()}
    out: dict[str, int] = {}
    seen: dict[str, int] = {}
    for item_id, name in rows:
        k = by_name[name]
        seen[k] = seen.get(k, 0) + 1
        out[f"{k}{seen[k]}"] = item_id
    assert len(out) == 14
    return out


def case_of(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(intake_item.c.item_id, intake_item.c.case_id)).all())


def decide(engine, item_id: int, rule: str, score, threshold, matched=None, evidence=None):
    """A later decision on the item, as the matcher writes it (the latest one counts)."""
    with engine.begin() as conn:
        case = conn.execute(
            sa.select(intake_item.c.case_id).where(intake_item.c.item_id == item_id)
        ).scalar_one()
        conn.execute(
            match_decision.insert().values(
                item_id=item_id,
                case_id=case,
                matched_item_id=matched,
                rule=rule,
                score=score,
                threshold=threshold,
                evidence=evidence,
                decided_at=dt.datetime(2023, 7, 31, 8, 0),
            )
        )


def queue(engine) -> dict[int, sa.Row]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM v_match_review")).all()
    return {r.item_id: r for r in rows}


def near_the_bar(engine, it: dict[str, int]) -> None:
    """A2 and B2 joined just above the bar, C2 a near miss of C1's case, E2 far above,
    G2 joined just above (left unreviewed)."""
    decide(engine, it["A2"], "phone_name+facts", 0.34, 0.30, it["A1"], "money=120000; text=0.21")
    decide(engine, it["B2"], "phone_name+facts", 0.41, 0.30, it["B1"], "money=350000; text=0.18")
    decide(engine, it["C2"], "new_case:other_grievance", 0.22, 0.30, it["C1"], "text=0.22; org=-")
    decide(engine, it["E2"], "same_person+facts", 0.95, 0.30, it["E1"], "text=0.95")
    decide(engine, it["G2"], "same_person+facts", 0.39, 0.30, it["G1"], "text=0.39")


def _params(bar: float) -> MatchParams:
    """The defaults with every threshold at ``bar``: 1e6 joins nothing on the text or
    the facts, -1e6 joins every item of a person into one matter."""
    fields = [f.name for f in dataclasses.fields(MatchParams) if "threshold" in f.name]
    return dataclasses.replace(MatchParams(), **dict.fromkeys(fields, bar))


def run_admin(*argv: str) -> int:
    return admin.main(list(argv))


@BOTH
def test_view_lists_the_near_calls_masked(engine, dirs):
    it = load(engine, dirs["landing"])
    cases = case_of(engine)
    # the ledger as the matcher left it: the joins and the near miss the test reviews
    assert cases[it["A1"]] == cases[it["A2"]] and cases[it["B1"]] == cases[it["B2"]]
    assert cases[it["C1"]] != cases[it["C2"]] and cases[it["D1"]] == cases[it["D2"]]
    assert cases[it["E1"]] == cases[it["E2"]] and cases[it["G1"]] == cases[it["G2"]]
    near_the_bar(engine, it)
    # a decision by case number alone (no threshold) is never reviewed
    decide(engine, it["D2"], "id_number+case_number", 1.0, None, it["D1"])
    q = queue(engine)
    assert set(q) == {it["A2"], it["B2"], it["C2"], it["G2"]}
    a2, c2 = q[it["A2"]], q[it["C2"]]
    assert a2.kind == "join" and a2.rule == "phone_name+facts"
    assert a2.margin == pytest.approx(0.04) and a2.evidence == "money=120000; text=0.21"
    assert a2.case_id == a2.candidate_case_id == cases[it["A1"]]
    assert a2.ledger_no == a2.candidate_ledger_no and a2.ledger_no.startswith("XF2023-")
    assert a2.channel == "hotline" and a2.petitioner_name == "张建华"
    assert a2.phone_masked == PHONE["A"][:3] + "****" + PHONE["A"][-4:]
    assert a2.id_number_masked is None  # the call carried no ID
    assert c2.kind == "near_miss" and c2.margin == pytest.approx(-0.08)
    assert c2.case_id == cases[it["C2"]] and c2.candidate_case_id == cases[it["C1"]]
    assert c2.matched_item_id == it["C1"] and c2.ledger_no != c2.candidate_ledger_no
    assert c2.id_number_masked == ID["C"][:6] + "********" + ID["C"][-4:]
    # no full ID or phone number anywhere in the view's rows
    text = repr(list(q.values()))
    for k in ID:
        assert ID[k] not in text and PHONE[k] not in text
    assert "content" not in q[it["A2"]]._mapping
    # evidence is read from the content: a phone or ID that slipped into it is withheld
    for leak in (PHONE["B"], ID["B"], "0316" + PHONE["B"][-7:]):
        decide(engine, it["B2"], "phone_name+facts", 0.41, 0.30, it["B1"], f"money={leak}")
        assert queue(engine)[it["B2"]].evidence.startswith("(withheld")
    decide(engine, it["B2"], "phone_name+facts", 0.41, 0.30, it["B1"], "money=3500000000")
    assert queue(engine)[it["B2"]].evidence == "money=3500000000"  # 35亿 is shown
    # the dashboard's order: the closest call first
    with engine.connect() as conn:
        review = dashboard.match_review(conn)
    assert [r["item_id"] for r in review["rows"]] == [it["A2"], it["C2"], it["G2"], it["B2"]]
    assert review["count"] == 4
    # the band is inclusive (0.45 - 0.30 is a hair over 0.15 in binary); 0.16 is out
    decide(engine, it["E2"], "same_person+facts", 0.45, 0.30, it["E1"], "text=0.45")
    assert it["E2"] in queue(engine)
    decide(engine, it["E2"], "same_person+facts", 0.16, 0.30, it["E1"], "text=0.16")
    assert queue(engine)[it["E2"]].kind == "near_miss"
    decide(engine, it["E2"], "same_person+facts", 0.46, 0.30, it["E1"], "text=0.46")
    assert it["E2"] not in queue(engine)  # only the latest decision counts


@BOTH
def test_staff_decisions_leave_the_queue_and_survive_reruns(engine, dirs, capsys):
    it = load(engine, dirs["landing"])
    near_the_bar(engine, it)
    cases = case_of(engine)
    a_case = cases[it["A1"]]
    with engine.connect() as conn:
        nos = dict(conn.execute(sa.select(ledger_case.c.case_id, ledger_case.c.ledger_no)).all())

    assert run_admin("confirm", str(it["A2"]), "--reason", "同一工程款", "--by", "王书记员") == 0
    out = capsys.readouterr().out
    assert f"confirmed item {it['A2']} in case {nos[a_case]} with item {it['A1']}" in out
    assert run_admin("split", str(it["B2"]), "--reason", "另一事项", "--by", "王书记员") == 0
    out = capsys.readouterr().out
    b2_case = case_of(engine)[it["B2"]]
    assert b2_case != cases[it["B1"]]
    with engine.connect() as conn:
        new_no = conn.execute(
            sa.select(ledger_case.c.ledger_no).where(ledger_case.c.case_id == b2_case)
        ).scalar_one()
    assert f"split item {it['B2']} out of case {nos[cases[it['B1']]]} into new case {new_no}" in (
        out
    )
    # a near miss confirmed: it stays apart from the candidate
    assert run_admin("confirm", str(it["C2"]), "--reason", "两件事", "--by", "李法官") == 0
    out = capsys.readouterr().out
    assert f"apart from item {it['C1']} (case {nos[cases[it['C1']]]})" in out
    assert set(queue(engine)) == {it["G2"]}
    with engine.connect() as conn:
        ov = conn.execute(
            sa.select(
                manual_override.c.action,
                manual_override.c.item_id,
                manual_override.c.other_item_id,
                manual_override.c.created_by,
            ).order_by(manual_override.c.override_id)
        ).all()
    assert [tuple(r) for r in ov] == [
        ("confirm", it["A2"], it["A1"], "王书记员"),
        ("split", it["B2"], it["B1"], "王书记员"),
        ("apart", it["C2"], it["C1"], "李法官"),
    ]
    # the review lists what is left, masked, with the commands
    assert run_admin("review") == 0
    out = capsys.readouterr().out
    assert f"item {it['G2']:>8}  join" in out and f"confirm {it['G2']}" in out
    assert f"split {it['G2']}" in out and ID["G"] not in out and PHONE["G"] not in out

    # a rebuild on which the text joins nothing: the confirmed join holds, an unconfirmed
    # one (G) comes apart
    ledger.rebuild(engine, _params(1e6))
    got = case_of(engine)
    assert got[it["G1"]] != got[it["G2"]], "premise: with an unreachable bar G comes apart"
    assert got[it["A2"]] == got[it["A1"]]
    # a rebuild on which every item of a person joins: the split and the near miss
    # confirmed apart stay apart, an unreviewed pair (H) joins
    ledger.rebuild(engine, _params(-1e6))
    got = case_of(engine)
    assert got[it["H1"]] == got[it["H2"]], "premise: with no bar H joins"
    assert got[it["C2"]] != got[it["C1"]] and got[it["B2"]] != got[it["B1"]]
    assert got[it["A2"]] == got[it["A1"]]
    # the ordinary rebuild keeps the matcher's bar and evidence (the queue reads them),
    # not on the decisions the staff replaced; then another intake run with new items
    ledger.rebuild(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                match_decision.c.item_id,
                match_decision.c.rule,
                match_decision.c.threshold,
                match_decision.c.evidence,
            )
        ).all()
    dec = {r.item_id: r for r in rows}
    assert dec[it["G2"]].threshold is not None and dec[it["G2"]].evidence
    assert dec[it["B2"]].rule == "manual_split" and dec[it["B2"]].threshold is None
    drop(
        dirs["landing"],
        "letter",
        "letters2.csv",
        LETTER_HEAD + _letter(20, "A", TEXT["A"]) + _letter(20, "B", TEXT["B"]),
    )
    drop(dirs["landing"], "hotline", "calls2.csv", HOTLINE_HEAD + _call(3, 21, "C", TEXT["C2"]))
    for channel in ("letter", "hotline"):
        sweep_channel(channel, engine, dirs["landing"], day=DAY)
    ledger.assign_cases(engine)
    got = case_of(engine)
    assert len(got) == 17 and None not in got.values()
    assert got[it["A2"]] == got[it["A1"]] == a_case  # the case keeps its number
    assert got[it["B2"]] != got[it["B1"]]
    assert got[it["C2"]] != got[it["C1"]]
    # the matcher puts them near the bar again: the staff's word still keeps them off
    near_the_bar(engine, it)
    q = set(queue(engine))
    assert it["G2"] in q
    assert not q & {it["A2"], it["B2"], it["C2"]}


@BOTH
def test_admin_errors_are_one_line_with_status_2(engine, dirs, capsys):
    it = load(engine, dirs["landing"])
    capsys.readouterr()
    cases = [
        (["confirm", "999999", "--reason", "r", "--by", "b"], "no intake item 999999"),
        (["merge", str(it["A2"]), "999999", "--reason", "r", "--by", "b"], "no intake item"),
        (["split", str(it["B2"]), "--by", "b"], "required: --reason"),
        (["split", str(it["B2"]), "--reason", "r"], "required: --by"),
        (["confirm", str(it["A2"]), "--reason", " ", "--by", "b"], "--reason must not be empty"),
        (["merge", str(it["A2"]), str(it["A2"]), "--reason", "r", "--by", "b"], "with itself"),
        (["merge", "x", "1", "--reason", "r", "--by", "b"], "invalid int value"),
        (["review", "--limit", "0"], "--limit"),
        (["reassign"], "invalid choice"),
    ]
    before = case_of(engine)
    for argv, says in cases:
        assert run_admin(*argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and says in err, (argv, err)
        assert err.count("\n") == 1, err  # one line
    assert case_of(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(manual_override)).scalar() == 0
    # merge: the item moves into the other item's case, its emptied case goes
    assert (
        run_admin("merge", str(it["C2"]), str(it["C1"]), "--reason", "同一纠纷", "--by", "w") == 0
    )
    out = capsys.readouterr().out
    assert f"merged item {it['C2']} into case" in out and "now empty and removed" in out
    got = case_of(engine)
    assert got[it["C2"]] == got[it["C1"]]


def test_the_command_runs_as_a_module(tmp_path):
    """``python -m xinfang.admin`` from any directory, on the ledger of the settings."""
    from xinfang import db

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "AIRFLOW_CONN_XINFANG_LEDGER": url}
    run = subprocess.run(
        [sys.executable, "-m", "xinfang.admin", "review"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "no matches to review" in run.stdout, run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "xinfang.admin", "split", "7", "--reason", "r", "--by", "b"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and run.stderr.strip() == "error: no intake item 7"


@BOTH
def test_dashboard_section_lists_the_queue_escaped(engine, dirs):
    from airflow.api_fastapi.core_api.security import get_user
    from xinfang_dashboard_plugin import create_app

    it = load(engine, dirs["landing"])
    near_the_bar(engine, it)
    decide(
        engine,
        it["G2"],
        "same_person+facts",
        0.31,
        0.30,
        it["G1"],
        '<script>alert("x")</script> org=华信&建筑',
    )
    with engine.begin() as conn:
        conn.execute(
            intake_item.update()
            .where(intake_item.c.item_id == it["G2"])
            .values(petitioner_name="<b>孙志刚</b>")
        )
    app = create_app()
    app.dependency_overrides[get_user] = lambda: "tester"
    with TestClient(app) as client:
        data = client.get("/api/summary", params={"as_of": "2023-07-20"}).json()
        html = client.get("/dashboard", params={"as_of": "2023-07-20"}).text
    review = data["review"]
    assert review["count"] == 4
    first = review["rows"][0]
    assert first["item_id"] == it["G2"] and first["margin"] == pytest.approx(0.01)
    assert [c["action"] for c in first["commands"]] == ["confirm", "split"]
    near = next(r for r in review["rows"] if r["kind"] == "near_miss")
    assert [c["command"].split()[3] for c in near["commands"]] == ["confirm", "merge"]
    assert f"merge {it['C2']} {it['C1']} " in near["commands"][1]["command"]
    assert "待甄别 / matches to review (4)" in html and 'id="match-review"' in html
    assert '<script>alert("x")' not in html and "<b>孙志刚" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;孙志刚&lt;/b&gt;" in html
    assert "华信&amp;建筑" in html
    assert f"python -m xinfang.admin confirm {it['G2']}" in html
    assert "+0.010" in html and "-0.080" in html and "未合并 near miss" in html
    for k in ID:
        assert ID[k] not in html and PHONE[k] not in html
        assert ID[k] not in str(data) and PHONE[k] not in str(data)
    # at most REVIEW_LIMIT rows, the count beside them
    with engine.connect() as conn:
        capped = dashboard.match_review(conn, limit=2)
    assert capped["count"] == 4 and len(capped["rows"]) == 2
