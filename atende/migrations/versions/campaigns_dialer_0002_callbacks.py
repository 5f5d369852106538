"""campaigns: scheduled callbacks (for one agent or anyone)

Revision ID: campaigns_dialer_0002
Revises: campaigns_dialer_0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "campaigns_dialer_0002"
down_revision = "campaigns_dialer_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign_callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(128), nullable=False, server_default=""),
        sa.Column("lead_id", sa.Integer, nullable=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("customer_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("note", sa.String(512), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_by", sa.String(64), nullable=True),
        sa.Column("done_at", TS, nullable=True),
    )
    op.create_index("ix_campaign_callbacks_status_due", "campaign_callbacks", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_campaign_callbacks_status_due", table_name="campaign_callbacks")
    op.drop_table("campaign_callbacks")
