"""Transfer the agent's call, blind or attended, to a queue, an agent or a number."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted, TransferIn, accepted
from acd.app.ports import CallControlPort


async def transfer_call(acd: CallControlPort, agent_id: str, body: TransferIn) -> ControlAccepted:
    """Transfer the agent's call, blind or attended, to a queue, an agent or a number."""
    done = await acd.transfer_call(agent_id, body.mode, body.target.type, body.target.value)
    return accepted("transfer", done)
