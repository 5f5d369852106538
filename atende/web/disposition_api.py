"""``/api/calls/{call_id}/disposition``: the agent's wrap-up code, with the ERP outcome if any.

The code must be one of the call's queue's codes when the queue lists some
(``unknown_disposition``); an agent's disposition ends the wrap-up held for it, as
``POST /api/agent/call/disposition`` (the desktop's route) does.

The disposition and its outcome are written in one transaction; a bad outcome refuses the
whole request (nothing is stored), a good one is delivered by the outbox worker exactly once.

A call's disposition belongs to the agents who handled it (its ``CONNECT`` records in the queue
log): another agent neither reads nor writes it (403). A call the engine never saw is 404; a
call has one disposition (a second is 409); a supervisor corrects it with ``PUT``, and the
correction (before and after) is written to the audit log.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from atende.audit import AuditEntry, write_audit
from atende.auth import Principal, Role
from atende.desk.dispose import check_code, disposed
from atende.desk.service import NotAnAgent, Refused
from atende.dispositions import (
    Disposition,
    add_disposition,
    call_handlers,
    correct_disposition,
    disposition_of,
    dispositions_of,
)
from atende.web.agent_api import DESK
from atende.web.agent_scope import check_agent_customer
from atende.web.erp_support import body_of, erp, erp_errors, parse, reply, validate
from atende.web.errors import ApiError
from atende.web.openapi_ops import documented
from atende.web.security import allow, principal
from atende.web.sessions import client_address
from erp_bridge.app.record_outcome import record_call_outcome
from erp_bridge.outbox.outcomes import PAYLOADS, Outcome


class OutcomeOfCall(BaseModel):
    """The outcome part of a disposition (the call id comes from the path)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["sales_order", "promise", "service_ticket"]
    payload: dict[str, Any]


class DispositionBody(BaseModel):
    """What the agent says of the call at wrap-up."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    notes: str = Field("", max_length=2000)
    outcome: OutcomeOfCall | None = None


class Correction(BaseModel):
    """A supervisor's correction of a disposition (its outcome, sent to the ERP, stays)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    notes: str = Field("", max_length=2000)
    reason: str = Field(min_length=1, max_length=500)


async def check_call_access(conn: AsyncConnection, who: Principal, call_id: str) -> None:
    """404 for a call the engine never saw; 403 for an agent who did not handle it."""
    handlers = await call_handlers(conn, call_id)
    if handlers is None:
        raise ApiError(404, "call_unknown", "the engine has no call with this id")
    if who.role is Role.AGENT and who.username not in handlers:
        raise ApiError(403, "not_your_call", "an agent may only see and dispose of his calls")


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def set_disposition(request: web.Request) -> web.Response:
    """Record the call's disposition (and its outcome for the ERP); 201 with both ids."""
    call_id = request.match_info["call_id"]
    body = parse(DispositionBody, await body_of(request))
    ctx = erp(request)
    who = principal(request)
    agent = who.username
    now = ctx.clock()
    desk = request.app.get(DESK)
    async with ctx.engine.begin() as conn:
        await check_call_access(conn, who, call_id)
        if desk is not None:
            try:
                await check_code(desk, conn, call_id, None, body.code)
            except Refused as exc:
                raise ApiError(exc.status, exc.code, exc.message) from None
        if await disposition_of(conn, call_id) is not None:
            raise ApiError(409, "disposition_exists", "the call has its disposition already")
        outcome_id = None
        if body.outcome is not None:
            payload = validate(PAYLOADS[body.outcome.kind], body.outcome.payload)
            await check_agent_customer(request, payload.customer_code, payload.customer_store)
            outcome = Outcome(payload, call_id=call_id, agent=agent)
            outcome_id = await record_call_outcome(conn, outcome, now=now)
        disposition_id = await add_disposition(
            conn,
            call_id=call_id,
            agent=agent,
            code=body.code,
            notes=body.notes,
            outcome_id=outcome_id,
            now=now,
        )
    if desk is not None:  # the agent's wrap-up held for it ends, his view shows it
        known = desk.calls.get(call_id)
        agent_id = known.agent if known is not None else None
        if agent_id is None and who.role is Role.AGENT:
            with contextlib.suppress(NotAnAgent):
                agent_id = await desk.agent_of(agent)
        if agent_id is not None:
            await disposed(desk, agent_id, call_id, body.code, body.notes, outcome_id)
    return reply({"id": disposition_id, "outcome_id": outcome_id}, 201)


@allow(Role.AGENT, Role.SUPERVISOR)
async def get_dispositions(request: web.Request) -> web.Response:
    """The call's disposition (a list of at most one), to its agents and to supervisors."""
    call_id = request.match_info["call_id"]
    async with erp(request).engine.connect() as conn:
        await check_call_access(conn, principal(request), call_id)
        found = await dispositions_of(conn, call_id)
    return reply({"dispositions": found})


@documented(body=Correction, response=Disposition, refusals=(404,))
@allow(Role.SUPERVISOR)
async def correct(request: web.Request) -> web.Response:
    """PUT: a supervisor corrects the code and notes; the audit log keeps before and after."""
    call_id = request.match_info["call_id"]
    body = parse(Correction, await body_of(request))
    ctx = erp(request)
    who = principal(request)
    async with ctx.engine.begin() as conn:
        before = await disposition_of(conn, call_id)
        if before is None:
            raise ApiError(404, "disposition_unknown", "the call has no disposition to correct")
        await correct_disposition(conn, call_id, code=body.code, notes=body.notes)
        await write_audit(
            conn,
            AuditEntry(
                ctx.clock(),
                who.username,
                "disposition_corrected",
                "success",
                client_address(request),
                target=call_id,
                details={
                    "before": {"code": before.code, "notes": before.notes},
                    "after": {"code": body.code, "notes": body.notes},
                    "reason": body.reason,
                    "agent": before.agent,
                },
            ),
        )
        after = await disposition_of(conn, call_id)
    return reply(after)
