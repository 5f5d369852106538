"""What a batch of orders reads, on real SQLite and PostgreSQL (on PostgreSQL in two
statements: the customers locked with the reference stamp, then their titles with the stock):
a parameter changed by another process between batches, a title written by the transaction a
batch waited for, a product without a stock row, and the batches' connection given back idle;
and a file's batches planned for the table as it is."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.app.import_master import import_rows
from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.master import RowOutcome
from erp_bridge.domain.orders import OrderLine, OrderRequest, ReleaseResult
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.release import place_order
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.demo_data import cpf
from erp_bridge.embedded.sales import _Placement
from erp_bridge.embedded.seed import add_records
from erp_bridge.embedded.uow import UnitOfWork

from .conftest import TODAY, small_world

D = Decimal


def order(*lines: tuple[str, int], store: str = "01") -> OrderRequest:
    return OrderRequest("000001", store, tuple(OrderLine(p, D(q)) for p, q in lines))


class PgRuns(EmbeddedErp):
    """The embedded ERP, counting the runs of batches on PostgreSQL."""

    def __init__(self, erp: EmbeddedErp) -> None:
        super().__init__(erp._engine, clock=erp._clock)
        self.runs = 0

    async def _together_on_pg(
        self, conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        self.runs += 1
        return await super()._together_on_pg(conn, batch)


async def late_title_at_store_01(erp: EmbeddedErp) -> None:
    """Store 02 (risk C, limit 1000.00) for customer 000001, and a title of store 01 due 40
    days ago (store 01's open balance with it)."""
    main = small_world().customer("000001", "01")
    main.open_receivables = D("10.00")
    branch = e.Customer("000001", "02", "Filial", "11222333000262", risk="C")
    branch.credit_limit = D(1000)
    due = TODAY - timedelta(days=40)
    title = e.Receivable("1", "T40", "A", "000001", "01", due, due, D("10.00"), D("10.00"))
    await add_records(erp._engine, [main, branch, title])


async def test_a_scope_changed_by_another_process_reaches_the_next_batch(
    erp: EmbeddedErp, database_url: str
) -> None:
    """Credit judged per store (a late title at store 01 does not hold store 02's order); then
    another process sets MV_CREDCLI to per customer: the next orders of store 02, placed at
    once, are held for store 01's late title (on PostgreSQL the batch locked store 02 alone
    under the scope it kept, saw the stamp move, and ran again under the new scope)."""
    await late_title_at_store_01(erp)
    batched = PgRuns(erp)
    first = await batched.create_sales_order(order(("P1", 1), store="02"))
    assert (first.status, first.lines[0].credit_block) == ("released", "")
    other = EmbeddedErp(erp._engine, clock=erp._clock)  # as another process
    await other.set_parameters({"MV_CREDCLI": "C"}, by="admin")
    runs = batched.runs
    held = await asyncio.gather(
        *(batched.create_sales_order(order(("P1", 1), store="02")) for _ in range(3))
    )
    assert [(r.status, r.lines[0].credit_block) for r in held] == [("blocked_credit", "01")] * 3
    if database_url.startswith("postgresql"):
        assert batched.runs - runs == 2  # one batch, locked again under the new scope
    assert await erp.audit() == []


async def test_a_product_without_a_stock_row_is_judged_as_alone(erp: EmbeddedErp) -> None:
    """A product with no stock row in its warehouse, ordered in a batch with stocked ones:
    the orders naming it get the core's refusal, the other is released and nothing of the
    refused ones is stored."""
    p9 = e.Product("P9", "Moedor", "bought", list_price=D("7.00"))
    await add_records(erp._engine, [p9])
    reqs = [order(("P9", 2)), order(("P1", 1), ("P9", 1)), order(("P3", 2))]
    got = await asyncio.gather(*(erp.create_sales_order(r) for r in reqs), return_exceptions=True)
    books = small_world()
    books.add(e.Product("P9", "Moedor", "bought", list_price=D("7.00")))
    expected: list[str] = []
    for req in reqs:
        try:
            expected.append(place_order(books, req, TODAY, ReleasePolicy()).status)
        except ErpError as err:
            expected.append(err.code)
    assert [x.code if isinstance(x, ErpError) else x.status for x in got] == expected
    assert expected == ["stock_unknown", "stock_unknown", "released"]
    assert await erp.audit() == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_title_written_while_the_batch_waits_counts(
    erp: EmbeddedErp, database_url: str
) -> None:
    """Another transaction holds customer 000001 and writes it a title due 40 days ago; the
    batch placed meanwhile waits for that lock, and once it is committed the orders see the
    title (held for it), though it was not there when the batch began."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    other = await asyncpg.connect(dsn)
    try:
        await other.execute("BEGIN")
        await other.execute(
            "SELECT 1 FROM erp_customer WHERE code = '000001' AND store = '01' FOR UPDATE"
        )
        due = TODAY - timedelta(days=40)
        await other.execute(
            "INSERT INTO erp_receivable (prefix, number, installment, customer_code,"
            ' customer_store, issued, due, value, balance, "order", status, protested)'
            " VALUES ('1', 'T40', 'A', '000001', '01', $1, $1, 10, 10, '', 'open', false)",
            due,
        )
        await other.execute(
            "UPDATE erp_customer SET open_receivables = open_receivables + 10"
            " WHERE code = '000001' AND store = '01'"
        )

        async def commit_once_waited_for() -> None:
            waiting = (
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            while not await other.fetchval(waiting):  # noqa: ASYNC110 - polls the server's view
                await asyncio.sleep(0.01)
            await other.execute("COMMIT")

        placed, _ = await asyncio.gather(
            asyncio.gather(*(erp.create_sales_order(order(("P1", 1))) for _ in range(2))),
            commit_once_waited_for(),
        )
    finally:
        await other.close()
    assert [(r.status, r.lines[0].credit_block) for r in placed] == [("blocked_credit", "01")] * 2
    assert await erp.audit() == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_batches_connection_goes_back_idle(erp: EmbeddedErp) -> None:
    """Batches begin the next transaction with each commit; once no order waits, the one
    begun for nothing is rolled back: no connection of the database is left in a
    transaction, and a refused order in a batch leaves none either."""
    reqs = [order(("P1", 1)), order(("PX", 1)), order(("P3", 1))]
    for _ in range(2):
        done = await asyncio.gather(
            *(erp.create_sales_order(r) for r in reqs), return_exceptions=True
        )
        assert isinstance(done[1], ErpError) and done[1].code == "product_unknown"
    async with erp._engine.connect() as conn:
        states = await conn.execute(
            sa.text(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        )
        assert [s for (s,) in states if s != "idle"] == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_file_batch_plans_its_lookups_for_the_table_as_it_is(erp: EmbeddedErp) -> None:
    """Each batch of a loaded file runs with custom plans (its key lookups planned for the
    table as the file has filled it so far, not a generic plan kept from when it was small),
    and only that batch's transaction: the next use of the connection has the default."""
    seen: list[str] = []

    class Watching(EmbeddedErp):
        async def _check_references(
            self, uow: UnitOfWork, cls: type, records: Sequence[tuple[int, Any]]
        ) -> dict[int, RowOutcome]:
            seen.append(await uow.conn.scalar(sa.text("SELECT current_setting('plan_cache_mode')")))
            return await super()._check_references(uow, cls, records)

    watching = Watching(erp._engine, clock=erp._clock)
    rng = random.Random(7)
    rows = [
        (n + 2, {"code": f"C{n:05d}", "store": "01", "name": f"Cliente {n}", "tax_id": cpf(rng)})
        for n in range(3)
    ]
    report = await import_rows(watching, "customers", iter(rows))
    assert report.added == 3
    assert seen == ["force_custom_plan"]
    async with erp._engine.connect() as conn:
        after = await conn.scalar(sa.text("SELECT current_setting('plan_cache_mode')"))
    assert after == "auto"
