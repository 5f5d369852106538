"""Benchmark of the embedded ERP: sales orders of 10 items per second (entry + automatic
release, then invoicing) and outbox deliveries per second, on PostgreSQL and SQLite; the pure
in-memory core is printed alongside as the peer (the cost of persistence is the ratio).

    python bench/erp_orders.py [--orders 400] [--concurrency 8] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import structlog

from atende.db import make_engine, upgrade
from erp_bridge.domain import entities as e
from erp_bridge.domain.books import Books
from erp_bridge.domain.catalog import standard_operations, standard_terms
from erp_bridge.domain.invoicing import invoice_order
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.release import place_order
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from erp_bridge.outbox.outcomes import Outcome, record_outcome
from erp_bridge.outbox.worker import OutboxWorker

TODAY = date(2026, 11, 27)
CUSTOMERS = 50
PRODUCTS = 40


def world() -> list[object]:
    """Customers of risk A (no credit noise), 40 products with plenty of stock."""
    records: list[object] = [*standard_operations(), *standard_terms()]
    for n in range(PRODUCTS):
        records.append(e.Product(f"P{n:03d}", f"Produto {n}", list_price=Decimal("9.90")))
        records.append(e.Stock(f"P{n:03d}", "01", on_hand=Decimal(10**9)))
    for n in range(CUSTOMERS):
        records.append(e.Customer(f"{n:06d}", "01", f"Cliente {n}", "", risk="A"))
    return records


def orders(count: int, seed: int = 1) -> list[OrderRequest]:
    """``count`` orders of 10 distinct products each."""
    rng = random.Random(seed)
    return [
        OrderRequest(
            f"{rng.randrange(CUSTOMERS):06d}",
            "01",
            tuple(
                OrderLine(f"P{p:03d}", Decimal(rng.randint(1, 5)))
                for p in sorted(rng.sample(range(PRODUCTS), 10))
            ),
            payment_terms="003",
        )
        for _ in range(count)
    ]


def core_peer(reqs: list[OrderRequest]) -> tuple[float, float]:
    """Orders/s and invoices/s of the pure core in memory."""
    books = Books()
    books.add_all(world())
    start = time.perf_counter()
    numbers = [place_order(books, r, TODAY, ReleasePolicy()).order for r in reqs]
    entered = time.perf_counter() - start
    start = time.perf_counter()
    for number in numbers:
        invoice_order(books, number, TODAY)
    return len(reqs) / entered, len(reqs) / (time.perf_counter() - start)


async def run_db(url: str, reqs: list[OrderRequest], concurrency: int) -> dict[str, float]:
    """Figures on one database."""
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    await add_records(engine, world())
    erp = EmbeddedErp(engine, clock=lambda: datetime(2026, 11, 27, 15, tzinfo=UTC))
    queue: asyncio.Queue[OrderRequest] = asyncio.Queue()
    for r in reqs:
        queue.put_nowait(r)
    numbers: list[str] = []

    async def enter() -> None:
        while not queue.empty():
            numbers.append((await erp.create_sales_order(queue.get_nowait())).order)

    start = time.perf_counter()
    await asyncio.gather(*(enter() for _ in range(concurrency)))
    entered = time.perf_counter() - start
    start = time.perf_counter()
    results = await erp.invoice_run()
    invoiced = time.perf_counter() - start
    assert len(results) == len(reqs), "every order should be invoiced"
    problems = await erp.audit()
    assert not problems, problems[:3]
    async with engine.begin() as conn:
        for r in reqs:
            await record_outcome(conn, Outcome(r), now=datetime(2026, 11, 27, 15, tzinfo=UTC))
    workers = [OutboxWorker(engine, erp) for _ in range(2)]
    start = time.perf_counter()
    delivered = 0
    while True:
        done = sum(await asyncio.gather(*(w.run_once(limit=20) for w in workers)))
        if done == 0:
            break
        delivered += done
    outbox = time.perf_counter() - start
    await engine.dispose()
    return {
        "orders_per_s": len(reqs) / entered,
        "invoices_per_s": len(reqs) / invoiced,
        "deliveries_per_s": delivered / outbox,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    reqs = orders(args.orders)
    core_orders, core_invoices = core_peer(reqs)
    print(f"{args.orders} orders of 10 items, concurrency {args.concurrency}")
    print(f"peer  core in memory : {core_orders:8.1f} orders/s  {core_invoices:8.1f} invoices/s")
    name = f"atende_bench_{uuid.uuid4().hex[:10]}"
    dsn = args.pg.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        pg = await run_db(args.pg.rsplit("/", 1)[0] + f"/{name}", reqs, args.concurrency)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    with tempfile.TemporaryDirectory() as tmp:
        lite = await run_db(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", reqs, args.concurrency)
    for label, figures in (("postgresql", pg), ("sqlite", lite)):
        print(
            f"{label:18s}  : {figures['orders_per_s']:8.1f} orders/s  "
            f"{figures['invoices_per_s']:8.1f} invoices/s  "
            f"{figures['deliveries_per_s']:8.1f} outbox deliveries/s  "
            f"(core/db orders ratio {core_orders / figures['orders_per_s']:.1f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
