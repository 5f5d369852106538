"""More time for the agent's wrap-up."""

from __future__ import annotations

from acd.app.agent_status import agent_status
from acd.app.models import AgentStatus, ExtendWrapUpIn
from acd.app.ports import LiveAcd


async def extend_wrap_up(acd: LiveAcd, agent_id: str, body: ExtendWrapUpIn) -> AgentStatus:
    """Add ``body.seconds`` to the wrap-up timer; ``no_call`` when not in wrap-up."""
    await acd.extend_wrap_up(agent_id, body.seconds)
    return agent_status(acd, agent_id)
