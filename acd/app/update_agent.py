"""Change an agent's interface, skills, name or user (only the fields given).

A logged-in agent keeps his session; new skills apply from his next login.
"""

from __future__ import annotations

from acd.app.agents import check_unshared, get_agent
from acd.app.models import Agent, AgentPatch
from acd.app.ports import ConfigStore


async def update_agent(store: ConfigStore, agent_id: str, patch: AgentPatch) -> Agent:
    """Apply ``patch``; ``agent_not_found``, ``interface_in_use``, ``username_in_use``."""
    await get_agent(store, agent_id)
    await check_unshared(store, agent_id, patch.interface, patch.username)
    await store.save_agent(
        agent_id,
        interface=patch.interface,
        skills=None if patch.skills is None else dict(patch.skills),
        name=patch.name,
        username=patch.username,
    )
    return await get_agent(store, agent_id)
