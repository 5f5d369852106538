"""campaigns: the dialer's attempts and the dial state of each lead per campaign

Revision ID: campaigns_dialer_0001
Revises: campaigns_0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "campaigns_dialer_0001"
down_revision = "campaigns_0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign_dial_state",
        sa.Column("campaign", sa.String(128), primary_key=True),
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("campaign_leads.id"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("attempts", sa.JSON, nullable=False),
        sa.Column("next_phone", sa.Integer, nullable=False, server_default="0"),
        sa.Column("not_before", TS, nullable=True),
        sa.Column("last_abandoned_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "campaign_dial_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("attempt", sa.String(96), nullable=False, unique=True),
        sa.Column("campaign", sa.String(128), nullable=False),
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("campaign_leads.id"), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("presented", sa.String(20), nullable=False),
        sa.Column("dialled_at", TS, nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("amd_status", sa.String(16), nullable=False, server_default=""),
        sa.Column("amd_cause", sa.String(64), nullable=False, server_default=""),
        sa.Column("short_call", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_campaign_dial_attempts_campaign", "campaign_dial_attempts", ["campaign", "ended_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_dial_attempts_campaign", table_name="campaign_dial_attempts")
    op.drop_table("campaign_dial_attempts")
    op.drop_table("campaign_dial_state")
