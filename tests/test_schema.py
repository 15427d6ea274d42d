import sqlalchemy as sa
from conftest import BOTH

from xinfang import db
from xinfang.schema import metadata


@BOTH
def test_migrations_create_every_table_and_rerun_is_noop(engine):
    tables = set(sa.inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    db.upgrade(engine)  # a second upgrade changes nothing and keeps the courts
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM court")).scalar() == 11


@BOTH
def test_schema_matches_models(engine):
    """The migrations produce exactly the tables and columns of xinfang.schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_head_revision_read_from_file_names_is_alembics_head(engine):
    from alembic.script import ScriptDirectory

    from xinfang import sql

    scripts = ScriptDirectory.from_config(db.alembic_config(engine))
    assert sql.head_revision() == scripts.get_current_head()


@BOTH
def test_a_current_ledger_skips_alembic_and_one_behind_is_upgraded(engine, monkeypatch):
    from alembic import command
    from migration_helpers import downgrade_to

    from xinfang import sql

    ran: list[str] = []
    real_upgrade = command.upgrade
    monkeypatch.setattr(
        command, "upgrade", lambda cfg, rev: ran.append(rev) or real_upgrade(cfg, rev)
    )
    assert db.schema_is_current(engine)
    db.upgrade(engine)
    assert ran == []  # nothing to do: Alembic not run

    downgrade_to(engine, "0002")
    assert not db.schema_is_current(engine)
    db.upgrade(engine)
    assert ran == ["head"]
    assert db.schema_is_current(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            sql.head_revision()
        )
        views = sa.inspect(conn).get_view_names()
    assert "v_case_list" in views  # the views dropped by the downgrade are back
