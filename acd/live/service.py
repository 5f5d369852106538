"""The inbound call path: callers routed by the IVR join queues; the router's offers ring agents.

``InboundAcd`` owns the pure :class:`acd.domain.Router` and is its only caller. It executes the
router's decisions over AMI (:mod:`acd.live.offers`, :mod:`acd.live.dialplan`), follows the call
tracker's change records back into router events (:mod:`acd.live.records`), rebuilds its state
after a restart (:mod:`acd.live.restore`), ticks the router, keeps the live state in an
:class:`AcdStore` (Redis) and hands queue-log records to a writer
(:mod:`acd.live.queue_log_writer`). Everything that touches the router runs under one lock, in
the owned tasks or API calls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import structlog

from acd.domain import NO_ANSWER, AcdError, AgentConfig, AgentState, Decision, QueueConfig
from acd.live.base import AFTER_CALL, BUSY, ELSEWHERE, PHONE_BUSY, phone_of
from acd.live.call import CallState, OutboundAnswered, StoredCall
from acd.live.call_controls import CallControls
from acd.live.queue_log_writer import period
from acd.live.store import StoredAgent
from acd.live.view import floor_view, live_view
from ivr import CallbackAccepted, CallerRouted
from telephony.calls.changes import ResyncDiff
from telephony.tasks import cancel_and_wait

log = structlog.get_logger("acd.live")

__all__ = ["AcdNotReady", "AgentConfig", "InboundAcd"]

_INPUTS = (CallerRouted, CallbackAccepted, OutboundAnswered)
#: callers whose channel the tracker does not know yet, waiting at most at once
MAX_UNKNOWN = 1000
#: seconds such a caller waits once the link is current / in all
UNKNOWN_WAIT = 5.0
UNKNOWN_MAX = 120.0
#: seconds between two looks at which agents' phones Asterisk shows in a call
PHONE_CHECK = 2.0


class AcdNotReady(RuntimeError):
    """The ACD has not restored its state yet (Asterisk not reached since the start)."""


class InboundAcd(CallControls):
    """Skills-based routing of inbound callers to agents, against one Asterisk server."""

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Subscribe to the tracker, load today's queue log, start the tasks. Returns at once:
        the state is restored (and ``auto_login`` agents logged in) once Asterisk is synced."""
        self._unsubscribe = self.link.subscribe(self.on_changes)
        await self.log_book.load(self.clock())
        self._tasks = [
            asyncio.create_task(self._consume(), name="acd-inbox"),
            asyncio.create_task(self._ticker(), name="acd-tick"),
            asyncio.create_task(self._keep_lease(), name="acd-lease"),
            asyncio.create_task(self.store.run(), name="acd-store-writer"),
            asyncio.create_task(self.log_book.run(), name="acd-queue-log"),
        ]

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until the stored state is restored (raises :class:`AcdNotReady` after ``timeout``)."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise AcdNotReady("the ACD waits for Asterisk to restore its state") from None

    @property
    def ready(self) -> bool:
        """True once the state is restored and calls are routed."""
        return self._ready.is_set()

    async def _become_ready(self) -> None:
        while True:
            try:
                await self.link.wait_synced(self.server, timeout=5)
                break
            except TimeoutError:
                log.info("acd_waiting_for_asterisk", server=self.server)
        async with self._lock:
            await self._join_leases()
            await self._restore()
            for agent in self._auto_login:
                if agent.agent_id not in self.agents:
                    try:
                        await self._login(agent, None)
                    except (AcdError, ValueError) as exc:
                        log.warning("acd_auto_login_failed", agent=agent.agent_id, error=str(exc))
            self._look_for_orphans()
            await self.store.beat(self.engine_id, self.clock())
        self._ready.set()

    async def stop(self) -> None:
        """Stop the tasks (the queue log written so far is flushed)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        workers, store_writer, writer = self._tasks[:-2], self._tasks[-2:-1], self._tasks[-1:]
        await cancel_and_wait(workers)
        self._tasks = []
        try:  # the actions already decided reach Asterisk
            await asyncio.wait_for(self.caller_actions.drain(), 2)
        except TimeoutError:
            log.warning("acd_actions_not_sent", channels=self.caller_actions.busy)
        await self.caller_actions.close()
        await self._stop_adopting()
        for waiter in list(self._unknown):
            waiter.cancel()
        for waiter in list(self._unknown):
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        # the writer finishes what it holds (a cancelled write could lose its batch)
        self._queue_log()
        self.log_book.close()
        for task in writer:
            try:
                await asyncio.wait_for(task, 10)
            except TimeoutError:
                log.error("acd_queue_log_not_flushed")
        await self.log_book.flush()
        await self.store.beat(self.engine_id, self.clock())  # alive until now
        try:  # the store gets what was written before the stop
            await asyncio.wait_for(self.store.drain(), 5)
        except TimeoutError:
            log.error("acd_store_not_flushed")
        await cancel_and_wait(store_writer)

    # ------------------------------------------------------------------ inputs
    def caller_routed(self, event: CallerRouted) -> None:
        """The IVR chose a queue (translate and enqueue only)."""
        self._enqueue(event)

    def callback_accepted(self, event: CallbackAccepted) -> None:
        """A waiting caller accepted a queued callback (translate and enqueue only)."""
        self._enqueue(event)

    def on_changes(self, records: Sequence[Any]) -> None:
        """The call tracker's change records (called by the link; enqueue only)."""
        self._enqueue(records)

    async def login(self, agent: AgentConfig, paused: str | None = None) -> None:
        """Log an agent in (available, or paused with a reason)."""
        await self.wait_ready(5.0)
        async with self._lock:
            await self._login(agent, paused)

    async def _login(self, agent: AgentConfig, paused: str | None) -> None:
        now = self.clock()
        decisions = self.router.login(agent.agent_id, agent.skills, now, paused_reason=paused)
        stored = StoredAgent(agent.agent_id, agent.interface, dict(agent.skills), paused)
        self.agents[agent.agent_id] = stored
        await self.store.save_agent(stored)
        log.info("acd_agent_logged_in", agent=agent.agent_id, paused=paused)
        await self._run(decisions)

    async def logout(self, agent_id: str) -> None:
        """Log an agent out."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.logout(agent_id, self.clock())
            self.agents.pop(agent_id, None)
            await self.store.remove_agent(agent_id)
            log.info("acd_agent_logged_out", agent=agent_id)
            await self._run(decisions)

    async def pause(self, agent_id: str, reason: str) -> None:
        """Pause an agent with a reason."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.pause(agent_id, reason, self.clock())
            await self._save_pause(agent_id, reason)
            await self._run(decisions)

    async def unpause(self, agent_id: str) -> None:
        """Make a paused agent available."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.unpause(agent_id, self.clock())
            self._after_call.pop(agent_id, None)
            await self._save_pause(agent_id, None)
            await self._run(decisions)

    async def pause_after_call(self, agent_id: str, reason: str | None) -> None:
        """Pause with ``reason`` once the current call and its wrap-up are over (None
        cancels); ``no_call`` when the agent has none."""
        await self.wait_ready(5.0)
        async with self._lock:
            await self._run(self.router.pause_after_call(agent_id, reason, self.clock()))
            self._tell("state", agent_id)

    async def extend_wrap_up(self, agent_id: str, seconds: float) -> None:
        """``seconds`` more of wrap-up; ``no_call`` when the agent is not in wrap-up."""
        await self.wait_ready(5.0)
        async with self._lock:
            await self._run(self.router.extend_wrap_up(agent_id, seconds, self.clock()))
            self._tell("state", agent_id)

    async def end_wrap_up(self, agent_id: str) -> None:
        """End the wrap-up now (available, or paused as asked after the call);
        ``disposition_required`` while the call needs its disposition."""
        await self.wait_ready(5.0)
        async with self._lock:
            now = self.clock()
            view = self.router.agent(agent_id)
            if view.state is AgentState.PAUSED and view.pause_reason == AFTER_CALL:
                decisions = self.router.unpause(agent_id, now)  # a restored call's wrap-up
                self._after_call.pop(agent_id, None)
            else:
                decisions = self.router.wrap_up_done(agent_id, now)
            await self._run(decisions)

    async def disposition_given(self, agent_id: str, call_id: str) -> None:
        """The call has its disposition: a wrap-up held for it ends."""
        await self.wait_ready(5.0)
        async with self._lock:
            await self._run(self.router.disposition_given(agent_id, call_id, self.clock()))
            self._tell("state", agent_id)

    async def change_skills(self, agent_id: str, skills: Mapping[str, int]) -> None:
        """New skills for a logged-in agent, at once (:meth:`Router.change_skills`)."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.change_skills(agent_id, skills, self.clock())
            stored = self.agents.get(agent_id)
            if stored is not None:
                stored.skills = dict(skills)
                await self.store.save_agent(stored)
            log.info("acd_agent_skills_changed", agent=agent_id, skills=dict(skills))
            await self._run(decisions)

    async def move_call(self, call_id: str, queue: str) -> None:
        """Move a waiting caller to another queue; he keeps his join time."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.move_call(call_id, queue, self.clock())
            call = self.calls.get(call_id)
            if call is not None:
                before, call.queue = call.queue, queue
                await self.store.save_call(call)
                log.info("acd_caller_moved", linkedid=call_id, queue=queue, from_queue=before)
            await self._run(decisions)

    async def move_to_front(self, call_id: str) -> None:
        """Serve a waiting caller next in his queue (his priority rises above the others')."""
        await self.wait_ready(5.0)
        async with self._lock:
            priority = self.router.move_to_front(call_id, self.clock())
            call = self.calls.get(call_id)
            if call is not None:
                call.priority = priority
                await self.store.save_call(call)
                log.info("acd_caller_to_front", linkedid=call_id, priority=priority)
            self._queue_log()

    async def _save_pause(self, agent_id: str, reason: str | None) -> None:
        stored = self.agents.get(agent_id)
        if stored is not None:
            if reason is None:
                log.info("acd_agent_unpaused", agent=agent_id, was=stored.paused)
            else:
                log.info("acd_agent_paused", agent=agent_id, reason=reason)
            stored.paused = reason
            await self.store.save_agent(stored)

    # ------------------------------------------------------------------ tasks
    async def _consume(self) -> None:
        """Take what is queued in one batch; runs of change records are handled under one
        lock, their queue-log records handed over once per run."""
        await self._become_ready()
        working = self._working
        while True:
            if not self._inbox:
                self._inbox_ready.clear()
                await self._inbox_ready.wait()
            working.extend(self._inbox)
            self._inbox.clear()
            while working:
                _, item = working[0]
                if isinstance(item, _INPUTS):
                    await self._take_input(item)
                    working.popleft()
                    continue
                async with self._lock:
                    while working and not isinstance(working[0][1], _INPUTS):
                        for record in working[0][1]:
                            await self._take_record(record)
                        working.popleft()
                    self._queue_log()
            await self._overload_check()

    async def _take_input(self, item: CallerRouted | CallbackAccepted | OutboundAnswered) -> None:
        if isinstance(item, OutboundAnswered):
            try:
                await self._queue_outbound(item)
            except Exception:
                log.exception("acd_outbound_failed", linkedid=item.call_id)
            return
        if isinstance(item, CallerRouted):
            try:
                await self._join(item)
            except Exception:
                log.exception("acd_caller_routed_failed", uniqueid=item.uniqueid)
            return
        try:
            await self._accept_callback_event(item)
        except Exception:
            log.exception("acd_callback_accept_failed", uniqueid=item.uniqueid)

    async def _take_record(self, record: Any) -> None:
        try:
            if isinstance(record, ResyncDiff):
                if record.server == self.server:
                    await self._reconcile(record)
                    self._look_for_orphans()
            else:
                await self._on_record(record)
        except Exception:
            log.exception("acd_record_failed", record=type(record).__name__)

    def _backlog(self) -> float:
        """Seconds the oldest item not handled yet has waited (0: nothing queued)."""
        oldest = self._working[0][0] if self._working else None
        if oldest is None and self._inbox:
            oldest = self._inbox[0][0]
        return 0.0 if oldest is None else max(0.0, self.clock() - oldest)

    def backlog_seconds(self) -> float:
        """How long the oldest record or routing not handled yet has waited (metrics)."""
        return self._backlog()

    def _pending_calls(self) -> set[str]:
        """Calls with records or routings still queued (their timers must wait)."""
        pending: set[str] = set()
        for queue in (self._working, self._inbox):
            for _, item in queue:
                if isinstance(item, OutboundAnswered):
                    pending.add(item.call_id)
                    continue
                if isinstance(item, CallerRouted | CallbackAccepted):
                    pending.add(getattr(item, "linkedid", "") or item.uniqueid)
                    continue
                for record in item:
                    linkedid = getattr(record, "linkedid", None)
                    if linkedid is not None:
                        pending.add(linkedid)
                        pending.add(self._callback_legs.get(linkedid, linkedid))
        return pending

    async def _ticker(self) -> None:
        await self._ready.wait()
        while True:
            await asyncio.sleep(self.tick_interval)
            if not self._link_current():
                continue  # no timer acted on while Asterisk's side is unknown
            try:
                unapplied = self.link.unapplied_calls(self.server)
                if unapplied is None:
                    continue  # a resync is queued: any call's state may change with it
                async with self._lock:
                    now = self.clock()
                    await self.store.beat(self.engine_id, now)
                    if self._working or self._inbox or unapplied:
                        # a timer of a call whose records (or Asterisk's events, still in the
                        # link's queue) are not applied yet waits for them
                        pending = self._pending_calls()
                        pending |= {self._callback_legs.get(c, c) for c in unapplied} | unapplied
                        held = self.router.due_calls(now) & pending
                        if held:
                            log.debug("acd_tick_held", calls=len(held))
                            continue
                    await self._run(self.router.tick(now))
                    await self._recover_paused(now)
                    if now - self._phones_checked_at >= PHONE_CHECK:
                        self._phones_checked_at = now
                        await self._hold_busy_phones(now)
                    self.log_book.forget_before(now)
                await self._overload_check()
            except Exception:
                log.exception("acd_tick_failed")

    async def _hold_busy_phones(self, now: float) -> None:
        """Agents whose phone Asterisk shows in a call this engine did not route (a dead
        engine's call after Redis came back empty, a call of his own) are paused ``phone
        busy`` and never offered a second call; unpaused once the phone is free."""
        busy = {phone_of(ch.name) for ch in self.link.tracker.channels(self.server)}
        decisions: list[Decision] = []
        for agent_id, agent in list(self.router.agents.items()):
            stored = self.agents.get(agent_id)
            if stored is None:
                continue
            on_phone = stored.interface in busy
            if agent.state is AgentState.AVAILABLE and on_phone:
                log.warning("acd_agent_phone_busy", agent=agent_id, interface=stored.interface)
                decisions += self.router.pause(agent_id, PHONE_BUSY, now)
            elif agent.state is AgentState.PAUSED and agent.pause_reason == PHONE_BUSY:
                if not on_phone:
                    log.info("acd_agent_unpaused", agent=agent_id, was=PHONE_BUSY)
                    decisions += self.router.unpause(agent_id, now)
        await self._run(decisions)

    # ------------------------------------------------------------------ overload
    async def _overload_check(self) -> None:
        """An overload ends once level: the kept callers still there queue, oldest first."""
        if not self.overload.active or not self.overload.end(self._backlog(), len(self.calls)):
            return
        kept, self._kept = self._kept, OrderedDict()
        log.warning(
            "acd_overload_ended",
            kept=len(kept),
            lasted=round(self.clock() - self.overload.since, 3),
        )
        for call_id, (event, routed_at) in kept.items():
            try:
                await self._queue_caller(event, call_id, entered_at=routed_at)
            except Exception:
                log.exception("acd_caller_routed_failed", linkedid=call_id)

    async def _recover_paused(self, now: float) -> None:
        """Agents paused for a missed call come back after a while, agents in the wrap-up of a
        restored call at its end; agents another engine held once that engine released them."""
        for agent_id, call_id in list(self._wrapping.items()):
            if agent_id not in self.agents or self.router.agent(agent_id).state not in BUSY:
                del self._wrapping[agent_id]
                await self._release_wrapped(agent_id, call_id)
        # the router's own records: no view built per agent and tick
        paused = [
            (agent_id, agent.pause_reason, agent.state_since)
            for agent_id, agent in self.router.agents.items()
            if agent.state is AgentState.PAUSED
            and agent.pause_reason in (NO_ANSWER, AFTER_CALL, ELSEWHERE)
            and agent_id in self.agents
        ]
        for agent_id, reason, since in paused:
            due = reason == NO_ANSWER and now - since >= self.no_answer_pause
            if reason == AFTER_CALL:
                due = now - since >= self._after_call.get(agent_id, 0.0)
            if reason == ELSEWHERE:
                due = await self.store.reservation(agent_id) is None
            agent = self.router.agents.get(agent_id)
            still = agent is not None and agent.state is AgentState.PAUSED
            if due and still and agent is not None and agent.pause_reason == reason:
                self._after_call.pop(agent_id, None)
                log.info("acd_agent_unpaused", agent=agent_id, was=reason)
                await self._run(self.router.unpause(agent_id, now))

    # ------------------------------------------------------------------ callers
    async def _join(self, event: CallerRouted) -> None:
        """A caller routed to a queue; never waits: a channel the tracker does not know yet
        is matched in its own task (:meth:`_match_later`)."""
        call_id = event.linkedid or self._known_linkedid(event.uniqueid)
        if call_id is None:
            self._wait_for_channel(
                event.uniqueid, event.queue, lambda call_id: self._queue_caller(event, call_id)
            )
            return
        await self._queue_caller(event, call_id)

    async def _queue_caller(
        self, event: CallerRouted, call_id: str, entered_at: float | None = None
    ) -> None:
        tracked = self.link.tracker.call(self.server, call_id)
        gone = tracked is None or tracked.ended_at is not None
        async with self._lock:
            if call_id in self.calls or (gone and call_id in self._taken):
                return  # queued already, or counted from his hangup (``_routed_and_gone``)
            now = self.clock()
            if entered_at is None and not gone:
                backlog = self._backlog()
                if not self.overload.admit(backlog, len(self.calls), now):
                    self._keep(event, call_id, now - backlog, backlog)
                    return
            self._take(call_id)
            priority = 10 if event.caller in self.vip_callers else 0
            try:
                decisions = self.router.call_arrived(
                    call_id, event.queue, now, priority, entered_at=entered_at
                )
            except AcdError as exc:
                log.warning("acd_caller_refused", linkedid=call_id, error=str(exc))
                return
            if gone:  # hung up before his routing was handled: he counts, as an abandon
                decisions = [d for d in decisions if getattr(d, "call_id", None) != call_id]
                with contextlib.suppress(AcdError):
                    decisions += self.router.call_abandoned(call_id, now)
                log.info("acd_caller_gone_before_queue", linkedid=call_id, queue=event.queue)
                await self._run(decisions)
                return
            call = StoredCall(
                call_id,
                event.queue,
                event.channel,
                event.caller or "",
                now if entered_at is None else entered_at,
                priority,
                owner=self.engine_id,
            )
            self.calls[call_id] = call
            await self.store.save_call(call)
            log.info("acd_caller_queued", linkedid=call_id, queue=event.queue, priority=priority)
            await self._run(decisions)

    def _keep(self, event: CallerRouted, call_id: str, routed_at: float, backlog: float) -> None:
        """Past capacity: the caller stays on the dialplan's hold; queued once level."""
        if not self._kept:
            log.warning(
                "acd_overload",
                backlog=round(backlog, 3),
                calls=len(self.calls),
                max_backlog=self.overload.max_backlog,
                max_calls=self.overload.max_calls,
            )
        self._kept[call_id] = (event, routed_at)
        log.info("acd_overload_caller_kept", linkedid=call_id, queue=event.queue)

    async def _accept_callback_event(self, event: CallbackAccepted) -> None:
        call_id = self._known_linkedid(event.uniqueid)
        if call_id is None:
            self._wait_for_channel(
                event.uniqueid, "", lambda call_id: self._accept_callback(event, call_id)
            )
            return
        await self._accept_callback(event, call_id)

    def _known_linkedid(self, uniqueid: str) -> str | None:
        call = self.link.tracker.call_of(self.server, uniqueid)
        return call.linkedid if call is not None else None

    def _wait_for_channel(
        self, uniqueid: str, queue: str, then: Callable[[str], Awaitable[None]]
    ) -> None:
        """Match ``uniqueid`` in a task of its own (bounded: at most ``MAX_UNKNOWN`` wait)."""
        if len(self._unknown) >= MAX_UNKNOWN:
            log.warning("acd_caller_unknown", uniqueid=uniqueid, queue=queue, reason="too_many")
            return
        task = asyncio.create_task(self._match_later(uniqueid, queue, then))
        self._unknown.add(task)
        task.add_done_callback(self._unknown.discard)

    async def _match_later(
        self, uniqueid: str, queue: str, then: Callable[[str], Awaitable[None]]
    ) -> None:
        """Wait until the tracker knows the channel; give up ``UNKNOWN_WAIT`` s after the link
        is current (an AMI outage delays its events), or after ``UNKNOWN_MAX`` s in all."""
        loop = asyncio.get_running_loop()
        began, current_since = loop.time(), None
        while True:
            await asyncio.sleep(0.05)
            call_id = self._known_linkedid(uniqueid)
            if call_id is not None:
                try:
                    await then(call_id)
                except Exception:
                    log.exception("acd_caller_routed_failed", uniqueid=uniqueid)
                return
            current = self._link_current()
            current_since = (current_since or loop.time()) if current else None
            waited = loop.time() - began
            if waited > UNKNOWN_MAX or (
                current_since is not None and loop.time() - current_since > UNKNOWN_WAIT
            ):
                log.warning("acd_caller_unknown", uniqueid=uniqueid, queue=queue, waited=waited)
                return

    # ------------------------------------------------------------------ configuration
    async def reconfigure(self, queues: Iterable[QueueConfig]) -> None:
        """New queue settings (``Router.reconfigure``): agents' states and clocks, callers'
        places and calls ringing or connected are untouched; nothing is rewritten per agent."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.reconfigure(list(queues), self.clock())
            self.log_book.configs_changed()
            await self._run(decisions)

    # ------------------------------------------------------------------ queries
    def agent_call(self, agent_id: str) -> dict[str, Any] | None:
        """The agent's current (or last) call: ``call_id, queue, caller, direction, state``
        (offered, ringing, connected, ended), ``entered_at, answered_at, ended_at``; None if
        none."""
        call = self.agent_calls.get(agent_id)
        if call is None or call.agent != agent_id:
            return None
        state = "ended"
        if call.ended_at is None and call.state is CallState.OFFERED:
            state = "ringing" if call.rung_at is not None else "offered"
        elif call.ended_at is None and call.state is CallState.CONNECTED:
            state = "connected"
        return {
            "call_id": call.call_id,
            "queue": call.queue,
            "caller": call.caller,
            "direction": call.direction,
            "state": state,
            "entered_at": call.entered_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
        }

    def live_view(self) -> dict[str, Any]:
        """Agents (state, time in state), queues (statistics), waiting and active calls."""
        now = self.clock()
        stats = self.log_book.stats(self.router.configs, now)
        view = live_view(self.router, stats, self.agents, self.calls, self._held, now)
        view["period"] = period(now, self.log_book.zone)
        return view

    def floor_view(self) -> dict[str, Any]:
        """The supervisor's floor (:func:`acd.live.view.floor_view`) and the statistics'
        period."""
        now = self.clock()
        stats = self.log_book.stats(self.router.configs, now)
        floor: dict[str, Any] = floor_view(self.router, stats, self.agents, self.calls, self._held)
        today = period(now, self.log_book.zone)
        floor["period"] = {"today": {"from": today["from"], "time_zone": today["time_zone"]}}
        return floor

    def watch(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` (it must only take note) whenever the ACD's state may have
        changed; returns a function that stops it."""
        self._watchers.append(listener)
        return lambda: self._watchers.remove(listener) if listener in self._watchers else None
