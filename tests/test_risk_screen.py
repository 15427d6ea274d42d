"""risk.screen over a ledger built row by row: every kind, key cases, reruns, replay."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from risk_helpers import add_case, add_item, d

from xinfang import risk
from xinfang.normalize.text import normalize_text
from xinfang.schema import intake_item, ledger_case, notification, risk_flag, risk_screened


def flags(engine, kind: str | None = None) -> list[tuple]:
    q = sa.select(
        risk_flag.c.case_id, risk_flag.c.kind, risk_flag.c.detected_on, risk_flag.c.item_id
    ).order_by(risk_flag.c.flag_id)
    if kind:
        q = q.where(risk_flag.c.kind == kind)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


def case_row(engine, case_id: int):
    with engine.connect() as conn:
        return conn.execute(sa.select(ledger_case).where(ledger_case.c.case_id == case_id)).one()


@BOTH
def test_threat_item_makes_case_key_and_notifies_leader_on_its_day(engine):
    with engine.begin() as conn:
        case = add_case(conn, leader="王副院长")
        add_item(conn, case, d(3), "判决不公，希望重审")
        item = add_item(conn, case, d(5, hour=16), "再不解决我就去北京上访")
    out = risk.screen(engine, as_of=dt.date(2023, 7, 10))
    assert out["threat"] == 1
    assert flags(engine, "threat") == [(case, "threat", dt.date(2023, 7, 5), item)]
    row = case_row(engine, case)
    assert row.is_key is True
    assert row.key_since == dt.date(2023, 7, 5)
    assert row.priority == 5
    assert row.updated_at is not None
    with engine.connect() as conn:
        notes = conn.execute(
            sa.select(notification.c.kind, notification.c.recipient, notification.c.created_on)
        ).all()
    assert [tuple(n) for n in notes] == [("risk", "王副院长", dt.date(2023, 7, 5))]
    with engine.connect() as conn:
        evidence = conn.execute(sa.select(risk_flag.c.evidence)).scalar_one()
    assert "去北京" in evidence


@BOTH
def test_threat_without_leader_notifies_key_tier_role(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        add_item(conn, case, d(6), "实在没办法了，我只能在法院门口自焚")
    risk.screen(engine, as_of=dt.date(2023, 7, 6))
    with engine.connect() as conn:
        recipient = conn.execute(sa.select(notification.c.recipient)).scalar_one()
    assert recipient == "分管院领导"


@BOTH
def test_negated_threat_is_not_flagged(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        add_item(conn, case, d(3), "我不会去北京上访，只希望尽快执行")
    out = risk.screen(engine, as_of=dt.date(2023, 7, 31))
    assert out["threat"] == 0
    assert flags(engine) == []
    assert case_row(engine, case).is_key is False


@BOTH
def test_traditional_pinyin_threat_is_screened_on_normalized_content(engine):
    raw = "我要去北(běi)京(jīng)上訪(fǎng)"
    with engine.begin() as conn:
        case = add_case(conn)
        add_item(conn, case, d(4), raw, normalized=normalize_text(raw))
    risk.screen(engine, as_of=dt.date(2023, 7, 4))
    assert [f[1] for f in flags(engine)] == ["threat"]


@BOTH
def test_group_visit_of_five_flags_and_makes_key(engine):
    with engine.begin() as conn:
        small = add_case(conn, person_key="A")
        big = add_case(conn, person_key="B", leader="李院长")
        add_item(conn, small, d(3), channel="visit", group_size=4)
        item = add_item(conn, big, d(4), channel="visit", group_size=5)
    risk.screen(engine, as_of=dt.date(2023, 7, 31))
    assert flags(engine, "group") == [(big, "group", dt.date(2023, 7, 4), item)]
    assert case_row(engine, big).is_key is True
    assert case_row(engine, small).is_key is False
    with engine.connect() as conn:
        person = conn.execute(sa.select(risk_flag.c.person_key)).scalar_one()
    assert person == "B"


@BOTH
def test_repeat_detected_on_the_day_of_the_third_item(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        slow = add_case(conn, person_key="S")
        add_item(conn, case, d(1))
        add_item(conn, case, d(10))
        third = add_item(conn, case, d(30))
        add_item(conn, case, d(31))  # still in the streak: no second flag
        # 3 items, but the first is 30 days before the third: outside the window
        add_item(conn, slow, d(1))
        add_item(conn, slow, d(15))
        add_item(conn, slow, d(31))
    risk.screen(engine, as_of=dt.date(2023, 8, 31))
    assert flags(engine, "repeat") == [(case, "repeat", dt.date(2023, 7, 30), third)]
    assert case_row(engine, case).priority == 2
    assert case_row(engine, case).is_key is False


@BOTH
def test_repeat_same_day_picks_the_third_item(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        add_item(conn, case, d(5, hour=9))
        add_item(conn, case, d(5, hour=10))
        third = add_item(conn, case, d(5, hour=11))
    risk.screen(engine, as_of=dt.date(2023, 7, 5))
    assert flags(engine, "repeat") == [(case, "repeat", dt.date(2023, 7, 5), third)]


@BOTH
def test_multi_channel_on_the_third_channel(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        add_item(conn, case, d(1), channel="letter")
        add_item(conn, case, d(20, 6), channel="letter")
        add_item(conn, case, d(5, 8), channel="hotline")
        third = add_item(conn, case, d(9, 9), channel="online")
        add_item(conn, case, d(10, 9), channel="visit")
    risk.screen(engine, as_of=dt.date(2023, 12, 31))
    assert flags(engine, "multi_channel") == [(case, "multi_channel", dt.date(2023, 9, 9), third)]


@BOTH
def test_referral_flag_raises_priority(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        item = add_item(conn, case, d(7), channel="referral", referral_unit="省高院")
    risk.screen(engine, as_of=dt.date(2023, 7, 7))
    assert flags(engine, "referral") == [(case, "referral", dt.date(2023, 7, 7), item)]
    assert case_row(engine, case).priority == 3


@BOTH
def test_rerun_adds_nothing_and_replay_matches_a_single_run(engine, tmp_path):
    with engine.begin() as conn:
        case = add_case(conn, leader="王副院长")
        other = add_case(conn, person_key="B")
        add_item(conn, case, d(3), channel="letter")
        add_item(conn, case, d(6), "如不解决我就去省里上访", channel="hotline")
        add_item(conn, case, d(12), channel="online")
        add_item(conn, other, d(20), channel="visit", group_size=8)
        add_item(conn, other, d(2, 8), channel="referral")
    # daily replay
    day = dt.date(2023, 7, 1)
    while day <= dt.date(2023, 8, 5):
        risk.screen(engine, as_of=day)
        day += dt.timedelta(days=1)
    daily = sorted(flags(engine))
    with engine.connect() as conn:
        daily_notes = sorted(
            tuple(r)
            for r in conn.execute(
                sa.select(
                    notification.c.case_id, notification.c.recipient, notification.c.created_on
                )
            )
        )
    again = risk.screen(engine, as_of=dt.date(2023, 8, 5))
    assert again["items"] == 0
    assert sorted(flags(engine)) == daily
    assert {f[1] for f in daily} == {"threat", "repeat", "multi_channel", "group", "referral"}
    # the detected dates are the facts' dates, not the run dates
    assert (case, "threat", dt.date(2023, 7, 6)) in {f[:3] for f in daily}
    assert daily_notes == [
        (case, "王副院长", dt.date(2023, 7, 6)),
        (other, "分管院领导", dt.date(2023, 7, 20)),
    ]
    # a fresh ledger screened once gives the same flags
    with engine.begin() as conn:
        for t in (risk_flag, risk_screened, notification):
            conn.execute(t.delete())
    risk.screen(engine, as_of=dt.date(2023, 8, 5))
    assert sorted(flags(engine)) == daily


@BOTH
def test_items_after_as_of_or_without_case_wait(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        late = add_item(conn, case, d(9), "我要去北京上访")
        orphan = add_item(conn, None, d(2), "我要去北京上访")
    out = risk.screen(engine, as_of=dt.date(2023, 7, 8))
    assert out["items"] == 0
    with engine.begin() as conn:
        conn.execute(
            sa.update(intake_item).where(intake_item.c.item_id == orphan).values(case_id=case)
        )
    out = risk.screen(engine, as_of=dt.date(2023, 7, 9))
    assert out["items"] == 2
    assert sorted(f[3] for f in flags(engine, "threat")) == sorted([late, orphan])


@BOTH
def test_key_since_keeps_an_earlier_key_date(engine):
    with engine.begin() as conn:
        case = add_case(conn, is_key=True, key_since=dt.date(2023, 7, 1), tier=4)
        add_item(conn, case, d(5), "我要去北京上访")
    out = risk.screen(engine, as_of=dt.date(2023, 7, 5))
    assert out["made_key"] == 0
    assert case_row(engine, case).key_since == dt.date(2023, 7, 1)


@BOTH
def test_since_narrows_the_batch_and_key_dates_for_the_sweep(engine):
    with engine.begin() as conn:
        case = add_case(conn)
        early = add_item(conn, case, d(2), "我要去北京上访")
        late = add_item(conn, case, d(9), channel="visit", group_size=7)
    out = risk.screen(engine, as_of=dt.date(2023, 7, 31), since=dt.date(2023, 7, 5))
    assert out["items"] == 1
    assert [f[3] for f in flags(engine)] == [late]
    with engine.connect() as conn:
        assert risk.key_dates(conn, dt.date(2023, 7, 31)) == {case: dt.date(2023, 7, 9)}
    risk.screen(engine, as_of=dt.date(2023, 7, 31))  # the earlier item is still unscreened
    assert sorted(f[3] for f in flags(engine)) == sorted([early, late])
    with engine.connect() as conn:
        assert risk.key_dates(conn, dt.date(2023, 7, 31)) == {case: dt.date(2023, 7, 2)}
        assert risk.key_dates(conn, dt.date(2023, 7, 1)) == {}
    assert case_row(engine, case).key_since == dt.date(2023, 7, 2)


@BOTH
def test_threat_case_reaches_the_key_tier_in_the_escalation_sweep(engine):
    """The pipeline's order: screening, then the sweep, which takes risk.key_dates_sql."""
    from xinfang import escalation

    with engine.begin() as conn:
        case = add_case(conn, leader="王副院长")
        add_item(conn, case, d(3), "判决不公")
        add_item(conn, case, d(5), "再不解决我就去北京上访")
    risk.screen(engine, as_of=dt.date(2023, 7, 10))
    escalation.sweep(engine, as_of=dt.date(2023, 7, 10))
    row = case_row(engine, case)
    assert (row.is_key, row.key_since, row.tier, row.tier_entered_on) == (
        True,
        dt.date(2023, 7, 5),
        4,
        dt.date(2023, 7, 5),
    )


def screened_ranges(engine) -> list[tuple[int, int]]:
    q = sa.select(risk_screened.c.first_item_id, risk_screened.c.last_item_id).order_by(
        risk_screened.c.first_item_id
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


@BOTH
def test_screened_items_are_kept_as_id_ranges_and_gaps_are_read_later(engine):
    """An item left out (no case yet, or received after as_of) is a gap between ranges;
    screened later, its range merges with its neighbours."""
    with engine.begin() as conn:
        case = add_case(conn)
        first = add_item(conn, case, d(1))
        orphan = add_item(conn, None, d(2), "我要去北京上访")
        third = add_item(conn, case, d(3))
        late = add_item(conn, case, d(20), channel="visit")
    out = risk.screen(engine, as_of=dt.date(2023, 7, 10))
    assert out["items"] == 2
    assert screened_ranges(engine) == [(first, first), (third, third)]
    assert risk.screen(engine, as_of=dt.date(2023, 7, 10))["items"] == 0
    with engine.begin() as conn:
        conn.execute(
            sa.update(intake_item).where(intake_item.c.item_id == orphan).values(case_id=case)
        )
        newer = add_item(conn, case, d(4), channel="hotline")
    out = risk.screen(engine, as_of=dt.date(2023, 7, 10))
    # the orphan (in the gap) and the newer item (above the last range), not the late one
    assert out["items"] == 2
    assert out["threat"] == 1 and out["repeat"] == 1
    assert screened_ranges(engine) == [(first, third), (newer, newer)]
    assert [f[3] for f in flags(engine, "threat")] == [orphan]
    # the repeat counted the items screened before: the third of 3 items in 30 days
    assert [f[2:] for f in flags(engine, "repeat")] == [(dt.date(2023, 7, 3), third)]
    out = risk.screen(engine, as_of=dt.date(2023, 7, 31))
    assert out["items"] == 1
    assert out["multi_channel"] == 1
    assert screened_ranges(engine) == [(first, newer)]
    assert [f[3] for f in flags(engine, "multi_channel")] == [late]


@BOTH
def test_texts_with_control_characters_backslashes_or_none_are_read_as_stored(engine):
    """PostgreSQL streams the texts out with COPY: its escapes must come back as stored."""
    from xinfang.risk.threat import detect_threat

    text = "判决不公\\t\t已经三年\r\n我要去北京上访，路径C:\\new\\N"
    with engine.begin() as conn:
        case = add_case(conn)
        item = add_item(conn, case, d(3), text)
        add_item(conn, case, d(4), None)
    out = risk.screen(engine, as_of=dt.date(2023, 7, 31))
    assert out["items"] == 2
    with engine.connect() as conn:
        evidence = conn.execute(sa.select(risk_flag.c.evidence, risk_flag.c.item_id)).one()
    assert evidence == (detect_threat(text).evidence(), item)
