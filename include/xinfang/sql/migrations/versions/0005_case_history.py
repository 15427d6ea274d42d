"""case history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Adds ``case_history`` (issue 17): one row per change of a case's tracked fields
(status, tier, key, court, judge, department, leader, disposition, deadlines) and per
merge or split, with the day, the source and, for people's changes, who and why.
Existing cases start with no history: what they were before the upgrade is not known.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_history",
        sa.Column("history_id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.BigInteger(),
            nullable=False,
            comment="ledger_case.case_id (kept after a merge)",
        ),
        sa.Column(
            "ledger_no",
            sa.String(length=32),
            nullable=False,
            comment="台账编号 when the change was made",
        ),
        sa.Column(
            "field",
            sa.String(length=32),
            nullable=False,
            comment="status/tier/is_key/court_code/judge/department/leader/disposition/"
            "statutory_due_on/extended_to/supervision_due_on/merge/split",
        ),
        sa.Column("old_value", sa.Text(), nullable=True, comment="before, as text (null: not set)"),
        sa.Column("new_value", sa.Text(), nullable=True, comment="after, as text (null: cleared)"),
        sa.Column(
            "changed_on",
            sa.Date(),
            nullable=False,
            comment="the day the change takes effect",
        ),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="intake/progress/escalation/admin/console/rebuild",
        ),
        sa.Column(
            "changed_by",
            sa.String(length=64),
            nullable=True,
            comment="who (people's changes only)",
        ),
        sa.Column("reason", sa.Text(), nullable=True, comment="why (people's changes only)"),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_case_history")),
        comment="One row per change of a case's tracked fields, merges and splits (docs/cases.md).",
    )
    op.create_index("ix_case_history_case_id", "case_history", ["case_id", "history_id"])
    op.create_index(
        "ix_case_history_changed_on",
        "case_history",
        ["changed_on"],
        postgresql_using="brin",
    )


def downgrade() -> None:
    op.drop_index("ix_case_history_changed_on", table_name="case_history")
    op.drop_index("ix_case_history_case_id", table_name="case_history")
    op.drop_table("case_history")
