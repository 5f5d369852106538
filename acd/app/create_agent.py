"""Create an agent: a new id, an interface no other agent has, skills."""

from __future__ import annotations

from acd.app.agents import check_unshared, get_agent
from acd.app.models import Agent, AgentIn
from acd.app.ports import ConfigStore
from acd.domain import AgentExists


async def create_agent(store: ConfigStore, new: AgentIn) -> Agent:
    """Store ``new``; ``agent_exists``, ``interface_in_use`` or ``username_in_use`` refuse it."""
    if await store.agent(new.agent) is not None:
        raise AgentExists(f"agent {new.agent!r} already exists")
    await check_unshared(store, new.agent, new.interface, new.username)
    await store.save_agent(
        new.agent,
        interface=new.interface,
        skills=dict(new.skills),
        name=new.name,
        username=new.username,
    )
    return await get_agent(store, new.agent)
