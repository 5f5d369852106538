"""What the session use cases share: the agent's state after the change."""

from __future__ import annotations

from acd.app.models import AgentSession
from acd.app.ports import LiveAcd


def session_of(acd: LiveAcd, agent_id: str) -> AgentSession:
    """The agent's state as the router has it now."""
    view = acd.router.agent(agent_id)
    return AgentSession(agent=agent_id, state=view.state.value, pause_reason=view.pause_reason)
