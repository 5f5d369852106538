"""Complete the agent's attended transfer: caller and target talk, the agent leaves."""

from __future__ import annotations

from acd.app.call_models import ControlAccepted
from acd.app.ports import CallControlPort


async def complete_transfer(acd: CallControlPort, agent_id: str) -> ControlAccepted:
    """Complete the agent's attended transfer: caller and target talk, the agent leaves."""
    done = await acd.complete_transfer(agent_id)
    return ControlAccepted(
        control="transfer_complete", call_id=done.pop("call_id", None), detail=done
    )
