"""core: call dispositions (the agent's wrap-up code for a call)

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_dispositions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.String(64), nullable=False, index=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("call_dispositions")
