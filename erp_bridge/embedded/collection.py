"""Collection on the embedded ERP: payments, promises to pay, the overdue list."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from erp_bridge.domain import collection
from erp_bridge.domain import entities as e
from erp_bridge.domain.collection import CollectionItem, TitleKey
from erp_bridge.domain.errors import not_found
from erp_bridge.embedded.store import C, ErpStore
from erp_bridge.embedded.uow import UnitOfWork
from erp_bridge.port import (
    PromiseRequest,
    PromiseResult,
)


class CollectionDesk(ErpStore):
    """Telecobrança operations of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`."""

    async def receive_payment(self, key: TitleKey, amount: Decimal) -> e.Payment:
        """Money received on a title (keeps or breaks promises of its customer)."""
        async with self.write() as uow:
            r = C[e.Receivable]
            head = (
                await uow.conn.execute(
                    sa.select(r.customer_code, r.customer_store).where(
                        r.prefix == key[0], r.number == key[1], r.installment == key[2]
                    )
                )
            ).first()
            if head is None:
                raise not_found("title", "-".join(key))
            await self._lock_customers(uow, head.customer_code, head.customer_store)
            await uow.load(
                e.Receivable, r.prefix == key[0], r.number == key[1], r.installment == key[2]
            )
            await self._promises(uow, head.customer_code, head.customer_store)
            payment = collection.pay_title(uow.books, key, amount, self.today())
            uow.touch("payment", head.customer_code, head.customer_store, "-".join(key))
            return payment

    async def _promises(self, uow: UnitOfWork, code: str, store: str) -> None:
        p = C[e.Promise]
        promises = await uow.load(
            e.Promise, p.customer_code == code, p.customer_store == store, p.status == "open"
        )
        pt = C[e.PromiseTitle]
        titles = await uow.load(e.PromiseTitle, pt.promise.in_([x.id for x in promises]))
        r, pay = C[e.Receivable], C[e.Payment]
        for t in titles:
            await uow.load(
                e.Receivable,
                r.prefix == t.prefix,
                r.number == t.number,
                r.installment == t.installment,
            )
            await uow.load(
                e.Payment,
                pay.prefix == t.prefix,
                pay.number == t.number,
                pay.installment == t.installment,
            )

    async def register_promise(
        self, req: PromiseRequest, *, idempotency_key: str | None = None
    ) -> PromiseResult:
        """Record a promise to pay."""

        async def work(uow: UnitOfWork) -> PromiseResult:
            await self._lock_customers(uow, req.customer_code, req.customer_store)
            r = C[e.Receivable]
            for k in req.titles:
                await uow.load(
                    e.Receivable, r.prefix == k[0], r.number == k[1], r.installment == k[2]
                )
            promise = collection.register_promise(
                uow.books,
                req.customer_code,
                req.customer_store,
                list(req.titles),
                req.promised_on,
                req.amount,
                self.today(),
                req.operator,
                self._policy.collection.max_promise_days,
            )
            uow.touch("promise", req.customer_code, req.customer_store, promise.id)
            return PromiseResult(
                promise.id,
                promise.customer_code,
                promise.customer_store,
                promise.promised_on,
                promise.amount,
                promise.status,
            )

        return await self._once(idempotency_key, "promise", PromiseResult, work)

    async def settle_promises(self) -> list[e.Promise]:
        """Mark open promises kept or broken as of today (the collection run)."""
        async with self.write() as uow:
            p = C[e.Promise]
            due = await uow.load(e.Promise, p.status == "open", p.promised_on < self.today())
            for code, store in sorted({(x.customer_code, x.customer_store) for x in due}):
                await self._lock_customers(uow, code, store)
                await self._promises(uow, code, store)
            changed = collection.settle_promises(uow.books, self.today())
            for promise in changed:
                uow.touch("promise", promise.customer_code, promise.customer_store, promise.id)
            return changed

    async def overdue_titles(self, *, min_days: int = 1) -> list[CollectionItem]:
        """Overdue titles for collection."""
        async with self.read() as uow:
            r = C[e.Receivable]
            await uow.load(e.Receivable, r.status == "open", r.due < self.today())
            promises = await uow.load(e.Promise, C[e.Promise].status.in_(["open", "broken"]))
            await uow.load(e.PromiseTitle, C[e.PromiseTitle].promise.in_([p.id for p in promises]))
            return collection.overdue_titles(
                uow.books, self.today(), self._policy.daily_interest, min_days
            )
