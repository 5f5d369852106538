"""Loading records into the embedded ERP, and the demo ERP seed."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from erp_bridge.domain import collection, invoicing, release
from erp_bridge.domain import entities as e
from erp_bridge.domain.books import Books, key_of
from erp_bridge.domain.catalog import standard_operations, standard_terms
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.taxid import cnpj_check_digits
from erp_bridge.embedded.demo_data import (
    BOMS,
    CATALOGUE,
    cnpj,
    company,
    cpf,
    landline,
    mobile,
    person,
)
from erp_bridge.embedded.tables import TABLES
from erp_bridge.embedded.uow import UnitOfWork


async def add_records(engine: AsyncEngine, records: Iterable[Any]) -> None:
    """Insert or replace core records (customers, products, stock, ...) in one transaction:
    a record whose key exists replaces the stored one."""
    async with engine.begin() as conn:
        uow = UnitOfWork(conn, lock=False)
        by_type: dict[type, list[Any]] = {}
        for record in records:
            by_type.setdefault(type(record), []).append(record)
        for cls, group in by_type.items():
            await load_keys(uow, cls, [key_of(r) for r in group])
            uow.books.add_all(group)
        await uow.flush(datetime.now(UTC))


async def load_keys(
    uow: UnitOfWork, cls: type, keys: list[tuple[Any, ...]], *, lock: bool = False
) -> list[Any]:
    """Load the stored records of ``cls`` with these keys (in chunks)."""
    table = TABLES[cls]
    names: tuple[str, ...] = cls.KEY  # type: ignore[attr-defined]
    found: list[Any] = []
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        # each key column IN its values (indexes serve it on every database; a row-value IN
        # is scanned on PostgreSQL); the few extra rows it may bring are dropped
        where = [table.c[n].in_({k[i] for k in chunk}) for i, n in enumerate(names)]
        wanted = set(chunk)
        rows: list[Any] = await uow.load(cls, *where, lock=lock)
        found += [r for r in rows if key_of(r) in wanted]
    return found


async def sync_order_numbers(conn: AsyncConnection) -> None:
    """On PostgreSQL, move the order-number sequence past numbers given by the sequence row."""
    if conn.dialect.name != "postgresql":
        return
    seq = TABLES[e.Sequence].c
    used = await conn.scalar(sa.select(seq.value).where(seq.name == "order"))
    if used:
        await conn.execute(
            sa.text(
                "SELECT setval('erp_order_seq', GREATEST(:used, "
                "(SELECT last_value FROM erp_order_seq)))"
            ),
            {"used": used},
        )


@dataclass(frozen=True)
class SeedSummary:
    """What the demo seed created."""

    customers: int
    products: int
    orders: int
    invoices: int
    open_titles: int
    overdue_titles: int


async def seed_demo(
    engine: AsyncEngine,
    seed: int,
    *,
    customers: int = 300,
    today: date | None = None,
    policy: ReleasePolicy | None = None,
) -> SeedSummary:
    """Seed a demo ERP: ``customers`` customers across risks A..E (people with CPF, companies
    with CNPJ and sometimes a second store), the coffee catalogue with stock, and about 120 days
    of history (orders released, invoiced, partly paid) run through the real rules, which leaves
    open and overdue titles and some credit-blocked orders. Same ``seed``, same data.
    Refuses (``already_seeded``) when the ERP has customers."""
    rng = random.Random(seed)
    today = today or datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    policy = policy or ReleasePolicy()
    async with engine.begin() as conn:
        if await conn.scalar(sa.select(sa.func.count()).select_from(TABLES[e.Customer])):
            raise ErpError("already_seeded", "the ERP already has customers")
        uow = UnitOfWork(conn, lock=False)
        await uow.load(e.Sequence)
        books = uow.books
        books.new_id = lambda: f"{rng.getrandbits(64):016x}"
        await uow.load(e.OperationType)
        await uow.load(e.PaymentTerms)
        for ref in [*standard_operations(), *standard_terms()]:
            if books.get(type(ref), *key_of(ref)) is None:
                books.add(ref)
        _catalogue(books, rng)
        people = _customers(books, rng, customers)
        orders = _history(books, rng, people, today, policy)
        await uow.flush(datetime.now(UTC))
        await sync_order_numbers(conn)
    titles = [t for t in books.all(e.Receivable) if t.status == "open"]
    return SeedSummary(
        customers=len(books.all(e.Customer)),
        products=len(books.all(e.Product)),
        orders=orders,
        invoices=len(books.all(e.Invoice)),
        open_titles=len(titles),
        overdue_titles=sum(1 for t in titles if t.due < today),
    )


def _catalogue(books: Books, rng: random.Random) -> None:
    for code, description, kind, list_price in CATALOGUE:
        books.add(e.Product(code, description, kind, list_price=Decimal(list_price)))
        for warehouse in ("01", "02"):
            books.add(e.Stock(code, warehouse, on_hand=Decimal(rng.choice((0, 5, 40, 200, 900)))))
    for product, parts in BOMS.items():
        for component, qty in parts:
            books.add(e.BomLine(product, component, Decimal(qty)))


RISKS = ("A", "B", "B", "C", "C", "C", "D", "E")


def _customers(books: Books, rng: random.Random, count: int) -> list[e.Customer]:
    made = []
    for n in range(1, count + 1):
        is_company = rng.random() < 0.6
        risk = rng.choice(RISKS)
        limit = Decimal(rng.choice((0, 500, 2000, 5000, 20000, 80000)))
        expiry = None if rng.random() < 0.7 else date(2026, rng.randint(1, 12), rng.randint(1, 28))
        stores = 2 if is_company and rng.random() < 0.15 else 1
        base = cnpj(rng)[:8]
        name = company(rng) if is_company else person(rng)
        for store in range(1, stores + 1):
            tax = base + f"{store:04d}"
            made.append(
                books.add(
                    e.Customer(
                        code=f"{n:06d}",
                        store=f"{store:02d}",
                        name=name if store == 1 else f"{name} (filial {store})",
                        tax_id=tax + cnpj_check_digits(tax) if is_company else cpf(rng),
                        phone=mobile(rng),
                        phone2=landline(rng) if is_company else "",
                        seller=f"V{rng.randint(1, 12):03d}",
                        risk=risk,
                        size_class=rng.choice("ABC"),
                        credit_limit=limit,
                        credit_limit_expiry=expiry,
                        blocked=rng.random() < 0.03,
                        payment_terms=rng.choice(("001", "002", "003", "004")),
                        protested_titles=rng.choice((0, 0, 0, 1, 2)),
                        returned_cheques=rng.choice((0, 0, 0, 0, 1)),
                    )
                )
            )
    return made


def _history(
    books: Books, rng: random.Random, people: list[e.Customer], today: date, policy: ReleasePolicy
) -> int:
    """About 120 days of orders, invoices and payments, day by day, through the core."""
    orders = 0
    products = [p for p in books.all(e.Product) if not p.code.startswith("SRV")]
    active = [c for c in people if not c.blocked]
    for back in range(120, -1, -1):
        day = today - timedelta(days=back)
        for customer in rng.sample(active, k=min(len(active), rng.randint(2, 6))):
            lines = tuple(
                OrderLine(p.code, Decimal(rng.randint(1, 12)), warehouse="01")
                for p in rng.sample(products, k=rng.randint(1, 4))
            )
            result = release.place_order(
                books,
                OrderRequest(customer.code, customer.store, lines, seller=customer.seller),
                day,
                policy,
            )
            orders += 1
            if result.released_value > 0 and back > 2:
                invoicing.invoice_order(books, result.order, day)
        for title in books.where(e.Receivable, status="open"):
            if title.due <= day and rng.random() < 0.05:
                collection.pay_title(
                    books, (title.prefix, title.number, title.installment), title.balance, day
                )
        for stock in books.all(e.Stock):
            if stock.available() < 10 and rng.random() < 0.2:
                stock.on_hand += Decimal(rng.choice((50, 200)))
    return orders
