"""Interactions in the engine's database (table ``crm_interactions``, migration ``crm_0001``),
on SQLAlchemy async: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_sync.domain.interactions import Interaction

crm_metadata = sa.MetaData()

interactions = sa.Table(
    "crm_interactions",
    crm_metadata,
    sa.Column("call_id", sa.String(64), primary_key=True),
    sa.Column("customer_code", sa.String(64), nullable=False),
    sa.Column("customer_store", sa.String(64), nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("queue", sa.String(64), nullable=False, server_default=""),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("disposition", sa.String(32), nullable=False, server_default=""),
    sa.Column("outcome_ref", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_crm_interactions_customer", "customer_code", "customer_store", "started_at"),
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(r: Any) -> Interaction:
    started = _utc(r["started_at"])
    assert started is not None
    return Interaction(
        call_id=r["call_id"],
        customer_code=r["customer_code"],
        customer_store=r["customer_store"],
        agent=r["agent"],
        queue=r["queue"],
        started_at=started,
        ended_at=_utc(r["ended_at"]),
        disposition=r["disposition"],
        outcome_ref=r["outcome_ref"],
    )


class SqlInteractions:
    """:class:`crm_sync.port.InteractionStore` on the engine's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, item: Interaction) -> None:
        """Insert the call, or replace what is stored for it (one row per call id)."""
        values = {
            "call_id": item.call_id,
            "customer_code": item.customer_code,
            "customer_store": item.customer_store,
            "agent": item.agent,
            "queue": item.queue,
            "started_at": item.started_at,
            "ended_at": item.ended_at,
            "disposition": item.disposition,
            "outcome_ref": item.outcome_ref,
        }
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                interactions.update()
                .where(interactions.c.call_id == item.call_id)
                .values(**{k: v for k, v in values.items() if k != "call_id"})
            )
            if changed.rowcount == 0:
                await conn.execute(interactions.insert().values(**values))

    async def get(self, call_id: str) -> Interaction | None:
        """One call's interaction."""
        async with self._engine.connect() as conn:
            found = (
                (
                    await conn.execute(
                        sa.select(interactions).where(interactions.c.call_id == call_id)
                    )
                )
                .mappings()
                .first()
            )
        return None if found is None else _row(found)

    async def for_customer(self, code: str, store: str, limit: int = 10) -> list[Interaction]:
        """The customer's last calls, newest first."""
        t = interactions.c
        query = (
            sa.select(interactions)
            .where(t.customer_code == code, t.customer_store == store)
            .order_by(t.started_at.desc(), t.call_id.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_row(r) for r in (await conn.execute(query)).mappings()]

    async def agent_customers(self, agent: str, since: datetime) -> set[tuple[str, str]]:
        """``(code, store)`` of the customers of ``agent``'s calls started since ``since``."""
        t = interactions.c
        query = sa.select(t.customer_code, t.customer_store).where(
            t.agent == agent, t.started_at >= since
        )
        async with self._engine.connect() as conn:
            return {(code, store) for code, store in await conn.execute(query)}
