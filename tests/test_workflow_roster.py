"""The roster (docs/progress.md): court x tier -> the person notified, name and e-mail.

A notice names the person the ledger names for the case at that tier (承办法官 at tier
2, 承办部门 at 3, 包案领导 at 4), else the roster's person of the case's own court at
that tier, else the tier's role; e-mail goes to the roster's address.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml
from conftest import BOTH
from escalation_helpers import D, add_case, add_item, add_progress, notices

from xinfang import escalation, notify
from xinfang.config import DEFAULTS_FILE, ConfigError, RosterEntry, build, get_config, load_raw

ROSTER = """
roster:
  冀1003:
    1: {name: 刘静, email: liujing@gyfy.example}
    2: {name: 陈立, email: chenli@gyfy.example}
    4: {name: 赵建华}
notify:
  addresses: {王法官: wang@court.example}
  default_to: office@court.example
"""


@pytest.fixture
def roster(tmp_path, monkeypatch):
    path = tmp_path / "roster.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    monkeypatch.setenv("XINFANG_CONFIG", str(path))
    return get_config()


def test_the_roster_is_typed_at_load(roster):
    assert dict(roster.roster["冀1003"]) == {
        1: RosterEntry("刘静", "liujing@gyfy.example"),
        2: RosterEntry("陈立", "chenli@gyfy.example"),
        4: RosterEntry("赵建华", None),
    }
    assert roster.roster_person("冀1003", 2).name == "陈立"
    assert roster.roster_person("冀1022", 2) is None
    assert roster.roster_person("冀1003", None) is None
    shipped = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    assert not build(shipped).roster  # the shipped defaults list nobody


@pytest.mark.parametrize(
    ("roster", "reason"),
    [
        ({"京01": {1: {"name": "甲"}}}, "roster.京01: '京01' is not a court"),
        ({"冀1003": {9: {"name": "甲"}}}, "roster.冀1003.9: 9 is not a tier"),
        ({"冀1003": {"二": {"name": "甲"}}}, "roster.冀1003.二: '二' is not a tier"),
        ({"冀1003": {1: {"email": "a@b.example"}}}, "roster.冀1003.1: give name"),
        ({"冀1003": {1: {"name": "甲", "phone": "1"}}}, "roster.冀1003.1: give name"),
        ({"冀1003": {1: {"name": " "}}}, "roster.冀1003.1.name"),
        ({"冀1003": {1: {"name": "甲", "email": "nobody"}}}, "roster.冀1003.1.email"),
        ({"冀1003": {1: "甲"}}, "roster.冀1003.1: must be a mapping"),
        ({"冀1003": {1: {"name": "甲" * 129}}}, "longer than 128"),
    ],
)
def test_a_bad_roster_is_refused_naming_the_key(roster, reason):
    raw = load_raw(None)
    with pytest.raises(ConfigError, match=reason):
        build({**raw, "roster": roster})


@BOTH
def test_notices_name_the_roster_person_of_the_case_court(engine, roster):
    with engine.begin() as conn:
        listed = add_case(conn, D("2023-07-03"), court="冀1003")
        add_item(conn, listed, D("2023-07-03"))
        judged = add_case(conn, D("2023-07-03"), court="冀1003")
        add_item(conn, judged, D("2023-07-03"))
        add_progress(conn, judged, D("2023-07-04"), judge="王法官")
        elsewhere = add_case(conn, D("2023-07-03"), court="冀1022")
        add_item(conn, elsewhere, D("2023-07-03"))
    escalation.sweep(engine, D("2023-07-12"))
    warned, escalated = D("2023-07-07"), D("2023-07-11")
    assert notices(engine, listed) == [
        ("warning", 1, warned, "刘静"),
        ("escalation", 2, escalated, "陈立"),
    ]
    assert notices(engine, judged) == [
        ("warning", 1, warned, "刘静"),
        ("escalation", 2, escalated, "王法官"),  # the person the ledger names
    ]
    assert notices(engine, elsewhere) == [
        ("warning", 1, warned, "信访部门工作人员"),
        ("escalation", 2, escalated, "案件承办法官"),
    ]
    # the reference rules' addressing agrees
    assert escalation.recipient_for(2, roster, court_code="冀1003") == "陈立"
    assert escalation.recipient_for(2, roster, judge="王法官", court_code="冀1003") == "王法官"
    assert escalation.recipient_for(2, roster, court_code="冀1022") == "案件承办法官"
    assert escalation.recipient_for(None, roster, court_code="冀1003") == "院长"


@BOTH
def test_a_supervision_notice_goes_to_the_leader_of_the_roster(engine, roster):
    with engine.begin() as conn:
        case_id = add_case(conn, D("2023-07-03"), court="冀1003")
        add_item(conn, case_id, D("2023-07-03"))
        add_progress(conn, case_id, D("2023-07-05"), supervision_due_on=D("2023-07-06"))
        from xinfang.progress import apply_progress

        apply_progress(conn)
    escalation.sweep(engine, D("2023-07-08"))
    assert ("supervision", 4, D("2023-07-07"), "赵建华") in notices(engine, case_id)


def test_e_mail_goes_to_the_roster_address(roster):
    def row(recipient: str, tier: int, court: str = "冀1003"):
        return SimpleNamespace(recipient=recipient, tier=tier, court_code=court)

    assert notify.address_for(row("刘静", 1), roster) == "liujing@gyfy.example"
    assert notify.address_for(row("王法官", 2), roster) == "wang@court.example"
    # listed without an address, or a name the roster does not give there: as before
    assert notify.address_for(row("赵建华", 4), roster) == "office@court.example"
    assert notify.address_for(row("刘静", 1, "冀1022"), roster) == "office@court.example"
