"""The ports of the customer view: the cache, the interactions store and the ERP's order and
ticket lists (the ERP port itself is :class:`erp_bridge.port.ErpPort`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from crm_sync.domain.interactions import Interaction
from crm_sync.domain.view import OpenTicket, RecentOrder


class CacheUnavailable(Exception):
    """The cache did not answer (Redis down): the read side then asks the ERP."""


@dataclass(frozen=True)
class Entry:
    """A cached document: its JSON, when it was read from the ERP, and whether it is still
    fresh (within the TTL and not invalidated since)."""

    data: str
    fetched_at: datetime
    fresh: bool


class ViewCache(Protocol):
    """Documents by key (``customer:CODE:STORE``, ``phone:+55...``, ``taxid:...``).
    Every method raises :class:`CacheUnavailable` when the cache does not answer.

    A document stays fresh for the TTL; after that, or once invalidated, it is kept as the last
    copy (served marked stale while the ERP is down) until the longer ``keep`` time passes.
    """

    async def get(self, key: str) -> Entry | None:
        """The document, fresh or not, or None."""
        ...

    async def generation(self, customer: str) -> int:
        """A counter raised by every invalidation of ``customer`` (``CODE:STORE``)."""
        ...

    async def put(
        self, key: str, data: str, fetched_at: datetime, *, customers: dict[str, int]
    ) -> bool:
        """Store ``data`` as fresh unless one of ``customers`` was invalidated since its
        generation was read (then nothing is stored and False is answered)."""
        ...

    async def invalidate(self, customer: str) -> None:
        """``customer``'s view and every lookup naming it are no longer fresh."""
        ...

    async def position(self, name: str) -> int:
        """A remembered feed position (0 when never stored)."""
        ...

    async def set_position(self, name: str, value: int) -> None:
        """Remember a feed position."""
        ...

    async def close(self) -> None:
        """Release the connection."""
        ...


class InteractionStore(Protocol):
    """This contact center's calls with customers."""

    async def record(self, item: Interaction) -> None:
        """Insert or replace the call's interaction (by call id)."""
        ...

    async def get(self, call_id: str) -> Interaction | None:
        """One call's interaction."""
        ...

    async def for_customer(self, code: str, store: str, limit: int = 10) -> list[Interaction]:
        """The customer's last calls, newest first."""
        ...

    async def agent_customers(self, agent: str, since: datetime) -> set[tuple[str, str]]:
        """``(code, store)`` of the customers of ``agent``'s calls started since ``since``."""
        ...


class CustomerRecords(Protocol):
    """The ERP's lists the position does not carry: recent orders and open tickets.

    ``None`` means this ERP cannot list them (the view says so)."""

    async def recent_orders(self, code: str, store: str, limit: int) -> list[RecentOrder] | None:
        """The customer's last orders, newest first, with release rows and block codes."""
        ...

    async def open_tickets(self, code: str, store: str) -> list[OpenTicket] | None:
        """The customer's service tickets not closed."""
        ...
