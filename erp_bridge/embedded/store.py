"""The embedded ERP's foundation: transactions, idempotency, and loading the rows an operation
needs, locked in one order everywhere (customers, then stock, then document sequences, each in
key order) so concurrent calls on PostgreSQL queue instead of deadlocking; SQLite writes are
serialized per engine."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from erp_bridge.domain import entities as e
from erp_bridge.domain.audit import audit
from erp_bridge.domain.errors import not_found
from erp_bridge.domain.parameters import policy_of
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.embedded.tables import TABLES, idempotency
from erp_bridge.embedded.uow import STAMP, UnitOfWork

log = structlog.get_logger("erp_bridge.embedded")
R = TypeVar("R")
C = {cls: TABLES[cls].c for cls in e.ENTITIES}


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass
class _Kept:
    """The site's policy, operation types and payment terms as of one reference stamp."""

    stamp: int
    policy: ReleasePolicy
    refs: list[Any] | None = None  # operation types and payment terms, once loaded


# the reference stamp with ``n`` order numbers (PostgreSQL), one row per number
_STAMP_AND_NUMBERS = (
    sa.select(C[e.Sequence].value, sa.func.nextval("erp_order_seq"))
    .select_from(
        TABLES[e.Sequence].join(
            sa.func.generate_series(1, sa.bindparam("n", type_=sa.Integer)).table_valued("n"),
            sa.true(),
        )
    )
    .where(C[e.Sequence].name == STAMP)
)

# the loads of a batch of orders, built once (values bound at each use); write transactions
# only: on PostgreSQL the rows are locked (SQLite leaves the clause out)
_CUSTOMERS_OF = sa.select(TABLES[e.Customer]).order_by(C[e.Customer].code, C[e.Customer].store)
_CUSTOMERS = _CUSTOMERS_OF.where(
    sa.tuple_(C[e.Customer].code, C[e.Customer].store).in_(sa.bindparam("pairs", expanding=True))
).with_for_update()
_CUSTOMER_CODES = _CUSTOMERS_OF.where(
    C[e.Customer].code.in_(sa.bindparam("codes", expanding=True))
).with_for_update()
_OPEN_TITLES = sa.select(TABLES[e.Receivable]).where(
    sa.tuple_(C[e.Receivable].customer_code, C[e.Receivable].customer_store).in_(
        sa.bindparam("pairs", expanding=True)
    ),
    C[e.Receivable].status == "open",
)

# SQLite writes of every EmbeddedErp on one engine go one at a time (one process)
_SQLITE_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


class ErpStore:
    """Transactions and loaders shared by the embedded ERP's desks."""

    def __init__(
        self,
        engine: AsyncEngine,
        policy: ReleasePolicy | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        timezone: str = "America/Sao_Paulo",
        site: str = "01",
    ) -> None:
        self._engine = engine
        self._site = site
        self._policy = policy or ReleasePolicy()
        self._clock = clock
        self._tz = ZoneInfo(timezone)
        self._pg = engine.dialect.name == "postgresql"
        self._serial = _SQLITE_WRITERS.setdefault(engine, asyncio.Lock())
        self._kept: _Kept | None = None

    def today(self) -> date:
        """Today in the ERP's time zone, from the injected clock."""
        return self._clock().astimezone(self._tz).date()

    # -- transactions -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def write(
        self, *, order_numbers: int = 0, on: AsyncConnection | None = None
    ) -> AsyncIterator[UnitOfWork]:
        """A write transaction; changes are flushed when the block ends without error.
        ``order_numbers``: on PostgreSQL that many order numbers are drawn with the first
        read (``uow.drawn``). ``on``: a connection already held (else one from the pool)."""
        guard = contextlib.nullcontext() if self._pg else self._serial
        async with guard, _transaction(self._engine, on) as conn:
            uow = UnitOfWork(conn, lock=self._pg)
            uow.policy = await self._site_policy(
                uow, order_numbers=order_numbers if self._pg else 0
            )
            yield uow
            await uow.flush(self._clock())

    async def _site_policy(self, uow: UnitOfWork, *, order_numbers: int) -> ReleasePolicy:
        """The release policy with the site's stored parameters as of this transaction: the
        reference stamp is read first; the parameters are read again only when it moved (a
        change of parameters, operation types or payment terms, by any process, raises it in
        the changing transaction). ``order_numbers``: that many numbers of the order sequence
        are drawn in the same statement (PostgreSQL)."""
        s = C[e.Sequence]
        if order_numbers:
            rows = (await uow.conn.execute(_STAMP_AND_NUMBERS, {"n": order_numbers})).all()
            if rows:
                uow.stamp, uow.drawn = rows[0][0], sorted(int(row[1]) for row in rows)
        else:
            uow.stamp = await uow.conn.scalar(sa.select(s.value).where(s.name == STAMP))
        return await self._stamped_policy(uow)

    async def _stamped_policy(self, uow: UnitOfWork) -> ReleasePolicy:
        """The release policy as of ``uow.stamp`` (read by the transaction): the kept one
        while the stamp is its, else the site's parameters read again (and kept)."""
        kept = self._kept
        if kept is not None and uow.stamp is not None and kept.stamp == uow.stamp:
            return kept.policy
        p = C[e.Parameter]
        rows = (
            await uow.conn.execute(sa.select(p.name, p.value).where(p.site == self._site))
        ).all()
        policy = policy_of(self._policy, {name: value for name, value in rows})
        self._kept = None if uow.stamp is None else _Kept(uow.stamp, policy)
        return policy

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """A read-only view (nothing written back)."""
        async with self._engine.connect() as conn:
            yield UnitOfWork(conn, lock=False)

    def connect(self) -> AsyncConnection:
        """A bare connection for a single read that loads no records (a customer search):
        no unit of work, books or policy built for it."""
        return self._engine.connect()

    async def _once(
        self,
        key: str | None,
        operation: str,
        result_type: type[R],
        work: Callable[[UnitOfWork], Awaitable[R]],
        *,
        order_number: bool = False,
    ) -> R:
        """Run ``work`` in a write transaction, at most once per idempotency ``key``."""
        numbers = 1 if order_number else 0
        if key is None:
            async with self.write(order_numbers=numbers) as uow:
                return await work(uow)
        codec = TypeAdapter(result_type)
        for attempt in (1, 2):
            try:
                async with self.write(order_numbers=numbers) as uow:
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
        if uow.policy.credit.scope != "all":
            where.append(C[e.Customer].store == store)
        found = await uow.load(e.Customer, *where, lock=True)
        if not any(c.store == store for c in found):
            raise not_found("customer", f"{code}/{store}")
        # read after the lock, in a statement of its own: a join locking the customers would
        # bring titles as they were before waiting for the lock (a payment or an invoice
        # committed meanwhile would be lost)
        t = C[e.Receivable]
        stores = [c.store for c in found]
        await uow.load(
            e.Receivable, t.customer_code == code, t.customer_store.in_(stores), t.status == "open"
        )

    async def _lock_order_customers(
        self, uow: UnitOfWork, customers: Iterable[tuple[str, str]]
    ) -> None:
        """Lock the customers of several orders in one statement, in key order (every store of
        their codes under scope ``all``), then load their open titles (as
        :meth:`_lock_customers`); a customer not found is left for the core to refuse."""
        pairs = sorted(set(customers))
        if not pairs:
            return
        if uow.policy.credit.scope == "all":
            codes = sorted({code for code, _ in pairs})
            found = await uow.take(e.Customer, _CUSTOMER_CODES, {"codes": codes})
        else:
            found = await uow.take(e.Customer, _CUSTOMERS, {"pairs": pairs})
        await self._open_titles(uow, [(x.code, x.store) for x in found])

    async def _open_titles(self, uow: UnitOfWork, customers: list[tuple[str, str]]) -> None:
        """The open titles of ``customers`` (code, store), read after their lock."""
        if customers:
            await uow.take(e.Receivable, _OPEN_TITLES, {"pairs": customers})

    async def _reference(self, uow: UnitOfWork) -> None:
        """Operation types and payment terms: copies of the kept ones while the reference
        stamp read by this transaction is theirs, else read (and kept)."""
        kept = self._kept
        if kept is not None and kept.stamp == uow.stamp and kept.refs is not None:
            uow.adopt([dataclasses.replace(r) for r in kept.refs])
            return
        found: list[Any] = [*await uow.load(e.OperationType), *await uow.load(e.PaymentTerms)]
        if kept is not None and kept.stamp == uow.stamp and all(map(uow.stored, found)):
            kept.refs = [dataclasses.replace(r) for r in found]

    async def _stock(self, uow: UnitOfWork, pairs: Iterable[tuple[str, str]]) -> None:
        pairs = sorted(set(pairs))
        if not pairs:
            return
        missing = {p for p, _ in pairs if uow.books.get(e.Product, p) is None}
        if missing:
            await uow.load(e.Product, C[e.Product].code.in_(missing))
        s = C[e.Stock]
        warehouses = {w for _, w in pairs}
        if len(warehouses) == 1:  # the usual order: one IN list, one cached statement
            where = sa.and_(s.warehouse == warehouses.pop(), s.product.in_([p for p, _ in pairs]))
        else:
            where = sa.or_(*(sa.and_(s.product == p, s.warehouse == w) for p, w in pairs))
        await uow.load(e.Stock, where, lock=True)

    async def _draw(self, uow: UnitOfWork, name: str) -> None:
        """The next order number: on PostgreSQL from the ``erp_order_seq`` sequence (no row
        held while the order is written; a failed order leaves a gap, as order numbers may),
        elsewhere from the locked sequence row (:meth:`_sequence`)."""
        if not (self._pg and name == "order"):
            if uow.books.get(e.Sequence, name) is None:  # else locked by an earlier order
                await self._sequence(uow, name)
            return
        if name in uow.books.taken:  # drawn, not used yet (the order before was refused)
            return
        if uow.drawn:  # drawn with the transaction's first read
            uow.books.taken[name] = uow.drawn.pop(0)
            return
        value = await uow.conn.scalar(sa.text("SELECT nextval('erp_order_seq')"))
        uow.books.taken[name] = int(value)

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

    async def prune_idempotency(self, older_than: datetime) -> int:
        """Forget idempotency keys recorded before ``older_than`` (after the outbox's longest
        retry window); returns how many were removed."""
        async with self._engine.begin() as conn:
            done = await conn.execute(
                idempotency.delete().where(idempotency.c.created_at < older_than)
            )
        return int(done.rowcount or 0)

    async def snapshot(self) -> UnitOfWork:
        """Every record, read in one go (tests, consistency checks, small demo databases)."""
        async with self.read() as uow:
            for cls in e.ENTITIES:
                await uow.load(cls)
            return uow

    async def audit(self) -> list[str]:
        """Discrepancies between kept balances and documents (empty when consistent)."""
        return audit((await self.snapshot()).books)


@contextlib.asynccontextmanager
async def _transaction(
    engine: AsyncEngine, conn: AsyncConnection | None
) -> AsyncIterator[AsyncConnection]:
    """A transaction on ``conn``, or on a connection from the pool."""
    if conn is None:
        async with engine.begin() as fresh:
            yield fresh
        return
    async with conn.begin():
        yield conn


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def eq_where(cls: type, values: dict[str, Any]) -> list[Any]:
    return [C[cls][k] == v for k, v in values.items()]
