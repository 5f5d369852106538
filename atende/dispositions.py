"""Call dispositions: the code an agent gives a call at wrap-up (sale, promise, no interest...).

A disposition may carry the call's outcome for the ERP; both are written in one transaction so
the outcome exists exactly when the disposition does (the outbox then delivers it once).

A call has at most one disposition. The calls the engine knows, and the agents who handled
them, come from the ACD's queue log (``CONNECT`` records name the agent; the agent's
``username`` ties it to a user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from acd.live.sql import acd_agents, acd_queue_log
from atende.db import metadata

call_dispositions = sa.Table(
    "call_dispositions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("call_id", sa.String(64), nullable=False, index=True, unique=True),
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


async def disposition_of(conn: AsyncConnection, call_id: str) -> Disposition | None:
    """The disposition of ``call_id``, if it has one."""
    found = await dispositions_of(conn, call_id)
    return found[0] if found else None


async def correct_disposition(
    conn: AsyncConnection, call_id: str, *, code: str, notes: str
) -> None:
    """Replace the code and notes of ``call_id``'s disposition (its outcome stays)."""
    await conn.execute(
        call_dispositions.update()
        .where(call_dispositions.c.call_id == call_id)
        .values(code=code, notes=notes)
    )


async def call_handlers(conn: AsyncConnection, call_id: str) -> frozenset[str] | None:
    """Usernames of the agents connected to ``call_id``; ``None`` when the engine never saw it."""
    seen = await conn.scalar(
        sa.select(acd_queue_log.c.id).where(acd_queue_log.c.call_id == call_id).limit(1)
    )
    if seen is None:
        return None
    rows = await conn.execute(
        sa.select(acd_agents.c.username)
        .select_from(acd_queue_log.join(acd_agents, acd_agents.c.agent_id == acd_queue_log.c.agent))
        .where(acd_queue_log.c.call_id == call_id, acd_queue_log.c.event == "CONNECT")
    )
    return frozenset(name for (name,) in rows if name)
