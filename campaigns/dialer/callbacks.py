"""Scheduled callbacks: a number to call again at a date and time, for one agent or anyone.

An agent sets one from his call (the disposition's date and time); once due it is offered on
the desktop of that agent (or of any agent for ``anyone``) like a preview lead, and dialled
the same way (his phone first). ``next_due`` is the pure choice; ``SqlCallbackStore`` keeps
them (``campaign_callbacks``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from campaigns.sql.tables import callbacks

PENDING, DIALLED, SKIPPED = "pending", "dialled", "skipped"


@dataclass(frozen=True)
class Callback:
    """A callback to place."""

    id: int
    number: str
    due_at: datetime
    agent: str | None  # None: anyone
    campaign: str = ""
    lead_id: int | None = None
    name: str = ""
    customer_id: str = ""
    note: str = ""
    created_by: str = ""


def next_due(
    pending: Iterable[Callback], agent: str, now: datetime, held: Collection[int] = ()
) -> Callback | None:
    """The callback to offer ``agent`` now: due, his or anyone's (his own first), not held
    for another agent; the earliest due."""
    due = [
        c
        for c in pending
        if c.due_at <= now and c.id not in held and (c.agent is None or c.agent == agent)
    ]
    if not due:
        return None
    return min(due, key=lambda c: (c.agent is None, c.due_at, c.id))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class SqlCallbackStore:
    """Callbacks on SQLAlchemy async (SQLite, PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, callback: Callback, now: datetime) -> Callback:
        """Store a new callback (its ``id`` is given by the database)."""
        values = {
            "campaign": callback.campaign, "lead_id": callback.lead_id,
            "number": callback.number[:20], "name": callback.name[:255],
            "customer_id": callback.customer_id[:64], "due_at": callback.due_at,
            "agent": callback.agent, "created_by": callback.created_by[:64],
            "created_at": now, "note": callback.note[:512], "status": PENDING,
        }  # fmt: skip
        async with self._engine.begin() as conn:
            result = await conn.execute(callbacks.insert().values(**values))
            new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return Callback(
            new_id, callback.number, callback.due_at, callback.agent, callback.campaign,
            callback.lead_id, callback.name, callback.customer_id, callback.note,
            callback.created_by,
        )  # fmt: skip

    async def pending(self) -> list[Callback]:
        """Every callback still to place, earliest due first."""
        query = (
            sa.select(callbacks)
            .where(callbacks.c.status == PENDING)
            .order_by(callbacks.c.due_at, callbacks.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Callback(
                r.id,
                r.number,
                _aware(r.due_at),
                r.agent,
                r.campaign,
                r.lead_id,
                r.name,
                r.customer_id,
                r.note,
                r.created_by,
            )
            for r in rows
        ]

    async def close(self, callback_id: int, status: str, agent: str, now: datetime) -> None:
        """Mark the callback ``dialled`` or ``skipped`` by ``agent``."""
        async with self._engine.begin() as conn:
            await conn.execute(
                callbacks.update()
                .where(callbacks.c.id == callback_id)
                .values(status=status, done_by=agent, done_at=now)
            )

    async def all(self) -> list[dict[str, object]]:
        """Every callback, by id (for reports and tests)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(sa.select(callbacks).order_by(callbacks.c.id))
            return [dict(r._mapping) for r in rows]
