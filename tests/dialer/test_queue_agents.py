"""The queue's agents as the ACD gives them to the dialer's pacer, through the twin over TCP:
an agent on a dialer call is ``on_call`` since his answer, then in ``wrap_up`` with the
wrap-up left of the queue's timer (not taken for an agent whose call has just begun)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from acd.live import BusyAgent
from campaigns.dialer.plan import DialingPlan
from campaigns.domain.profiles import BR
from telephony.twin.behaviour import Customer
from tests.dialer.stack import QUEUE, phone, running_dialer, until, upload_leads


async def test_agents_on_call_and_in_wrap_up_for_the_pacer(
    database_url: str, tmp_path: Path
) -> None:
    """One agent, a 60 s wrap-up, a progressive campaign with one person who answers: while
    he talks the ACD reports him ``on_call`` (no free agent); when the call ends, ``wrap_up``
    whose seconds so far and seconds left add up to the queue's 60 s; the dialer's view
    (``AcdHandoff``) carries the same."""
    assert await upload_leads(database_url, "qa", [["Ana", phone(1), "SP"]], tmp_path) == 1
    plan = DialingPlan(
        campaign_id="qa",
        kind="televendas",
        queue=QUEUE,
        caller_id="030312345678",
        # the person waits for the agent as long as a busy machine needs: the connect window
        # is not what this test checks (tests/dialer/test_handoff.py does)
        profile=replace(BR, connect_within_seconds=60.0),
    )
    async with running_dialer(
        database_url, {"qa": plan}, agents=1, talk_time=6.0, wrap_up=60.0
    ) as stack:
        stack.twin.customers["55" + phone(1)] = Customer("human", 1.0)
        acd = stack.engine.acd
        assert acd is not None
        await stack.dialer.start("qa")
        seen: list[BusyAgent] = []

        def in_state(state: str) -> bool:
            busy = acd.queue_agents(QUEUE).busy
            seen.extend(b for b in busy if b.state == state)
            return any(b.state == state for b in busy)

        await until(lambda: in_state("on_call"), timeout=30)
        talking = next(b for b in seen if b.state == "on_call")
        assert talking.wrap_left is None and talking.seconds >= 0
        await until(lambda: in_state("wrap_up"), timeout=30)
        view = acd.queue_agents(QUEUE)
        mine = stack.dialer.handoff.queue_agents(QUEUE)
    (wrap,) = view.busy
    assert view.free == 0 and view.wrap_up_seconds == 60.0
    assert wrap.state == "wrap_up" and wrap.wrap_left is not None
    assert wrap.seconds + wrap.wrap_left == pytest.approx(60.0)
    (carried,) = mine.busy
    assert carried.state == "wrap_up" and carried.wrap_left is not None
