"""The embedded ERP behind the port, on SQLAlchemy async (SQLite and PostgreSQL).

Each write runs in one transaction: lock the customer rows (all stores when credit scope is
``all``), then stock rows, then document sequences, always in that order and in key order, so
concurrent calls on PostgreSQL queue instead of deadlocking; on SQLite writes are serialized.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from erp_bridge.domain import collection, field_service, invoicing, release
from erp_bridge.domain import entities as e
from erp_bridge.domain.audit import audit
from erp_bridge.domain.collection import CollectionItem, TitleKey
from erp_bridge.domain.errors import ErpError, not_found
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.domain.invoicing import InvoiceResult
from erp_bridge.domain.orders import OrderRequest, ReleaseResult
from erp_bridge.domain.phones import normalize_phone
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.position import CustomerPosition, customer_position
from erp_bridge.domain.production import production_run
from erp_bridge.domain.taxid import normalize_tax_id
from erp_bridge.embedded.tables import TABLES, changes, idempotency
from erp_bridge.embedded.uow import UnitOfWork
from erp_bridge.port import (
    Change,
    CustomerRef,
    ErpPort,
    ProductStock,
    PromiseRequest,
    PromiseResult,
    TicketResult,
    TicketUpdate,
)

log = structlog.get_logger("erp_bridge.embedded")
R = TypeVar("R")
C = {cls: TABLES[cls].c for cls in e.ENTITIES}


def _utcnow() -> datetime:
    return datetime.now(UTC)


# SQLite writes of every EmbeddedErp on one engine go one at a time (one process)
_SQLITE_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


class EmbeddedErp:
    """Implements :class:`erp_bridge.port.ErpPort` on the engine's database."""

    def __init__(
        self,
        engine: AsyncEngine,
        policy: ReleasePolicy | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        timezone: str = "America/Sao_Paulo",
    ) -> None:
        self._engine = engine
        self._policy = policy or ReleasePolicy()
        self._clock = clock
        self._tz = ZoneInfo(timezone)
        self._pg = engine.dialect.name == "postgresql"
        self._serial = _SQLITE_WRITERS.setdefault(engine, asyncio.Lock())

    def today(self) -> date:
        """Today in the ERP's time zone, from the injected clock."""
        return self._clock().astimezone(self._tz).date()

    # -- transactions -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[UnitOfWork]:
        """A write transaction; changes are flushed when the block ends without error."""
        guard = contextlib.nullcontext() if self._pg else self._serial
        async with guard, self._engine.begin() as conn:
            uow = UnitOfWork(conn, lock=self._pg)
            yield uow
            await uow.flush(self._clock())

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """A read-only view (nothing written back)."""
        async with self._engine.connect() as conn:
            yield UnitOfWork(conn, lock=False)

    async def _once(
        self,
        key: str | None,
        operation: str,
        result_type: type[R],
        work: Callable[[UnitOfWork], Awaitable[R]],
    ) -> R:
        """Run ``work`` in a write transaction, at most once per idempotency ``key``."""
        if key is None:
            async with self.write() as uow:
                return await work(uow)
        codec = TypeAdapter(result_type)
        for attempt in (1, 2):
            try:
                async with self.write() as uow:
                    stored = await uow.conn.scalar(
                        sa.select(idempotency.c.result).where(idempotency.c.key == key)
                    )
                    if stored is not None:
                        log.info("erp_idempotent_replay", key=key, operation=operation)
                        return codec.validate_json(stored)
                    await uow.conn.execute(
                        idempotency.insert().values(
                            key=key, operation=operation, result="", created_at=self._clock()
                        )
                    )
                    result = await work(uow)
                    await uow.conn.execute(
                        idempotency.update()
                        .where(idempotency.c.key == key)
                        .values(result=codec.dump_json(result).decode())
                    )
                    return result
            except IntegrityError:
                if attempt == 2:
                    raise
                log.info("erp_idempotent_race", key=key, operation=operation)
        raise AssertionError("unreachable")

    # -- loading ------------------------------------------------------------------------------

    async def _lock_customers(self, uow: UnitOfWork, code: str, store: str) -> None:
        """Lock the customer (every store under scope ``all``) and load its open titles."""
        where = [C[e.Customer].code == code]
        if self._policy.credit.scope != "all":
            where.append(C[e.Customer].store == store)
        found = await uow.load(e.Customer, *where, lock=True)
        if not any(c.store == store for c in found):
            raise not_found("customer", f"{code}/{store}")
        t = C[e.Receivable]
        stores = [c.store for c in found]
        await uow.load(
            e.Receivable, t.customer_code == code, t.customer_store.in_(stores), t.status == "open"
        )

    async def _reference(self, uow: UnitOfWork) -> None:
        await uow.load(e.OperationType)
        await uow.load(e.PaymentTerms)

    async def _stock(self, uow: UnitOfWork, pairs: Iterable[tuple[str, str]]) -> None:
        pairs = sorted(set(pairs))
        if not pairs:
            return
        await uow.load(e.Product, C[e.Product].code.in_({p for p, _ in pairs}))
        s = C[e.Stock]
        await uow.load(
            e.Stock,
            sa.or_(*(sa.and_(s.product == p, s.warehouse == w) for p, w in pairs)),
            lock=True,
        )

    async def _sequence(self, uow: UnitOfWork, name: str) -> None:
        await uow.load(e.Sequence, C[e.Sequence].name == name, lock=True)

    async def _order(
        self, uow: UnitOfWork, number: str, *, for_invoice: bool = False
    ) -> e.SalesOrder:
        """Lock the order's customer, then load the order, its items, rows and stock."""
        o = C[e.SalesOrder]
        head = (
            await uow.conn.execute(
                sa.select(o.customer_code, o.customer_store).where(o.number == number)
            )
        ).first()
        if head is None:
            raise not_found("order", number)
        await self._lock_customers(uow, head.customer_code, head.customer_store)
        return await self._order_body(uow, number, for_invoice=for_invoice)

    async def _order_body(
        self, uow: UnitOfWork, number: str, *, for_invoice: bool = False
    ) -> e.SalesOrder:
        (order,) = await uow.load(e.SalesOrder, C[e.SalesOrder].number == number)
        items = await uow.load(e.OrderItem, C[e.OrderItem].order == number)
        await uow.load(e.ReleaseRow, C[e.ReleaseRow].order == number)
        await self._reference(uow)
        await self._stock(uow, ((i.product, i.warehouse) for i in items))
        if for_invoice:
            await uow.load(e.InvoiceItem, C[e.InvoiceItem].order == number)
            await self._sequence(uow, "invoice")
        return order

    # -- customers and products ---------------------------------------------------------------

    async def find_customers(
        self, *, phone: str | None = None, tax_id: str | None = None
    ) -> list[CustomerRef]:
        """Customers by phone (E.164 after parsing with Brazil as default) or by CPF/CNPJ."""
        c = C[e.Customer]
        if tax_id:
            where: Any = c.tax_id == normalize_tax_id(tax_id)
        elif phone:
            e164 = normalize_phone(phone)
            where = sa.or_(c.phone == e164, c.phone2 == e164)
        else:
            raise ErpError("search_empty", "give a phone or a tax id")
        async with self.read() as uow:
            found = await uow.load(e.Customer, where)
        return [
            CustomerRef(x.code, x.store, x.name, x.tax_id, x.phone, x.risk, x.blocked)
            for x in sorted(found, key=lambda x: (x.code, x.store))
        ]

    async def customer_position(self, code: str, store: str) -> CustomerPosition:
        """The customer position, read in one snapshot."""
        async with self.read() as uow:
            cust = {"customer_code": code, "customer_store": store}
            await uow.load(e.Customer, C[e.Customer].code == code, C[e.Customer].store == store)
            await uow.load(e.Receivable, *_eq(e.Receivable, cust))
            orders = await uow.load(e.SalesOrder, *_eq(e.SalesOrder, cust))
            numbers = [o.number for o in orders]
            await uow.load(e.OrderItem, C[e.OrderItem].order.in_(numbers))
            await uow.load(e.Invoice, *_eq(e.Invoice, cust))
            return customer_position(
                uow.books, code, store, self.today(), self._policy.daily_interest
            )

    async def products(
        self, codes: Sequence[str] | None = None, *, warehouse: str = "01", search: str = ""
    ) -> list[ProductStock]:
        """Products with stock in ``warehouse``."""
        p, s = C[e.Product], C[e.Stock]
        where: list[Any] = []
        if codes is not None:
            where.append(p.code.in_(list(codes)))
        if search:
            where.append(sa.or_(p.code.ilike(f"%{search}%"), p.description.ilike(f"%{search}%")))
        async with self.read() as uow:
            products = await uow.load(e.Product, *where)
            await uow.load(
                e.Stock, s.warehouse == warehouse, s.product.in_([x.code for x in products])
            )
            out = []
            for prod in sorted(products, key=lambda x: x.code):
                st = uow.books.get(e.Stock, prod.code, warehouse) or e.Stock(prod.code, warehouse)
                out.append(
                    ProductStock(
                        prod.code,
                        prod.description,
                        prod.kind,
                        prod.unit,
                        prod.list_price,
                        warehouse,
                        st.on_hand,
                        st.available(),
                        st.incoming,
                    )
                )
            return out

    # -- sales orders -------------------------------------------------------------------------

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

    # -- collection ---------------------------------------------------------------------------

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

    # -- field service ------------------------------------------------------------------------

    async def open_service_ticket(
        self, req: TicketRequest, *, idempotency_key: str | None = None
    ) -> TicketResult:
        """Open a service call."""

        async def work(uow: UnitOfWork) -> TicketResult:
            await self._lock_customers(uow, req.customer_code, req.customer_store)
            await uow.load(e.Product, C[e.Product].code == req.product)
            b = C[e.InstalledBase]
            await uow.load(e.InstalledBase, b.product == req.product, b.serial == req.serial)
            await self._sequence(uow, "ticket")
            ticket = field_service.open_ticket(uow.books, req, self.today())
            uow.touch("service_ticket", req.customer_code, req.customer_store, ticket.number)
            return _ticket_result(uow, ticket)

        return await self._once(idempotency_key, "service_ticket", TicketResult, work)

    async def update_service_ticket(self, number: str, update: TicketUpdate) -> TicketResult:
        """Note, work order, visit or close."""
        async with self.write() as uow:
            t = C[e.ServiceTicket]
            head = (
                await uow.conn.execute(
                    sa.select(t.customer_code, t.customer_store).where(t.number == number)
                )
            ).first()
            if head is None:
                raise not_found("ticket", number)
            await self._lock_customers(uow, head.customer_code, head.customer_store)
            (ticket,) = await uow.load(e.ServiceTicket, t.number == number, lock=True)
            if ticket.work_order:
                await uow.load(e.WorkOrder, C[e.WorkOrder].number == ticket.work_order)
            today = self.today()
            if update.note:
                field_service.add_note(uow.books, number, update.note)
            if update.work_lines:
                await uow.load(
                    e.Product, C[e.Product].code.in_([w.product for w in update.work_lines])
                )
                await self._sequence(uow, "work_order")
                field_service.make_work_order(uow.books, number, update.work_lines, today)
            if update.visit is not None:
                if not ticket.work_order:
                    raise ErpError("work_order_missing", f"ticket {number} has no work order")
                v = update.visit
                field_service.record_visit(
                    uow.books, ticket.work_order, v.technician, v.started_at, v.ended_at, v.closed
                )
            order = None
            if update.sales_order:
                if not ticket.work_order:
                    raise ErpError("work_order_missing", f"ticket {number} has no work order")
                lines = await uow.load(
                    e.WorkOrderLine, C[e.WorkOrderLine].work_order == ticket.work_order
                )
                await self._reference(uow)
                await uow.load(e.Product, C[e.Product].code.in_([ln.product for ln in lines]))
                await self._stock(uow, ((ln.product, "01") for ln in lines if ln.kind == "part"))
                await self._sequence(uow, "order")
                order = field_service.order_from_work_order(
                    uow.books, ticket.work_order, today, self._policy
                )
                uow.touch("sales_order", ticket.customer_code, ticket.customer_store, order.order)
            if update.close_work_order:
                field_service.close_work_order(uow.books, ticket.work_order)
            if update.close:
                field_service.close_ticket(uow.books, number, today)
            uow.touch("service_ticket", ticket.customer_code, ticket.customer_store, number)
            result = _ticket_result(uow, ticket)
            if order is not None:
                result = dataclasses.replace(
                    result, sales_order=order.order, order_status=order.status
                )
            return result

    async def prune_idempotency(self, older_than: datetime) -> int:
        """Forget idempotency keys recorded before ``older_than`` (after the outbox's longest
        retry window); returns how many were removed."""
        async with self._engine.begin() as conn:
            done = await conn.execute(
                idempotency.delete().where(idempotency.c.created_at < older_than)
            )
        return int(done.rowcount or 0)

    # -- change feed and audit ----------------------------------------------------------------

    async def changes(self, after: int = 0, limit: int = 500) -> list[Change]:
        """Change feed entries after ``after``."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(changes)
                    .where(changes.c.seq > after)
                    .order_by(changes.c.seq)
                    .limit(limit)
                )
            ).mappings()
            return [
                Change(
                    r["seq"],
                    r["kind"],
                    r["customer_code"],
                    r["customer_store"],
                    r["ref"],
                    _utc(r["at"]),
                )
                for r in rows
            ]

    async def snapshot(self) -> UnitOfWork:
        """Every record, read in one go (tests, consistency checks, small demo databases)."""
        async with self.read() as uow:
            for cls in e.ENTITIES:
                await uow.load(cls)
            return uow

    async def audit(self) -> list[str]:
        """Discrepancies between kept balances and documents (empty when consistent)."""
        return audit((await self.snapshot()).books)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _eq(cls: type, values: dict[str, Any]) -> list[Any]:
    return [C[cls][k] == v for k, v in values.items()]


def _ticket_result(uow: UnitOfWork, ticket: e.ServiceTicket) -> TicketResult:
    wo = uow.books.get(e.WorkOrder, ticket.work_order) if ticket.work_order else None
    return TicketResult(
        ticket.number,
        ticket.customer_code,
        ticket.customer_store,
        ticket.status,
        ticket.work_order,
        wo.status if wo else "",
        wo.sales_order if wo else "",
    )


def _conforms(erp: EmbeddedErp) -> ErpPort:
    return erp  # mypy checks the embedded ERP against the port
