"""Take the agent's caller off hold: both legs are bridged again."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted, accepted
from acd.app.ports import CallControlPort


async def unhold_call(acd: CallControlPort, agent_id: str) -> ControlAccepted:
    """Take the agent's caller off hold: both legs are bridged again."""
    done = await acd.unhold_call(agent_id)
    return accepted("unhold", done)
