"""case history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Adds ``case_history`` (issue 17): one row per change of a case's tracked fields
(status, tier, key, court, judge, department, leader, disposition, deadlines) and per
merge or split, with the day, the source and, for people's changes, who and why;
``case_history_state``, each case's tracked fields as last recorded (xinfang.history
diffs the ledger against it), seeded here from the ledger so that existing cases start
with no history rows (what they were before the upgrade is not known) and no spurious
"created" rows; and ``case_progress.origin`` / ``entered_by``, which mark the rows
people's case actions (assign, mark key, close, reopen) add to the progress rows.
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
            "statutory_due_on/extended_to/supervision_due_on, or created/merge/split",
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
            "changed_at",
            sa.DateTime(),
            nullable=False,
            comment="when: the command's time for a person's change, else changed_on at 00:00",
        ),
        sa.Column(
            "source",
            sa.String(length=16),
            nullable=False,
            comment="intake / progress / sweep / manual (CONTRACT §7)",
        ),
        sa.Column(
            "via",
            sa.String(length=16),
            nullable=False,
            comment="intake/progress/escalation/rebuild, or admin (the command) / console",
        ),
        sa.Column(
            "actor",
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
    _create_state()
    op.add_column(
        "case_progress",
        sa.Column(
            "origin",
            sa.String(length=16),
            nullable=True,
            comment="null: a court's row (progress channel); admin / console: a person's "
            "case action",
        ),
    )
    op.add_column(
        "case_progress",
        sa.Column(
            "entered_by",
            sa.String(length=64),
            nullable=True,
            comment="who, for a person's case action",
        ),
    )


TRACKED = (
    "status",
    "tier",
    "is_key",
    "court_code",
    "judge",
    "department",
    "leader",
    "disposition",
    "statutory_due_on",
    "extended_to",
    "supervision_due_on",
)


def _create_state() -> None:
    """``case_history_state``, seeded with every case as it stands (one set-based insert)."""
    op.create_table(
        "case_history_state",
        sa.Column("case_id", sa.BigInteger(), nullable=False, comment="ledger_case.case_id"),
        sa.Column("ledger_no", sa.String(length=32), nullable=False),
        sa.Column(
            "anchor_item_id",
            sa.BigInteger(),
            nullable=True,
            comment="an item of the case: where it is now tells where a vanished case went",
        ),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("is_key", sa.Boolean(), nullable=True),
        sa.Column("court_code", sa.String(length=16), nullable=True),
        sa.Column("judge", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("leader", sa.String(length=64), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("statutory_due_on", sa.Date(), nullable=True),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("supervision_due_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_history_state")),
        comment="Each case's tracked fields as case_history last recorded them (xinfang.history).",
    )
    columns = ", ".join(TRACKED)
    op.execute(
        f"""INSERT INTO case_history_state (case_id, ledger_no, anchor_item_id, {columns})
        SELECT c.case_id, c.ledger_no, a.anchor_item_id, {", ".join("c." + f for f in TRACKED)}
        FROM ledger_case c LEFT JOIN (SELECT case_id, MIN(item_id) AS anchor_item_id
                                      FROM intake_item WHERE case_id IS NOT NULL
                                      GROUP BY case_id) a ON a.case_id = c.case_id"""
    )


def downgrade() -> None:
    with op.batch_alter_table("case_progress") as batch:
        batch.drop_column("entered_by")
        batch.drop_column("origin")
    op.drop_table("case_history_state")
    op.drop_index("ix_case_history_changed_on", table_name="case_history")
    op.drop_index("ix_case_history_case_id", table_name="case_history")
    op.drop_table("case_history")
