"""Application services over the embedded ERP: stable codes for the agent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from erp_bridge.app.find_customer import find_customer
from erp_bridge.app.outcomes import list_outcomes
from erp_bridge.app.place_sales_order import place_sales_order
from erp_bridge.app.record_outcome import record_call_outcome
from erp_bridge.app.release_orders import release_customer
from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.tables import TABLES
from erp_bridge.outbox.outcomes import Outcome

D = Decimal


async def test_credit_block_is_a_code_not_an_error(erp: EmbeddedErp) -> None:
    """A risk E customer's order is created and reported as credit_blocked with the reason."""
    async with erp._engine.begin() as conn:
        await conn.execute(TABLES[e.Customer].update().values(risk="E"))
    placed = await place_sales_order(erp, OrderRequest("000001", "01", (OrderLine("P1", D(1)),)))
    assert (placed.code, placed.reason) == ("credit_blocked", "risk E")


async def test_bad_requests_never_reach_the_erp(erp: EmbeddedErp) -> None:
    """Empty order, zero quantity, empty search and bad amounts give their codes."""
    cases = [
        (place_sales_order(erp, OrderRequest("000001", "01", ())), "order_empty"),
        (
            place_sales_order(erp, OrderRequest("000001", "01", (OrderLine("P1", D(0)),))),
            "quantity_invalid",
        ),
        (find_customer(erp), "search_empty"),
        (find_customer(erp, phone="12"), "phone_invalid"),
        (release_customer(erp, "000001", "01", up_to=D(-1)), "amount_invalid"),
    ]
    for call, code in cases:
        with pytest.raises(ErpError) as err:
            await call
        assert err.value.code == code
    assert await erp.changes() == []


async def test_malformed_outcome_is_refused_before_storing(erp: EmbeddedErp) -> None:
    """An outcome without items is refused and nothing is queued."""
    async with erp._engine.begin() as conn:
        with pytest.raises(ErpError) as err:
            await record_call_outcome(
                conn,
                Outcome(OrderRequest("000001", "01", ())),
                now=datetime(2026, 11, 27, tzinfo=UTC),
            )
    assert err.value.code == "order_empty"
    assert await list_outcomes(erp._engine) == []
