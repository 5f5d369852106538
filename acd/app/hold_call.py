"""Put the agent's caller on hold: the caller hears music, the agent's leg waits."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted, accepted
from acd.app.ports import CallControlPort


async def hold_call(acd: CallControlPort, agent_id: str) -> ControlAccepted:
    """Put the agent's caller on hold: the caller hears music, the agent's leg waits."""
    done = await acd.hold_call(agent_id)
    return accepted("hold", done)
