"""The hand-off of a person the dialer reached to the ACD, through the twin over TCP: the
call joins the campaign's queue carrying the lead (campaign, lead, customer for the desktop);
when the agent's phone does not answer within the 2 s window the ring is cancelled, the
person hears the safe-harbour message, and the lead is guarded for 72 h."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from campaigns.dialer.plan import DialingPlan
from campaigns.dialer.sql import SqlDialerStore
from campaigns.domain.profiles import BR
from telephony.twin.behaviour import AgentPhone, Customer
from telephony.twin.wire import get
from tests.dialer.stack import QUEUE, phone, running_dialer, until, upload_leads


async def test_unanswered_agent_means_safe_harbour_and_72_hours(
    database_url: str, tmp_path: Path
) -> None:
    """The person waits in the queue as an outbound call with the lead's campaign, lead and
    customer; the agent's phone rings past the window: the offer is taken back, the dialer
    plays the recorded message ([dialer-abandon]), counts an abandon and stores the lead's
    retry no earlier than 72 h later."""
    campaign = "103"
    rows = [["Maria", phone(1), "SP", "000123"]]
    header = "Nome;Telefone;UF;codigo_cliente"
    assert await upload_leads(database_url, campaign, rows, tmp_path, header) == 1
    plan = DialingPlan(
        campaign_id=campaign, kind="telecobranca", queue=QUEUE, profile=BR, priority=5,
        caller_id="1130000000",
    )  # fmt: skip
    async with running_dialer(database_url, {campaign: plan}, agents=1) as stack:
        stack.twin.phones["3001@agents"] = AgentPhone(False)  # rings, never answers
        stack.twin.customers["55" + phone(1)] = Customer("human", 1.0)
        acd = stack.engine.acd
        assert acd is not None
        await stack.dialer.start(campaign)
        seen: list[dict[str, Any]] = []

        def queued() -> bool:
            seen.extend(c for c in acd.live_view()["calls"] if c["direction"] == "outbound")
            return bool(seen)

        await until(queued, timeout=30)

        def finished() -> bool:
            figures = stack.dialer.figures(campaign)
            return figures is not None and sum(figures.results.values()) > 0

        await until(finished, timeout=30)
        figures = stack.dialer.figures(campaign)
        assert figures is not None
        for _ in range(50):
            attempts = await SqlDialerStore(stack.engine.db).attempts(campaign)
            if attempts:
                break
            await asyncio.sleep(0.1)
        states = await SqlDialerStore(stack.engine.db).states(campaign)
        results = [
            get(m, "Value")
            for m in stack.twin.event_log
            if get(m, "Event") == "VarSet" and get(m, "Variable") == "ATENDE_DIALER_RESULT"
        ]
        queue = next(q for q in acd.live_view()["queues"] if q["queue"] == QUEUE)
    call = seen[0]
    assert (call["campaign_id"], call["customer_id"], call["priority"]) == (campaign, "000123", 5)
    assert call["lead_id"] == str(attempts[0]["lead_id"])
    assert figures.results == {"abandoned": 1} and figures.abandoned == figures.answered == 1
    assert results == ["ABANDONED"]  # the recorded message played
    assert queue["abandoned"] == 1 and queue["answered"] == 0
    (state,) = states.values()
    ended = _aware(attempts[0]["ended_at"])
    assert state["status"] == "retry"
    assert _aware(state["last_abandoned_at"]) <= ended
    assert _aware(state["not_before"]) >= _aware(state["last_abandoned_at"]) + timedelta(hours=72)


def _aware(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
