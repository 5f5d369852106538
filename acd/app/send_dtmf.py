"""Send keypad digits on the agent's call (the customer's side hears them)."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted, DtmfIn, accepted
from acd.app.ports import CallControlPort


async def send_dtmf(acd: CallControlPort, agent_id: str, body: DtmfIn) -> ControlAccepted:
    """Send keypad digits on the agent's call (the customer's side hears them)."""
    done = await acd.send_dtmf(agent_id, body.digits)
    return accepted("dtmf", done)
