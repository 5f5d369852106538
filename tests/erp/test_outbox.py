"""Outbox: outcomes stored with the disposition, delivered exactly once under faults (ERP down,
slow, answering after the timeout, worker killed between send and commit)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp_bridge.domain import entities as e
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.tables import TABLES
from erp_bridge.outbox.outcomes import Outcome, record_outcome
from erp_bridge.outbox.supervision import list_outcomes, retry_outcome
from erp_bridge.outbox.worker import OutboxWorker, RetryPolicy

D = Decimal
ORDER = OrderRequest("000001", "01", (OrderLine("P1", D(2)),))
# timeouts long enough for a loaded CI machine (an order on PostgreSQL took over 1 s there),
# far shorter than the faults' 60 s stalls
FAST = RetryPolicy(base=1.0, cap=30.0, max_attempts=4, timeout=2.5, lease=60.0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FaultyErp:
    """The real embedded ERP behind a faulty link. ``faults`` is consumed one per call:
    ``down`` (refused), ``slow`` (no answer before the timeout, nothing applied), ``late``
    (applied, answer after the timeout), ``hang`` (applied, the answer never comes), ``ok``."""

    def __init__(self, erp: EmbeddedErp, faults: list[str]) -> None:
        self.erp = erp
        self.faults = faults
        self.calls = 0
        self.applied = asyncio.Event()

    async def _through(self, call: Any) -> Any:
        self.calls += 1
        fault = self.faults.pop(0) if self.faults else "ok"
        if fault == "down":
            raise ConnectionRefusedError("erp down")
        if fault == "slow":
            await asyncio.sleep(60)
        result = await asyncio.shield(call())
        self.applied.set()
        if fault == "late":
            await asyncio.sleep(60)
        if fault == "hang":
            await asyncio.Event().wait()
        return result

    async def create_sales_order(
        self, req: OrderRequest, *, idempotency_key: str | None = None
    ) -> Any:
        return await self._through(
            lambda: self.erp.create_sales_order(req, idempotency_key=idempotency_key)
        )

    async def open_service_ticket(
        self, req: TicketRequest, *, idempotency_key: str | None = None
    ) -> Any:
        return await self._through(
            lambda: self.erp.open_service_ticket(req, idempotency_key=idempotency_key)
        )


dispositions = sa.Table(
    "test_dispositions",
    sa.MetaData(),
    sa.Column("call_id", sa.String(64), primary_key=True),
    sa.Column("disposition", sa.String(32)),
)


@pytest.fixture
async def engine(erp: EmbeddedErp) -> AsyncIterator[Any]:
    """The engine's database (the same one the embedded ERP uses), with a dispositions table."""
    async with erp._engine.begin() as conn:
        await conn.run_sync(dispositions.metadata.create_all)
    yield erp._engine


async def save_call(engine: Any, call_id: str, outcome: Outcome, clock: Clock) -> str:
    """The caller's transaction: disposition and outcome together."""
    async with engine.begin() as conn:
        await conn.execute(dispositions.insert().values(call_id=call_id, disposition="sale"))
        return await record_outcome(conn, outcome, now=clock())


async def count(engine: Any, cls: type) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(TABLES[cls])) or 0)


async def drain(worker: OutboxWorker, clock: Clock, rounds: int = 12) -> None:
    """Run the worker, moving the clock past any backoff, until nothing is due."""
    for _ in range(rounds):
        await worker.run_once()
        clock.advance(60)


async def test_outcome_commits_or_rolls_back_with_the_disposition(
    erp: EmbeddedErp, engine: Any
) -> None:
    """A failed disposition write leaves no outcome; a committed one is delivered once."""
    clock = Clock()
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await conn.execute(dispositions.insert().values(call_id="c0", disposition="sale"))
            await record_outcome(conn, Outcome(ORDER, call_id="c0"), now=clock())
            raise RuntimeError("agent desktop lost the call record")
    assert await list_outcomes(engine) == []
    await save_call(engine, "c1", Outcome(ORDER, call_id="c1", agent="ana"), clock)
    worker = OutboxWorker(engine, erp, policy=FAST, clock=clock)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    (view,) = await list_outcomes(engine, call_id="c1")
    assert (view.status, view.attempts, view.agent) == ("delivered", 1, "ana")
    assert '"status":"released"' in view.result
    assert await count(engine, e.SalesOrder) == 1


@pytest.mark.parametrize("fault", ["down", "slow", "late"])
async def test_faults_then_exactly_once(erp: EmbeddedErp, engine: Any, fault: str) -> None:
    """Two faulty attempts then a good one: one order, delivered on the third attempt,
    after a backoff each time."""
    clock = Clock()
    erp_link = FaultyErp(erp, [fault, fault])
    await save_call(engine, "c1", Outcome(ORDER, call_id="c1"), clock)
    worker = OutboxWorker(engine, erp_link, policy=FAST, clock=clock, rng=random.Random(7))  # type: ignore[arg-type]
    await worker.run_once()
    (view,) = await list_outcomes(engine)
    assert (view.status, view.attempts) == ("pending", 1)
    assert view.last_error
    assert await worker.run_once() == 0  # backing off: not due yet
    await drain(worker, clock)
    (view,) = await list_outcomes(engine)
    assert (view.status, view.attempts) == ("delivered", 3)
    assert await count(engine, e.SalesOrder) == 1
    (stock,) = [s for s in (await erp.snapshot()).books.all(e.Stock) if s.product == "P1"]
    assert stock.allocated == D(2)


async def test_worker_killed_between_send_and_commit(erp: EmbeddedErp, engine: Any) -> None:
    """The ERP applied the order but the worker died before marking it: after the lease
    another worker delivers again and the ERP answers from its idempotency record."""
    clock = Clock()
    erp_link = FaultyErp(erp, ["hang"])
    outcome_id = await save_call(engine, "c1", Outcome(ORDER, call_id="c1"), clock)
    doomed = OutboxWorker(engine, erp_link, policy=RetryPolicy(timeout=30, lease=60), clock=clock)  # type: ignore[arg-type]
    task = asyncio.create_task(doomed.run_once())
    await asyncio.wait_for(erp_link.applied.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (view,) = await list_outcomes(engine)
    assert view.status == "pending"
    survivor = OutboxWorker(engine, erp_link, policy=FAST, clock=clock)  # type: ignore[arg-type]
    assert await survivor.run_once() == 0  # still leased by the dead worker
    clock.advance(61)
    assert await survivor.run_once() == 1
    (view,) = await list_outcomes(engine)
    assert (view.id, view.status, view.attempts) == (outcome_id, "delivered", 2)
    assert await count(engine, e.SalesOrder) == 1
    assert erp_link.calls == 2


async def test_dead_letter_and_supervisor_retry(erp: EmbeddedErp, engine: Any) -> None:
    """An ERP down for every attempt makes the outcome dead; the supervisor sees it and
    retries it once the ERP is back; it is applied once."""
    clock = Clock()
    erp_link = FaultyErp(erp, ["down"] * 4)
    outcome_id = await save_call(engine, "c1", Outcome(ORDER, call_id="c1"), clock)
    worker = OutboxWorker(engine, erp_link, policy=FAST, clock=clock)  # type: ignore[arg-type]
    await drain(worker, clock)
    (dead,) = await list_outcomes(engine, status="dead")
    assert (dead.id, dead.attempts) == (outcome_id, 4)
    assert "erp down" in dead.last_error
    assert await count(engine, e.SalesOrder) == 0
    await retry_outcome(engine, outcome_id, now=clock())
    await drain(worker, clock, rounds=2)
    (view,) = await list_outcomes(engine)
    assert view.status == "delivered"
    assert await count(engine, e.SalesOrder) == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (OrderRequest("000001", "01", (OrderLine("NOPE", D(1)),)), "product_unknown"),
        (TicketRequest("000001", "01", "P1", "S1", "   "), "description_required"),
    ],
)
async def test_rejected_outcome_keeps_the_erp_reason(
    erp: EmbeddedErp, engine: Any, payload: Any, code: str
) -> None:
    """A business refusal is stored with the ERP's code and message and never retried."""
    clock = Clock()
    erp_link = FaultyErp(erp, [])
    await save_call(engine, "c1", Outcome(payload, call_id="c1"), clock)
    worker = OutboxWorker(engine, erp_link, policy=FAST, clock=clock)  # type: ignore[arg-type]
    await drain(worker, clock, rounds=3)
    (view,) = await list_outcomes(engine, status="rejected")
    assert view.reject_code == code
    assert view.reject_message
    assert erp_link.calls == 1


async def test_customer_blocked_is_rejected_for_the_agent(erp: EmbeddedErp, engine: Any) -> None:
    """A blocked customer's order comes back rejected with customer_blocked."""
    async with engine.begin() as conn:
        await conn.execute(TABLES[e.Customer].update().values(blocked=True))
    clock = Clock()
    await save_call(engine, "c1", Outcome(ORDER, call_id="c1"), clock)
    await OutboxWorker(engine, erp, policy=FAST, clock=clock).run_once()
    (view,) = await list_outcomes(engine)
    assert (view.status, view.reject_code) == ("rejected", "customer_blocked")


async def test_two_workers_share_the_queue(erp: EmbeddedErp, engine: Any) -> None:
    """Two workers on twelve outcomes under a flaky link: twelve orders, none twice."""
    clock = Clock()
    for n in range(12):
        await save_call(engine, f"c{n}", Outcome(ORDER, call_id=f"c{n}"), clock)
    link = FaultyErp(erp, ["down", "ok", "late", "ok"] * 3)
    patient = RetryPolicy(base=1.0, cap=30.0, max_attempts=20, timeout=1.0, lease=60.0)
    workers = [
        OutboxWorker(engine, link, policy=patient, clock=clock, rng=random.Random(n))  # type: ignore[arg-type]
        for n in range(2)
    ]
    for _ in range(30):
        await asyncio.gather(*(w.run_once(limit=4) for w in workers))
        clock.advance(60)
    views = await list_outcomes(engine)
    assert [v.status for v in views] == ["delivered"] * 12
    assert await count(engine, e.SalesOrder) == 12


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    faults=st.lists(st.sampled_from(["down", "slow", "late", "ok", "ok"]), max_size=6),
    outcomes=st.integers(1, 4),
    kill_first=st.booleans(),
)
async def test_random_faults_apply_each_outcome_once(
    erp: EmbeddedErp, engine: Any, faults: list[str], outcomes: int, kill_first: bool
) -> None:
    """Whatever mix of faults (and a worker killed after sending), every outcome is delivered
    and applied exactly once. The database keeps earlier examples' orders: count the new ones."""
    clock = Clock()
    before = await count(engine, e.SalesOrder)
    for _ in range(outcomes):
        await save_call(engine, f"r{uuid.uuid4().hex[:8]}", Outcome(ORDER), clock)
    policy = RetryPolicy(base=1.0, cap=30.0, max_attempts=50, timeout=0.5, lease=60.0)
    link = FaultyErp(erp, (["hang"] if kill_first else []) + faults)
    if kill_first:
        doomed = OutboxWorker(engine, link, policy=RetryPolicy(timeout=30, lease=60), clock=clock)  # type: ignore[arg-type]
        task = asyncio.create_task(doomed.run_once(limit=1))
        await asyncio.wait_for(link.applied.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    worker = OutboxWorker(engine, link, policy=policy, clock=clock, rng=random.Random(3))  # type: ignore[arg-type]
    await drain(worker, clock, rounds=40)
    assert {v.status for v in await list_outcomes(engine)} == {"delivered"}
    assert await count(engine, e.SalesOrder) - before == outcomes


async def test_run_loop_delivers_and_stops(erp: EmbeddedErp, engine: Any) -> None:
    """The long-running loop picks up an outcome recorded while it idles, and ends on stop."""
    stop = asyncio.Event()
    worker = OutboxWorker(engine, erp, policy=FAST)
    task = asyncio.create_task(worker.run(stop, idle=0.05))
    await save_call(engine, "c1", Outcome(ORDER, call_id="c1"), Clock())
    for _ in range(200):
        if [v.status for v in await list_outcomes(engine)] == ["delivered"]:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert [v.status for v in await list_outcomes(engine)] == ["delivered"]
    assert await count(engine, e.SalesOrder) == 1
