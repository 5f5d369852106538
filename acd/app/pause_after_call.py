"""Pause once the current call is over (or cancel that)."""

from __future__ import annotations

from acd.app.agent_status import agent_status
from acd.app.models import AgentStatus, PauseAfterCallIn
from acd.app.ports import LiveAcd


async def pause_after_call(acd: LiveAcd, agent_id: str, body: PauseAfterCallIn) -> AgentStatus:
    """Ask for a pause with ``body.reason`` after the call and its wrap-up (``None`` cancels);
    ``no_call`` when the agent has no call."""
    await acd.pause_after_call(agent_id, body.reason)
    return agent_status(acd, agent_id)
