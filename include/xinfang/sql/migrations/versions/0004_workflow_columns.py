"""the petition office's workflow columns

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Adds the columns of the workflow (issue 17, docs/progress.md): the progress rows'
受理日期, 答复日期, 延期至, 满意度, 督办单位 and 督办期限 on ``case_progress``, what
they tell on ``ledger_case`` (``accepted_on``, ``replied_on``, ``extended_to``,
``satisfaction``, ``supervision_unit``, ``supervision_due_on``), the sweep's flag of a
supervision left unanswered (``ledger_case.supervision_overdue``) and the three rates
of ``kpi_monthly``. Every new column is nullable: rows written before the upgrade
keep their values and read as "not given".
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SATISFACTION_CHECK = "satisfaction IN ('satisfied', 'basic', 'dissatisfied')"


def _workflow_columns() -> list[sa.Column]:
    """The §8 columns shared by ``case_progress`` and ``ledger_case`` (fresh objects)."""
    return [
        sa.Column("accepted_on", sa.Date(), nullable=True, comment="受理日期 (受理告知)"),
        sa.Column("replied_on", sa.Date(), nullable=True, comment="答复日期 (书面答复)"),
        sa.Column("extended_to", sa.Date(), nullable=True, comment="延期至: approved extension"),
        sa.Column(
            "satisfaction",
            sa.String(length=16),
            nullable=True,
            comment="满意度: satisfied / basic / dissatisfied",
        ),
        sa.Column("supervision_unit", sa.String(length=128), nullable=True, comment="督办单位"),
        sa.Column("supervision_due_on", sa.Date(), nullable=True, comment="督办期限"),
    ]


RATES = {
    "timely_acceptance_rate": "及时受理率: accepted within 15 days / cases new in the month",
    "on_time_closure_rate": "按期办结率: closed by statutory_due_on / closed in the month",
    "satisfaction_rate": "满意率: 满意 or 基本满意 / rated cases closed in the month",
}


def upgrade() -> None:
    for table in ("case_progress", "ledger_case"):
        with op.batch_alter_table(table) as batch:
            for column in _workflow_columns():
                batch.add_column(column)
            batch.create_check_constraint(op.f(f"ck_{table}_satisfaction"), SATISFACTION_CHECK)
    with op.batch_alter_table("ledger_case") as batch:
        batch.add_column(
            sa.Column(
                "supervision_overdue",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="督办 unanswered: neither closed nor replied by supervision_due_on",
            )
        )
    with op.batch_alter_table("kpi_monthly") as batch:
        for name, comment in RATES.items():
            batch.add_column(sa.Column(name, sa.Float(), nullable=True, comment=comment))


def downgrade() -> None:
    with op.batch_alter_table("kpi_monthly") as batch:
        for name in reversed(list(RATES)):
            batch.drop_column(name)
    with op.batch_alter_table("ledger_case") as batch:
        batch.drop_column("supervision_overdue")
    for table in ("ledger_case", "case_progress"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_satisfaction"), type_="check")
            for column in reversed(_workflow_columns()):
                batch.drop_column(column.name)
