"""The audit log: who did what security-relevant thing, when, from where, and how it ended.

Sign-ins (successful and failed), sign-outs, token revocations and supervisors' corrections of
dispositions are written here; the table is append-only for the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from atende.db import metadata

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("address", sa.String(64), nullable=False, server_default=""),
    sa.Column("target", sa.String(128), nullable=False, server_default=""),
    sa.Column("details", sa.JSON, nullable=False),
)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    actor: str
    action: str
    outcome: str
    address: str = ""
    target: str = ""
    details: dict[str, Any] | None = None


async def write_audit(conn: AsyncConnection, entry: AuditEntry) -> None:
    """Append ``entry`` on ``conn`` (in the caller's transaction)."""
    await conn.execute(
        audit_log.insert().values(
            at=entry.at,
            actor=entry.actor[:64],
            action=entry.action,
            outcome=entry.outcome,
            address=entry.address[:64],
            target=entry.target[:128],
            details=entry.details or {},
        )
    )


class AuditLog:
    """The audit log on the engine's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, entry: AuditEntry) -> None:
        """Append ``entry`` in its own transaction."""
        async with self._engine.begin() as conn:
            await write_audit(conn, entry)

    async def entries(self, action: str | None = None) -> list[AuditEntry]:
        """Every entry (of ``action`` if given), oldest first."""
        query = sa.select(audit_log).order_by(audit_log.c.id)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AuditEntry(
                r.at, r.actor, r.action, r.outcome, r.address, r.target, dict(r.details or {})
            )
            for r in rows
        ]
