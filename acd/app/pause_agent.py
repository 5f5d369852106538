"""Pause an agent with a reason (lunch, training...)."""

from __future__ import annotations

from acd.app.agent_session import session_of
from acd.app.models import Agent, AgentSession, PauseIn
from acd.app.ports import LiveAcd


async def pause_agent(acd: LiveAcd, agent: Agent, pause: PauseIn) -> AgentSession:
    """Pause ``agent`` (from available, wrap-up, or paused to change the reason);
    ``illegal_transition`` otherwise."""
    await acd.pause(agent.agent, pause.reason)
    return session_of(acd, agent.agent)
