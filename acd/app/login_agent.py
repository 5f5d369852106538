"""Log an agent in: he takes calls of the queues his skills serve."""

from __future__ import annotations

from acd.app.agent_session import session_of
from acd.app.models import Agent, AgentSession
from acd.app.ports import LiveAcd
from acd.domain import InterfaceInUse


async def login_agent(acd: LiveAcd, agent: Agent) -> AgentSession:
    """Log ``agent`` in (available); ``illegal_transition`` when he is already logged in,
    ``interface_in_use`` when another logged-in agent rings at the same interface."""
    for other in acd.live_view()["agents"]:
        if other["agent"] != agent.agent and other.get("interface") == agent.interface:
            raise InterfaceInUse(agent.interface, other["agent"])
    await acd.login(agent.config())
    return session_of(acd, agent.agent)
