"""Key persons: counts across a petitioner's cases, the key rule, the masked analyst view."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from conftest import BOTH
from risk_helpers import add_case, add_item, d

from xinfang import persons, risk
from xinfang.schema import key_person

ID = "110101199003070000"


def person(engine, key: str):
    with engine.connect() as conn:
        return conn.execute(sa.select(key_person).where(key_person.c.person_key == key)).one()


@BOTH
def test_counts_and_key_rule(engine):
    with engine.begin() as conn:
        a1 = add_case(conn, person_key=ID, petitioner_name="张三")
        a2 = add_case(conn, person_key=ID, petitioner_name="张三")
        add_case(conn, person_key=ID, status="closed")
        add_item(conn, a1, d(1), channel="letter", id_number=ID, phone="13912345678")
        add_item(conn, a1, d(2), channel="hotline", phone="13800001111", petitioner_name="张叁")
        add_item(conn, a2, d(3), channel="letter", petitioner_name="张三")
        b = add_case(conn, person_key="tel:13700000000", petitioner_name="李四")
        add_item(conn, b, d(4), "我要去北京上访", channel="online")
        add_case(conn, person_key="name:wangwu", petitioner_name="王五")
        add_case(conn, person_key=None)
    risk.screen(engine, as_of=dt.date(2023, 7, 31))
    out = persons.refresh(engine)
    assert out == {"upserted": 3, "deleted": 0}
    a = person(engine, ID)
    assert (a.case_count, a.open_case_count, a.item_count, a.channel_count) == (3, 2, 3, 2)
    assert a.is_key_person is True  # two open cases
    assert a.id_number == ID
    assert a.phone == "13800001111"  # the latest item that has one
    assert a.name == "张三"
    li = person(engine, "tel:13700000000")
    assert (li.threat_count, li.risk_flag_count, li.is_key_person) == (1, 1, True)
    wang = person(engine, "name:wangwu")
    assert (wang.case_count, wang.item_count, wang.is_key_person) == (1, 0, False)


@BOTH
def test_refresh_is_idempotent_and_follows_changes(engine):
    with engine.begin() as conn:
        c1 = add_case(conn, person_key="P")
        add_case(conn, person_key="P")
        add_item(conn, c1, d(1))
    persons.refresh(engine)
    first = person(engine, "P")
    assert first.is_key_person is True
    assert persons.refresh(engine) == {"upserted": 0, "deleted": 0}
    assert person(engine, "P").updated_at == first.updated_at
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_case SET status = 'closed' WHERE case_id = :c"), {"c": c1}
        )
    assert persons.refresh(engine)["upserted"] == 1
    assert person(engine, "P").is_key_person is False
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_case SET person_key = 'Q'"))
    assert persons.refresh(engine) == {"upserted": 1, "deleted": 1}


@BOTH
def test_view_masks_id_and_phone(engine):
    with engine.begin() as conn:
        for _ in range(2):
            c = add_case(conn, person_key=ID, petitioner_name="张三")
            add_item(conn, c, d(1), id_number=ID, phone="13912345678")
        c = add_case(conn, person_key="tel:13712345678")
        add_item(conn, c, d(2), "不解决我就跳楼", phone="13712345678")
        add_case(conn, person_key="calm")
    risk.screen(engine, as_of=dt.date(2023, 7, 31))
    persons.refresh(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT person_ref, name, id_number_masked, phone_masked, case_count, "
                "threat_count FROM v_key_persons ORDER BY case_count DESC"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("110101********0000", "张三", "110101********0000", "139****5678", 2, 0),
        ("tel:137****5678", "张三", None, "137****5678", 1, 1),
    ]
    text = repr(rows)
    assert ID not in text and "13912345678" not in text
