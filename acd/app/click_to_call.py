"""Click-to-call: ring the agent's phone, then the customer through [outbound]."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted, OriginateIn, accepted
from acd.app.ports import CallControlPort


async def click_to_call(acd: CallControlPort, agent_id: str, body: OriginateIn) -> ControlAccepted:
    """Click-to-call: ring the agent's phone, then the customer through [outbound]."""
    done = await acd.click_to_call(agent_id, body.number, body.customer_id)
    return accepted("originate", done)
