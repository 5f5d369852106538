"""What a supervisor sees and does: outcomes by status or call, and retrying dead ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from erp_bridge.domain.errors import ErpError
from erp_bridge.outbox.table import outbox


@dataclass(frozen=True)
class OutcomeView:
    """An outcome's delivery state, with the ERP's answer or reason."""

    id: str
    kind: str
    call_id: str
    agent: str
    status: str
    attempts: int
    last_error: str
    reject_code: str
    reject_message: str
    result: str
    created_at: datetime
    delivered_at: datetime | None


def utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every time stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _view(row: sa.RowMapping) -> OutcomeView:
    return OutcomeView(
        row["id"],
        row["kind"],
        row["call_id"],
        row["agent"],
        row["status"],
        row["attempts"],
        row["last_error"],
        row["reject_code"],
        row["reject_message"],
        row["result"],
        row["created_at"],
        row["delivered_at"],
    )


async def list_outcomes(
    engine: AsyncEngine, *, status: str | None = None, call_id: str | None = None, limit: int = 100
) -> list[OutcomeView]:
    """Outcomes, oldest first, filtered by status (``dead``, ``rejected``...) or call."""
    query = sa.select(outbox).order_by(outbox.c.created_at, outbox.c.id).limit(limit)
    if status is not None:
        query = query.where(outbox.c.status == status)
    if call_id is not None:
        query = query.where(outbox.c.call_id == call_id)
    async with engine.connect() as conn:
        return [_view(r) for r in (await conn.execute(query)).mappings()]


async def retry_outcome(engine: AsyncEngine, outcome_id: str, *, now: datetime) -> None:
    """Put a dead outcome back in line (attempts start again); others are left alone."""
    async with engine.begin() as conn:
        done = await conn.execute(
            outbox.update()
            .where(outbox.c.id == outcome_id, outbox.c.status == "dead")
            .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None)
        )
    if done.rowcount != 1:
        raise ErpError("outcome_not_dead", f"outcome {outcome_id} is not dead")
