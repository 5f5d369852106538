"""What the agent's call controls see of his call (held, transfer under way, click-to-call)."""

from __future__ import annotations

from acd.app.call_models import CallControlsView
from acd.app.ports import CallControlPort


def call_controls_state(acd: CallControlPort, agent_id: str) -> CallControlsView:
    """The agent's call as the controls see it (all empty when he has none)."""
    return CallControlsView.model_validate(acd.call_controls_state(agent_id))
