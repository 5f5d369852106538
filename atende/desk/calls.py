"""The desktop's memory of each agent's calls of the day: the customers each call may be
about (the screen-pop's candidates, the one the agent picked) and its disposition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from acd.app.models import CustomerRef, GivenDisposition


def customer_key(code: str, store: str) -> str:
    """``CODE-STORE``, the customer id of the API (``000001-01``)."""
    return f"{code}-{store}"


def day_of(epoch: float) -> str:
    """The UTC day of an epoch time (``2026-11-29``)."""
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


@dataclass
class DeskCall:
    """One call of one agent, as the desktop knows it."""

    call_id: str
    agent: str
    queue: str
    caller: str
    entered_at: float
    reserved_at: float
    customers: list[CustomerRef] = field(default_factory=list)
    chosen: str | None = None  # the customer the agent opened among several
    answered_at: float | None = None
    ended_at: float | None = None
    disposition: GivenDisposition | None = None
    outcome_ref: str = ""
    lead_customer: str | None = None  # a dialer call: its lead's customer id

    def customer(self) -> str | None:
        """The call's customer: the one picked, else the only candidate."""
        if self.chosen is not None:
            return self.chosen
        return self.customers[0].customer_id if len(self.customers) == 1 else None


class DeskCalls:
    """Calls by id (the latest offer of each) and by agent (a transferred call stays, for the
    agent who transferred it, the call he wraps up), and per agent the customers of his calls
    of the day (bounded)."""

    def __init__(self, kept: int = 50_000) -> None:
        self._calls: dict[str, DeskCall] = {}
        self._by_agent: dict[tuple[str, str], DeskCall] = {}  # (agent, call) -> his offer
        self._customers: dict[str, dict[str, str]] = {}  # agent -> customer -> day
        self._kept = kept

    def reserved(self, call: DeskCall) -> DeskCall:
        """A new offer of ``call.call_id`` to ``call.agent`` (an earlier offer to him is
        replaced; another agent's is kept as his)."""
        self._calls.pop(call.call_id, None)
        self._calls[call.call_id] = call
        key = (call.agent, call.call_id)
        earlier = self._by_agent.pop(key, None)
        if earlier is not None and not call.customers:  # offered again: same customers
            call.customers, call.chosen = earlier.customers, earlier.chosen
        self._by_agent[key] = call
        while len(self._calls) > self._kept:
            self._calls.pop(next(iter(self._calls)))
        while len(self._by_agent) > self._kept:
            self._by_agent.pop(next(iter(self._by_agent)))
        return call

    def get(self, call_id: str) -> DeskCall | None:
        """The call's latest offer, if the desktop saw it offered."""
        return self._calls.get(call_id)

    def of(self, agent: str, call_id: str) -> DeskCall | None:
        """``agent``'s offer of ``call_id`` (still his after he transferred it)."""
        return self._by_agent.get((agent, call_id))

    def found(self, call: DeskCall, customers: list[CustomerRef]) -> None:
        """The screen-pop's candidates of ``call``: they become the agent's customers."""
        call.customers = customers
        for c in customers:
            self.allow(call.agent, c.customer_id, call.reserved_at)

    def allow(self, agent: str, customer_id: str, at: float) -> None:
        """``agent`` may read ``customer_id`` today."""
        self._customers.setdefault(agent, {})[customer_id] = day_of(at)

    def may_read(self, agent: str, customer_id: str, now: float) -> bool:
        """True when ``customer_id`` belongs to one of ``agent``'s calls of today."""
        return self._customers.get(agent, {}).get(customer_id) == day_of(now)
