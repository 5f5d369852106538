"""Fixtures of the ERP API tests: the web app with the embedded ERP on a real port (SQLite and
PostgreSQL), a user per role, a small world of customers and products, and a history that
left customer 000002 with overdue titles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import structlog
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.domain import QueueLogRecord
from acd.domain.queue_log import QueueEvent
from acd.live.sql import AcdConfigStore
from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.web.erp_support import ErpApi
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.domain.interactions import Interaction
from erp_bridge.domain.catalog import standard_operations, standard_terms
from erp_bridge.domain.entities import Customer, Product, Stock
from erp_bridge.domain.orders import OrderLine, OrderRequest
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from erp_bridge.outbox.worker import OutboxWorker, RetryPolicy

# the ERP's business clock: 2026-11-27 12:00 in Sao Paulo
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
HISTORY = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
PASSWORD = "erp-api-pass-1"
RISK_C = ("000001", "01")  # Padaria Boa Vista, risk C, limit 1000.00
RISK_A = ("000002", "01")  # Mercado Central, risk A, overdue titles from September


def world() -> list[Any]:
    """Reference data, three products with stock, two customers."""
    return [
        *standard_operations(),
        *standard_terms(),
        Product("P1", "Cafe 500g", "bought", list_price=Decimal("10.00")),
        Product("P2", "Maquina de cafe", "bought", list_price=Decimal("50.00")),
        Product("SRV001", "Visita tecnica", "bought", list_price=Decimal("150.00")),
        Stock("P1", "01", on_hand=Decimal(1000)),
        Stock("P2", "01", on_hand=Decimal(200)),
        Stock("SRV001", "01", on_hand=Decimal(0)),
        Customer(
            *RISK_C,
            "Padaria Boa Vista Ltda",
            "11222333000181",
            phone="+5511987654321",
            risk="C",
            credit_limit=Decimal("1000.00"),
        ),
        Customer(
            *RISK_A,
            "Mercado Central Eireli",
            "11444777000161",
            phone="+5521988887777",
            risk="A",
            credit_limit=Decimal("50000.00"),
            payment_terms="003",
        ),
    ]


async def history(engine: AsyncEngine) -> None:
    """In September customer 000002 bought 30 machines (30/60/90 days), invoiced that day."""
    past = EmbeddedErp(engine, clock=lambda: HISTORY)
    placed = await past.create_sales_order(
        OrderRequest(*RISK_A, (OrderLine("P2", Decimal(30)),), payment_terms="003")
    )
    await past.invoice(placed.order)


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class ErpServer:
    """The running web app, its database and ERP, and a bearer token per role."""

    url: str
    engine: AsyncEngine
    erp: EmbeddedErp
    tokens: dict[Role, str]

    def headers(self, role: Role | None) -> dict[str, str]:
        """Authorization header of ``role`` (none for ``None``)."""
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    async def call(
        self,
        method: str,
        path: str,
        role: Role | None = Role.AGENT,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> tuple[int, Any]:
        """One HTTP request as ``role``; returns the status and the JSON body."""
        sent = {**self.headers(role), **(headers or {})}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, headers=sent, **kw) as resp,
        ):
            return resp.status, await resp.json()

    @contextlib.asynccontextmanager
    async def worker(
        self, port: Any = None, policy: RetryPolicy | None = None
    ) -> AsyncIterator[None]:
        """The outbox worker running as a task (as the engine runs it) until the block ends."""
        stop = asyncio.Event()
        worker = OutboxWorker(self.engine, port or self.erp, policy=policy)
        task = asyncio.create_task(worker.run(stop, idle=0.05))
        try:
            yield
        finally:
            stop.set()
            await task


async def agents_calls_today(engine: AsyncEngine) -> None:
    """Agent 2001 (user agent1) took a call of each customer today: an agent acts in the ERP
    only for the customers of his calls of today; agent 2002 (agent2) took none."""
    store = AcdConfigStore(engine)
    await store.save_agent("2001", interface="PJSIP/2001", username="agent1")
    await store.save_agent("2002", interface="PJSIP/2002", username="agent2")
    records = SqlInteractions(engine)
    now = datetime.now(UTC)
    for n, (code, store_) in enumerate((RISK_C, RISK_A)):
        await records.record(Interaction(f"today-{n}", code, store_, "2001", "sales", now))


@contextlib.asynccontextmanager
async def serve(engine: AsyncEngine) -> AsyncIterator[ErpServer]:
    """The web app with the ERP endpoints on ``engine``, a signed-in user per role."""
    users = UserStore(engine)
    erp = EmbeddedErp(engine, clock=lambda: NOW)
    runner = web.AppRunner(build_app(users, list, ErpApi(erp, engine, erp)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    await agents_calls_today(engine)
    tokens = {}
    async with aiohttp.ClientSession() as http:
        for role in Role:
            await users.create_user(f"{role.value}1", PASSWORD, role)
            async with http.post(
                url + "/api/login", json={"username": f"{role.value}1", "password": PASSWORD}
            ) as resp:
                tokens[role] = (await resp.json())["token"]
    try:
        yield ErpServer(url, engine, erp, tokens)
    finally:
        await runner.cleanup()


@pytest.fixture
async def erp_server(database_url: str) -> AsyncIterator[ErpServer]:
    """The web app with the ERP endpoints over real HTTP, on SQLite and PostgreSQL."""
    engine = make_engine(database_url)
    await add_records(engine, world())
    await history(engine)
    try:
        async with serve(engine) as server:
            yield server
    finally:
        await engine.dispose()


@pytest.fixture
async def empty_server(database_url: str) -> AsyncIterator[ErpServer]:
    """The web app on a database just migrated: no customers, products or stock (SQLite and
    PostgreSQL)."""
    engine = make_engine(database_url)
    try:
        async with serve(engine) as server:
            yield server
    finally:
        await engine.dispose()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``main`` configures logging onto the captured stderr; put the previous setup back."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


async def handled(s: ErpServer, call_id: str, agent: str | None = "2001") -> None:
    """The ACD's queue log of ``call_id``: queued, then connected to ``agent`` (agent 2001 is
    the user agent1, 2002 is agent2); with ``None`` the caller abandons."""
    store = AcdConfigStore(s.engine)
    await store.save_agent("2001", interface="PJSIP/2001", username="agent1")
    await store.save_agent("2002", interface="PJSIP/2002", username="agent2")
    at = 1764255600.0
    records = [QueueLogRecord(at, call_id, "sales", "NONE", QueueEvent.ENTERQUEUE, ("", "1"))]
    if agent is None:
        records.append(
            QueueLogRecord(at + 9, call_id, "sales", "NONE", QueueEvent.ABANDON, ("1", "1", "9"))
        )
    else:
        records.append(
            QueueLogRecord(at + 5, call_id, "sales", agent, QueueEvent.CONNECT, ("5", "2"))
        )
    await store.append_log(records)
