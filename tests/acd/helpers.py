"""Small helpers shared by the example tests."""

from __future__ import annotations

from acd.domain import Decision, Offer


def offers(decisions: list[Decision]) -> list[tuple[str, str]]:
    """``(call, agent)`` for each Offer among ``decisions``."""
    return [(d.call_id, d.agent_id) for d in decisions if isinstance(d, Offer)]
