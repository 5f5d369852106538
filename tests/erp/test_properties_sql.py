"""Property on the real databases: random orders, releases, invoices and payments through the
embedded ERP keep the stored books consistent (stock >= 0, balances = documents, nothing
invoiced twice). The database grows across examples, which only makes the check harder."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderRequest
from erp_bridge.domain.policy import CreditPolicy, ReleasePolicy
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from erp_bridge.embedded.tables import TABLES

from .scenarios import Step, steps
from .test_properties_core import REFUSALS


async def second_store(erp: EmbeddedErp) -> None:
    """Customer 000001 gets store 02 (risk B, limit 800.00) unless it has it already."""
    c = TABLES[e.Customer].c
    async with erp._engine.connect() as conn:
        found = await conn.scalar(sa.select(c.code).where(c.store == "02"))
    if found is None:
        branch = e.Customer("000001", "02", "Filial", "11222333000262", risk="B")
        branch.credit_limit = Decimal(800)
        await add_records(erp._engine, [branch])


async def apply_sql(erp: EmbeddedErp, step: Step, also: tuple[str, ...] = ()) -> None:
    """Run one step through the adapter; refusals must be the expected business ones (and
    ``also``: e.g. a title another agent paid in between)."""
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
            await erp.create_sales_order(OrderRequest("000001", step.store, step.lines))
        elif step.kind == "customer":
            c = TABLES[e.Customer]
            async with erp.write() as uow:  # one row at a time, in key order, like the ERP
                for store in ("01", "02"):
                    await uow.conn.execute(
                        c.update().where(c.c.store == store).values(credit_limit=step.amount)
                    )
        elif step.kind == "receive":
            s = TABLES[e.Stock]
            product = ("P1", "P2", "P3")[step.pick % 3]
            async with erp.write() as uow:  # locked like the ERP locks it
                (on_hand,) = (
                    await uow.conn.execute(
                        sa.select(s.c.on_hand).where(s.c.product == product).with_for_update()
                    )
                ).one()
                await uow.conn.execute(
                    s.update().where(s.c.product == product).values(on_hand=Decimal(on_hand) + 3)
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
        expected = (*REFUSALS, *also)
        assert err.code in expected, err


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=10))
async def test_stored_books_stay_consistent(erp: EmbeddedErp, sequence: list[Step]) -> None:
    """After each random sequence the audit of the whole database finds nothing."""
    await second_store(erp)
    for step in sequence:
        await apply_sql(erp, step)
    assert await erp.audit() == []


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lanes=st.lists(st.lists(steps, min_size=1, max_size=6), min_size=2, max_size=3))
async def test_concurrent_sequences_on_two_stores(
    erp: EmbeddedErp, lanes: list[list[Step]]
) -> None:
    """Two or three agents at once, on both stores of a customer judged across all stores:
    no deadlock, no lost update, the books stay consistent."""
    engine = erp._engine
    await second_store(erp)
    wide = EmbeddedErp(engine, ReleasePolicy(CreditPolicy(scope="all")), clock=erp._clock)

    async def lane(sequence: list[Step]) -> None:
        for step in sequence:
            await apply_sql(wide, step, also=("overpayment",))

    await asyncio.gather(*(lane(seq) for seq in lanes))
    assert await wide.audit() == []
