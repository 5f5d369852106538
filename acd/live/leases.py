"""Engines sharing one Redis hold leases; a dead engine's callers and agents are adopted.

Each engine holds ``acd:lease:<engine>`` (a key with a TTL, ``lease_ttl`` s) renewed by an owned
task. Every engine watches the others' leases; when one expires (its engine is dead for good,
not restarting within the TTL) one surviving engine claims it atomically in the store (one Lua
script: the lease still gone, the engine still unclaimed, its stored calls rewritten to the
adopter) and adopts its share as a restart would (:mod:`acd.live.restore`): waiting callers
rejoin in their place with their join time, callers ringing or talking keep their agent busy,
calls gone meanwhile are settled by what Asterisk shows. Agents stored but unknown to the
adopter are logged in. A dead engine that comes back finds nothing of its own and starts empty.
An engine only judges others' leases after its own store link has been healthy for a full TTL
(a Redis outage expires every lease at once).
"""

from __future__ import annotations

import asyncio

import structlog

from acd.domain import AcdError, AgentState, Decision
from acd.live.base import ELSEWHERE, ON_CALL
from acd.live.call import CallState, StoredCall
from acd.live.evidence import Seen, seen
from acd.live.orphans import Orphans

log = structlog.get_logger("acd.live")


class Leases(Orphans):
    """``_join_leases`` at start, ``_keep_lease`` (a task), ``_adopt_engine``."""

    async def _join_leases(self) -> None:
        """Take our lease before restoring (no engine adopts us while we restore)."""
        if await self.store.join(self.engine_id, self.owner, self.lease_ttl):
            log.warning("acd_share_adopted_while_away", engine=self.engine_id)

    async def _keep_lease(self) -> None:
        """Renew our lease; watch the others' and adopt the share of an engine whose expired."""
        await self._ready.wait()
        loop = asyncio.get_running_loop()
        healthy_since: float | None = loop.time()
        while True:
            await asyncio.sleep(self.lease_ttl / 4)
            try:
                renewed = await self.store.renew(self.engine_id, self.owner, self.lease_ttl)
                if renewed is None:  # the store is away: no lease is judged
                    healthy_since = None
                    continue
                if not renewed:  # renewing joined again; the adopted share is not ours
                    log.error("acd_lease_lost", engine=self.engine_id)
                    async with self._lock:
                        await self._share_lost()
                if healthy_since is None:
                    healthy_since = loop.time()
                if loop.time() - healthy_since < self.lease_ttl or not self._link_current():
                    continue
                for dead in await self.store.expired(self.engine_id):
                    async with self._lock:
                        await self._adopt_engine(dead)
            except Exception:
                log.exception("acd_lease_failed")

    async def _share_lost(self) -> None:
        """Another engine adopted our share while we ran (we could not renew in time): the
        calls it rewrote to its name are its own now. We stop routing them (HANDOVER); an agent
        ringing or talking for one is paused busy elsewhere until its reservation is gone.
        Learnt at the next renewal, or sooner when a reservation is refused for it (then no
        agent of ours is rung for an adopted caller meanwhile)."""
        owners = {c.call_id: c.owner for c in await self.store.calls_now()}
        now = self.clock()
        decisions: list[Decision] = []
        lost = [
            call for call in self.calls.values()
            if owners.get(call.call_id, self.engine_id) != self.engine_id
        ]  # fmt: skip
        for call in lost:
            self.calls.pop(call.call_id, None)
            self.store.forget_call(call.call_id, call.agent)
            held = self._held.pop(call.call_id, None)
            if call.call_id in self.router.calls:
                decisions += self.router.call_handed_over(call.call_id, now, ELSEWHERE)
            elif held is not None and held in self.agents:
                decisions += self.router.pause(held, ELSEWHERE, now)
        log.warning(
            "acd_share_lost", engine=self.engine_id, calls=len(lost),
            adopted_by=sorted({owners[c.call_id] for c in lost}),
        )  # fmt: skip
        await self.store.share_lost_seen(self.engine_id)
        await self._run(decisions)

    async def _adopt_engine(self, dead: str) -> None:
        """Claim ``dead``'s share (another engine may have been first) and take it over."""
        calls = await self.store.adopt(dead, self.engine_id)
        if calls is None:
            return
        now = self.clock()
        last = await self.store.last_beat(dead)
        since = now if last is None else min(last, now)
        busy: dict[str, str] = {}
        waiting: list[StoredCall] = []
        for call in sorted(calls, key=lambda c: c.entered_at):
            if call.call_id in self.calls:
                continue
            self._take(call.call_id)
            tracked = self.link.tracker.call(self.server, call.call_id)
            where = seen(self.link.tracker, self.server, call)
            # an accepted callback waits again in its place (its caller may be gone)
            callback = call.callback and call.state in (CallState.WAITING, CallState.OFFERED)
            gone = where is Seen.GONE and not callback
            if gone or call.state is CallState.WRAP_UP or call.queue not in self.router.queues:
                await self.store.remove_call(call.call_id)
                if call.agent:
                    await self.store.release(call.agent, call.call_id)
                ended = tracked.ended_at if tracked is not None and tracked.ended_at else since
                self._ended_unseen(call, min(ended, now))
                continue
            self.calls[call.call_id] = call
            await self.store.save_call(call)
            held = call.state is not CallState.WAITING and not callback
            if call.agent and held and where is not Seen.ON_HOLD:
                busy[call.agent] = call.call_id
                self._held[call.call_id] = call.agent
                if where is Seen.TALKING and call.state is CallState.OFFERED:
                    log.info("acd_answer_found", linkedid=call.call_id, agent=call.agent)
                    await self._dial_ended(call, "ANSWER", since)
                continue
            if call.agent:  # the ring ended unseen (or a callback's offer): waits again
                await self.store.release(call.agent, call.call_id)
            if where is Seen.GONE:
                call.caller_gone = True
            waiting.append(call)
        decisions = self._hold_agents(busy, now)
        decisions += await self._adopt_agents(busy, now)
        logged = await self._entries_logged(waiting, dead)
        for call in waiting:
            call.back_in_line()
            if call.call_id in logged:
                self.log_book.restored.add(call.call_id)  # his ENTERQUEUE was logged once
            try:
                decisions += self.router.call_arrived(
                    call.call_id, call.queue, now, call.priority, entered_at=call.entered_at
                )
                if call.callback:
                    decisions += self.router.callback_accepted(call.call_id, now)
            except AcdError as exc:
                log.warning("acd_adopted_call_refused", linkedid=call.call_id, error=str(exc))
                self.calls.pop(call.call_id, None)
        log.warning(
            "acd_engine_adopted", engine=dead, calls=len(waiting) + len(busy),
            waiting=len(waiting), held=len(busy), last_alive=last,
        )  # fmt: skip
        await self._run(decisions)

    def _hold_agents(self, busy: dict[str, str], now: float) -> list[Decision]:
        """Our agents on an adopted call are kept busy (paused ``on call``) until it ends."""
        decisions: list[Decision] = []
        for agent_id in busy:
            if agent_id not in self.agents:
                continue
            view = self.router.agent(agent_id)
            free = view.state is AgentState.AVAILABLE
            if free or (view.state is AgentState.PAUSED and view.pause_reason == ELSEWHERE):
                decisions += self.router.pause(agent_id, ON_CALL, now)
        return decisions

    async def _adopt_agents(self, busy: dict[str, str], now: float) -> list[Decision]:
        """Agents in the store this engine does not route yet are logged in here."""
        decisions: list[Decision] = []
        for agent in await self.store.agents_now():
            if agent.agent_id in self.agents:
                continue
            paused = ON_CALL if agent.agent_id in busy else agent.paused
            try:
                decisions += self.router.login(agent.agent_id, agent.skills, now, paused)
            except AcdError as exc:
                log.warning("acd_adopted_agent_refused", agent=agent.agent_id, error=str(exc))
                continue
            self.agents[agent.agent_id] = agent
            log.info("acd_agent_adopted", agent=agent.agent_id, paused=paused)
        return decisions
