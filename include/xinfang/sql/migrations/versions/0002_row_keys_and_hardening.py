"""row keys, corrections, masked notes, sweep problems

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

Adds what the hardening of intake and the sweep needs (issue 13):
``intake_item.row_key`` / ``case_progress.row_key`` (a row dropped again in a
corrected file is recognised), ``intake_item.corrects_item_id``,
``intake_file.known_rows``, ``case_progress.note_masked`` (analysts' views show
notes with ID and phone numbers masked) and ``ledger_case.sweep_problem``.
Existing rows get their keys and masked notes here, so files loaded before the
upgrade are recognised too.
"""

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 20_000


def upgrade() -> None:
    with op.batch_alter_table("intake_item") as batch:
        batch.add_column(
            sa.Column(
                "row_key",
                sa.String(length=32),
                nullable=True,
                comment="fingerprint of the row's normalized values: a row dropped again is known",
            )
        )
        batch.add_column(
            sa.Column(
                "corrects_item_id",
                sa.BigInteger(),
                nullable=True,
                comment="the item this row corrects (same 工单号…)",
            )
        )
    with op.batch_alter_table("intake_file") as batch:
        batch.add_column(
            sa.Column(
                "known_rows",
                sa.Integer(),
                server_default="0",
                nullable=False,
                comment="rows already loaded from an earlier file (a corrected file dropped again)",
            )
        )
    with op.batch_alter_table("case_progress") as batch:
        batch.add_column(
            sa.Column(
                "note_masked",
                sa.Text(),
                nullable=True,
                comment="the note with ID and phone numbers masked",
            )
        )
        batch.add_column(
            sa.Column(
                "row_key",
                sa.String(length=32),
                nullable=True,
                comment="fingerprint of the row's values",
            )
        )
    with op.batch_alter_table("ledger_case") as batch:
        batch.add_column(
            sa.Column(
                "sweep_problem",
                sa.Text(),
                nullable=True,
                comment="why the escalation sweep could not compute the case; null when it could",
            )
        )
    _backfill()
    op.create_index("ix_intake_item_row_key", "intake_item", ["row_key"], unique=False)
    op.create_index("ix_intake_item_external_id", "intake_item", ["external_id"], unique=False)
    op.create_index("ix_case_progress_row_key", "case_progress", ["row_key"], unique=False)


def _batches(conn: sa.Connection, sql: str) -> Iterator[list[sa.Row]]:
    stmt = sa.text(sql).execution_options(stream_results=True, yield_per=BATCH)
    result = conn.execute(stmt)
    yield from result.partitions(BATCH)


def _update(conn: sa.Connection, table: str, key: str, column: str, rows: list[dict]) -> None:
    """Set ``column`` from (id, value) rows through a temporary table and one UPDATE."""
    if not rows:
        return
    conn.exec_driver_sql(f"CREATE TEMP TABLE mig_fill (id BIGINT PRIMARY KEY, {column} TEXT)")
    conn.execute(sa.text(f"INSERT INTO mig_fill (id, {column}) VALUES (:id, :v)"), rows)
    conn.exec_driver_sql(
        f"UPDATE {table} SET {column} = mig_fill.{column} FROM mig_fill "
        f"WHERE {table}.{key} = mig_fill.id"
    )
    conn.exec_driver_sql("DROP TABLE mig_fill")


def _backfill() -> None:
    from xinfang.intake.rowkey import ITEM_FIELDS, PROGRESS_FIELDS, FileKeys
    from xinfang.masking import mask_text

    conn = op.get_bind()
    item_cols = ", ".join(ITEM_FIELDS)
    keys: FileKeys | None = None
    current_file = object()
    pending: list[dict] = []
    for batch in _batches(
        conn,
        f"SELECT item_id, file_id, {item_cols} FROM intake_item ORDER BY file_id, source_row",
    ):
        for row in batch:
            values = row._mapping
            if values["file_id"] != current_file:
                current_file, keys = values["file_id"], FileKeys(ITEM_FIELDS)
            received = values["received_at"]
            if isinstance(received, str):  # SQLite through a plain text() query
                values = {**values, "received_at": _datetime(received)}
            pending.append({"id": values["item_id"], "v": keys.key(values)})
    _update(conn, "intake_item", "item_id", "row_key", pending)

    progress_cols = ", ".join(PROGRESS_FIELDS)
    keyed: list[dict] = []
    masked: list[dict] = []
    keys, current_file = None, object()
    for batch in _batches(
        conn,
        f"SELECT progress_id, file_id, {progress_cols} FROM case_progress "
        "ORDER BY file_id, source_row, progress_id",
    ):
        for row in batch:
            values = dict(row._mapping)
            if values["file_id"] != current_file:
                current_file, keys = values["file_id"], FileKeys(PROGRESS_FIELDS)
            for day in ("progress_date", "hearing_date"):
                if isinstance(values[day], str):
                    values[day] = _date(values[day])
            if values["is_key"] is not None:
                values["is_key"] = bool(values["is_key"])
            keyed.append({"id": values["progress_id"], "v": keys.key(values)})
            if values["note"]:
                masked.append({"id": values["progress_id"], "v": mask_text(values["note"])})
    _update(conn, "case_progress", "progress_id", "row_key", keyed)
    _update(conn, "case_progress", "progress_id", "note_masked", masked)


def _datetime(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text)


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text[:10])


def downgrade() -> None:
    op.drop_index("ix_case_progress_row_key", table_name="case_progress")
    op.drop_index("ix_intake_item_external_id", table_name="intake_item")
    op.drop_index("ix_intake_item_row_key", table_name="intake_item")
    with op.batch_alter_table("ledger_case") as batch:
        batch.drop_column("sweep_problem")
    with op.batch_alter_table("case_progress") as batch:
        batch.drop_column("row_key")
        batch.drop_column("note_masked")
    with op.batch_alter_table("intake_file") as batch:
        batch.drop_column("known_rows")
    with op.batch_alter_table("intake_item") as batch:
        batch.drop_column("corrects_item_id")
        batch.drop_column("row_key")
