"""``AgentDesk``: what the agent's API and WebSocket stand on.

It maps a signed-in user to his agent, reads his state (``acd.app.agent_status``) with what the
desktop adds to his call (its customers, its disposition), keeps the sockets open per agent and
checks that an agent reads only the customers of his own calls of the day.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.app.agent_status import agent_status
from acd.app.models import AgentCall, AgentStatus, CustomerRef
from acd.app.ports import CallControlPort, ConfigStore, LiveAcd
from atende.desk.calls import DeskCall, DeskCalls, customer_key
from crm_sync.app.customer_views import CustomerViews
from crm_sync.domain.view import CustomerView

log = structlog.get_logger("atende.desk")

SOCKET_BACKLOG = 256  # messages waiting for one slow socket before it is closed


class Refused(Exception):
    """A desktop request refused with an HTTP status and a stable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class NotAnAgent(Exception):
    """No configured agent belongs to this user."""


class NotYourCustomer(Exception):
    """The customer belongs to none of this agent's calls of the day."""


class AgentDesk:
    """The desktop's state and sockets (one per engine)."""

    def __init__(
        self,
        acd: LiveAcd,
        views: CustomerViews | None,
        config: ConfigStore,
        db: AsyncEngine,
        *,
        controls: CallControlPort | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.acd = acd
        self.controls = controls  # the agent's click-to-call shows as his call
        self._names: dict[str, str] = {}  # customer id -> name, of the views agents opened
        self.views = views
        self.config = config
        self.db = db
        self.clock = clock
        self.calls = DeskCalls()
        self._sockets: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._agents_of_users: dict[str, str] = {}

    # ------------------------------------------------------------------ who
    async def agent_of(self, username: str) -> str:
        """The agent id configured for ``username`` (``NotAnAgent`` when none)."""
        found = self._agents_of_users.get(username)
        if found is not None:
            return found
        for row in await self.config.agents():
            if row.get("username"):
                self._agents_of_users[row["username"]] = row["agent"]
        if username not in self._agents_of_users:
            raise NotAnAgent(username)
        return self._agents_of_users[username]

    # ------------------------------------------------------------------ state
    def status(self, agent_id: str) -> AgentStatus:
        """The agent's state and call, with the call's customers and disposition."""
        status = agent_status(self.acd, agent_id)
        if status.call is not None:
            known = self.calls.of(agent_id, status.call.call_id)
            if known is not None:
                status.call.customers = list(known.customers)
                status.call.disposition = known.disposition
            if self.controls is not None and status.call.state == "connected":
                seen = self.controls.call_controls_state(agent_id)
                status.call.held = bool(seen["held"]) and seen["call_id"] == status.call.call_id
        elif self.controls is not None and status.state != "logged_out":
            status.call = self._click_to_call(agent_id)
        return status

    def _click_to_call(self, agent_id: str) -> AgentCall | None:
        """The agent's click-to-call under way as his call (None: none)."""
        out = self.controls.call_controls_state(agent_id) if self.controls else {}
        placed = out.get("outbound")
        if not placed:
            return None
        customer = placed.get("customer_id")
        customers = []
        if customer:
            store = customer.partition("-")[2]
            name = self._names.get(customer, "")
            customers.append(CustomerRef(customer_id=customer, store=store, name=name))
        return AgentCall(
            call_id=out.get("call_id") or "",
            queue="",
            caller=placed["number"],
            direction="outbound",
            state=placed.get("state") or "ringing",
            click_to_call=True,
            entered_at=placed.get("placed_at") or self.clock(),
            answered_at=placed.get("answered_at"),
            ended_at=None,
            customers=customers,
        )

    def call_body(self, call: DeskCall) -> dict[str, Any]:
        """``call`` as ``me.call`` shows it (from the ACD while it has it)."""
        status = self.status(call.agent)
        if status.call is not None and status.call.call_id == call.call_id:
            return status.call.model_dump(mode="json")
        config = self.acd.router.configs.get(call.queue)
        return {
            "call_id": call.call_id,
            "queue": call.queue,
            "caller": call.caller,
            "direction": "inbound",
            "state": "ended" if call.ended_at is not None else "offered",
            "entered_at": call.entered_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
            "customers": [c.model_dump() for c in call.customers],
            "dispositions": [d.model_dump() for d in (config.dispositions if config else ())],
            "disposition": call.disposition.model_dump() if call.disposition else None,
        }

    # ------------------------------------------------------------------ sockets
    def connect(self, agent_id: str) -> asyncio.Queue[dict[str, Any]]:
        """A new socket of ``agent_id``: the queue of messages to send it."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(SOCKET_BACKLOG)
        self._sockets.setdefault(agent_id, set()).add(queue)
        return queue

    def disconnect(self, agent_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """The socket closed."""
        sockets = self._sockets.get(agent_id)
        if sockets is not None:
            sockets.discard(queue)
            if not sockets:
                del self._sockets[agent_id]

    def connected(self, agent_id: str) -> bool:
        """True when the agent has a socket open."""
        return agent_id in self._sockets

    def send(self, agent_id: str, message: dict[str, Any]) -> None:
        """Queue ``message`` for every socket of ``agent_id`` (a socket too far behind is
        dropped: it gets only ``{"type": "overflow"}``, on which its sender closes it)."""
        for queue in list(self._sockets.get(agent_id, ())):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:  # its sender closes it; the page reconnects
                log.warning("agent_socket_behind", agent=agent_id)
                self.disconnect(agent_id, queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait({"type": "overflow"})

    def push_state(self, agent_id: str) -> None:
        """Send the agent's state to his sockets (nothing when he has none)."""
        if self.connected(agent_id):
            self.send(agent_id, {"type": "state", **self.status(agent_id).model_dump(mode="json")})

    # ------------------------------------------------------------------ customers
    async def check_customer(self, agent_id: str, code: str, store: str) -> None:
        """``NotYourCustomer`` unless the customer store belongs to one of ``agent_id``'s calls
        of today (the same rule for the view and for what the agent does in the ERP)."""
        key = customer_key(code, store)
        now = self.clock()
        if self.calls.may_read(agent_id, key, now):
            return
        day = datetime.fromtimestamp(now, UTC).date()
        since = datetime(day.year, day.month, day.day, tzinfo=UTC)
        had = (
            await self.views.interactions.agent_customers(agent_id, since) if self.views else set()
        )
        if (code, store) not in had:
            raise NotYourCustomer(key)
        self.calls.allow(agent_id, key, now)

    async def customer_view(self, agent_id: str, code: str, store: str) -> CustomerView:
        """The view of a customer of one of ``agent_id``'s calls of today (``NotYourCustomer``
        otherwise); opening one of the current call's candidates picks it for the call."""
        if self.views is None:
            raise RuntimeError("the customer view is not running")
        key = customer_key(code, store)
        await self.check_customer(agent_id, code, store)
        call = self.status(agent_id).call
        known = self.calls.of(agent_id, call.call_id) if call is not None else None
        if known is not None and any(c.customer_id == key for c in known.customers):
            known.chosen = key
        view = await self.views.view(code, store)
        self._names[key] = view.registration.name
        while len(self._names) > 10_000:
            self._names.pop(next(iter(self._names)))
        return view


def utc(epoch: float) -> datetime:
    """An epoch time as an aware UTC datetime."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch)
