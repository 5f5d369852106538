"""The engine's own outcomes refresh the customer view: the outbox delivers a call's sales
order through the refreshing port and the cached view shows it without the change feed."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

from crm_sync.adapters.outcome_refresh import refreshing_views
from crm_sync.port import ViewCache
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.outbox.outcomes import Outcome, record_outcome
from erp_bridge.outbox.supervision import list_outcomes
from erp_bridge.outbox.worker import OutboxWorker
from tests.crm.conftest import ERP_NOW, views_on


async def test_an_order_delivered_by_the_outbox_shows_in_the_cached_view(
    sqlite_erp: EmbeddedErp, cache: ViewCache
) -> None:
    """The bakery's view is cached with no order; an agent's order goes through the outbox;
    once delivered, the next read of the view (no change feed running) lists it."""
    views = views_on(sqlite_erp, cache)
    assert (await views.view("000001", "01")).recent_orders == []
    order = OrderRequest(
        "000001", "01", (OrderLine("P1", Decimal(2), delivery_date=date(2026, 11, 27)),)
    )
    engine = sqlite_erp._engine
    async with engine.begin() as conn:
        await record_outcome(conn, Outcome(order, call_id="c1", agent="2001"), now=ERP_NOW)
    stop = asyncio.Event()
    worker = OutboxWorker(engine, refreshing_views(sqlite_erp, views))
    task = asyncio.create_task(worker.run(stop, idle=0.05))
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while [o.status for o in await list_outcomes(engine)] != ["delivered"]:
            assert asyncio.get_running_loop().time() < deadline, "outcome never delivered"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    orders = (await views.view("000001", "01")).recent_orders
    assert [(o.total, o.status) for o in orders] == [("20.00", "blocked_credit")]
    assert [(r.quantity, r.credit_block) for r in orders[0].rows] == [("2", "01")]
