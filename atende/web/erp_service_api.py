"""ERP endpoints of collection (overdue titles, promises to pay), field service (tickets), call
outcomes through the outbox, and the outbox's supervision (status, dead letters, retry).

Roles: agents (and supervisors) work collection, promises, tickets and record a call's
outcome and see how it went; campaign managers may read the collection list (to build
telecobrança campaigns); supervisors see the outbox and retry dead outcomes.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

import sqlalchemy as sa
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from atende.auth import Role
from atende.web.agent_scope import agent_customers_only, check_agent_customer, check_agent_ticket
from atende.web.disposition_api import check_call_access
from atende.web.erp_support import body_of, erp, erp_errors, parse, query_int, reply, validate
from atende.web.errors import ApiError
from atende.web.security import allow, principal
from erp_bridge.app.collection_list import collection_list
from erp_bridge.app.outcomes import OutcomeView, list_outcomes, retry_outcome
from erp_bridge.app.record_outcome import record_call_outcome
from erp_bridge.app.register_promise import register_promise
from erp_bridge.app.service_ticket import open_service_ticket, update_service_ticket
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.outbox.outcomes import PAYLOADS, Outcome
from erp_bridge.outbox.supervision import utc
from erp_bridge.outbox.table import outbox
from erp_bridge.port import PromiseRequest, TicketUpdate

OUTBOX_STATUSES = ("pending", "delivered", "rejected", "dead")


class OutcomeBody(BaseModel):
    """A call's outcome: what kind, its payload (an order, promise or ticket), the call."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["sales_order", "promise", "service_ticket"]
    payload: dict[str, Any]
    call_id: str = Field("", max_length=64)


@allow(Role.AGENT, Role.SUPERVISOR, Role.CAMPAIGN_MANAGER)
@erp_errors
async def overdue(request: web.Request) -> web.Response:
    """Overdue titles for collection, most late first (``min_days`` overdue, default 1);
    titles under an open promise are left out, those of a broken promise flagged."""
    items = await collection_list(erp(request).port, min_days=query_int(request, "min_days", 1))
    customer = request.query.get("customer_code")
    if customer:
        items = [i for i in items if i.customer_code == customer]
    items = await agent_customers_only(
        request, items, lambda i: (i.customer_code, i.customer_store)
    )
    return reply({"titles": items})


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def promise(request: web.Request) -> web.Response:
    """Record a promise to pay titles by a date (``promise_date_past``, ``promise_too_far``,
    ``promise_amount_invalid``, ``title_not_open``...)."""
    req = parse(PromiseRequest, await body_of(request))
    await check_agent_customer(request, req.customer_code, req.customer_store)
    if not req.operator:
        req = dataclasses.replace(req, operator=principal(request).username)
    key = request.headers.get("Idempotency-Key") or None
    return reply(await register_promise(erp(request).port, req, idempotency_key=key), 201)


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def open_ticket(request: web.Request) -> web.Response:
    """Open a service ticket for a customer's product (serial joins the installed base)."""
    req = parse(TicketRequest, await body_of(request))
    await check_agent_customer(request, req.customer_code, req.customer_store)
    key = request.headers.get("Idempotency-Key") or None
    return reply(await open_service_ticket(erp(request).port, req, idempotency_key=key), 201)


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def update_ticket(request: web.Request) -> web.Response:
    """Update a ticket: note, work order lines, a technician's visit, sales order, close."""
    update = parse(TicketUpdate, await body_of(request))
    await check_agent_ticket(request, request.match_info["number"])
    result = await update_service_ticket(erp(request).port, request.match_info["number"], update)
    return reply(result)


def outcome_json(view: OutcomeView) -> dict[str, Any]:
    """An outcome's delivery state; ``result`` is the ERP's answer once delivered, and a
    rejected outcome carries the ERP's ``reject_code`` and ``reject_message``."""
    out: dict[str, Any] = {
        "id": view.id,
        "kind": view.kind,
        "call_id": view.call_id,
        "agent": view.agent,
        "status": view.status,
        "attempts": view.attempts,
        "last_error": view.last_error,
        "reject_code": view.reject_code,
        "reject_message": view.reject_message,
        "result": json.loads(view.result) if view.result else None,
        "created_at": utc(view.created_at),
        "delivered_at": utc(view.delivered_at),
    }
    return out


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def record_outcome(request: web.Request) -> web.Response:
    """Store the call's outcome for the ERP; the outbox worker delivers it exactly once.
    Answers 202 with its id; follow it with ``GET /api/erp/outcomes/{id}``. The call must be
    one the engine handled (404 ``call_unknown``); an agent names one of his own calls (403
    ``not_your_call``, 422 ``call_required``); a supervisor may record one with no call."""
    body = parse(OutcomeBody, await body_of(request))
    payload = validate(PAYLOADS[body.kind], body.payload)
    ctx = erp(request)
    who = principal(request)
    if not body.call_id and who.role is Role.AGENT:
        raise ApiError(
            422,
            "call_required",
            "an agent records an outcome for one of his calls",
            fields=[{"field": "call_id", "problem": "required for an agent"}],
        )
    await check_agent_customer(request, payload.customer_code, payload.customer_store)
    outcome = Outcome(payload, call_id=body.call_id, agent=who.username)
    async with ctx.engine.begin() as conn:
        if body.call_id:
            await check_call_access(conn, who, body.call_id)  # 404 unknown, 403 not his
        outcome_id = await record_call_outcome(conn, outcome, now=ctx.clock())
    return reply({"id": outcome_id, "status": "pending"}, 202)


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def get_outcome(request: web.Request) -> web.Response:
    """One outcome's delivery state (``outcome_unknown`` when there is none)."""
    async with erp(request).engine.connect() as conn:
        row = (
            (await conn.execute(sa.select(outbox).where(outbox.c.id == request.match_info["id"])))
            .mappings()
            .first()
        )
    who = principal(request)
    if row is None or (who.role is Role.AGENT and row["agent"] != who.username):
        # an agent sees the outcomes he recorded; another agent's are not there for him
        raise ApiError(404, "outcome_unknown", f"no outcome {request.match_info['id']}")
    names = OutcomeView.__dataclass_fields__
    return reply(outcome_json(OutcomeView(**{n: row[n] for n in names})))


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def call_outcomes(request: web.Request) -> web.Response:
    """The outcomes recorded for one call (by its uniqueid); an agent sees only his calls'."""
    ctx = erp(request)
    call_id = request.match_info["call_id"]
    async with ctx.engine.connect() as conn:
        await check_call_access(conn, principal(request), call_id)
    views = await list_outcomes(ctx.engine, call_id=call_id)
    return reply({"outcomes": [outcome_json(v) for v in views]})


@allow(Role.SUPERVISOR)
@erp_errors
async def outbox_status(request: web.Request) -> web.Response:
    """Outbox counts per status and the outcomes of one ``status`` (dead letters with their
    last error, rejected ones with the ERP's reason), oldest first, up to ``limit``."""
    status = request.query.get("status") or None
    if status is not None and status not in OUTBOX_STATUSES:
        raise ApiError(422, "status_invalid", f"status is one of {', '.join(OUTBOX_STATUSES)}")
    ctx = erp(request)
    async with ctx.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
        )
        counts = {s: 0 for s in OUTBOX_STATUSES} | {s: int(n) for s, n in rows.all()}
    limit = min(max(query_int(request, "limit", 100), 1), 1000)
    views = await list_outcomes(ctx.engine, status=status, limit=limit)
    return reply({"counts": counts, "outcomes": [outcome_json(v) for v in views]})


@allow(Role.SUPERVISOR)
@erp_errors
async def retry(request: web.Request) -> web.Response:
    """Put a dead outcome back in line (``outcome_not_dead`` otherwise)."""
    ctx = erp(request)
    outcome_id = request.match_info["id"]
    await retry_outcome(ctx.engine, outcome_id, now=ctx.clock())
    return reply({"id": outcome_id, "status": "pending"})
