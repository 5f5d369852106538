"""A twin running the product dialplan (inbound and dialer contexts), an engine with the
dialer wired, a queue of agents and an uploaded list of leads: the dialer tests' stack."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from acd.domain import QueueConfig
from atende.db import make_engine
from atende.wiring import Engine
from campaigns.app.upload_list import UploadRequest, upload_list
from campaigns.dialer.plan import DialingPlan
from campaigns.dialer.runtime import Dialer, FixedPlans
from campaigns.files.source import file_sha256, open_rows
from campaigns.sql.store import SqlListStore
from telephony.twin import Twin
from telephony.twin.behaviour import AgentPhone
from telephony.twin.traffic import CustomerMix, customer_for
from tests.integration.acd_stack import acd_settings, product_twin, seed_acd

#: Wednesday 2 December 2026, 09:30 in São Paulo: BR's window is open there (09-21) and
#: still closed in Acre (07:30, UTC-5)
OPENING = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
QUEUE = "ativo"
MIX = CustomerMix(
    machine=0.15, silent=0.05, busy=0.1, noanswer=0.1, congestion=0.02, fail=0.01,
    mean_answer_delay=2.0,
)  # fmt: skip


def scaled_clock(start: datetime, time_scale: float) -> Callable[[], float]:
    """Twin time: ``start`` now, running ``1/time_scale`` times faster than the wall clock."""
    began, origin = time.monotonic(), start.timestamp()
    return lambda: origin + (time.monotonic() - began) / time_scale


def phone(n: int, ddd: str = "11") -> str:
    """A valid Brazilian mobile number (national format) for lead ``n``."""
    return f"{ddd}9{7000_0000 + n:08d}"


async def upload_leads(
    database_url: str,
    campaign: str,
    rows: list[list[str]],
    tmp: Path,
    header: str = "Nome;Telefone;UF",
) -> int:
    """Upload a CSV (``header``) to the list ``<campaign>-list``; the leads added."""
    path = tmp / f"{campaign}.csv"
    lines = [header, *(";".join(r) for r in rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    db = make_engine(database_url)
    try:
        request = UploadRequest(f"{campaign}-list", path.name, file_sha256(path), campaign)
        result = await upload_list(
            SqlListStore(db), open_rows(path), request, clock=lambda: datetime.now(UTC)
        )
    finally:
        await db.dispose()
    return result.upload.counts.leads_added


@dataclass
class DialerStack:
    """The running twin and engine."""

    twin: Twin
    engine: Engine

    @property
    def dialer(self) -> Dialer:
        assert self.engine.dialer is not None
        return self.engine.dialer


@asynccontextmanager
async def running_dialer(
    database_url: str,
    plans: dict[str, DialingPlan] | None,
    agents: int = 20,
    time_scale: float = 0.5,
    talk_time: float = 5.0,
    seed: int = 7,
    wrap_up: float = 0.0,
) -> AsyncIterator[DialerStack]:
    """Seed the queue (``wrap_up`` seconds after each call) and ``agents`` agents (phones
    answer at once, talk ``talk_time`` twin seconds), start a product twin whose customers
    follow ``MIX`` and an engine whose dialer runs ``plans`` (None: the stored campaigns) on
    twin time."""
    ids = {str(3001 + i): {"sales": 1} for i in range(agents)}
    queue = QueueConfig(name=QUEUE, skills={"sales": 1}, wrap_up_seconds=wrap_up)
    await seed_acd(database_url, [queue], ids)
    twin = product_twin(time_scale)
    twin.customer_source = lambda number: customer_for(MIX, seed, number)
    for agent in ids:
        twin.phones[f"{agent}@agents"] = AgentPhone(True, 0.0, talk_time)
    port = await twin.start()
    settings = acd_settings(
        port,
        database_url,
        dialer_channel="Local/{number}@customers",
        dialer_tick_interval=0.05,
        acd_tick_interval=0.1,
    )
    engine = Engine(settings, campaign_plans=FixedPlans(plans) if plans is not None else None)
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    assert engine.dialer is not None
    engine.dialer.clock = scaled_clock(OPENING, time_scale)
    try:
        assert engine.acd is not None
        await engine.acd.wait_ready()
        yield DialerStack(twin, engine)
    finally:
        await engine.stop()
        await twin.stop()


async def until(check: Callable[[], bool], timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Wait until ``check()`` (fails the test after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)
