"""What the ACD's use cases need from the outside: the configuration store and the live ACD."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from acd.domain import AgentConfig, QueueConfig, Router


class ConfigStore(Protocol):
    """Agents and queues as configured (the SQL store ``acd.live.sql.AcdConfigStore``)."""

    async def queues(self) -> list[QueueConfig]: ...

    async def queue(self, name: str) -> QueueConfig | None: ...

    async def save_queue(self, config: QueueConfig) -> bool: ...

    async def agents(self) -> list[dict[str, Any]]: ...

    async def agent(self, agent_id: str) -> dict[str, Any] | None: ...

    async def save_agent(
        self,
        agent_id: str,
        *,
        interface: str | None = None,
        skills: dict[str, int] | None = None,
        name: str | None = None,
        username: str | None = None,
    ) -> bool: ...


class LiveAcd(Protocol):
    """The running ACD (``acd.live.InboundAcd``); absent for the CLI, which only configures."""

    router: Router

    async def login(self, agent: AgentConfig, paused: str | None = None) -> None: ...

    async def logout(self, agent_id: str) -> None: ...

    async def pause(self, agent_id: str, reason: str) -> None: ...

    async def unpause(self, agent_id: str) -> None: ...

    async def reconfigure(self, queues: Iterable[QueueConfig]) -> None: ...

    async def change_skills(self, agent_id: str, skills: Mapping[str, int]) -> None: ...

    async def move_call(self, call_id: str, queue: str) -> None: ...

    async def move_to_front(self, call_id: str) -> None: ...

    def live_view(self) -> dict[str, Any]: ...
