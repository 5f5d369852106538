"""Change an agent's skills from the floor: saved, and applied at once when he is logged in."""

from __future__ import annotations

from acd.app.agents import get_agent
from acd.app.models import Agent, SkillsIn
from acd.app.ports import ConfigStore, LiveAcd
from acd.domain import AgentState


async def change_skills(
    store: ConfigStore, acd: LiveAcd | None, agent_id: str, body: SkillsIn
) -> Agent:
    """Save ``body.skills`` as the agent's; a logged-in agent serves by them from now on
    (a call he holds goes on). ``agent_not_found``."""
    await get_agent(store, agent_id)
    await store.save_agent(agent_id, skills=dict(body.skills))
    if acd is not None and agent_id in acd.router.agents:
        if acd.router.agent(agent_id).state is not AgentState.LOGGED_OUT:
            await acd.change_skills(agent_id, dict(body.skills))
    return await get_agent(store, agent_id)
