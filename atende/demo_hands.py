"""The demo's simulated agents: the hands of the agents nobody drives (``make demo`` only).

In ``make demo`` the twin answers every agent's phone and talks for him; nobody sits at the
desks of nine of the ten demo agents. Their queues require a disposition to leave wrap-up, as a
real contact center's do, so without hands they would stay in wrap-up after their first call.
:class:`DemoHands` plays those agents: once an agent's wrap-up time is over while he has no
desk page open (no agent WebSocket), it gives his call one of its queue's codes, as he would,
through the same use case as the page (the call's interaction gets it). An agent signed in on
the desk page is never touched: he sets his disposition himself. A real deployment has no such
thing: every agent disposes of his own calls.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from acd.domain import AcdError, AgentNotLoggedIn, AgentState
from atende.desk.dispose import DispositionIn, give_disposition
from atende.desk.service import AgentDesk, Refused

log = structlog.get_logger("atende.demo")

EVERY = 1.0  # seconds between two looks at the agents


class DemoHands:
    """Dispose of the wrapped-up calls of agents with no desk page open (demo only)."""

    def __init__(
        self,
        desk: AgentDesk,
        *,
        seed: int | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.desk = desk
        self.rng = random.Random(seed)
        self.clock = clock or desk.clock

    async def run(self) -> None:
        """Look at the agents every second until cancelled."""
        while True:
            await asyncio.sleep(EVERY)
            try:
                await self.step()
            except Exception:  # the demo goes on; the next look tries again
                log.exception("demo_hands_failed")

    def due(self) -> list[tuple[str, str, str]]:
        """``(agent, call_id, queue)`` of each undriven agent held in wrap-up past its time."""
        router, now = self.desk.acd.router, self.clock()
        found = []
        for agent_id in sorted(router.agents):
            try:
                view = router.agent(agent_id)
            except AgentNotLoggedIn:
                continue
            if view.state is not AgentState.WRAP_UP or not view.wrap_held:
                continue
            if self.desk.connected(agent_id) or (view.wrap_until or 0.0) > now:
                continue
            call = self.desk.status(agent_id).call
            if call is not None and call.disposition is None:
                found.append((agent_id, call.call_id, call.queue))
        return found

    async def step(self) -> int:
        """Dispose of every due call; how many."""
        done = 0
        for agent_id, call_id, queue in self.due():
            config = self.desk.acd.router.configs.get(queue)
            codes = [d.code for d in config.dispositions] if config is not None else []
            if not codes:
                continue
            code = self.rng.choice(codes)
            body = DispositionIn(call_id=call_id, code=code, note="")
            row = await self.desk.config.agent(agent_id) or {}
            username = row.get("username") or f"agent{agent_id}"
            try:
                await give_disposition(self.desk, agent_id, username, body, datetime.now(UTC))
            except Refused as err:  # e.g. disposed already by the agent who transferred it
                log.info("demo_hands_refused", agent=agent_id, linkedid=call_id, code=err.code)
                try:
                    await self.desk.acd.disposition_given(agent_id, call_id)
                except AcdError:
                    continue
            log.info("demo_hands_disposed", agent=agent_id, linkedid=call_id, code=code)
            done += 1
        return done
