"""``/api/calls/{call_id}/disposition``: the agent's wrap-up code, with the ERP outcome if any.

The disposition and its outcome are written in one transaction; a bad outcome refuses the
whole request (nothing is stored), a good one is delivered by the outbox worker exactly once.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from atende.auth import Role
from atende.dispositions import add_disposition, dispositions_of
from atende.web.erp_support import body_of, erp, erp_errors, parse, reply, validate
from atende.web.security import allow, principal
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


@allow(Role.AGENT, Role.SUPERVISOR)
@erp_errors
async def set_disposition(request: web.Request) -> web.Response:
    """Record the call's disposition (and its outcome for the ERP); 201 with both ids."""
    call_id = request.match_info["call_id"]
    body = parse(DispositionBody, await body_of(request))
    ctx = erp(request)
    agent = principal(request).username
    now = ctx.clock()
    async with ctx.engine.begin() as conn:
        outcome_id = None
        if body.outcome is not None:
            payload = validate(PAYLOADS[body.outcome.kind], body.outcome.payload)
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
    return reply({"id": disposition_id, "outcome_id": outcome_id}, 201)


@allow(Role.AGENT, Role.SUPERVISOR)
async def get_dispositions(request: web.Request) -> web.Response:
    """The dispositions given to one call, oldest first."""
    async with erp(request).engine.connect() as conn:
        found = await dispositions_of(conn, request.match_info["call_id"])
    return reply({"dispositions": found})
