"""Every configured agent with his live state."""

from __future__ import annotations

from acd.app.models import Agent, AgentListing
from acd.app.ports import ConfigStore, LiveAcd


async def list_agents(store: ConfigStore, acd: LiveAcd | None) -> list[AgentListing]:
    """Agents in id order; ``logged_out`` for those the running ACD does not have."""
    live = {a["agent"]: a for a in acd.live_view()["agents"]} if acd is not None else {}
    out = []
    for row in await store.agents():
        state = live.get(row["agent"], {})
        out.append(
            AgentListing(
                **Agent.model_validate(row).model_dump(),
                state=state.get("state", "logged_out"),
                in_state_seconds=state.get("in_state_seconds"),
                pause_reason=state.get("pause_reason"),
            )
        )
    return out
