"""Sales orders on the embedded ERP: entry, releases, rejections, invoicing, batch runs."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncConnection

from erp_bridge.domain import entities as e
from erp_bridge.domain import invoicing, release
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.domain.orders import OrderRequest, ReleaseResult
from erp_bridge.domain.production import production_run
from erp_bridge.embedded import batch_sql
from erp_bridge.embedded.group_commit import GroupCommit
from erp_bridge.embedded.store import C, ErpStore, as_utc, log
from erp_bridge.embedded.tables import idempotency
from erp_bridge.embedded.uow import UnitOfWork, pairs_query


@dataclass(frozen=True)
class _Placement:
    """One call of :meth:`SalesDesk.create_sales_order`."""

    req: OrderRequest
    key: str | None
    by: str


class _Tainted(Exception):
    """The core refused an order after changing the books: the batch cannot go on."""


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn``."""
    return (await conn.get_raw_connection()).driver_connection


async def _end_begun(conn: AsyncConnection) -> None:
    """Roll back the transaction begun on ``conn`` for a batch that did not come; if that
    fails (the connection is lost or busy), the connection is given up, never handed back
    to the pool inside a transaction."""
    driver = await _driver(conn)
    if not driver.is_in_transaction():
        return
    try:
        await driver.execute("ROLLBACK")
    except BaseException:
        await conn.invalidate()
        raise


class _ScopeMoved(Exception):
    """The site's credit scope is not the one the batch's customers were locked under."""


_RESULT = TypeAdapter(ReleaseResult)

# the orders' products with their stock rows in each product's own warehouse (locked)
_OWN_STOCK = pairs_query(
    e.Stock,
    e.Product,
    sa.and_(
        C[e.Product].code == C[e.Stock].product, C[e.Product].warehouse == C[e.Stock].warehouse
    ),
    C[e.Stock].product.in_(sa.bindparam("codes", expanding=True)),
)


class SalesDesk(ErpStore):
    """Faturamento operations of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`."""

    async def create_sales_order(
        self, req: OrderRequest, *, idempotency_key: str | None = None, by: str = ""
    ) -> ReleaseResult:
        """Enter the order and run the automatic release. Orders placed while earlier ones
        are being written are entered together, in one transaction (group commit), each
        judged as if entered alone, in the order they came: see :meth:`_place_batch`."""
        return await self._entry.submit(_Placement(req, idempotency_key, by))

    @cached_property
    def _entry(self) -> GroupCommit[AsyncConnection, _Placement, ReleaseResult]:
        return GroupCommit(self._batch_session, self._place_batch, apart=lambda p: p.key)

    async def _place_batch(
        self, conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        """Orders in one transaction: their customers locked, then their stock, in one
        statement each (key order, as every write locks); the core enters them one after
        the other on the same books; one write, one commit. An order the core refuses gets
        its error and takes nothing from the others. If the transaction fails (a database
        error, an idempotency key stored meanwhile by another process, a refusal after the
        core changed the books), each order is entered again alone, in its own transaction,
        and the batches' connection is given up (the next use takes another: it may be the
        connection that failed)."""
        try:
            return await self._place_together(conn, batch)
        except Exception as err:
            log.info("erp_order_batch_split", orders=len(batch), error=type(err).__name__)
            await conn.invalidate()
        outcomes: list[ReleaseResult | BaseException] = []
        for placement in batch:
            try:
                outcomes.append(await self._place_alone(placement))
            except Exception as err:
                outcomes.append(err)
        return outcomes

    async def _place_together(
        self, conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        """The batch in one transaction on ``conn``: stored answers of its idempotency keys
        replayed, the rest loaded at once and entered one after the other."""
        if not self._pg:
            return await self._together_on_sqlite(conn, batch)
        try:
            return await self._together_on_pg(conn, batch)
        except _ScopeMoved:  # rolled back; the kept policy is now the site's
            return await self._together_on_pg(conn, batch)

    async def _together_on_pg(
        self, conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        """The batch on PostgreSQL in four round trips (``batch_sql``), on the asyncpg
        connection under ``conn``: the begin, the head (customers locked with the stamp's
        read, under the credit scope of the policy kept), the loads, and the writes sent with
        the commit as one simple query; when calls already wait for the next batch, the
        next begin goes with them too (the connection of a run of batches is in autocommit
        mode and its transactions are begun and ended here: see :meth:`_batch_session`). If
        the stamp moved and the site's scope is another, the transaction is rolled back
        (:class:`_ScopeMoved`)."""
        kept = self._kept
        scope = (kept.policy if kept is not None else self._policy).credit.scope
        keys = sorted({p.key for p in batch if p.key is not None})
        pairs = sorted({(p.req.customer_code, p.req.customer_store) for p in batch})
        driver = await _driver(conn)
        if not driver.is_in_transaction():
            await driver.execute("BEGIN")
        uow = UnitOfWork(conn, lock=True)
        stored, customers = await batch_sql.read_head(uow, driver, scope, len(batch), keys, pairs)
        uow.policy = await self._stamped_policy(uow)
        if not batch_sql.same_scope(uow.policy.credit.scope, scope):
            await driver.execute("ROLLBACK")
            raise _ScopeMoved
        outcomes = _replays(batch, stored)
        todo = [n for n, outcome in enumerate(outcomes) if outcome is None]
        reqs = [batch[n].req for n in todo]
        if reqs:
            await self._reference(uow)
            await self._prices(uow, reqs)
            lines = [ln for req in reqs for ln in req.lines]
            if any(ln.warehouse for ln in lines):
                await self._open_titles(uow, customers)
                await self._stock(uow, await self._order_stock(uow, reqs))
            else:
                codes = sorted({ln.product for ln in lines})
                await batch_sql.read_loads(uow, driver, codes, customers)
        for n in todo:
            outcomes[n] = await self._enter(uow, batch[n])
        then = "COMMIT; BEGIN" if self._entry.waiting else "COMMIT"
        await batch_sql.write_then(conn, driver, uow, self._clock(), then)
        if len(batch) > 1:
            log.debug("erp_order_batch", orders=len(batch))
        return [x for x in outcomes if x is not None]

    @contextlib.asynccontextmanager
    async def _batch_session(self) -> AsyncIterator[AsyncConnection]:
        """The connection of a run of batches. On PostgreSQL it is put in autocommit mode:
        the batches begin and end their transactions themselves (each commits with its
        writes, in the same round trip); a transaction begun for a batch that did not come
        (its callers gave up) is rolled back before the connection goes back."""
        async with self._engine.connect() as conn:
            if self._pg:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                yield conn
            finally:
                if self._pg and not conn.invalidated:
                    await _end_begun(conn)

    async def _together_on_sqlite(
        self, conn: AsyncConnection, batch: list[_Placement]
    ) -> list[ReleaseResult | BaseException]:
        async with self.write(order_numbers=len(batch), on=conn) as uow:
            keys = [p.key for p in batch if p.key is not None]
            stored: dict[str, str] = {}
            if keys:
                k = idempotency.c
                found = await uow.conn.execute(sa.select(k.key, k.result).where(k.key.in_(keys)))
                stored = {key: result for key, result in found}
            outcomes = _replays(batch, stored)
            todo = [n for n, outcome in enumerate(outcomes) if outcome is None]
            reqs = [batch[n].req for n in todo]
            if reqs:
                await self._lock_order_customers(
                    uow, ((r.customer_code, r.customer_store) for r in reqs)
                )
                await self._reference(uow)
                await self._prices(uow, reqs)
                await self._stock(uow, await self._order_stock(uow, reqs))
            for n in todo:
                outcomes[n] = await self._enter(uow, batch[n])
        if len(batch) > 1:
            log.debug("erp_order_batch", orders=len(batch))
        return [x for x in outcomes if x is not None]

    async def _enter(self, uow: UnitOfWork, p: _Placement) -> ReleaseResult | ErpError:
        """One order of a batch; a refusal is returned (the core checks before it writes)."""
        await self._draw(uow, "order")
        entered = len(uow.books.items(e.SalesOrder))
        try:
            result = release.place_order(uow.books, p.req, self.today(), uow.policy)
        except ErpError as err:
            if len(uow.books.items(e.SalesOrder)) != entered:
                raise _Tainted(err.code) from err
            return err
        self._entered(uow, p.req, result, p.by)
        if p.key is not None:
            uow.insert(
                idempotency,
                {
                    "key": p.key,
                    "operation": "sales_order",
                    "result": _RESULT.dump_json(result).decode(),
                    "created_at": self._clock(),
                },
            )
        return result

    def _entered(self, uow: UnitOfWork, req: OrderRequest, result: ReleaseResult, by: str) -> None:
        self._history(uow, result, "entered", by, "", None)
        uow.touch("sales_order", req.customer_code, req.customer_store, result.order)
        log.info("erp_order_created", order=result.order, status=result.status)

    async def _place_alone(self, p: _Placement) -> ReleaseResult:
        """One order in its own transaction (what a batch falls back to)."""
        req = p.req

        async def work(uow: UnitOfWork) -> ReleaseResult:
            await self._lock_customers(uow, req.customer_code, req.customer_store)
            await self._reference(uow)
            await self._prices(uow, [req])
            await self._stock(uow, await self._order_stock(uow, [req]))
            await self._draw(uow, "order")
            result = release.place_order(uow.books, req, self.today(), uow.policy)
            self._entered(uow, req, result, p.by)
            return result

        return await self._once(p.key, "sales_order", ReleaseResult, work, order_number=True)

    async def _order_stock(
        self, uow: UnitOfWork, reqs: Sequence[OrderRequest]
    ) -> list[tuple[str, str]]:
        """The (product, warehouse) pairs of the orders still to load and lock, a line
        without a warehouse taking its product's own. When no line names a warehouse (the
        usual order) the products and their stock rows, locked, are read in one statement
        and nothing is left to lock."""
        lines = [ln for req in reqs for ln in req.lines]
        if not any(ln.warehouse for ln in lines):
            codes = sorted({ln.product for ln in lines})
            _, products = await uow.take_pairs(e.Stock, e.Product, _OWN_STOCK, {"codes": codes})
            unstocked = set(codes) - {x.code for x in products}
            if unstocked:  # no stock row in their warehouse: nothing to lock
                await uow.load(e.Product, C[e.Product].code.in_(unstocked))
            return []
        missing = {ln.product for ln in lines if not ln.warehouse}
        found: dict[str, str] = {}
        if missing:
            products = await uow.load(e.Product, C[e.Product].code.in_(missing))
            found = {p.code: p.warehouse for p in products}
        return [(ln.product, ln.warehouse or found.get(ln.product, "01")) for ln in lines]

    async def _prices(self, uow: UnitOfWork, reqs: Sequence[OrderRequest]) -> None:
        """Load the orders' price tables (named, or the customer's) and their prices."""
        tables: set[str] = set()
        for req in reqs:
            cust = uow.books.get(e.Customer, req.customer_code, req.customer_store)
            tables |= {t for t in (req.price_table, cust.price_table if cust else "") if t}
        if not tables:
            return
        await uow.load(e.PriceTable, C[e.PriceTable].code.in_(tables))
        i = C[e.PriceTableItem]
        products = {ln.product for req in reqs for ln in req.lines}
        await uow.load(e.PriceTableItem, i.table.in_(tables), i.product.in_(products))

    def _history(
        self,
        uow: UnitOfWork,
        result: ReleaseResult,
        action: str,
        by: str,
        why: str,
        items: Sequence[str] | None,
    ) -> None:
        """One line of the order's history: who, when, why, and what the rules said."""
        judged = action in ("entered", "analysed", "re_analysed")  # the rules decided
        rules = (result.credit_reason, result.stock_reason) if judged else (result.stock_reason,)
        said = "; ".join(x for x in rules if x)
        note = f"{why} ({said})" if why and said else why or said
        uow.books.add(
            e.OrderEvent(
                id=f"{time.time_ns():020d}-{uow.books.new_id()[:8]}",  # sorts in time order
                order=result.order,
                at=self._clock(),
                action=action,
                by=by,
                why=note[:200],
                status=result.status,
                items=",".join(items or ())[:200],
            )
        )

    async def _on_order(
        self,
        number: str,
        act: Callable[[UnitOfWork, e.SalesOrder], ReleaseResult],
        *,
        action: str,
        by: str = "",
        why: str = "",
        items: Sequence[str] | None = None,
    ) -> ReleaseResult:
        async with self.write() as uow:
            order = await self._order(uow, number)
            result = act(uow, order)
            self._history(uow, result, action, by, why, items)
            uow.touch("sales_order", order.customer_code, order.customer_store, number)
            log.info("erp_order_" + action, order=number, status=result.status, by=by)
            return result

    async def release_order(
        self,
        number: str,
        *,
        items: Sequence[str] | None = None,
        with_stock: bool = True,
        by: str = "",
        why: str = "",
    ) -> ReleaseResult:
        """Release credit (and stock) of an order's blocked rows."""
        return await self._on_order(
            number,
            lambda u, o: release.release_credit(
                u.books, number, self.today(), items, with_stock=with_stock
            ),
            action="released",
            by=by,
            why=why,
            items=items,
        )

    async def release_order_stock(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Re-evaluate stock of an order's stock-blocked rows (02, or 03 blocked by hand)."""
        return await self._on_order(
            number,
            lambda u, o: release.release_stock(u.books, number, self.today(), items),
            action="stock_released",
            by=by,
            why=why,
            items=items,
        )

    async def evaluate_order(self, number: str, *, by: str = "") -> ReleaseResult:
        """A batch release attempt on one order (credit and stock, all items)."""
        return await self._on_order(
            number,
            lambda u, o: release.evaluate_order(
                u.books, number, self.today(), u.policy, automatic=True
            ),
            action="analysed",
            by=by,
        )

    async def reject_order(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Reject (09) an order's blocked rows."""
        return await self._on_order(
            number,
            lambda u, o: release.reject_order(u.books, number, self.today(), items),
            action="rejected",
            by=by,
            why=why,
            items=items,
        )

    async def hold_stock(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Block by hand (stock 03) an order's released, not invoiced rows."""
        return await self._on_order(
            number,
            lambda u, o: release.hold_stock(u.books, number, self.today(), items),
            action="stock_held",
            by=by,
            why=why,
            items=items,
        )

    async def reverse_release(
        self, number: str, *, items: Sequence[str] | None = None, by: str = "", why: str = ""
    ) -> ReleaseResult:
        """Reverse (05) an order's released, not invoiced rows."""
        return await self._on_order(
            number,
            lambda u, o: release.reverse_release(u.books, number, self.today(), items),
            action="reversed",
            by=by,
            why=why,
            items=items,
        )

    async def _customer_orders(self, uow: UnitOfWork, code: str, store: str) -> None:
        await self._lock_customers(uow, code, store)
        o = C[e.SalesOrder]
        held = await uow.load(
            e.SalesOrder,
            o.customer_code == code,
            o.customer_store == store,
            o.status == "blocked_credit",
        )
        for order in held:
            await self._order_body(uow, order.number)

    async def release_customer(
        self,
        code: str,
        store: str,
        *,
        up_to: Decimal | None = None,
        by: str = "",
        why: str = "",
    ) -> list[ReleaseResult]:
        """Release a customer's credit-blocked orders, oldest first, up to ``up_to``."""
        async with self.write() as uow:
            await self._customer_orders(uow, code, store)
            results = release.release_customer(uow.books, code, store, self.today(), up_to)
            for result in results:
                self._history(uow, result, "released", by, why, None)
            uow.touch("customer_release", code, store, "")
            return results

    async def reject_customer(
        self, code: str, store: str, *, by: str = "", why: str = ""
    ) -> list[ReleaseResult]:
        """Reject every credit-blocked order of the customer."""
        async with self.write() as uow:
            await self._customer_orders(uow, code, store)
            results = release.reject_customer(uow.books, code, store, self.today())
            for result in results:
                self._history(uow, result, "rejected", by, why, None)
            uow.touch("customer_release", code, store, "")
            return results

    async def history(self, number: str) -> list[e.OrderEvent]:
        """The order's history, oldest first."""
        async with self.read() as uow:
            found = await uow.load(e.OrderEvent, C[e.OrderEvent].order == number)
        for event in found:
            event.at = as_utc(event.at).astimezone(UTC)
        return sorted(found, key=lambda x: x.id)

    async def invoice(self, number: str) -> InvoiceResult:
        """Invoice an order's released rows."""
        async with self.write() as uow:
            order = await self._order(uow, number, for_invoice=True)
            result = invoicing.invoice_order(uow.books, number, self.today())
            uow.touch("sales_order", order.customer_code, order.customer_store, number)
            return result

    async def invoice_run(self) -> list[InvoiceResult]:
        """Invoice every released or partly released order (one transaction each)."""
        o = C[e.SalesOrder]
        async with self._engine.connect() as conn:
            numbers = (
                await conn.scalars(
                    sa.select(o.number)
                    .where(o.status.in_(["released", "partly_released"]))
                    .order_by(o.number)
                )
            ).all()
        results = []
        for number in numbers:
            try:
                results.append(await self.invoice(number))
            except ErpError as err:
                log.info("erp_invoice_skipped", order=number, code=err.code)
        return results

    async def production_run(self) -> list[e.ProductionOrder]:
        """Production orders for released manufactured items short of stock."""
        async with self.write() as uow:
            made = await uow.load(e.Product, C[e.Product].kind == "manufactured")
            codes = [p.code for p in made]
            i = C[e.OrderItem]
            items = await uow.load(
                e.OrderItem, i.product.in_(codes), i.production.in_(["", "credit_blocked"])
            )
            bom = await uow.load(e.BomLine, C[e.BomLine].product.in_(codes))
            parts = [
                (b.component, x.warehouse) for x in items for b in bom if b.product == x.product
            ]
            await self._stock(uow, [*((x.product, x.warehouse) for x in items), *parts])
            await uow.load(e.ReleaseRow, C[e.ReleaseRow].order.in_({x.order for x in items}))
            await self._sequence(uow, "production")
            created = production_run(uow.books, self.today())
            for po in created:
                uow.touch("production_order", "", "", po.number)
            return created


def _replays(
    batch: list[_Placement], stored: Mapping[str, str]
) -> list[ReleaseResult | BaseException | None]:
    """Each placement's stored answer when its idempotency key was used before (else None:
    the order is still to enter)."""
    outcomes: list[ReleaseResult | BaseException | None] = [None] * len(batch)
    for n, p in enumerate(batch):
        if p.key is not None and p.key in stored:
            log.info("erp_idempotent_replay", key=p.key, operation="sales_order")
            outcomes[n] = _RESULT.validate_json(stored[p.key])
    return outcomes
