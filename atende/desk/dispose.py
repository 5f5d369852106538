"""The agent's disposition of his call: a code of the call's queue, one per call, his own
call only; it ends the wrap-up held for it (available, or the pause asked for after the call)
and is written on the call's interaction. An ERP outcome may come with it (same transaction,
delivered by the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from acd.app.models import AgentStatus, GivenDisposition
from acd.domain import AcdError, AgentState
from acd.live.sql import acd_queue_log
from atende.desk.screen_pop import record_call
from atende.desk.service import AgentDesk, Refused
from atende.dispositions import add_disposition, call_handlers, disposition_of
from erp_bridge.app.record_outcome import record_call_outcome
from erp_bridge.outbox.outcomes import Outcome

log = structlog.get_logger("atende.desk")


class OutcomeOfCall(BaseModel):
    """The call's outcome for the ERP (a sales order, a promise to pay, a service ticket)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["sales_order", "promise", "service_ticket"]
    payload: dict[str, Any]


class DispositionIn(BaseModel):
    """The agent's code for his call, an optional note and outcome."""

    model_config = ConfigDict(extra="forbid")
    call_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    note: str = Field("", max_length=2000)
    outcome: OutcomeOfCall | None = None


class DispositionOut(BaseModel):
    """The disposition stored and the agent's state after it."""

    call_id: str
    code: str
    note: str
    outcome_id: str | None
    agent: AgentStatus


async def call_queue(conn: AsyncConnection, call_id: str) -> str | None:
    """The queue the call was connected in (its queue log), if any."""
    q = acd_queue_log.c
    found = await conn.scalar(
        sa.select(q.queue)
        .where(q.call_id == call_id, q.event == "CONNECT")
        .order_by(q.id.desc())
        .limit(1)
    )
    return str(found) if found is not None else None


async def queue_codes(desk: AgentDesk, queue: str | None) -> frozenset[str]:
    """The disposition codes of ``queue`` (none: any code)."""
    if queue is None:
        return frozenset()
    config = desk.acd.router.configs.get(queue) or await desk.config.queue(queue)
    return config.disposition_codes() if config is not None else frozenset()


async def check_code(
    desk: AgentDesk, conn: AsyncConnection, call_id: str, queue: str | None, code: str
) -> None:
    """409 ``unknown_disposition`` unless ``code`` is one of the call's queue's codes."""
    codes = await queue_codes(desk, queue or await call_queue(conn, call_id))
    if codes and code not in codes:
        raise Refused(
            409,
            "unknown_disposition",
            f"{code!r} is not a disposition of queue {queue!r}: {', '.join(sorted(codes))}",
        )


async def give_disposition(
    desk: AgentDesk,
    agent_id: str,
    username: str,
    body: DispositionIn,
    now: datetime,
    outcome: Outcome | None = None,
) -> DispositionOut:
    """Store the disposition of ``body.call_id``; ``call_unknown`` 404, ``not_your_call`` 403,
    ``unknown_disposition`` / ``disposition_taken`` 409. Nothing is stored when refused."""
    call = desk.calls.of(agent_id, body.call_id) or desk.calls.get(body.call_id)
    async with desk.db.begin() as conn:
        if call is None or call.agent != agent_id:
            handlers = await call_handlers(conn, body.call_id)
            if handlers is None and call is None:
                raise Refused(404, "call_unknown", "the engine has no call with this id")
            if call is not None or username not in (handlers or frozenset()):
                raise Refused(403, "not_your_call", "an agent may only dispose of his calls")
            call = None
        await check_code(desk, conn, body.call_id, call.queue if call else None, body.code)
        taken = await disposition_of(conn, body.call_id) is not None
        if not taken:
            outcome_id = None
            if outcome is not None:
                outcome_id = await record_call_outcome(conn, outcome, now=now)
            await add_disposition(
                conn,
                call_id=body.call_id,
                agent=username,
                code=body.code,
                notes=body.note,
                outcome_id=outcome_id,
                now=now,
            )
    if taken:  # one per call: given by the agent who transferred it; his wrap-up may end
        await release_disposed_wrap_up(desk, agent_id)
        raise Refused(409, "disposition_taken", "the call has its disposition already")
    log.info("call_disposed", linkedid=body.call_id, agent=agent_id, code=body.code)
    await disposed(desk, agent_id, body.call_id, body.code, body.note, outcome_id)
    return DispositionOut(
        call_id=body.call_id,
        code=body.code,
        note=body.note,
        outcome_id=outcome_id,
        agent=desk.status(agent_id),
    )


async def release_disposed_wrap_up(desk: AgentDesk, agent_id: str) -> None:
    """A wrap-up held for a call that has its disposition already (one per call: the agent
    who transferred the call to him gave it) ends, as if he had given it."""
    view = desk.acd.router.agent(agent_id)
    if view.state is not AgentState.WRAP_UP or not view.wrap_held or view.wrap_call is None:
        return
    async with desk.db.connect() as conn:
        given = await disposition_of(conn, view.wrap_call)
    if given is not None:
        log.info("wrap_up_released_disposed", linkedid=view.wrap_call, agent=agent_id)
        await desk.acd.disposition_given(agent_id, view.wrap_call)
        desk.push_state(agent_id)


async def disposed(
    desk: AgentDesk, agent_id: str, call_id: str, code: str, note: str, outcome_id: str | None
) -> None:
    """After a disposition is stored: the wrap-up held for it ends, the interaction gets it,
    the agent's sockets get his state."""
    call = desk.calls.of(agent_id, call_id)
    if call is not None:
        call.disposition = GivenDisposition(code=code, note=note)
        call.outcome_ref = outcome_id or ""
        if call.ended_at is not None:
            await record_call(desk, call)
    try:
        await desk.acd.disposition_given(agent_id, call_id)
    except AcdError as err:  # logged out since: nothing to end
        log.info("disposition_without_wrap_up", linkedid=call_id, agent=agent_id, code=err.code)
    desk.push_state(agent_id)
