"""Judging blocked orders again when what held them changes, as Protheus's automatic release
does: new stock (an input document, a stock count, a completed production order) re-judges
the items waiting for that stock; new credit data (a limit, risk or expiry changed, a payment)
re-judges the customer's credit-blocked orders. Each order in its own transaction; the result
goes into the order's history when it changed anything. Items blocked by hand (03) wait for a
person."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa

from erp_bridge.domain import entities as e
from erp_bridge.domain import production, release
from erp_bridge.domain.collection import TitleKey
from erp_bridge.domain.errors import ErpError, not_found
from erp_bridge.domain.master import Touched
from erp_bridge.domain.orders import release_result
from erp_bridge.embedded.collection import CollectionDesk
from erp_bridge.embedded.sales import SalesDesk
from erp_bridge.embedded.store import C, log
from erp_bridge.embedded.tables import TABLES

WAITING = ("blocked_stock", "partly_released", "blocked_credit", "open")


class ReanalysisDesk(SalesDesk, CollectionDesk):
    """Re-analysis of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`, and what triggers it
    here: completing production orders, receiving payments."""

    async def complete_production(self, number: str, quantity: Decimal) -> e.ProductionOrder:
        """Report ``quantity`` made on a production order; then the items waiting for the
        product are judged again."""
        async with self.write() as uow:
            found = await uow.load(e.ProductionOrder, C[e.ProductionOrder].number == number)
            if not found:
                raise not_found("production_order", number)
            po = found[0]
            parts = await uow.load(
                e.ProductionComponent, C[e.ProductionComponent].production_order == number
            )
            pairs = [(po.product, po.warehouse), *((c.component, po.warehouse) for c in parts)]
            await self._stock(uow, pairs)
            done = production.complete_production(uow.books, number, quantity, self.today())
            uow.touch("production_order", "", "", number)
            log.info("erp_production_completed", production_order=number, status=done.status)
        await self.reanalyse(Touched(stock={(done.product, done.warehouse)}))
        return done

    async def production_orders(self, *, status: str | None = None) -> list[e.ProductionOrder]:
        """Production orders (of one status), by number."""
        p = C[e.ProductionOrder]
        async with self.read() as uow:
            found = await uow.load(e.ProductionOrder, *([p.status == status] if status else []))
        return sorted(found, key=lambda x: x.number)

    async def receive_payment(self, key: TitleKey, amount: Decimal) -> e.Payment:
        """Money received on a title; then the customer's credit-blocked orders are judged
        again."""
        payment = await super().receive_payment(key, amount)
        r = C[e.Receivable]
        async with self._engine.connect() as conn:
            owner = (
                await conn.execute(
                    sa.select(r.customer_code, r.customer_store).where(
                        r.prefix == key[0], r.number == key[1], r.installment == key[2]
                    )
                )
            ).one()
        await self.reanalyse(Touched(credit={(owner.customer_code, owner.customer_store)}))
        return payment

    async def reanalyse(self, touched: Touched) -> list[str]:
        """Judge again the orders waiting on the touched stock or customers; answers the
        orders whose state changed."""
        numbers = await self._waiting_orders(touched.stock, touched.credit)
        changed = []
        for number in numbers:
            if await self._reanalyse_order(number):
                changed.append(number)
        return changed

    async def _waiting_orders(
        self, stock: Iterable[tuple[str, str]], customers: Iterable[tuple[str, str]]
    ) -> list[str]:
        o, i, r = C[e.SalesOrder], C[e.OrderItem], C[e.ReleaseRow]
        found: set[str] = set()
        pairs = sorted(set(stock))
        custs = sorted(set(customers))
        async with self._engine.connect() as conn:
            for start in range(0, len(pairs), 500):
                chunk = pairs[start : start + 500]
                query = (
                    sa.select(i.order, i.product, i.warehouse)
                    .join(TABLES[e.ReleaseRow], sa.and_(r.order == i.order, r.item == i.item))
                    .where(
                        i.product.in_({p for p, _ in chunk}),
                        i.warehouse.in_({w for _, w in chunk}),
                        r.stock_block == e.NO_STOCK,
                        r.credit_block == e.RELEASED,
                    )
                )
                wanted = set(chunk)
                found.update(
                    row.order
                    for row in await conn.execute(query)
                    if (row.product, row.warehouse) in wanted
                )
            for start in range(0, len(custs), 500):
                chunk = custs[start : start + 500]
                query = sa.select(o.number, o.customer_code, o.customer_store).where(
                    o.customer_code.in_({c for c, _ in chunk}),
                    o.customer_store.in_({st for _, st in chunk}),
                    o.status == "blocked_credit",
                )
                wanted = set(chunk)
                found.update(
                    row.number
                    for row in await conn.execute(query)
                    if (row.customer_code, row.customer_store) in wanted
                )
        return sorted(found)

    async def _reanalyse_order(self, number: str) -> bool:
        async with self.write() as uow:
            try:
                order = await self._order(uow, number)
            except ErpError:
                return False
            before = release_result(uow.books, order)
            result = release.evaluate_order(
                uow.books, number, self.today(), uow.policy, automatic=True
            )
            if result.lines == before.lines and result.status == before.status:
                return False
            self._history(uow, result, "re_analysed", "", "", None)
            uow.touch("sales_order", order.customer_code, order.customer_store, number)
            log.info("erp_order_re_analysed", order=number, status=result.status)
            return True
