"""match evidence and the review queue

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Adds what the review queue of deduplication needs (issue 14):
``match_decision.evidence`` (the facts that decided a join or a near miss, e.g.
``money=120000; org=华信建筑; text=0.21``) and ``match_decision.threshold`` (the bar
the score was held against, so ``score - threshold`` is the decision's margin).
Decisions recorded before the upgrade keep nulls: they were taken by the older rules.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_decision") as batch:
        batch.add_column(
            sa.Column(
                "evidence",
                sa.Text(),
                nullable=True,
                comment="the facts that decided it (shared and conflicting slots, text score)",
            )
        )
        batch.add_column(
            sa.Column(
                "threshold",
                sa.Float(),
                nullable=True,
                comment="the bar the score was held against: score - threshold is the margin",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("match_decision") as batch:
        batch.drop_column("threshold")
        batch.drop_column("evidence")
