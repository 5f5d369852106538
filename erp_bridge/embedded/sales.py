"""Sales orders on the embedded ERP: entry, releases, rejections, invoicing, batch runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

import sqlalchemy as sa

from erp_bridge.domain import entities as e
from erp_bridge.domain import invoicing, release
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.domain.orders import OrderRequest, ReleaseResult
from erp_bridge.domain.production import production_run
from erp_bridge.embedded.store import C, ErpStore, R, log
from erp_bridge.embedded.uow import UnitOfWork


class SalesDesk(ErpStore):
    """Faturamento operations of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`."""

    async def create_sales_order(
        self, req: OrderRequest, *, idempotency_key: str | None = None
    ) -> ReleaseResult:
        """Enter the order and run the automatic release."""

        async def work(uow: UnitOfWork) -> ReleaseResult:
            await self._lock_customers(uow, req.customer_code, req.customer_store)
            await self._reference(uow)
            await self._stock(uow, ((ln.product, ln.warehouse) for ln in req.lines))
            await self._sequence(uow, "order")
            result = release.place_order(uow.books, req, self.today(), self._policy)
            uow.touch("sales_order", req.customer_code, req.customer_store, result.order)
            log.info("erp_order_created", order=result.order, status=result.status)
            return result

        return await self._once(idempotency_key, "sales_order", ReleaseResult, work)

    async def _on_order(
        self,
        number: str,
        act: Callable[[UnitOfWork, e.SalesOrder], R],
        *,
        for_invoice: bool = False,
    ) -> R:
        async with self.write() as uow:
            order = await self._order(uow, number, for_invoice=for_invoice)
            result = act(uow, order)
            uow.touch("sales_order", order.customer_code, order.customer_store, number)
            return result

    async def release_order(
        self, number: str, *, items: Sequence[str] | None = None, with_stock: bool = True
    ) -> ReleaseResult:
        """Release credit (and stock) of an order's blocked rows."""
        return await self._on_order(
            number,
            lambda u, o: release.release_credit(
                u.books, number, self.today(), items, with_stock=with_stock
            ),
        )

    async def release_order_stock(
        self, number: str, *, items: Sequence[str] | None = None
    ) -> ReleaseResult:
        """Re-evaluate stock of an order's stock-blocked rows."""
        return await self._on_order(
            number, lambda u, o: release.release_stock(u.books, number, self.today(), items)
        )

    async def evaluate_order(self, number: str) -> ReleaseResult:
        """A batch release attempt on one order (credit and stock, all items)."""
        return await self._on_order(
            number,
            lambda u, o: release.evaluate_order(
                u.books, number, self.today(), self._policy, automatic=True
            ),
        )

    async def reject_order(
        self, number: str, *, items: Sequence[str] | None = None
    ) -> ReleaseResult:
        """Reject (09) an order's blocked rows."""
        return await self._on_order(
            number, lambda u, o: release.reject_order(u.books, number, self.today(), items)
        )

    async def hold_stock(self, number: str, *, items: Sequence[str] | None = None) -> ReleaseResult:
        """Block by hand (stock 03) an order's released, not invoiced rows."""
        return await self._on_order(
            number, lambda u, o: release.hold_stock(u.books, number, self.today(), items)
        )

    async def reverse_release(
        self, number: str, *, items: Sequence[str] | None = None
    ) -> ReleaseResult:
        """Reverse (05) an order's released, not invoiced rows."""
        return await self._on_order(
            number, lambda u, o: release.reverse_release(u.books, number, self.today(), items)
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
        self, code: str, store: str, *, up_to: Decimal | None = None
    ) -> list[ReleaseResult]:
        """Release a customer's credit-blocked orders, oldest first, up to ``up_to``."""
        async with self.write() as uow:
            await self._customer_orders(uow, code, store)
            results = release.release_customer(uow.books, code, store, self.today(), up_to)
            uow.touch("customer_release", code, store, "")
            return results

    async def reject_customer(self, code: str, store: str) -> list[ReleaseResult]:
        """Reject every credit-blocked order of the customer."""
        async with self.write() as uow:
            await self._customer_orders(uow, code, store)
            results = release.reject_customer(uow.books, code, store, self.today())
            uow.touch("customer_release", code, store, "")
            return results

    async def invoice(self, number: str) -> InvoiceResult:
        """Invoice an order's released rows."""
        return await self._on_order(
            number,
            lambda u, o: invoicing.invoice_order(u.books, number, self.today()),
            for_invoice=True,
        )

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
            await self._stock(uow, ((x.product, x.warehouse) for x in items))
            await uow.load(e.ReleaseRow, C[e.ReleaseRow].order.in_({x.order for x in items}))
            await uow.load(e.BomLine, C[e.BomLine].product.in_(codes))
            await self._sequence(uow, "production")
            created = production_run(uow.books, self.today())
            for po in created:
                uow.touch("production_order", "", "", po.number)
            return created
