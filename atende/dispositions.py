"""Call dispositions: the code an agent gives a call at wrap-up (sale, promise, no interest...).

A disposition may carry the call's outcome for the ERP; both are written in one transaction so
the outcome exists exactly when the disposition does (the outbox then delivers it once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from atende.db import metadata

call_dispositions = sa.Table(
    "call_dispositions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.String(64), nullable=False, index=True),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("code", sa.String(32), nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    sa.Column("outcome_id", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Disposition:
    """One disposition as stored."""

    id: int
    call_id: str
    agent: str
    code: str
    notes: str
    outcome_id: str | None
    created_at: datetime


async def add_disposition(
    conn: AsyncConnection,
    *,
    call_id: str,
    agent: str,
    code: str,
    notes: str,
    outcome_id: str | None,
    now: datetime,
) -> int:
    """Store a disposition on ``conn`` (in the caller's transaction); returns its id."""
    result = await conn.execute(
        call_dispositions.insert().values(
            call_id=call_id,
            agent=agent,
            code=code,
            notes=notes,
            outcome_id=outcome_id,
            created_at=now,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def dispositions_of(conn: AsyncConnection, call_id: str) -> list[Disposition]:
    """Every disposition given to ``call_id``, oldest first."""
    rows = await conn.execute(
        sa.select(call_dispositions)
        .where(call_dispositions.c.call_id == call_id)
        .order_by(call_dispositions.c.id)
    )
    return [Disposition(**row._mapping) for row in rows]
