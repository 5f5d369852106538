"""Benchmark of the screen-pop.

1. Reads: the customer view from the cache (real Redis, and the in-process cache of the
   embedded demo) against assembling it from the ERP each time, p50/p99 over a few thousand
   reads of random customers of the seeded demo ERP (the ``atende erp seed`` code path); also
   the lookup of a caller's number.
2. Push (``bench/screen_pop_push.py``): the whole engine with 500 agents connected over
   WebSocket and the Asterisk twin offering calls; the latency from the ACD's reservation of an
   agent to his socket holding the customer's view, p50/p99 on a cache hit, on a miss, and with
   the view read from the ERP each time, in the same run. Goal: p99 under 50 ms on a hit.

    python bench/screen_pop.py [--reads 3000] [--customers 300] [--agents 500] [--calls 200]
                               [--rate 8] [--redis URL] [--database URL] [--skip-reads]
                               [--skip-push]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from atende.db import make_engine, upgrade
from crm_sync.adapters.erp_records import EmbeddedRecords
from crm_sync.adapters.memory_cache import MemoryViewCache
from crm_sync.adapters.redis_cache import RedisViewCache
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.app.customer_views import CustomerViews
from crm_sync.port import ViewCache
from erp_bridge.domain import entities as e
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import seed_demo


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def _time(reads: int, one: Callable[[], Awaitable[object]]) -> tuple[float, float, float]:
    samples = []
    started = time.perf_counter()
    for _ in range(reads):
        t0 = time.perf_counter()
        await one()
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return _pct(samples, 0.5), _pct(samples, 0.99), reads / elapsed


async def main(args: argparse.Namespace) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    folder = tempfile.mkdtemp(prefix="screen-pop-")
    url = args.database or f"sqlite+aiosqlite:///{folder}/bench.db"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    summary = await seed_demo(engine, 42, customers=args.customers)
    erp = EmbeddedErp(engine)
    async with erp.read() as uow:
        customers = await uow.load(e.Customer)
    keys = [(c.code, c.store) for c in customers]
    phones = [c.phone for c in customers if c.phone]
    rng = random.Random(7)
    print(
        f"seeded {summary.customers} customers, {summary.orders} orders, "
        f"{summary.open_titles} open titles on {engine.dialect.name}; {args.reads} reads each"
    )
    caches: list[tuple[str, ViewCache]] = [("in-process cache", MemoryViewCache(ttl=3600))]
    prefix = f"bench-screen-pop:{uuid.uuid4().hex[:8]}:"
    if args.redis:
        caches.insert(0, ("Redis cache", RedisViewCache(args.redis, prefix, ttl=3600)))
    rows: list[tuple[str, str, tuple[float, float, float]]] = []
    for name, cache in caches:
        views = CustomerViews(erp, EmbeddedRecords(erp), cache, SqlInteractions(engine))
        for code, store in keys:  # warm every customer, as the IVR would
            await views.view(code, store)
        for phone in phones:
            await views.by_phone(phone)
        rows.append(
            (
                "view",
                name,
                await _time(args.reads, lambda v=views: v.view(*rng.choice(keys))),
            )
        )
        rows.append(
            (
                "lookup",
                name,
                await _time(args.reads, lambda v=views: v.by_phone(rng.choice(phones))),
            )
        )
    views = CustomerViews(erp, EmbeddedRecords(erp), caches[-1][1], SqlInteractions(engine))
    rows.append(
        (
            "view",
            "ERP each time",
            await _time(args.reads, lambda: views.read_from_erp(*rng.choice(keys))),
        )
    )
    rows.append(
        (
            "lookup",
            "ERP each time",
            await _time(args.reads, lambda: erp.find_customers(phone=rng.choice(phones))),
        )
    )
    print(f"{'read':<8}{'from':<20}{'p50 ms':>10}{'p99 ms':>10}{'reads/s':>10}")
    for what, name, (p50, p99, rate) in rows:
        print(f"{what:<8}{name:<20}{p50:>10.3f}{p99:>10.3f}{rate:>10.0f}")
    for kind in ("view", "lookup"):
        cached = next(r[2] for r in rows if r[0] == kind)
        erp_row = next(r[2] for r in rows if r[0] == kind and r[1] == "ERP each time")
        print(f"{kind}: {caches[0][0]} p50 {erp_row[0] / cached[0]:.0f}x faster than the ERP")
    if args.redis:
        import redis.asyncio as aioredis

        raw = aioredis.from_url(args.redis)
        found = [k async for k in raw.scan_iter(match=prefix + "*")]
        if found:
            await raw.delete(*found)
        await raw.aclose()
    for _, cache in caches:
        await cache.close()
    await engine.dispose()
    print("p50/p99 are per read, one read at a time; no timed assertion anywhere")


async def run(args: argparse.Namespace) -> None:
    """The reads, then the push through the engine (each can be skipped)."""
    if not args.skip_reads:
        await main(args)
    if not args.skip_push:
        from screen_pop_push import push  # beside this file

        await push(args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="'' to skip Redis")
    parser.add_argument("--database", default="", help="default: a SQLite file in a temp folder")
    parser.add_argument("--agents", type=int, default=500, help="agents on WebSockets")
    parser.add_argument("--calls", type=int, default=200, help="calls per case (hit, miss, ERP)")
    parser.add_argument("--rate", type=float, default=8.0, help="calls offered a second")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-push", action="store_true")
    asyncio.run(run(parser.parse_args()))
