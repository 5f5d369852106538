"""The outbox table, in the engine's database (migration ``erp_0002``)."""

from __future__ import annotations

import sqlalchemy as sa

outbox_metadata = sa.MetaData()

outbox = sa.Table(
    "erp_outbox",
    outbox_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("call_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("agent", sa.String(64), nullable=False, server_default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("reject_code", sa.String(64), nullable=False, server_default=""),
    sa.Column("reject_message", sa.Text, nullable=False, server_default=""),
    sa.Column("result", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_erp_outbox_status_next", "status", "next_attempt_at"),
    sa.Index("ix_erp_outbox_call_id", "call_id"),
)
