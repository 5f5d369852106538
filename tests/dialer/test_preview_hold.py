"""An agent with a preview lead on his desk is kept from the ACD's calls, through the twin over
TCP: while the lead is held for him a progressive campaign of the same queue sees no free
agent and no call is offered to him; once he skips it he is available and the next person
the dialer reaches is his."""

from __future__ import annotations

from pathlib import Path

from acd.domain import AgentState
from acd.live.base import PREVIEW
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.profiles import BR
from telephony.twin.behaviour import Customer
from tests.dialer.stack import QUEUE, phone, running_dialer, until, upload_leads


async def test_a_held_preview_lead_keeps_calls_away_until_skipped(
    database_url: str, tmp_path: Path
) -> None:
    """Agent 3001 (the only one) is offered the preview campaign's lead: the ACD shows him
    paused ``preview lead`` (held again when his desk asks after he left that pause), the
    progressive campaign on his queue counts no free agent and
    places no call over its ticks, no call is offered to him. He skips the lead (none left):
    he is available, the progressive campaign dials, and the person reaches him."""
    assert await upload_leads(database_url, "pv", [["Prévia", phone(1), "SP"]], tmp_path) == 1
    assert await upload_leads(database_url, "pg", [["Ativo", phone(2), "SP"]], tmp_path) == 1
    common = dict(kind="televendas", queue=QUEUE, profile=BR, caller_id="030312345678")
    plans = {
        "pv": DialingPlan(campaign_id="pv", mode="preview", **common),  # type: ignore[arg-type]
        "pg": DialingPlan(campaign_id="pg", mode="progressive", **common),  # type: ignore[arg-type]
    }
    async with running_dialer(database_url, plans, agents=1, talk_time=30.0) as stack:
        stack.twin.customers["55" + phone(2)] = Customer("human", 1.0)
        acd, dialer = stack.engine.acd, stack.dialer
        assert acd is not None
        await dialer.start("pv")
        offer = await dialer.preview_offer("3001")
        assert offer is not None and offer.number == "+55" + phone(1)
        held = acd.router.agent("3001")
        assert (held.state, held.pause_reason) == (AgentState.PAUSED, PREVIEW)
        assert acd.queue_agents(QUEUE).free == 0
        await acd.unpause("3001")  # he leaves the pause: his desk's next ask holds him again
        assert acd.router.agent("3001").state is AgentState.AVAILABLE
        assert await dialer.preview_offer("3001") == offer
        assert acd.router.agent("3001").pause_reason == PREVIEW

        await dialer.start("pg")
        progressive = dialer.runs["pg"].core
        ticks: list[object] = []

        def ticked() -> bool:  # the progressive campaign decided three times
            decision = progressive.last_decision
            if decision is not None and (not ticks or decision is not ticks[-1]):
                ticks.append(decision)
            return len(ticks) >= 3

        await until(ticked, timeout=30)
        assert progressive.attempts == {} and progressive.results == {}
        assert acd.current_call("3001") is None
        assert [c for c in acd.live_view()["calls"] if c["agent"] == "3001"] == []

        await dialer.preview_skip("3001", offer.lead_id, None)
        assert acd.router.agent("3001").pause_reason != PREVIEW

        def reached() -> bool:
            return any(
                c["agent"] == "3001" and c["campaign_id"] == "pg" for c in acd.live_view()["calls"]
            )

        await until(reached, timeout=30)
