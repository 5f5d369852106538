"""core: one disposition per call; the queue log searchable by call

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = "acd_0001"


def upgrade() -> None:
    twice = (
        op.get_bind()
        .execute(
            sa.text("SELECT call_id FROM call_dispositions GROUP BY call_id HAVING COUNT(*) > 1")
        )
        .scalars()
        .all()
    )
    if twice:
        raise RuntimeError(
            "call_dispositions holds several dispositions for calls "
            f"{', '.join(sorted(twice)[:20])}: keep one per call, then upgrade again"
        )
    op.drop_index("ix_call_dispositions_call_id", "call_dispositions")
    op.create_index("ix_call_dispositions_call_id", "call_dispositions", ["call_id"], unique=True)
    op.create_index("ix_acd_queue_log_call_id", "acd_queue_log", ["call_id"])


def downgrade() -> None:
    op.drop_index("ix_acd_queue_log_call_id", "acd_queue_log")
    op.drop_index("ix_call_dispositions_call_id", "call_dispositions")
    op.create_index("ix_call_dispositions_call_id", "call_dispositions", ["call_id"])
