"""Analyst views: created by db.upgrade on both databases, masked, and the read-only role."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import BOTH
from test_stats_scenario import JULY, NOW, Ledger, build

from xinfang import db, masking, stats
from xinfang.reports import views
from xinfang.schema import case_progress

EXPECTED_VIEWS = {
    "v_case_list",
    "v_open_cases_by_tier",
    "v_overdue_cases",
    "v_escalation_history",
    "v_disposition_monthly",
    "v_monthly_figures",
    "v_match_review",
}


def mask_notes(engine: sa.Engine) -> None:
    """Fill ``case_progress.note_masked`` as the intake loader does for the rows the
    scenario inserted directly."""
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(case_progress.c.progress_id, case_progress.c.note).where(
                case_progress.c.note.is_not(None), case_progress.c.note_masked.is_(None)
            )
        ).all()
        for progress_id, note in rows:
            conn.execute(
                case_progress.update()
                .where(case_progress.c.progress_id == progress_id)
                .values(note_masked=masking.mask_text(note))
            )


@BOTH
def test_upgrade_creates_every_view_and_they_answer(engine):
    assert set(views.view_names()) >= EXPECTED_VIEWS  # others add theirs (v_key_persons)
    assert set(sa.inspect(engine).get_view_names()) >= EXPECTED_VIEWS
    ids = build(engine)
    mask_notes(engine)
    stats.compute_month(engine, JULY)
    db.upgrade(engine)  # recreating the views keeps working and keeps the data
    with engine.connect() as conn:
        q = conn.execute
        cases = {r.ledger_no: r for r in q(sa.text("SELECT * FROM v_case_list")).all()}
        assert len(cases) == len(ids)
        a = cases["XF-A"]
        assert a.petitioner_name == "张伟"
        assert a.case_number == "(2023)冀1003民初1234号"
        assert a.id_number_masked == "110101********4514"
        assert a.phone_masked == "138****5678"
        assert a.court_name == "广阳区人民法院"
        assert a.status_name == "已销号" and a.disposition_name == "依法化解"
        assert a.latest_progress == "已化解，销号"
        assert cases["XF-B"].phone_masked == "031****5678"  # a landline
        assert cases["XF-B"].id_number_masked is None
        # the dashboard and the reports mask in Python by the same rule
        raw = q(
            sa.text(
                "SELECT c.ledger_no, i.id_number, i.phone FROM intake_item i"
                " JOIN ledger_case c ON c.case_id = i.case_id"
                " WHERE c.ledger_no IN ('XF-A', 'XF-B') AND (i.id_number IS NOT NULL"
                " OR i.phone IS NOT NULL)"
            )
        ).all()
        assert {r.ledger_no for r in raw} == {"XF-A", "XF-B"}
        for r in raw:
            if r.id_number:
                assert masking.mask_id(r.id_number) == cases[r.ledger_no].id_number_masked
            if r.phone:
                assert masking.mask_phone(r.phone) == cases[r.ledger_no].phone_masked
        assert cases["XF-D"].latest_progress == "中止：等待鉴定"
        # nothing unmasked leaks through any view
        for name in EXPECTED_VIEWS:
            text = repr(q(sa.text(f"SELECT * FROM {name}")).all())
            assert "110101199003074514" not in text and "13812345678" not in text

        grid = q(sa.text("SELECT * FROM v_open_cases_by_tier")).all()
        assert len(grid) == 55
        by = {(r.court_code, r.tier): r for r in grid}
        # open now: B (冀1003 t4), D (冀1022 t2, paused), G (冀10 t1), H (冀10 t5), I (冀10 t1)
        assert by[("冀1003", 4)].open_cases == 1 and by[("冀1003", 4)].key_cases == 1
        assert by[("冀1022", 2)].paused_cases == 1
        assert by[("冀10", 1)].open_cases == 2
        assert by[("冀10", 5)].overdue_cases == 1
        assert sum(r.open_cases for r in grid) == 5

        overdue = {r.ledger_no for r in q(sa.text("SELECT * FROM v_overdue_cases")).all()}
        assert overdue == {"XF-B", "XF-H"}

        hist = q(sa.text("SELECT * FROM v_escalation_history ORDER BY escalated_on")).all()
        assert [(r.ledger_no, r.to_tier) for r in hist][:2] == [("XF-E", 2), ("XF-B", 4)]
        assert len(hist) == 5

        disp = q(
            sa.text(
                "SELECT case_count FROM v_disposition_monthly"
                " WHERE court_name = '广阳区人民法院' AND disposition_name = '依法化解'"
            )
        ).scalar_one()
        assert disp == 2
        figures = q(sa.text("SELECT * FROM v_monthly_figures WHERE court_code = '冀1003'")).one()
        assert figures.cases_closed == 3 and figures.court_name == "广阳区人民法院"


FULL_ID = "110101199003074514"
FULL_PHONE = "13812345678"


@BOTH
def test_case_list_shows_progress_notes_masked(engine):
    """A court's note with the petitioner's full ID and phone (and a landline, spaced and
    full-width) reaches analysts masked; the date, amount and 案号 in it stay."""
    note = (
        f"2023年7月3日电话联系信访人{FULL_PHONE}（身份证{FULL_ID}），"
        "另留座机(0316)2345678、１３９ １２３４ ５６７８；(2023)冀1003民初1234号，赔偿12000000元"
    )
    with engine.begin() as conn:
        lg = Ledger(conn)
        case = lg.case("XF2023-000001", "冀1003", NOW)
        lg.progress(case, NOW.date(), "open", note="已受理")
        lg.progress(case, NOW.date(), "open", note=note, note_masked=masking.mask_text(note))
        # a note whose masked copy is missing shows as null, never raw
        bare = lg.case("XF2023-000002", "冀1003", NOW)
        lg.progress(bare, NOW.date(), "open", note=f"联系电话{FULL_PHONE}")
    with engine.connect() as conn:
        rows = {
            r.ledger_no: r
            for r in conn.execute(
                sa.text("SELECT ledger_no, latest_progress, latest_progress_on FROM v_case_list")
            )
        }
        everything = repr(conn.execute(sa.text("SELECT * FROM v_case_list")).all())
    shown = rows["XF2023-000001"].latest_progress
    assert shown == (
        "2023年7月3日电话联系信访人138****5678（身份证110101********4514），"
        "另留座机031****5678、139****5678；(2023)冀1003民初1234号，赔偿12000000元"
    )
    assert rows["XF2023-000002"].latest_progress is None
    assert rows["XF2023-000002"].latest_progress_on is not None
    for raw in (FULL_ID, FULL_PHONE, "2345678", "１３９ １２３４ ５６７８"):
        assert raw not in everything


def test_apply_role_is_a_noop_on_sqlite(engine):
    assert views.apply_analyst_role(engine) is False


@pytest.mark.parametrize("ledger_url", ["postgres"], indirect=True)
def test_analyst_role_reads_views_only(engine):
    build(engine)
    assert views.apply_analyst_role(engine) is True
    views.create_views(engine)  # recreated views keep their grants
    with engine.connect() as conn:
        conn.execute(sa.text("SET ROLE xinfang_analyst"))
        for name in EXPECTED_VIEWS:
            conn.execute(sa.text(f"SELECT * FROM {name}")).all()
        masked = conn.execute(
            sa.text("SELECT id_number_masked FROM v_case_list WHERE ledger_no = 'XF-A'")
        ).scalar_one()
        assert masked == "110101********4514"
        conn.rollback()
    for table in ("intake_item", "ledger_case", "case_progress", "intake_reject", "court"):
        with engine.connect() as conn:
            conn.execute(sa.text("SET ROLE xinfang_analyst"))
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text(f"SELECT * FROM {table} LIMIT 1"))
            conn.rollback()
    # privileges, as the catalogue sees them: SELECT on views, nothing else anywhere
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in [*tables, *EXPECTED_VIEWS]:
            for priv in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                allowed = conn.execute(
                    sa.text("SELECT has_table_privilege('xinfang_analyst', :t, :p)"),
                    {"t": table, "p": priv},
                ).scalar_one()
                assert allowed == (priv == "SELECT" and table in EXPECTED_VIEWS), (table, priv)


DICTIONARY = Path(__file__).resolve().parents[1] / "docs" / "data_dictionary.md"


def test_data_dictionary_documents_every_view_and_month_table(engine):
    text = DICTIONARY.read_text(encoding="utf-8")
    inspector = sa.inspect(engine)
    for name in views.view_names():
        assert f"### `{name}`" in text, name
    for name in sorted(EXPECTED_VIEWS | {"disposition_monthly", "kpi_monthly"}):
        columns = [c["name"] for c in inspector.get_columns(name)]
        for column in columns:
            assert f"`{column}`" in text, (name, column)
    for table in (
        "intake_item",
        "intake_reject",
        "ledger_case",
        "case_progress",
        "escalation_event",
        "notification",
        "risk_flag",
        "disposition_monthly",
        "court",
    ):
        assert f"### `{table}`" in text, table


@BOTH
def test_data_dictionary_example_queries_run(engine):
    import re

    build(engine)
    stats.compute_month(engine, JULY)
    queries = re.findall(r"```sql\n(.*?)```", DICTIONARY.read_text(encoding="utf-8"), re.S)
    assert len(queries) >= 6
    with engine.connect() as conn:
        results = [conn.exec_driver_sql(q.strip().rstrip(";")).all() for q in queries]
    five = {r[0]: tuple(r[1:]) for r in results[1]}
    assert five["广阳区人民法院"] == (0, 0, 2, 0, 1)
    assert [(r.ledger_no, r.case_number) for r in results[5]] == [
        ("XF-A", "(2023)冀1003民初1234号")
    ]
