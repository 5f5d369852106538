"""The screen-pop through the whole engine: 500 agents on WebSockets, the twin offering calls.

The engine (ACD, IVR, customer view on real Redis, the seeded embedded ERP, the web server)
runs against the Asterisk twin (real AMI and FastAGI over TCP). Every agent is logged in and
holds a WebSocket (``/api/agent/ws``, bearer token), opened by ``screen_pop_clients.py`` in a
process of its own, as the agents' browsers are. Callers whose number names one seeded
customer call the sales number; for each call, the time from the ACD's reservation of an agent
(its agent feed, in the engine's process) to that agent's socket receiving the ``offer`` with
the customer's view (the system-wide monotonic clock of both processes) is measured, in three
cases of the same run:

* hit: the caller's number and view are in the cache and the IVR's warm-up of the number runs
  as in production (the offer takes what it read, or joins it when it is still under way);
* miss: the customer was invalidated and nothing warms it: the screen-pop reads the ERP and
  fills the cache;
* ERP each time: the desktop reads through a cache that keeps nothing.

Run by ``bench/screen_pop.py`` (``--skip-reads`` for this part only).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from asyncio.subprocess import PIPE
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from acd.domain import QueueConfig
from acd.live.feed import AgentEvent
from acd.live.sql import AcdConfigStore
from atende.auth import Role, users
from atende.db import make_engine, upgrade
from atende.settings import AmiServer, load_settings
from atende.wiring import Engine, settle_memory
from crm_sync.app.customer_views import CustomerViews
from crm_sync.port import Entry
from erp_bridge.domain import entities as e
from erp_bridge.embedded.seed import seed_demo
from erp_bridge.embedded.tables import TABLES
from telephony.twin import AmiUser, Twin, TwinConfig
from telephony.twin.behaviour import AgentPhone

DID = "1133330001"
TIME_SCALE = 0.02
SEED_CUSTOMERS = 700  # enough numbers of one customer each for three cases of 200 calls


class KeepsNothing:
    """A view cache that stores nothing: every read goes to the ERP."""

    async def get(self, key: str) -> Entry | None:
        return None

    async def generation(self, customer: str) -> int:
        return 0

    async def put(
        self, key: str, data: str, fetched_at: datetime, *, customers: dict[str, int]
    ) -> bool:
        return False

    async def invalidate(self, customer: str) -> None:
        return None

    async def position(self, name: str) -> int:
        return 0

    async def set_position(self, name: str, value: int) -> None:
        return None

    async def close(self) -> None:
        return None


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def _seed(url: str, agents: int, customers: int) -> list[str]:
    """Migrate, seed the ERP, the queue and the agents; the numbers of one customer each."""
    await asyncio.to_thread(upgrade, url)
    db = make_engine(url)
    try:
        await seed_demo(db, 42, customers=customers)
        store = AcdConfigStore(db)
        await store.save_queue(QueueConfig(name="vendas", skills={"sales": 1}, ring_timeout=30))
        for n in range(agents):
            ext = str(40000 + n)
            await store.save_agent(
                ext, interface=f"Local/{ext}@agents", skills={"sales": 1}, username=f"bench{ext}"
            )
        table = TABLES[e.Customer].c
        async with db.connect() as conn:
            phones = list(await conn.scalars(sa.select(table.phone).where(table.phone != "")))
    finally:
        await db.dispose()
    counts = collections.Counter(phones)
    return sorted(p.lstrip("+") for p, n in counts.items() if n == 1)


async def _tokens(engine: Engine, agents: int) -> list[str]:
    """One agent user per agent (one password hash shared: sign-in is not measured)."""
    hashed = await engine.users.passwords.hash("bench-password-1")
    now = datetime.now(UTC)
    async with engine.db.begin() as conn:
        await conn.execute(
            users.insert(),
            [
                {
                    "username": f"bench{40000 + n}",
                    "password_hash": hashed,
                    "role": Role.AGENT.value,
                    "created_at": now,
                }
                for n in range(agents)
            ],
        )
    return [
        await engine.users.issue_token(await engine.users.user_id(f"bench{40000 + n}"), "b", None)
        for n in range(agents)
    ]


CLIENTS = Path(__file__).with_name("screen_pop_clients.py")


class Sockets:
    """The agents' sockets (``screen_pop_clients.py``, another process, as browsers are) and
    the latency of each offer they receive, on the system-wide monotonic clock."""

    def __init__(self) -> None:
        self.reserved: dict[str, float] = {}
        self.latency: dict[str, float] = {}
        self.without_view: list[str] = []
        self.done = asyncio.Event()
        self.wanted = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.clients: asyncio.subprocess.Process | None = None

    def on_event(self, event: AgentEvent) -> None:
        """The ACD's feed (sync, in the ACD's task): the moment it reserves an agent."""
        if event.kind == "reserved" and event.call_id:
            self.reserved.setdefault(event.call_id, time.monotonic())

    async def open(self, url: str, tokens: list[str]) -> None:
        """Start the clients' process; return once every socket is open."""
        self.clients = await asyncio.create_subprocess_exec(
            sys.executable, str(CLIENTS), stdin=PIPE, stdout=PIPE, limit=1 << 20
        )
        assert self.clients.stdin is not None and self.clients.stdout is not None
        self.clients.stdin.write(json.dumps({"url": url, "tokens": tokens}).encode() + b"\n")
        await self.clients.stdin.drain()
        line = await self.clients.stdout.readline()
        if not line or json.loads(line).get("ready") != len(tokens):
            raise SystemExit(f"the agents' sockets did not open: {line!r}")
        self.tasks.append(asyncio.create_task(self._read(self.clients.stdout)))

    async def _read(self, lines: asyncio.StreamReader) -> None:
        while line := await lines.readline():
            data: dict[str, Any] = json.loads(line)
            call_id = data["call"]
            began = self.reserved.get(call_id)
            if began is None or call_id in self.latency:
                continue
            self.latency[call_id] = data["at"] - began
            if not data["view"]:
                self.without_view.append(call_id)
            if len(self.latency) >= self.wanted:
                self.done.set()


class LoopWatch:
    """How late the event loop wakes a 5 ms sleep (the process's own stalls and the CPU it
    does not get), and the share of one core the process used, while the cases run."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.task: asyncio.Task[None] | None = None
        self._wall = self._cpu = 0.0

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            await asyncio.sleep(0.005)
            self.lags.append(loop.time() - began - 0.005)

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        self.task = asyncio.create_task(self._watch())

    def report(self) -> str:
        share = (time.process_time() - self._cpu) / (time.perf_counter() - self._wall)
        if self.task is not None:
            self.task.cancel()
        return (
            f"event loop lag p50 {_pct(self.lags, 0.5):.2f} ms, p99 {_pct(self.lags, 0.99):.2f}"
            f" ms; this process used {share:.0%} of one core (engine and twin)"
        )


async def _case(twin: Twin, sockets: Sockets, callers: list[str], rate: float) -> list[float]:
    """Place the calls, ``rate`` a second, and wait for their offers; their latencies."""
    before = set(sockets.latency)
    sockets.wanted = len(before) + len(callers)
    sockets.done.clear()
    loop = asyncio.get_running_loop()
    began = loop.time()
    placing = []
    for n, number in enumerate(callers):
        await asyncio.sleep(max(0.0, began + n / rate - loop.time()))
        placing.append(asyncio.create_task(twin.place_inbound_call(DID, number, "Bench")))
    await asyncio.gather(*placing)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(sockets.done.wait(), 120)
    return [v for k, v in sockets.latency.items() if k not in before]


async def push(args: argparse.Namespace) -> None:
    """Run the three cases and print p50/p99 of each."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    folder = tempfile.mkdtemp(prefix="screen-pop-push-")
    url = args.database or f"sqlite+aiosqlite:///{folder}/push.db"
    numbers = await _seed(url, args.agents, max(args.customers, SEED_CUSTOMERS))
    per_case = min(args.calls, len(numbers) // 3)
    hit, miss, erp_each = (numbers[i * per_case : (i + 1) * per_case] for i in range(3))
    twin = Twin(
        TwinConfig(
            ami_port=0,
            users={"atende": AmiUser("atende")},
            time_scale=TIME_SCALE,
            product_inbound=True,
        )
    )
    phone = AgentPhone(True, delay=1.0, talk_time=5.0)
    twin.phone_source = lambda interface: phone if interface.endswith("@agents") else None
    port = await twin.start()
    prefix = f"bench-push:{uuid.uuid4().hex[:8]}:"
    settings = load_settings(
        database_url=url,
        ami_servers=[AmiServer(name="pbx1", port=port, username="atende", secret="atende")],
        agi_port=0,
        http_port=0,
        ami_action_timeout=5.0,
        redis_url=args.redis or None,
        redis_key_prefix=prefix,
        ivr_did_queues={DID: "vendas"},
        acd_login_on_start=True,
        acd_tick_interval=0.2,
    )
    engine = Engine(settings)
    await engine.start()
    settle_memory()  # as ``atende serve`` does once started
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    sockets = Sockets()
    try:
        assert engine.acd is not None and engine.desk is not None
        await engine.acd.wait_ready(60)
        engine.acd.feed.subscribe(sockets.on_event)
        base = f"ws://127.0.0.1:{engine.http_port}/api/agent/ws"
        await sockets.open(base, await _tokens(engine, args.agents))
        print(
            f"{args.agents} agents logged in and on WebSockets (another process); "
            f"{per_case} calls per case, "
            f"{args.rate:g} a second; cache {'Redis' if args.redis else 'in-process'}"
        )
        views = engine.crm.views
        for number in hit:  # the IVR's warm-up, done before the calls
            found = await views.by_phone(number)
            for c in found.candidates:
                await views.view(c.code, c.store)
        watch = LoopWatch()
        watch.start()
        rows = [("cache hit", await _case(twin, sockets, hit, args.rate))]
        engine.crm.warm_up.warm = lambda *_a, **_k: False  # type: ignore[method-assign]
        for number in miss:
            for c in (await views.by_phone(number)).candidates:
                await views.invalidate(c.code, c.store)
        rows.append(("cache miss", await _case(twin, sockets, miss, args.rate)))
        engine.desk.views = CustomerViews(
            views.erp, views._records, KeepsNothing(), views.interactions
        )
        rows.append(("ERP each time", await _case(twin, sockets, erp_each, args.rate)))
        print(f"{'reservation -> view on socket':<32}{'offers':>8}{'p50 ms':>10}{'p99 ms':>10}")
        for name, samples in rows:
            if samples:
                p50, p99 = _pct(samples, 0.5), _pct(samples, 0.99)
                print(f"{name:<32}{len(samples):>8}{p50:>10.2f}{p99:>10.2f}")
            else:
                print(f"{name:<32}{0:>8}{'-':>10}{'-':>10}")
        hits = rows[0][1]
        if hits:
            p99 = _pct(hits, 0.99)
            print(f"goal p99 < 50 ms on a hit: {'met' if p99 < 50 else 'NOT met'} ({p99:.2f} ms)")
        print(watch.report())
        one, five, fifteen = os.getloadavg()
        print(
            f"machine load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min) "
            f"on {os.cpu_count()} cores: the figures hold for that load"
        )
        if sockets.without_view:
            print(f"offers without a view: {len(sockets.without_view)}")
    finally:
        for task in sockets.tasks:
            task.cancel()
        if sockets.clients is not None and sockets.clients.returncode is None:
            sockets.clients.kill()
            await sockets.clients.wait()
        await engine.stop()
        await twin.stop()
        if args.redis:
            import redis.asyncio as aioredis

            raw = aioredis.from_url(args.redis)
            leftover = [k async for k in raw.scan_iter(match=prefix + "*")]
            if leftover:
                await raw.delete(*leftover)
            await raw.aclose()
