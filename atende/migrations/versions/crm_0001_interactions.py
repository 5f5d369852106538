"""crm: this contact center's calls with customers, for the customer view

Revision ID: crm_0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0001"
down_revision = None
branch_labels = ("crm",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_interactions",
        sa.Column("call_id", sa.String(64), primary_key=True),
        sa.Column("customer_code", sa.String(64), nullable=False),
        sa.Column("customer_store", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False, server_default=""),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=False, server_default=""),
        sa.Column("outcome_ref", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index(
        "ix_crm_interactions_customer",
        "crm_interactions",
        ["customer_code", "customer_store", "started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_crm_interactions_customer", "crm_interactions")
    op.drop_table("crm_interactions")
