"""Cancel the agent's attended transfer: the target's leg ends, the agent is back."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted
from acd.app.ports import CallControlPort


async def cancel_transfer(acd: CallControlPort, agent_id: str) -> ControlAccepted:
    """Cancel the agent's attended transfer: the target's leg ends, the agent is back."""
    done = await acd.cancel_transfer(agent_id)
    return ControlAccepted(
        control="transfer_cancel", call_id=done.pop("call_id", None), detail=done
    )
