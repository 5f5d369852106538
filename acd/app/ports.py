"""What the ACD's use cases need from the outside: the configuration store and the live ACD."""

from __future__ import annotations

from collections.abc import Iterable
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

    async def pause_after_call(self, agent_id: str, reason: str | None) -> None: ...

    async def extend_wrap_up(self, agent_id: str, seconds: float) -> None: ...

    async def end_wrap_up(self, agent_id: str) -> None: ...

    async def disposition_given(self, agent_id: str, call_id: str) -> None: ...

    def agent_call(self, agent_id: str) -> dict[str, Any] | None: ...

    def live_view(self) -> dict[str, Any]: ...


class CallControlPort(Protocol):
    """The agent's call controls on the running ACD (``acd.live.InboundAcd``). Each refuses
    with an ``acd.domain.errors.CallControlRefused`` (a stable ``code``) and answers what it
    sent."""

    def call_controls_state(self, agent_id: str) -> dict[str, Any]: ...

    async def hangup_call(self, agent_id: str) -> dict[str, Any]: ...

    async def hold_call(self, agent_id: str) -> dict[str, Any]: ...

    async def unhold_call(self, agent_id: str) -> dict[str, Any]: ...

    async def transfer_call(
        self, agent_id: str, mode: str, kind: str, value: str
    ) -> dict[str, Any]: ...

    async def complete_transfer(self, agent_id: str) -> dict[str, Any]: ...

    async def cancel_transfer(self, agent_id: str) -> dict[str, Any]: ...

    async def send_dtmf(self, agent_id: str, digits: str) -> dict[str, Any]: ...

    async def click_to_call(
        self, agent_id: str, number: str, customer_id: str | None = None
    ) -> dict[str, Any]: ...
