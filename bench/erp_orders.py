"""Benchmark of the embedded ERP: sales orders of 10 items per second (entry + automatic
release, then invoicing) and outbox deliveries per second, on PostgreSQL and SQLite; the pure
in-memory core is printed alongside as the peer (the cost of persistence is the ratio). Then
the same orders go through the outbox (rows on PostgreSQL) to Protheus: ``ProtheusErp`` +
``ProtheusClient`` over HTTP to the local fake Protheus (the tests' aiohttp fake, started in
this process on 127.0.0.1, so its handling shares the CPU with the workers), printed beside
the embedded ERP's deliveries. Last, a site's first load: a CSV of 100,000 customers
(valid CPF, phone, risk, limit) imported through the same path as the API and the CLI, timed
on PostgreSQL and SQLite (goal: under 60 s).

    python bench/erp_orders.py [--orders 400] [--concurrency 8] [--customers 100000] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
import structlog
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atende.db import make_engine, upgrade
from erp_bridge.app.import_master import file_rows, import_rows
from erp_bridge.domain import entities as e
from erp_bridge.domain.books import Books
from erp_bridge.domain.catalog import standard_operations, standard_terms
from erp_bridge.domain.invoicing import invoice_order
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.release import place_order
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.demo_data import cpf, mobile, person
from erp_bridge.embedded.seed import add_records
from erp_bridge.outbox.outcomes import Outcome, record_outcome
from erp_bridge.outbox.table import outbox
from erp_bridge.outbox.worker import OutboxWorker
from erp_bridge.protheus.adapter import ProtheusErp
from erp_bridge.protheus.client import ProtheusClient, ProtheusConfig
from tests.erp.fake_protheus import FakeProtheus

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


def customers_csv(path: Path, count: int, seed: int = 7) -> None:
    """A site's customer file: ``count`` people with a valid CPF, a mobile, risk and limit."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("code;store;name;tax_id;phone;risk;credit_limit;payment_terms\n")
        for n in range(count):
            risk = rng.choice("ABCDE")
            limit = f"{rng.randint(5, 500) * 100}.00"
            out.write(f"C{n:07d};01;{person(rng)};{cpf(rng)};{mobile(rng)};{risk};{limit};002\n")


async def run_import(url: str, path: Path, count: int) -> tuple[float, int]:
    """Seconds to import the customer file on a freshly migrated database; every row loads."""
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        erp = EmbeddedErp(engine)
        start = time.perf_counter()
        report = await import_rows(erp, "customers", file_rows(path, "csv"))
        elapsed = time.perf_counter() - start
        assert (report.added, report.refused) == (count, ()), (report.added, report.refused[:3])
        again = await import_rows(erp, "customers", file_rows(path, "csv"))
        assert again.unchanged == count, "a second import changes nothing"
        return elapsed, report.rows
    finally:
        await engine.dispose()


async def run_protheus(url: str, reqs: list[OrderRequest]) -> float:
    """Outbox deliveries/s from PostgreSQL to the fake Protheus; every order must arrive."""
    fake = FakeProtheus([])
    fake.products = {f"P{n:03d}" for n in range(PRODUCTS)}
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/rest"
    client = ProtheusClient(ProtheusConfig(base_url, "01,0101", fake.user, fake.password))
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(outbox.delete())
            for r in reqs:
                await record_outcome(conn, Outcome(r), now=datetime(2026, 11, 27, 15, tzinfo=UTC))
        erp = ProtheusErp(client)
        workers = [OutboxWorker(engine, erp) for _ in range(2)]
        start = time.perf_counter()
        while sum(await asyncio.gather(*(w.run_once(limit=20) for w in workers))):
            pass
        elapsed = time.perf_counter() - start
        async with engine.connect() as conn:
            query = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
            status: dict[str, int] = {row[0]: row[1] for row in await conn.execute(query)}
        assert status == {"delivered": len(reqs)}, status
        assert len(fake.orders) == len(reqs), "every order should reach Protheus once"
        return len(reqs) / elapsed
    finally:
        await client.close()
        await engine.dispose()
        await runner.cleanup()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--customers", type=int, default=100_000)
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
    loads = f"{name}_import"
    await admin.execute(f'CREATE DATABASE "{loads}"')
    try:
        scratch = args.pg.rsplit("/", 1)[0] + f"/{name}"
        pg = await run_db(scratch, reqs, args.concurrency)
        protheus = await run_protheus(scratch, reqs)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "customers.csv"
            customers_csv(path, args.customers)
            pg_import = await run_import(
                args.pg.rsplit("/", 1)[0] + f"/{loads}", path, args.customers
            )
            lite_import = await run_import(
                f"sqlite+aiosqlite:///{Path(tmp) / 'import.db'}", path, args.customers
            )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP DATABASE IF EXISTS "{loads}" WITH (FORCE)')
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
    embedded = pg["deliveries_per_s"]
    print(
        f"outbox on postgresql: {embedded:8.1f} deliveries/s to the embedded ERP  "
        f"{protheus:8.1f} deliveries/s to the fake Protheus over HTTP  "
        f"(protheus/embedded ratio {protheus / embedded:.1f})"
    )
    print(
        f"postgresql orders/s are {pg['orders_per_s'] / core_orders:.0%} of the core's "
        "(goal: at least 25%)"
    )
    for label, (seconds, rows) in (("postgresql", pg_import), ("sqlite", lite_import)):
        print(
            f"import of {rows} customers from CSV on {label:10s}: {seconds:6.1f} s  "
            f"({rows / seconds:8.0f} rows/s; goal under 60 s)"
        )


if __name__ == "__main__":
    asyncio.run(main())
