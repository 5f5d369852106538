"""Make a paused agent available again."""

from __future__ import annotations

from acd.app.agent_session import session_of
from acd.app.models import Agent, AgentSession
from acd.app.ports import LiveAcd


async def unpause_agent(acd: LiveAcd, agent: Agent) -> AgentSession:
    """Unpause ``agent``; ``illegal_transition`` when he is not paused."""
    await acd.unpause(agent.agent)
    return session_of(acd, agent.agent)
