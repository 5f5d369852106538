"""Reading agents from the configuration store (shared by the agent use cases)."""

from __future__ import annotations

from acd.app.models import Agent
from acd.app.ports import ConfigStore
from acd.domain import AgentNotFound, InterfaceInUse, UsernameInUse


async def get_agent(store: ConfigStore, agent_id: str) -> Agent:
    """The configured agent ``agent_id``; ``agent_not_found`` otherwise."""
    row = await store.agent(agent_id)
    if row is None:
        raise AgentNotFound(f"no agent {agent_id!r}")
    return Agent.model_validate(row)


async def check_unshared(
    store: ConfigStore, agent_id: str, interface: str | None, username: str | None
) -> None:
    """Refuse an interface or a user that another agent has: one phone rings for one agent."""
    if interface is None and username is None:
        return
    for row in await store.agents():
        if row["agent"] == agent_id:
            continue
        if interface is not None and row["interface"] == interface:
            raise InterfaceInUse(interface, row["agent"])
        if username is not None and row["username"] == username:
            raise UsernameInUse(username, row["agent"])
