"""Property on the real databases: random orders, releases, invoices and payments through the
embedded ERP keep the stored books consistent (stock >= 0, balances = documents, nothing
invoiced twice). The database grows across examples, which only makes the check harder."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.tables import TABLES

from .scenarios import Step, steps


async def apply_sql(erp: EmbeddedErp, step: Step) -> None:
    """Run one step through the adapter; refusals must be the expected business ones."""
    engine = erp._engine
    async with engine.connect() as conn:
        o, r = TABLES[e.SalesOrder].c, TABLES[e.Receivable].c
        orders = (await conn.scalars(sa.select(o.number).order_by(o.number))).all()
        titles = (
            await conn.execute(
                sa.select(r.prefix, r.number, r.installment, r.balance)
                .where(r.status == "open")
                .order_by(r.number, r.installment)
            )
        ).all()
    try:
        if step.kind == "order":
            await erp.create_sales_order(OrderRequest("000001", "01", step.lines))
        elif step.kind == "customer":
            c = TABLES[e.Customer]
            async with engine.begin() as conn:
                await conn.execute(c.update().values(credit_limit=step.amount))
        elif step.kind == "receive":
            s = TABLES[e.Stock]
            async with engine.begin() as conn:
                row = (
                    await conn.execute(
                        sa.select(s.c.on_hand).where(
                            s.c.product == ("P1", "P2", "P3")[step.pick % 3]
                        )
                    )
                ).scalar_one()
                await conn.execute(
                    s.update()
                    .where(s.c.product == ("P1", "P2", "P3")[step.pick % 3])
                    .values(on_hand=row + 3)
                )
        elif step.kind == "pay":
            if titles:
                t = titles[step.pick % len(titles)]
                await erp.receive_payment(
                    (t.prefix, t.number, t.installment), min(step.amount, Decimal(t.balance))
                )
        elif orders:
            number = orders[step.pick % len(orders)]
            if step.kind == "credit":
                await erp.release_order(number)
            elif step.kind == "stock":
                await erp.release_order_stock(number)
            elif step.kind == "reject":
                await erp.reject_order(number)
            elif step.kind == "reverse":
                await erp.reverse_release(number)
            elif step.kind == "hold":
                await erp.hold_stock(number)
            else:
                await erp.invoice(number)
    except ErpError as err:
        assert err.code in ("nothing_to_invoice", "nothing_to_reverse", "nothing_to_hold"), err


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=10))
async def test_stored_books_stay_consistent(erp: EmbeddedErp, sequence: list[Step]) -> None:
    """After each random sequence the audit of the whole database finds nothing."""
    for step in sequence:
        await apply_sql(erp, step)
    assert await erp.audit() == []
