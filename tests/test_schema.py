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
