"""Hang up the agent's current call (his leg; the caller's side ends with it)."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted, accepted
from acd.app.ports import CallControlPort


async def hangup_call(acd: CallControlPort, agent_id: str) -> ControlAccepted:
    """Hang up the agent's current call (his leg; the caller's side ends with it)."""
    done = await acd.hangup_call(agent_id)
    return accepted("hangup", done)
