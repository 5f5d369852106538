"""Orders placed at once go in one transaction (group commit) on real SQLite and PostgreSQL:
each judged as if entered alone, in the order they came; a refused one takes nothing from the
others; idempotency keys and a lost connection are handled per order."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest, ReleaseResult
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.release import place_order
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.sales import _Placement
from erp_bridge.embedded.tables import TABLES

from ..conftest import PG_ADMIN_URL
from .conftest import TODAY, small_world

D = Decimal


class CountingErp(EmbeddedErp):
    """The embedded ERP, noting the size of every batch and each order entered alone."""

    def __init__(self, erp: EmbeddedErp) -> None:
        super().__init__(erp._engine, clock=erp._clock)
        self.batches: list[int] = []
        self.alone = 0

    async def _place_together(
        self, conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        self.batches.append(len(batch))
        return await super()._place_together(conn, batch)

    async def _place_alone(self, p: _Placement) -> ReleaseResult:
        self.alone += 1
        return await super()._place_alone(p)


def order(*lines: tuple[str, int], customer: str = "000001") -> OrderRequest:
    return OrderRequest(customer, "01", tuple(OrderLine(p, D(q)) for p, q in lines))


# machines (5 in stock) run short, coffee (300.00 each) passes the 1000.00 limit, and
# refusals in between: an unknown product, an unknown customer, a quantity of 0
MIXED = [
    order(("P2", 2)),
    order(("PX", 1)),
    order(("P1", 30), ("P2", 2)),
    order(("P1", 1), customer="999999"),
    order(("P1", 30)),
    order(("P2", 2), ("P3", 3)),
    order(("P1", 0)),
    order(("P1", 30)),
]


def sequential(reqs: list[OrderRequest]) -> tuple[list[ReleaseResult | str], dict[str, Decimal]]:
    """The pure core entering ``reqs`` one after the other: each result (or refusal code)
    and the stock and customer balances after them."""
    books = small_world()
    out: list[ReleaseResult | str] = []
    for req in reqs:
        try:
            out.append(place_order(books, req, TODAY, ReleasePolicy()))
        except ErpError as err:
            out.append(err.code)
    balances = {f"{s.product}.{f}": getattr(s, f) for s in books.all(e.Stock) for f in _STOCK}
    cust = books.customer("000001", "01")
    balances |= {f"customer.{f}": getattr(cust, f) for f in _CUSTOMER}
    return out, balances


_STOCK = ("allocated", "in_sales_orders", "reserved")
_CUSTOMER = ("open_orders", "released_orders", "credit_blocked_orders")


async def stored_balances(erp: EmbeddedErp) -> dict[str, Decimal]:
    s, c = TABLES[e.Stock], TABLES[e.Customer]
    async with erp._engine.connect() as conn:
        stock = (await conn.execute(sa.select(s))).mappings().all()
        (cust,) = (await conn.execute(sa.select(c).where(c.c.code == "000001"))).mappings()
    balances = {f"{r['product']}.{f}": r[f] for r in stock for f in _STOCK}
    return balances | {f"customer.{f}": cust[f] for f in _CUSTOMER}


async def test_a_batch_judges_each_order_as_if_alone(erp: EmbeddedErp) -> None:
    """Eight orders at once form one batch; each gets what the core gives it entering them in
    sequence (stock running short, the credit limit passed), the three refusals get their own
    error and the other five are entered; stock and balances match the sequence."""
    batched = CountingErp(erp)
    outcomes = await asyncio.gather(
        *(batched.create_sales_order(req) for req in MIXED), return_exceptions=True
    )
    expected, balances = sequential(MIXED)
    assert batched.batches == [len(MIXED)]
    got = [x.code if isinstance(x, ErpError) else x for x in outcomes]
    assert got == expected
    assert [x for x in got if isinstance(x, str)] == [
        "product_unknown",
        "customer_unknown",
        "quantity_invalid",
    ]
    assert {x.status for x in got if isinstance(x, ReleaseResult)} >= {
        "released",
        "blocked_credit",
    }
    assert await stored_balances(erp) == balances
    assert batched.alone == 0
    assert await erp.audit() == []


async def test_batches_in_a_row_equal_the_sequence(erp: EmbeddedErp) -> None:
    """Three agents placing orders one after another (batches follow each other on one
    connection) end with the stock and balances of the same orders entered in sequence."""
    batched = CountingErp(erp)
    agents = [MIXED[0::3], MIXED[1::3], MIXED[2::3]]
    entered: list[OrderRequest] = []

    async def agent(reqs: list[OrderRequest]) -> None:
        for req in reqs:
            try:
                await batched.create_sales_order(req)
            except ErpError:
                pass
            entered.append(req)  # the order they were entered in (answers come in order)

    await asyncio.gather(*(agent(reqs) for reqs in agents))
    assert sum(batched.batches) == len(MIXED) and len(batched.batches) > 1
    _, balances = sequential(entered)
    assert await stored_balances(erp) == balances
    assert await erp.audit() == []


async def test_idempotency_keys_in_a_batch(erp: EmbeddedErp) -> None:
    """In one burst: a key already used replays its answer, a new key is entered once even
    when sent twice (the second waits for the next batch and replays), an order without key
    is entered."""
    req = order(("P1", 1))
    first = await erp.create_sales_order(req, idempotency_key="call-1/outcome-1")
    replay, new, again, plain = await asyncio.gather(
        erp.create_sales_order(req, idempotency_key="call-1/outcome-1"),
        erp.create_sales_order(req, idempotency_key="call-2/outcome-1"),
        erp.create_sales_order(req, idempotency_key="call-2/outcome-1"),
        erp.create_sales_order(req),
    )
    assert replay == first
    assert again == new and new.order != first.order
    assert plain.order not in (first.order, new.order)
    async with erp._engine.connect() as conn:
        count = await conn.scalar(sa.select(sa.func.count()).select_from(TABLES[e.SalesOrder]))
    assert count == 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_lost_connection_fails_no_order(erp: EmbeddedErp) -> None:
    """The connection the batches share is cut between two batches (as by a database
    restart): that batch is entered again order by order on fresh connections, the next
    batch takes a new connection, and every order is entered once."""
    batched = CountingErp(erp)
    cut: list[int] = []
    original = batched._place_together

    async def place_then_cut(
        conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        done = await original(conn, batch)
        if not cut:
            pid = await conn.scalar(sa.text("SELECT pg_backend_pid()"))
            await conn.commit()
            cut.append(int(pid))
            admin = await asyncpg.connect(PG_ADMIN_URL.replace("postgresql+asyncpg", "postgresql"))
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", cut[0])
            finally:
                await admin.close()
        return done

    batched._place_together = place_then_cut  # type: ignore[method-assign]

    async def agent() -> list[ReleaseResult]:
        return [await batched.create_sales_order(order(("P3", 1))) for _ in range(3)]

    results = await asyncio.gather(*(agent() for _ in range(3)))
    assert len({r.order for rs in results for r in rs}) == 9
    assert batched.alone == 3  # the batch on the cut connection, entered again alone
    (stock,) = [r for r in await stored_balances_rows(erp) if r["product"] == "P3"]
    assert stock["allocated"] == D(9)
    assert await erp.audit() == []


async def stored_balances_rows(erp: EmbeddedErp) -> list[dict[str, object]]:
    s = TABLES[e.Stock]
    async with erp._engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(sa.select(s))).mappings()]


async def test_text_of_any_kind_is_stored_as_given(erp: EmbeddedErp) -> None:
    """Quotes, backslashes, braces, commas (a quoted comma too), the word NULL, an empty text
    and accents go into the batch's write (array literals on PostgreSQL) and come back
    unchanged."""
    odd = ['Zé "Ana" d\'Ávila', "C:\\fila\\", "{a,b}", 'a","b', "NULL", "", " x "]
    reqs = [
        OrderRequest("000001", "01", (OrderLine("P1", D(1)),), seller=text, origin=text)
        for text in odd
    ]
    results = await asyncio.gather(
        *(erp.create_sales_order(req, by=text) for req, text in zip(reqs, odd, strict=True))
    )
    o = TABLES[e.SalesOrder]
    async with erp._engine.connect() as conn:
        stored = dict((await conn.execute(sa.select(o.c.number, o.c.seller))).all())
    assert [stored[r.order] for r in results] == odd
    assert [(await erp.history(r.order))[0].by for r in results] == odd


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_batches_of_two_engines_queue_on_the_same_rows(
    erp: EmbeddedErp, database_url: str
) -> None:
    """Two engines (as two processes, each with its own connections) place batches on the
    same customer and products at once: the row locks queue them (no deadlock, no lost
    update) and the stock and balances are those of every order entered in some sequence."""
    from atende.db import make_engine

    engine = make_engine(database_url)
    try:
        other = CountingErp(EmbeddedErp(engine, clock=erp._clock))
        mine = CountingErp(erp)
        reqs = [order(("P1", 1), ("P3", 1)), order(("P3", 1), ("C1", 2))]

        async def agent(x: EmbeddedErp, req: OrderRequest) -> list[ReleaseResult]:
            return [await x.create_sales_order(req) for _ in range(3)]

        done = await asyncio.gather(
            *(agent(x, req) for x in (mine, other) for req in reqs for _ in range(2))
        )
    finally:
        await engine.dispose()
    assert len({r.order for rs in done for r in rs}) == 24
    assert max(mine.batches) > 1 and max(other.batches) > 1
    _, balances = sequential([req for req in reqs for _ in range(12)])
    assert await stored_balances(erp) == balances
    assert await erp.audit() == []
