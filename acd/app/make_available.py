"""The agent is ready for calls: from a pause, or ending his wrap-up early."""

from __future__ import annotations

from acd.app.agent_status import agent_status
from acd.app.models import AgentStatus
from acd.app.ports import LiveAcd


async def make_available(acd: LiveAcd, agent_id: str) -> AgentStatus:
    """Unpause, or end the wrap-up (then paused instead when a pause after the call was asked
    for); ``disposition_required`` while the call needs its disposition,
    ``illegal_transition`` in any other state."""
    if agent_status(acd, agent_id).state == "wrap_up":
        await acd.end_wrap_up(agent_id)
    else:
        await acd.unpause(agent_id)
    return agent_status(acd, agent_id)
