"""Restore and reconciliation: the ACD's calls checked against what Asterisk shows.

``_restore`` rebuilds the router from the store after a start; ``_reconcile`` runs after every
resync of the AMI link (its ``ResyncDiff`` record) and settles each call by the best evidence:
bridged with the agent → answered; gone → completed (it was answered or ringing) or abandoned;
back on hold after ringing → a ring-no-answer; ringing still → left to the ring timer. What
happened while the link was down is dated at the moment the link was lost (talk time does not
run to the resync), and the router's timers are held until the resync is reconciled.
"""

from __future__ import annotations

import structlog

from acd.domain import AcdError, Decision, QueueEvent
from acd.domain.queue_log import NONE, secs
from acd.live.base import ON_CALL
from acd.live.call import CallState, StoredCall
from acd.live.evidence import Seen, seen
from acd.live.outbound import OutboundCalls
from acd.live.store import StoredAgent
from telephony.calls.changes import CallEnded, ResyncDiff

log = structlog.get_logger("acd.live")


class Restore(OutboundCalls):
    """``_restore`` after a start, ``_rebuild`` for a new router."""

    _synced_logins = 0  # the link's login whose resync the ACD has reconciled

    def _link_current(self) -> bool:
        """True when the link is up and its latest resync has been reconciled: only then
        are the router's timers (ring timeout, max wait, wrap-up) acted on."""
        return self.link.synced(self.server) and (
            self._synced_logins == self.link.logins(self.server)
        )

    async def _restore(self) -> None:
        """Rebuild the router from the store after a restart, checked against the tracker;
        what ended while no engine ran is dated at this engine's last heartbeat."""
        calls = [c for c in await self.store.calls_at_start() if c.owner == self.engine_id]
        last = await self.store.last_beat(self.engine_id)
        log.info("acd_restoring", engine=self.engine_id, calls=len(calls), last_alive=last)
        self._synced_logins = self.link.logins(self.server)
        await self._rebuild(await self.store.agents_at_start(), calls, last)

    async def _rebuild(
        self, agents: list[StoredAgent], calls: list[StoredCall], since: float | None = None
    ) -> None:
        now = self.clock()
        since = now if since is None else min(since, now)
        busy: dict[str, str] = {}
        for call in calls:
            self._take(call.call_id)
            tracked = self.link.tracker.call(self.server, call.call_id)
            where = seen(self.link.tracker, self.server, call)
            gone = where is Seen.GONE
            if (
                call.callback
                and call.state in (CallState.WAITING, CallState.OFFERED)
                and call.queue in self.router.queues
            ):
                # an accepted callback waits again in its place (its caller may be gone)
                if call.agent:
                    await self.store.release(call.agent, call.call_id)
                if gone:
                    call.caller_gone = True
                self.calls[call.call_id] = call
                continue
            if gone or call.state is CallState.WRAP_UP or call.queue not in self.router.queues:
                await self.store.remove_call(call.call_id)
                if call.agent:
                    await self.store.release(call.agent, call.call_id)
                self._held.pop(call.call_id, None)
                ended = tracked.ended_at if tracked is not None and tracked.ended_at else since
                self._ended_unseen(call, min(ended, now))
                continue
            self.calls[call.call_id] = call
            if call.state is CallState.WAITING or not call.agent:
                continue
            if where is Seen.ON_HOLD:
                # the ring failed while nobody was watching: the caller waits again
                await self.store.release(call.agent, call.call_id)
                self._held.pop(call.call_id, None)
                continue
            busy[call.agent] = call.call_id
            self._held[call.call_id] = call.agent
            if where is Seen.TALKING and call.state is CallState.OFFERED:
                # answered while nobody was watching
                log.info("acd_answer_found", linkedid=call.call_id, agent=call.agent)
                await self._dial_ended(call, "ANSWER", since)
        decisions: list[Decision] = []
        for agent in agents:
            self.agents[agent.agent_id] = agent
            paused = ON_CALL if agent.agent_id in busy else agent.paused
            decisions += self.router.login(agent.agent_id, agent.skills, now, paused_reason=paused)
        waiting = [c for c in self.calls.values() if c.call_id not in self._held]
        logged = await self._entries_logged(waiting, self.engine_id)
        for call in sorted(waiting, key=lambda c: c.entered_at):
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
                log.warning("acd_restore_call_refused", linkedid=call.call_id, error=str(exc))
                self.calls.pop(call.call_id)
        log.info("acd_restored", agents=len(self.agents), calls=len(self.calls), held=len(busy))
        await self._run(decisions)

    def _ended_unseen(self, call: StoredCall, ended: float) -> None:
        """The queue log of a call that ended while no engine watched (restart): connected,
        or rung (answered meanwhile: the caller was not back on hold) → CONNECT as needed and
        COMPLETECALLER; waiting or not yet rung → ABANDON."""
        if call.state is CallState.OFFERED and call.agent and call.rung_at is not None:
            answered = max(call.rung_at, min(ended, self.clock()))
            hold = secs(answered - call.entered_at)
            self._own(call, call.agent, QueueEvent.CONNECT, answered, hold, secs(0))
            self._own(call, call.agent, QueueEvent.COMPLETECALLER, answered, hold, secs(0), "0")
        elif call.state is CallState.CONNECTED and call.agent:
            answered = call.answered_at if call.answered_at is not None else ended
            hold, talk = secs(answered - call.entered_at), secs(max(0.0, ended - answered))
            self._own(call, call.agent, QueueEvent.COMPLETECALLER, ended, hold, talk, "0")
        elif call.state in (CallState.WAITING, CallState.OFFERED):
            waited = secs(max(0.0, ended - call.entered_at))
            self._own(call, NONE, QueueEvent.ABANDON, ended, "0", "0", waited)

    async def _reconcile(self, diff: ResyncDiff) -> None:
        """After a resync: settle every call by what Asterisk shows (see the module). A call
        gone is settled here only when the resync found it gone (its end was not seen): else
        the records that follow in the same batch tell how it ended."""
        now = self.clock()
        lost = self.link.lost_at(self.server)
        since = now if lost is None else min(lost, now)
        unseen = {c.linkedid for c in diff.changes if isinstance(c, CallEnded) and c.unseen}
        for call in list(self.calls.values()):
            if call.caller_gone or call.callback_leg:
                continue  # a callback: its own call's records settle it
            where = seen(self.link.tracker, self.server, call)
            if where is Seen.GONE and call.call_id not in unseen:
                continue
            await self._settle(call, where, since, now)
        self._synced_logins = self.link.logins(self.server)

    async def _settle(self, call: StoredCall, where: Seen, since: float, now: float) -> None:
        state = call.state
        if where is Seen.GONE:
            if state is CallState.OFFERED and call.rung_at is not None:
                # rung, then gone without coming back to hold: answered and ended
                log.info("acd_reconciled", linkedid=call.call_id, seen=where, was=state,
                         result="answered_and_ended")  # fmt: skip
                await self._dial_ended(call, "ANSWER", since)
            else:
                log.info("acd_reconciled", linkedid=call.call_id, seen=where, was=state)
            await self._call_ended(call, since)
        elif where is Seen.TALKING and state is CallState.OFFERED:
            log.info("acd_reconciled", linkedid=call.call_id, seen=where, was=state)
            await self._dial_ended(call, "ANSWER", since)
        elif where is Seen.ON_HOLD and state is CallState.OFFERED:
            if call.rung_at is not None:
                log.info("acd_reconciled", linkedid=call.call_id, seen=where, was=state)
                await self._dial_ended(call, "NOANSWER", now)
            elif call.agent in self.agents and call.call_id not in self._held:
                # the offer never reached Asterisk (the link was down): taken back with no
                # penalty, the call matched again (a new offer rings with a fresh timer)
                agent_id = call.agent
                log.info("acd_offer_withdrawn", linkedid=call.call_id, agent=agent_id)
                call.back_in_line()
                await self.store.release(agent_id, call.call_id)
                await self.store.save_call(call)
                await self._run(self.router.offer_withdrawn(call.call_id, now))
            elif call.agent in self.agents:
                # a restored ringing call the router does not hold: ring again
                agent = self.agents[call.agent]
                config = self.router.configs.get(call.queue)
                ring = config.ring_timeout if config is not None else 20.0
                log.info("acd_offer_resent", linkedid=call.call_id, agent=agent.agent_id)
                await self.dialplan.ring_agent(
                    call.call_id, call.channel, agent.agent_id, agent.interface, ring
                )
