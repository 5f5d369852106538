"""The outbox worker: claims due outcomes under a lease, delivers them to the ERP port with
their idempotency key, and records delivered / rejected (with the ERP's reason) / retry later
(exponential backoff with full jitter) / dead (after ``max_attempts``, for a supervisor)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from erp_bridge import sqlite_reads
from erp_bridge.domain.errors import ErpError
from erp_bridge.outbox.outcomes import PAYLOADS, idempotency_key
from erp_bridge.outbox.table import outbox
from erp_bridge.port import ErpPort

log = structlog.get_logger("erp_bridge.outbox")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff ``base * 2**(attempt-1)`` capped at ``cap`` seconds, full jitter; ``timeout`` per
    call; ``lease`` how long a claimed outcome is kept from other workers."""

    base: float = 1.0
    cap: float = 300.0
    max_attempts: int = 10
    timeout: float = 15.0
    lease: float = 120.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before the next attempt after ``attempt`` failed ones."""
        return rng.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class _Claim:
    id: str
    kind: str
    payload: str
    call_id: str
    attempts: int
    lease_until: datetime


def _due(now: Any) -> Any:
    """Pending, its attempt due at ``now``, and no live lease on it."""
    return sa.and_(
        outbox.c.status == "pending",
        outbox.c.next_attempt_at <= now,
        sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
    )


# the poll's statements, built once (``now`` and ``limit`` bound at each poll)
_DUE = (
    sa.select(outbox.c.id, outbox.c.kind, outbox.c.payload, outbox.c.call_id, outbox.c.attempts)
    .where(_due(sa.bindparam("now", type_=outbox.c.next_attempt_at.type)))
    .order_by(outbox.c.next_attempt_at, outbox.c.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True)


class OutboxWorker:
    """Delivers outcomes from the engine's database to ``port``; run several safely."""

    def __init__(
        self,
        engine: AsyncEngine,
        port: ErpPort,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._engine = engine
        self._port = port
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self._rng = rng or random.Random()
        self._pg = engine.dialect.name == "postgresql"

    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until ``stop`` is set, sleeping ``idle`` seconds when nothing is due."""
        while not stop.is_set():
            done = await self.run_once()
            if done == 0:
                try:
                    await asyncio.wait_for(stop.wait(), idle)
                except TimeoutError:
                    pass

    async def run_once(self, limit: int = 20) -> int:
        """Claim up to ``limit`` due outcomes and try each once; returns how many were tried."""
        claims = await self._claim(limit)
        for claim in claims:
            await self._deliver(claim)
        return len(claims)

    async def _claim(self, limit: int) -> list[_Claim]:
        now = self._clock()
        lease_until = now + timedelta(seconds=self._policy.lease)
        params = {"now": now, "limit": limit}
        if self._pg:
            async with self._engine.begin() as conn:
                locked = (await conn.execute(_DUE_LOCKED, params)).all()
                return await self._take(conn, locked, now, lease_until)
        # SQLite: the poll reads in one hop outside a transaction (as before: the driver
        # begins one at the first write); a transaction is begun only for due outcomes
        async with self._engine.connect() as conn:
            rows = await sqlite_reads.rows(conn, _DUE, params)
        if not rows:
            return []
        async with self._engine.begin() as conn:
            return await self._take(conn, rows, now, lease_until)

    async def _take(
        self, conn: AsyncConnection, rows: Sequence[Any], now: datetime, lease_until: datetime
    ) -> list[_Claim]:
        """Lease the due outcomes read (``id, kind, payload, call_id, attempts``) on ``conn``;
        the guard makes a concurrent claimer (SQLite has no SKIP LOCKED) lose cleanly."""
        claims = []
        for outcome_id, kind, payload, call_id, attempts in rows:
            taken = await conn.execute(
                outbox.update()
                .where(outbox.c.id == outcome_id, _due(now))
                .values(lease_until=lease_until, attempts=outbox.c.attempts + 1)
            )
            if taken.rowcount == 1:
                claims.append(_Claim(outcome_id, kind, payload, call_id, attempts + 1, lease_until))
        return claims

    async def _send(self, claim: _Claim) -> Any:
        try:
            payload = PAYLOADS[claim.kind].validate_json(claim.payload)
        except (KeyError, ValidationError) as err:
            raise ErpError("payload_invalid", f"stored outcome cannot be read: {err}") from err
        key = idempotency_key(claim.id)
        if claim.kind == "sales_order":
            return await self._port.create_sales_order(payload, idempotency_key=key)
        if claim.kind == "promise":
            return await self._port.register_promise(payload, idempotency_key=key)
        return await self._port.open_service_ticket(payload, idempotency_key=key)

    async def _deliver(self, claim: _Claim) -> None:
        bound = log.bind(
            outcome=claim.id, kind=claim.kind, attempt=claim.attempts, uniqueid=claim.call_id
        )
        try:
            result = await asyncio.wait_for(self._send(claim), self._policy.timeout)
        except ErpError as err:
            bound.info("outcome_rejected", code=err.code, reason=err.message)
            await self._finish(
                claim, status="rejected", reject_code=err.code, reject_message=err.message
            )
            return
        except Exception as err:  # ERP down, slow, network: retry later
            await self._retry(claim, f"{type(err).__name__}: {err}", bound)
            return
        encoded = TypeAdapter(type(result)).dump_json(result).decode()
        await self._finish(claim, status="delivered", result=encoded, delivered_at=self._clock())
        bound.info("outcome_delivered")

    async def _retry(self, claim: _Claim, error: str, bound: Any) -> None:
        if claim.attempts >= self._policy.max_attempts:
            bound.warning("outcome_dead", error=error)
            await self._finish(claim, status="dead", last_error=error)
            return
        delay = self._policy.delay(claim.attempts, self._rng)
        bound.info("outcome_retry", error=error, delay=round(delay, 3))
        await self._finish(
            claim,
            status="pending",
            last_error=error,
            next_attempt_at=self._clock() + timedelta(seconds=delay),
        )

    async def _finish(self, claim: _Claim, **values: Any) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                outbox.update()
                .where(outbox.c.id == claim.id, outbox.c.status == "pending")
                .values(lease_until=None, **values)
            )
