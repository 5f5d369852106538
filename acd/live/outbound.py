"""People the dialer reached, handed to the ACD: queued with the inbound callers by priority.

The dialer (``campaigns.dialer``) calls three things, and nothing else of the ACD:

- :meth:`OutboundCalls.outbound_answered` (enqueue only): the person waits in
  ``[dialer-hold]``; the call joins the campaign's queue with the campaign's priority (blended
  with inbound callers), keeps the lead's ``campaign_id``/``lead_id``/``customer_id`` for the
  agent's desktop, and its offers ring through ``[dialer-connect]`` (a missed ring returns to
  ``[dialer-hold]``);
- :meth:`OutboundCalls.withdraw`: the connect window (2 s) ran out; the call leaves the queue
  (an offer ringing is cancelled, counted ABANDON) unless its agent already answered;
- :meth:`OutboundCalls.queue_agents`: the queue's agents for the pacer: free ones, and each
  busy one's state (ringing, on a call since, in wrap-up since and the wrap-up left).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from acd.domain import AcdError, AgentState
from acd.live.call import CallState, OutboundAnswered, StoredCall
from acd.live.records import TrackerRecords

log = structlog.get_logger("acd.live")

_BUSY_STATES = frozenset(
    {AgentState.RESERVED, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP}
)


@dataclass(frozen=True)
class BusyAgent:
    """A busy agent of a queue as the dialer's pacer reads him: ``ringing`` (a call offered:
    his talk is about to start), ``on_call`` or ``wrap_up``, the seconds in that state, and in
    wrap-up the seconds left of its timer (None: it ends with his disposition, not known)."""

    state: str
    seconds: float
    wrap_left: float | None = None


@dataclass(frozen=True)
class QueueAgents:
    """Agents able to take a queue's calls: free now (less the inbound callers waiting in the
    queue) and each busy one's state."""

    free: int
    busy: tuple[BusyAgent, ...]
    wrap_up_seconds: float


class OutboundCalls(TrackerRecords):
    """The dialer's side of the ACD (see the module's docstring)."""

    def outbound_answered(self, event: OutboundAnswered) -> None:
        """A person the dialer reached waits for an agent (translate and enqueue only; the
        inbox task hands it to :meth:`_queue_outbound`)."""
        self._enqueue(event)

    async def _queue_outbound(self, event: OutboundAnswered) -> None:
        async with self._lock:
            if event.call_id in self.calls or not self._take(event.call_id):
                return  # queued already, or withdrawn before this reached the ACD
            now = self.clock()
            try:
                decisions = self.router.call_arrived(
                    event.call_id, event.queue, now, event.priority
                )
            except AcdError as exc:
                log.warning("acd_outbound_refused", linkedid=event.call_id, error=str(exc))
                return
            call = StoredCall(
                event.call_id,
                event.queue,
                event.channel,
                event.number,
                now,
                event.priority,
                owner=self.engine_id,
                direction="outbound",
                campaign_id=event.campaign_id,
                lead_id=event.lead_id,
                customer_id=event.customer_id,
            )
            self.calls[event.call_id] = call
            await self.store.save_call(call)
            log.info(
                "acd_outbound_queued",
                linkedid=event.call_id,
                queue=event.queue,
                campaign=event.campaign_id,
                lead=event.lead_id,
            )
            await self._run(decisions)

    async def withdraw(self, call_id: str) -> bool:
        """Take a dialer call out of its queue (True), unless its agent answered (False)."""
        async with self._lock:
            call = self.calls.get(call_id)
            if call is None:
                self._take(call_id)  # a late ``outbound_answered`` is then ignored
                return True
            if call.state is not CallState.OFFERED and call.state is not CallState.WAITING:
                return False
            if call.dial_answered_at is not None:
                return False  # the agent answered; the bridge follows
            now = self.clock()
            self.calls.pop(call_id, None)
            await self.store.remove_call(call_id)
            if call.agent:
                await self.store.release(call.agent, call_id)
            try:
                decisions = self.router.call_abandoned(call_id, now)
            except AcdError as exc:
                log.warning("acd_outbound_withdraw_ignored", linkedid=call_id, error=str(exc))
                return True
            log.info("acd_outbound_withdrawn", linkedid=call_id, agent=call.agent)
            await self._run(decisions)
            return True

    def agent_serves(self, agent_id: str, queue: str) -> bool:
        """Whether the agent is logged in with the skills of ``queue`` (preview offers)."""
        config = self.router.configs.get(queue)
        if config is None or agent_id not in self.agents or agent_id not in self.router.agents:
            return False
        view = self.router.agent(agent_id)
        return all(view.skills.get(skill, 0) >= level for skill, level in config.skills.items())

    def queue_agents(self, queue: str) -> QueueAgents:
        """The queue's agents for the dialer's pacer (logged-in agents with its skills)."""
        config = self.router.configs.get(queue)
        if config is None:
            return QueueAgents(0, (), 0.0)
        now = self.clock()
        busy: list[BusyAgent] = []
        free = 0
        for agent_id in self.agents:
            view = self.router.agent(agent_id)
            if any(view.skills.get(skill, 0) < level for skill, level in config.skills.items()):
                continue
            seconds = max(0.0, now - view.since)
            if view.state is AgentState.AVAILABLE:
                free += 1
            elif view.state is AgentState.WRAP_UP:
                known = view.wrap_until is not None and not view.wrap_held
                left = max(0.0, view.wrap_until - now) if view.wrap_until is not None else 0.0
                busy.append(BusyAgent("wrap_up", seconds, left if known else None))
            elif view.state is AgentState.ON_CALL:
                busy.append(BusyAgent("on_call", seconds))
            elif view.state in _BUSY_STATES:  # reserved or ringing: a call is being offered
                busy.append(BusyAgent("ringing", seconds))
        waiting = sum(  # callers ahead of the dialer's people (its own it counts itself)
            1
            for call in self.calls.values()
            if call.queue == queue
            and call.state is CallState.WAITING
            and call.direction != "outbound"
        )
        return QueueAgents(max(0, free - waiting), tuple(busy), config.wrap_up_seconds)
