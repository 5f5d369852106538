"""Helpers for ACD tests: a twin running the product dialplan and an engine with queues/agents."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from acd.domain import QueueConfig
from acd.live import InboundAcd
from acd.live.sql import AcdConfigStore
from atende.db import make_engine, upgrade
from atende.settings import AmiServer, Settings, load_settings
from atende.wiring import Engine
from telephony.twin import AmiUser, Twin, TwinConfig

DID_QUEUES = {
    "1133330001": "vendas",
    "1133330002": "suporte",
    "1133330003": "cobranca",
    "1133330004": "retencao",
}
QUEUE_SKILLS = {
    "vendas": "sales",
    "suporte": "support",
    "cobranca": "billing",
    "retencao": "retention",
}


def bridged_agents(twin: Twin) -> dict[str, str]:
    """linkedid -> agent extension for every caller bridged with an agent's phone."""
    out = {}
    for ch in twin.channels():
        if ch.bridge and ch.name.startswith("Local/") and "@agents" in ch.name:
            out[ch.linkedid] = ch.name.split("/", 1)[1].split("@", 1)[0]
    return out


def product_twin(time_scale: float, ami_user: AmiUser | None = None) -> Twin:
    """A twin that runs the repository's inbound dialplan (IVR, hold, connect); the engine's
    AMI user reads every event unless ``ami_user`` says otherwise."""
    return Twin(
        TwinConfig(
            ami_port=0,
            users={"atende": ami_user or AmiUser("atende")},
            time_scale=time_scale,
            product_inbound=True,
        )
    )


def acd_settings(twin_port: int, database_url: str, **extra: Any) -> Settings:
    """Engine settings for a twin on ``twin_port``: ephemeral ports, DIDs to queues, auto-login."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "ami_servers": [AmiServer(name="pbx1", port=twin_port, username="atende", secret="atende")],
        "agi_port": 0,
        "http_port": 0,
        "ami_action_timeout": 5.0,
        "ami_reconnect_max_delay": 0.5,
        "ivr_did_queues": DID_QUEUES,
        "acd_login_on_start": True,
        "acd_tick_interval": 0.2,
        "acd_no_answer_pause": 1.0,
    }
    values.update(extra)
    return load_settings(**values)


async def seed_acd(
    database_url: str,
    queues: Iterable[QueueConfig],
    agents: dict[str, dict[str, int]],
    context: str = "agents",
) -> None:
    """Migrate, then store queues and agents (``Local/<id>@<context>`` interfaces)."""
    await asyncio.to_thread(upgrade, database_url)
    db = make_engine(database_url)
    try:
        store = AcdConfigStore(db)
        for queue in queues:
            await store.save_queue(queue)
        for agent_id, skills in agents.items():
            await store.save_agent(agent_id, interface=f"Local/{agent_id}@{context}", skills=skills)
    finally:
        await db.dispose()


def four_queues(**overrides: Any) -> list[QueueConfig]:
    """vendas, suporte, cobranca, retencao, each needing its own skill."""
    return [QueueConfig(name=q, skills={s: 1}, **overrides) for q, s in QUEUE_SKILLS.items()]


@dataclass
class AcdStack:
    """A product twin and an engine linked to it, with the ACD ready."""

    twin: Twin
    engine: Engine

    @property
    def acd(self) -> InboundAcd:
        assert self.engine.acd is not None
        return self.engine.acd

    def agent(self, agent_id: str) -> dict[str, Any]:
        return next(a for a in self.acd.live_view()["agents"] if a["agent"] == agent_id)

    def queue(self, name: str) -> dict[str, Any]:
        return next(q for q in self.acd.live_view()["queues"] if q["queue"] == name)


@asynccontextmanager
async def running_acd(
    database_url: str,
    queues: list[QueueConfig],
    agents: dict[str, dict[str, int]],
    time_scale: float = 0.05,
    ami_user: AmiUser | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[Twin, Engine]]:
    """Seed queues and agents, start a product twin and an engine, wait for the ACD."""
    await seed_acd(database_url, queues, agents)
    twin = product_twin(time_scale, ami_user)
    port = await twin.start()
    engine = Engine(acd_settings(port, database_url, **settings))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    try:
        assert engine.acd is not None
        await engine.acd.wait_ready()
        yield twin, engine
    finally:
        await engine.stop()
        await twin.stop()
