"""erp: outbox of call outcomes (sales orders, promises, service tickets) for exactly-once
delivery to the ERP

Revision ID: erp_0002
Revises: erp_0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "erp_0002"
down_revision = "erp_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erp_outbox",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("call_id", sa.String(length=64), server_default="", nullable=False),
        sa.Column("agent", sa.String(length=64), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("reject_code", sa.String(length=64), server_default="", nullable=False),
        sa.Column("reject_message", sa.Text(), server_default="", nullable=False),
        sa.Column("result", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_erp_outbox_call_id", "erp_outbox", ["call_id"], unique=False)
    op.create_index(
        "ix_erp_outbox_status_next", "erp_outbox", ["status", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_erp_outbox_status_next", table_name="erp_outbox")
    op.drop_index("ix_erp_outbox_call_id", table_name="erp_outbox")
    op.drop_table("erp_outbox")
