"""Agents act in the ERP only for the customers of their own calls of today.

Supervisors and admins see every customer; an agent asking about, or acting for, a customer
store none of his calls of today was about gets 403 ``not_your_customer`` (searches and work
lists are narrowed to his customers instead). The rule itself belongs to the agent desk (the
same one ``GET /api/agent/customers/{id}/view`` applies, ``AgentDesk.check_customer``). An
engine without the desk (no ACD running) asks the stored interactions, as the desk itself
does for calls it no longer holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC
from typing import TypeVar

import sqlalchemy as sa
from aiohttp import web

from acd.live.sql import acd_agents
from atende.auth import Role
from atende.desk.service import NotAnAgent, NotYourCustomer
from atende.web.agent_api import DESK
from atende.web.erp_support import erp
from atende.web.errors import ApiError
from atende.web.security import principal
from crm_sync.adapters.sql_interactions import SqlInteractions
from erp_bridge.domain import entities as e
from erp_bridge.embedded.tables import TABLES

T = TypeVar("T")


def _agent(request: web.Request) -> str | None:
    """The signed-in agent's username; ``None`` for the other roles (not scoped)."""
    who = principal(request)
    return who.username if who.role is Role.AGENT else None


async def _may(request: web.Request, username: str, code: str, store: str) -> bool:
    desk = request.app.get(DESK)
    if desk is None:
        return (code, store) in await _recorded_customers(request, username)
    try:
        await desk.check_customer(await desk.agent_of(username), code, store)
    except (NotAnAgent, NotYourCustomer):
        return False
    return True


async def _recorded_customers(request: web.Request, username: str) -> set[tuple[str, str]]:
    """Without the desk (an engine with no ACD running): the customers of the agent's calls of
    today as the stored interactions name them (the desk's own fallback)."""
    ctx = erp(request)
    since = ctx.clock().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    async with ctx.engine.connect() as conn:
        agents = await conn.scalars(
            sa.select(acd_agents.c.agent_id).where(acd_agents.c.username == username)
        )
        ids = list(agents)
    records = SqlInteractions(ctx.engine)
    found: set[tuple[str, str]] = set()
    for agent_id in ids:
        found |= await records.agent_customers(agent_id, since)
    return found


async def check_agent_customer(request: web.Request, code: str, store: str) -> None:
    """403 ``not_your_customer`` for an agent whose calls of today were not about the customer
    store ``code``/``store``; nothing for the other roles."""
    username = _agent(request)
    if username is not None and not await _may(request, username, code, store):
        raise ApiError(
            403,
            "not_your_customer",
            "an agent acts only for the customers of his calls of today",
        )


async def agent_customers_only(
    request: web.Request, items: Iterable[T], key: Callable[[T], tuple[str, str]]
) -> list[T]:
    """``items`` narrowed, for an agent, to those of his customers (all for the other roles)."""
    username = _agent(request)
    if username is None:
        return list(items)
    return [i for i in items if await _may(request, username, *key(i))]


async def _owner(request: web.Request, cls: type, key: str, value: str) -> tuple[str, str]:
    """The customer store of an embedded ERP record (an order, a ticket); 403 when there is
    none to check against (unknown record, or an ERP the engine cannot read it from)."""
    embedded = erp(request).embedded
    if embedded is not None:
        table = TABLES[cls]
        async with erp(request).engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(table.c.customer_code, table.c.customer_store).where(
                        table.c[key] == value
                    )
                )
            ).first()
        if row is not None:
            return str(row[0]), str(row[1])
    raise ApiError(403, "not_your_customer", "an agent acts only for his calls' customers")


async def check_agent_order(request: web.Request, number: str) -> None:
    """An agent reads an order only when it is of one of his customers."""
    if _agent(request) is not None:
        await check_agent_customer(request, *await _owner(request, e.SalesOrder, "number", number))


async def check_agent_ticket(request: web.Request, number: str) -> None:
    """An agent updates a service ticket only when it is of one of his customers."""
    if _agent(request) is not None:
        await check_agent_customer(
            request, *await _owner(request, e.ServiceTicket, "number", number)
        )
