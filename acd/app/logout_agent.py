"""Log an agent out (from available or paused)."""

from __future__ import annotations

from acd.app.agent_session import session_of
from acd.app.models import Agent, AgentSession
from acd.app.ports import LiveAcd


async def logout_agent(acd: LiveAcd, agent: Agent) -> AgentSession:
    """Log ``agent`` out; ``illegal_transition`` when he is on a call or logged out."""
    await acd.logout(agent.agent)
    return session_of(acd, agent.agent)
