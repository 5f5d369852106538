"""A supervisor listens to, whispers to or barges into an agent's call."""

from __future__ import annotations

from acd.app.agents import get_agent
from acd.app.ports import ConfigStore
from acd.app.spying import NoPhone, SpyIn, Spying, SpySession
from acd.domain import NoCall


async def spy_on_call(
    store: ConfigStore,
    spying: Spying,
    supervisor: str,
    request: SpyIn,
    default_phone: str | None,
) -> SpySession:
    """Ring the supervisor's phone into the agent's call in ``request.mode``.

    ``agent_not_found`` for an unknown agent; ``no_call`` when no call is in progress on the
    agent's phone (nothing is rung); ``no_phone`` when the supervisor has no phone. Already
    listening to that agent, a new mode is switched on the call in progress (no new ring);
    listening to another agent, that session is ended first. Asked again the same while his
    phone rings or he listens, the session in progress is the answer (nothing rings again)."""
    agent = await get_agent(store, request.agent)
    phone = request.phone or default_phone
    if not phone:
        raise NoPhone("no phone to ring: set one on the user or name one")
    current = spying.session(supervisor)
    if current is not None and current.agent == agent.agent and current.phone == phone:
        if current.mode == request.mode:
            return current  # asked again (a second click): his phone is not rung twice
        if current.state == "spying":
            return await spying.switch(supervisor, request.mode)
    target = spying.agent_leg(agent.interface)
    if target is None:
        raise NoCall(f"agent {agent.agent} has no call in progress")
    if current is not None:
        await spying.stop(supervisor, "replaced")
    return await spying.start(supervisor, agent.agent, target, request.mode, phone)
