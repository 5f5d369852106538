"""acd: agents, queues and the queue log

Revision ID: acd_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "acd_0001"
down_revision = None
branch_labels = ("acd",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acd_queues",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "acd_agents",
        sa.Column("agent_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False, server_default=""),
        sa.Column("interface", sa.String(255), nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("username", sa.String(64), nullable=True, unique=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "acd_queue_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", sa.Float, nullable=False),
        sa.Column("call_id", sa.String(64), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_acd_queue_log_time", "acd_queue_log", ["time"])


def downgrade() -> None:
    op.drop_index("ix_acd_queue_log_time", "acd_queue_log")
    op.drop_table("acd_queue_log")
    op.drop_table("acd_agents")
    op.drop_table("acd_queues")
