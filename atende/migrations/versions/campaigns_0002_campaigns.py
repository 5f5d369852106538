"""campaigns: the stored campaigns (type, lists, queue, mode, windows, retries, status)

Revision ID: campaigns_0002
Revises: campaigns_0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "campaigns_0002"
down_revision = "campaigns_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign_definitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("campaign_definitions")
