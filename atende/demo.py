"""``atende demo``: migrate, seed, run the engine with the Asterisk twin on embedded defaults.

The twin runs as its own process (``atende twin --traffic``), as Asterisk would, and the engine
connects to it over AMI and serves its FastAGI sessions.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.domain import DispositionCode, EscalationStep, QueueConfig
from acd.live.sql import AcdConfigStore
from atende.auth import Role, UserStore
from atende.db import make_engine, upgrade
from atende.demo_hands import DemoHands
from atende.passwords import PasswordPool
from atende.settings import Settings
from atende.user_admin import UserAdmin
from atende.web.campaign_support import AuditAdapter
from atende.wiring import Engine, run_engine
from campaigns.app.create_campaign import create_campaign
from campaigns.app.start_campaign import start_campaign
from campaigns.app.upload_list import UploadRequest, upload_list
from campaigns.dialer.plan import DialingPlan, StoredPlans
from campaigns.domain.campaign import CampaignIn
from campaigns.domain.windows import CallingWindow, weekly
from campaigns.files.source import file_sha256, open_rows
from campaigns.sql.campaign_store import SqlCampaignStore
from campaigns.sql.store import SqlListStore
from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.embedded.seed import seed_demo
from erp_bridge.embedded.tables import TABLES

log = structlog.get_logger("atende.demo")

DEMO_ERP_SEED = 42
DEMO_USERS = {
    "admin": ("admin-demo-1", Role.ADMIN),
    "supervisor": ("supervisor123", Role.SUPERVISOR),
    "manager": ("manager123", Role.CAMPAIGN_MANAGER),
    "agent2001": ("agent2001pw", Role.AGENT),
}

#: the demo supervisor's phone (the twin answers it): listening to calls rings it
DEMO_SUPERVISOR_PHONE = "Local/3001@agents"

#: The demo's numbers (DIDs, as in the twin's ``demo_plan``) and the queue each leads to.
DEMO_DIDS = {
    "1133330001": "vendas",
    "1133330002": "suporte",
    "1133330003": "cobranca",
    "1133330004": "retencao",
}


def _codes(*pairs: tuple[str, str]) -> tuple[DispositionCode, ...]:
    return tuple(DispositionCode(code=code, label=label) for code, label in pairs)


RETORNAR = ("retornar", "Retornar depois")
#: Each demo queue's disposition codes (pt-BR labels): an agent leaves wrap-up by giving one.
DEMO_DISPOSITIONS = {
    "vendas": _codes(
        ("venda", "Venda realizada"),
        ("orcamento", "Orçamento enviado"),
        ("sem_interesse", "Sem interesse"),
        RETORNAR,
    ),
    "suporte": _codes(
        ("resolvido", "Resolvido"),
        ("chamado_aberto", "Chamado aberto"),
        ("encaminhado", "Encaminhado ao técnico"),
    ),
    "cobranca": _codes(
        ("promessa", "Promessa de pagamento"),
        ("ja_pagou", "Já pagou"),
        ("recusa", "Recusou negociar"),
        RETORNAR,
    ),
    "retencao": _codes(
        ("retido", "Cliente retido"),
        ("cancelamento", "Cancelamento"),
        RETORNAR,
    ),
}
DEMO_QUEUES = [
    QueueConfig(
        name="vendas",
        skills={"sales": 1},
        wrap_up_seconds=5,
        weight=1,
        dispositions=DEMO_DISPOSITIONS["vendas"],
    ),
    QueueConfig(
        name="suporte",
        skills={"support": 3},
        wrap_up_seconds=5,
        escalation=(EscalationStep(after=20, relax={"support": 1}),),
        dispositions=DEMO_DISPOSITIONS["suporte"],
    ),
    QueueConfig(
        name="cobranca",
        skills={"billing": 1},
        wrap_up_seconds=5,
        dispositions=DEMO_DISPOSITIONS["cobranca"],
    ),
    QueueConfig(
        name="retencao",
        skills={"retention": 2},
        wrap_up_seconds=5,
        escalation=(EscalationStep(after=30, add_queue_agents=("vendas",)),),
        dispositions=DEMO_DISPOSITIONS["retencao"],
    ),
]
#: Ten agents with mixed skills; their phones are ``Local/<ext>@agents`` in the twin.
DEMO_AGENTS = {
    "2001": {"sales": 5},
    "2002": {"sales": 3, "support": 2},
    "2003": {"support": 4},
    "2004": {"support": 3, "billing": 2},
    "2005": {"billing": 4},
    "2006": {"billing": 3, "sales": 2},
    "2007": {"retention": 4, "sales": 3},
    "2008": {"retention": 3, "support": 1},
    "2009": {"sales": 2, "support": 2, "billing": 2, "retention": 2},
    "2010": {"support": 5},
}


#: The demo's outbound campaign: predictive televendas on the vendas queue (blended with the
#: inbound callers) over a list of demo leads. Its calling window is opened around the clock
#: for the dialer (``DemoPlans``) so that the demo dials whenever it runs; a real campaign
#: keeps its hours, within its profile's.
DEMO_CAMPAIGN = "Televendas demo"
DEMO_LIST = "demo-televendas"
DEMO_LEADS = 400
ALWAYS_OPEN = CallingWindow(
    weekly((time(0), time(23, 59, 59)), (time(0), time(23, 59, 59)), (time(0), time(23, 59, 59))),
    holiday_country=None,
    closed_on_holidays=False,
)


class DemoPlans:
    """The stored campaigns' plans, the calling window open around the clock (demo only)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.stored = StoredPlans(SqlCampaignStore(engine))

    async def plan(self, campaign_id: str) -> DialingPlan:
        """The stored plan with ``ALWAYS_OPEN`` as its window."""
        return replace(await self.stored.plan(campaign_id), window=ALWAYS_OPEN)


async def seed_demo_campaign(engine: AsyncEngine, now: datetime) -> None:
    """The demo list and its campaign, started (once; a manager's later changes are kept)."""
    dial_list = await seed_demo_leads(engine)
    store = SqlCampaignStore(engine)
    if any(c.name == DEMO_CAMPAIGN for c in await store.all()):
        return
    fields = CampaignIn(
        name=DEMO_CAMPAIGN, kind="televendas", queue="vendas", caller_id="0303 1122 3344",
        profile="BR", mode="predictive", list_ids=[dial_list],
    )  # fmt: skip
    campaign = await create_campaign(store, SqlListStore(engine), fields, now)
    await start_campaign(store, AuditAdapter(engine), None, campaign.id, "demo", now)


def _demo_leads_file(leads: int, customers: list[tuple[str, str]]) -> Path:
    """The leads: demo numbers (the twin's customers); each names a seeded customer
    (``codigo_cliente`` CODE-STORE, popped on the agent's desk) when the ERP has some."""
    lines = ["Nome;Telefone;UF;codigo_cliente"]
    for n in range(1, leads + 1):
        key, name = customers[(n - 1) % len(customers)] if customers else ("", f"Cliente Demo {n}")
        lines.append(f"{name};11 9{6100_0000 + n:08d};SP;{key}")
    fd, name = tempfile.mkstemp(prefix="atende-demo-leads-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\r\n".join(lines) + "\r\n")
    return Path(name)


async def seed_demo_leads(engine: AsyncEngine, leads: int = DEMO_LEADS) -> int:
    """Upload the demo campaign's list (the same bytes every time: added once); its id."""
    path = await asyncio.to_thread(_demo_leads_file, leads, await _customers(engine))
    try:
        request = UploadRequest(DEMO_LIST, "demo-leads.csv", file_sha256(path))
        result = await upload_list(
            SqlListStore(engine), open_rows(path), request, clock=lambda: datetime.now(UTC)
        )
    finally:
        await asyncio.to_thread(path.unlink, True)
    return result.upload.list_id


async def _customers(engine: AsyncEngine) -> list[tuple[str, str]]:
    """``(CODE-STORE, name)`` of the seeded customers, in code order (none: empty)."""
    table = TABLES[e.Customer].c
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(table.code, table.store, table.name).order_by(table.code, table.store)
        )
        return [(f"{code}-{store}", name.replace(";", " ")) for code, store, name in rows]


async def seed(settings: Settings) -> None:
    """Create the demo users and seed the demo ERP (both idempotent)."""
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        users = UserStore(engine, PasswordPool(cost=settings.password_hash_cost))
        for name, (password, role) in DEMO_USERS.items():
            await users.ensure_user(name, password, role)
        admin = UserAdmin(users)
        if (await admin.get("supervisor")).phone is None:
            await admin.set_phone("supervisor", DEMO_SUPERVISOR_PHONE, actor="demo")
        users.close()
        if settings.erp_adapter == "embedded":
            await seed_erp(engine, settings.erp_demo_customers)
        acd = AcdConfigStore(engine)
        for queue in DEMO_QUEUES:
            await acd.save_queue(queue)
        for agent_id, skills in DEMO_AGENTS.items():
            username = f"agent{agent_id}" if f"agent{agent_id}" in DEMO_USERS else None
            await acd.save_agent(
                agent_id,
                interface=f"Local/{agent_id}@agents",
                skills=skills,
                name=f"Agent {agent_id}",
                username=username,
            )
        await seed_demo_campaign(engine, datetime.now(UTC))
        if settings.erp_adapter == "embedded":
            from atende.demo_preview import seed_demo_preview

            await seed_demo_preview(engine, datetime.now(UTC))
    finally:
        await engine.dispose()


async def seed_erp(engine: AsyncEngine, customers: int) -> bool:
    """Seed the demo ERP once; ``False`` when it already has customers."""
    try:
        summary = await seed_demo(engine, DEMO_ERP_SEED, customers=customers)
    except ErpError as err:
        if err.code != "already_seeded":
            raise
        log.info("demo_erp_already_seeded")
        return False
    log.info("demo_erp_seeded", customers=summary.customers, orders=summary.orders)
    return True


#: Callers no demo customer has (the agent sees "not identified").
DEMO_UNKNOWN_CALLERS = tuple(f"55119555500{n:02d}" for n in range(1, 9))


async def demo_callers(engine: AsyncEngine, known: int = 40) -> list[str]:
    """The twin's demo callers: the phones of ``known`` seeded customers (as Asterisk shows a
    caller id, without ``+``) and a few unknown numbers."""
    customers = TABLES[e.Customer].c
    async with engine.connect() as conn:
        phones = await conn.scalars(
            sa.select(customers.phone)
            .where(customers.phone != "")
            .order_by(customers.code, customers.store)
            .limit(known)
        )
        found = [p.lstrip("+") for p in phones]
    return found + list(DEMO_UNKNOWN_CALLERS) if found else []


async def _write_callers(settings: Settings) -> Path | None:
    """The demo callers in a file for the twin (None without the embedded ERP)."""
    if settings.erp_adapter != "embedded":
        return None
    engine = make_engine(settings.database_url)
    try:
        callers = await demo_callers(engine)
    finally:
        await engine.dispose()
    if not callers:
        return None
    fd, name = tempfile.mkstemp(prefix="atende-demo-callers-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(callers) + "\n")
    return Path(name)


async def _start_twin(settings: Settings, callers: Path | None) -> asyncio.subprocess.Process:
    env = dict(os.environ, ATENDE_TWIN_AMI_PORT=str(settings.twin_ami_port))
    more = ["--callers", str(callers)] if callers is not None else []
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "atende.cli", "twin", "--traffic", *more, env=env
    )
    await asyncio.sleep(1.0)
    if proc.returncode is not None:
        raise SystemExit(f"atende demo: the Asterisk twin exited with {proc.returncode}")
    return proc


async def demo_hands(engine: Engine) -> None:
    """The simulated agents' dispositions (:mod:`atende.demo_hands`), beside the engine."""
    assert engine.desk is not None
    await DemoHands(engine.desk).run()


async def run_demo(settings: Settings) -> int:
    """Run the demo until interrupted."""
    await seed(settings)
    callers_file = await _write_callers(settings)
    twin = await _start_twin(settings, callers_file)
    url = f"http://{settings.http_host}:{settings.http_port}/"
    print(f"\nAtende demo: open {url} and sign in with one of the demo users:")
    for name, (password, role) in DEMO_USERS.items():
        print(f"  {name:<12} {password:<16} ({role.value})")
    print(f"Agent desk (sign in as agent2001; callers are demo customers): {url}agent.html")
    print(f"Interval reports and staffing: {url}reports.html · readiness: {url}readyz")
    print(f"Campaigns and dialer lists (manager): {url}campaigns.html")
    print("Stop with Ctrl-C.\n", flush=True)
    log.info("demo_ready", web=url, twin_ami_port=settings.twin_ami_port)
    settings = settings.model_copy(
        update={
            "ivr_did_queues": settings.ivr_did_queues or DEMO_DIDS,
            "acd_login_on_start": True,
            "dialer_channel": "Local/{number}@customers",  # the twin's customers
        }
    )
    plans_db = make_engine(settings.database_url)
    try:
        return await run_engine(
            settings, campaign_plans=DemoPlans(plans_db), companions=[demo_hands]
        )
    finally:
        await plans_db.dispose()
        if callers_file is not None:
            callers_file.unlink(missing_ok=True)
        if twin.returncode is None:
            twin.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(twin.wait(), 5)
            except TimeoutError:
                twin.kill()
                await twin.wait()
