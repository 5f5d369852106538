"""The inbound call path: callers routed by the IVR join queues; the router's offers ring agents.

``InboundAcd`` owns the pure :class:`acd.domain.Router` and is its only caller. It executes the
router's decisions over AMI (Setvar + Redirect to ``[connect]``), follows the call tracker's
change records (DialBegin/DialEnd/Hangup) back into router events, ticks the router, keeps the
live state in an :class:`AcdStore` (Redis) and hands queue-log records to a writer.
Everything that touches the router runs under one lock, in the owned tasks or API calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import structlog

from acd.domain import (
    NO_ANSWER,
    AcdError,
    AgentConfig,
    AgentState,
    CancelOffer,
    Decision,
    ExitEmpty,
    Offer,
    OfferCallback,
    Overflow,
    QueueConfig,
    QueueEvent,
    QueueLogRecord,
    Rejected,
    Router,
    StatsSnapshot,
    Timeout,
    stats_from_log,
)
from acd.domain.queue_log import NONE, secs
from acd.live.store import AcdStore, StoredAgent, StoredCall
from ivr import CallbackAccepted, CallerRouted
from telephony.ami import AmiActionError
from telephony.calls.changes import (
    CallEnded,
    ChannelHungUp,
    DialEnded,
    DialStarted,
    OriginateResult,
)
from telephony.link import AsteriskLink

log = structlog.get_logger("acd.live")

ELSEWHERE = "busy elsewhere"  # another engine process reserved the agent first
ON_CALL = "on call"  # restored after a restart while on a call
_NOT_ANSWERED = frozenset({"NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION", "INVALIDARGS"})
_EXTEN = re.compile(r"[0-9]{2,}")
_BUSY = frozenset({AgentState.WRAP_UP, AgentState.ON_CALL, AgentState.RINGING, AgentState.RESERVED})

LogWriter = Callable[[Sequence[QueueLogRecord]], Awaitable[None]]
LogLoader = Callable[[float], Awaitable[list[QueueLogRecord]]]
DAY = 86400.0


def _leg(channel: str) -> str:
    """A channel name without the half of a Local pair (``;1``/``;2``)."""
    return channel.rsplit(";", 1)[0] if channel.startswith("Local/") else channel


class AcdNotReady(RuntimeError):
    """The ACD has not restored its state yet (Asterisk not reached since the start)."""


class InboundAcd:
    """Skills-based routing of inbound callers to agents, against one Asterisk server."""

    def __init__(
        self,
        link: AsteriskLink,
        queues: Iterable[QueueConfig],
        store: AcdStore,
        *,
        server: str = "pbx1",
        clock: Callable[[], float] = time.time,
        tick_interval: float = 0.5,
        no_answer_pause: float = 30.0,
        vip_callers: Iterable[str] = (),
        log_writer: LogWriter | None = None,
        log_loader: LogLoader | None = None,
        hold_context: str = "inbound-hold",
        connect_context: str = "connect",
        exit_context: str = "queue-exit",
        callback_offer_context: str = "callback-offer",
        callback_dial_context: str = "callback-dial",
        auto_login: Iterable[AgentConfig] = (),
        engine_id: str = "main",
    ) -> None:
        self.link = link
        self.router = Router(list(queues))
        self.store = store
        self.server = server
        self.clock = clock
        self.tick_interval = tick_interval
        self.no_answer_pause = no_answer_pause
        self.vip_callers = frozenset(vip_callers)
        self.owner = uuid.uuid4().hex
        self.engine_id = engine_id  # stable across restarts: whose stored calls are whose
        self.hold_context = hold_context
        self.connect_context = connect_context
        self.exit_context = exit_context
        self.callback_offer_context = callback_offer_context
        self.callback_dial_context = callback_dial_context
        self.agents: dict[str, StoredAgent] = {}
        self.calls: dict[str, StoredCall] = {}
        self._held: dict[str, str] = {}  # restored call -> agent kept busy until it ends
        self._wrapping: dict[str, str] = {}  # agent -> ended call still holding his reservation
        self._lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._auto_login = list(auto_login)
        self._inbox: asyncio.Queue[CallerRouted | CallbackAccepted | Sequence[Any]] = (
            asyncio.Queue()
        )
        self._callback_actions: dict[str, str] = {}  # Originate ActionID -> callback call
        self._callback_legs: dict[str, str] = {}  # the callback's own linkedid -> call
        self._log_writer = log_writer
        self._log_loader = log_loader
        self._history: list[QueueLogRecord] = []  # today's queue log: the statistics' source
        self._restored: set[str] = set()  # callers re-entered after a restart (one ENTERQUEUE)
        self._own_log: list[QueueLogRecord] = []  # records for calls the router does not hold
        self._stats_cache: tuple[tuple[int, int], StatsSnapshot] | None = None
        self._log_queue: asyncio.Queue[list[QueueLogRecord] | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Subscribe to the tracker, load today's queue log, start the tasks. Returns at once:
        the state is restored (and ``auto_login`` agents logged in) once Asterisk is synced."""
        self._unsubscribe = self.link.subscribe(self.on_changes)
        if self._log_loader is not None:
            now = self.clock()
            self._history = await self._log_loader(now - now % DAY)
        self._tasks = [
            asyncio.create_task(self._consume(), name="acd-inbox"),
            asyncio.create_task(self._ticker(), name="acd-tick"),
            asyncio.create_task(self._write_log(), name="acd-queue-log"),
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
            await self._restore()
            for agent in self._auto_login:
                if agent.agent_id not in self.agents:
                    try:
                        await self._login(agent, None)
                    except (AcdError, ValueError) as exc:
                        log.warning("acd_auto_login_failed", agent=agent.agent_id, error=str(exc))
        self._ready.set()

    async def stop(self) -> None:
        """Stop the tasks (the queue log written so far is flushed)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        workers, writer = self._tasks[:-1], self._tasks[-1:]
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        # the writer finishes what it holds (a cancelled write could lose its batch)
        self._queue_log()
        self._log_queue.put_nowait(None)
        for task in writer:
            try:
                await asyncio.wait_for(task, 10)
            except TimeoutError:
                log.error("acd_queue_log_not_flushed")
        await self._flush_log_queue()

    # ------------------------------------------------------------------ inputs
    def caller_routed(self, event: CallerRouted) -> None:
        """The IVR chose a queue (translate and enqueue only)."""
        self._inbox.put_nowait(event)

    def callback_accepted(self, event: CallbackAccepted) -> None:
        """A waiting caller accepted a queued callback (translate and enqueue only)."""
        self._inbox.put_nowait(event)

    def on_changes(self, records: Sequence[Any]) -> None:
        """The call tracker's change records (called by the link; enqueue only)."""
        self._inbox.put_nowait(records)

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
        await self._run(decisions)

    async def logout(self, agent_id: str) -> None:
        """Log an agent out."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.logout(agent_id, self.clock())
            self.agents.pop(agent_id, None)
            await self.store.remove_agent(agent_id)
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
            await self._save_pause(agent_id, None)
            await self._run(decisions)

    async def _save_pause(self, agent_id: str, reason: str | None) -> None:
        stored = self.agents.get(agent_id)
        if stored is not None:
            stored.paused = reason
            await self.store.save_agent(stored)

    # ------------------------------------------------------------------ tasks
    async def _consume(self) -> None:
        await self._become_ready()
        while True:
            item = await self._inbox.get()
            if isinstance(item, CallerRouted):
                try:
                    await self._join(item)
                except Exception:
                    log.exception("acd_caller_routed_failed", uniqueid=item.uniqueid)
                continue
            if isinstance(item, CallbackAccepted):
                try:
                    await self._accept_callback(item)
                except Exception:
                    log.exception("acd_callback_accept_failed", uniqueid=item.uniqueid)
                continue
            async with self._lock:
                for record in item:
                    try:
                        await self._on_record(record)
                    except Exception:
                        log.exception("acd_record_failed", record=type(record).__name__)
                self._queue_log()

    async def _ticker(self) -> None:
        await self._ready.wait()
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                async with self._lock:
                    now = self.clock()
                    await self._run(self.router.tick(now))
                    await self._recover_paused(now)
                    if self._history and self._history[0].time < now - now % DAY:
                        self._history = [r for r in self._history if r.time >= now - now % DAY]
            except Exception:
                log.exception("acd_tick_failed")

    async def _recover_paused(self, now: float) -> None:
        """Agents paused for a missed call come back after a while; agents another engine held
        come back once that engine released them."""
        for agent_id, call_id in list(self._wrapping.items()):
            if agent_id not in self.agents or self.router.agent(agent_id).state not in _BUSY:
                del self._wrapping[agent_id]
                await self._release_wrapped(agent_id, call_id)
        for agent_id in list(self.agents):
            view = self.router.agent(agent_id)
            if view.state is not AgentState.PAUSED:
                continue
            due = view.pause_reason == NO_ANSWER and now - view.since >= self.no_answer_pause
            if view.pause_reason == ELSEWHERE:
                due = await self.store.reservation(agent_id) is None
            if due:
                await self._run(self.router.unpause(agent_id, now))

    # ------------------------------------------------------------------ callers
    async def _join(self, event: CallerRouted) -> None:
        call_id = event.linkedid or await self._linkedid(event.uniqueid)
        if call_id is None:
            log.warning("acd_caller_unknown", uniqueid=event.uniqueid, queue=event.queue)
            return
        tracked = self.link.tracker.call(self.server, call_id)
        if tracked is None or tracked.ended_at is not None:
            log.info("acd_caller_gone_before_queue", linkedid=call_id, queue=event.queue)
            return
        async with self._lock:
            if call_id in self.calls:
                return
            now = self.clock()
            priority = 10 if event.caller in self.vip_callers else 0
            try:
                decisions = self.router.call_arrived(call_id, event.queue, now, priority)
            except AcdError as exc:
                log.warning("acd_caller_refused", linkedid=call_id, error=str(exc))
                return
            call = StoredCall(
                call_id,
                event.queue,
                event.channel,
                event.caller or "",
                now,
                priority,
                owner=self.engine_id,
            )
            self.calls[call_id] = call
            await self.store.save_call(call)
            log.info("acd_caller_queued", linkedid=call_id, queue=event.queue, priority=priority)
            await self._run(decisions)

    async def _linkedid(self, uniqueid: str) -> str | None:
        for _ in range(40):
            call = self.link.tracker.call_of(self.server, uniqueid)
            if call is not None:
                return call.linkedid
            await asyncio.sleep(0.05)
        return None

    # ------------------------------------------------------------------ tracker records
    async def _on_record(self, record: Any) -> None:
        if getattr(record, "server", None) != self.server:
            return
        if isinstance(record, OriginateResult):
            await self._callback_placed(record)
            return
        linkedid = getattr(record, "linkedid", "")
        call = self.calls.get(self._callback_legs.get(linkedid, linkedid))
        if call is None:
            return
        if (
            isinstance(record, CallEnded)
            and linkedid == call.call_id
            and call.extra.get("callback")
            and call.state == "waiting"
        ):
            # the caller hung up after accepting: not an abandon, the callback keeps his place
            call.extra["caller_gone"] = True
            await self.store.save_call(call)
            log.info("acd_callback_waiting", linkedid=call.call_id, queue=call.queue)
            return
        now = self.clock()
        if isinstance(record, DialStarted) and call.state == "offered":
            call.extra["agent_leg"] = _leg(record.destination)
            if call.call_id not in self._held:
                with contextlib.suppress(AcdError):
                    self.router.agent_ringing(call.call_id, now)
        elif isinstance(record, DialEnded) and call.state == "offered":
            await self._dial_ended(call, record.status, now)
        elif isinstance(record, ChannelHungUp) and call.state == "connected":
            call.extra.setdefault(
                "agent_hung_up", _leg(record.channel) == call.extra.get("agent_leg")
            )
        elif isinstance(record, CallEnded):
            await self._call_ended(call, now)

    async def _dial_ended(self, call: StoredCall, status: str, now: float) -> None:
        agent = call.agent or ""
        if status == "ANSWER":
            call.state = "connected"
            call.extra["answered_at"] = now
            if call.call_id not in self._held:
                await self._run(self.router.agent_answered(call.call_id, now))
            else:
                hold = secs(now - call.entered_at)
                self._own(call, agent, QueueEvent.CONNECT, now, hold, secs(0))
            await self.store.save_call(call)
        elif status in _NOT_ANSWERED:
            call.state, call.agent = "waiting", None
            await self.store.release(agent, call.call_id)
            if call.call_id in self._held:  # restored while ringing: back in line
                self._held.pop(call.call_id)
                self._restored.add(call.call_id)
                decisions = self.router.call_arrived(
                    call.call_id, call.queue, now, call.priority, entered_at=call.entered_at
                )
                decisions += self._unpause_restored(agent, now)
            else:
                decisions = self.router.agent_no_answer(call.call_id, now)
            await self.store.save_call(call)
            await self._run(decisions)

    async def _call_ended(self, call: StoredCall, now: float) -> None:
        self.calls.pop(call.call_id, None)
        leg = call.extra.get("callback_leg")
        if leg:
            self._callback_legs.pop(leg, None)
        await self.store.remove_call(call.call_id)
        connected = call.state == "connected"
        wrapping = connected and call.call_id not in self._held and call.agent is not None
        if call.agent and not wrapping:
            await self.store.release(call.agent, call.call_id)
        elif call.agent:
            # kept reserved through wrap-up: released once this router frees the agent (the
            # stored call, marked wrap_up, lets a restarted engine release it)
            self._wrapping[call.agent] = call.call_id
            call.state = "wrap_up"
            await self.store.save_call(call)
        held = self._held.pop(call.call_id, None)
        if held is not None:
            if connected:
                answered = float(call.extra.get("answered_at", now))
                event = (
                    QueueEvent.COMPLETEAGENT
                    if call.extra.get("agent_hung_up")
                    else QueueEvent.COMPLETECALLER
                )
                hold, talk = secs(answered - call.entered_at), secs(now - answered)
                self._own(call, held, event, now, hold, talk, "0")
            await self._run(self._unpause_restored(held, now))
            return
        try:
            if connected:
                by_agent = bool(call.extra.get("agent_hung_up"))
                decisions = self.router.call_ended(call.call_id, now, by_agent=by_agent)
            else:
                decisions = self.router.call_abandoned(call.call_id, now)
        except AcdError as exc:
            log.warning("acd_call_end_ignored", linkedid=call.call_id, error=str(exc))
            return
        await self._run(decisions)

    def _ended_unseen(self, call: StoredCall, ended: float) -> None:
        """The queue log of a call that ended while no engine watched (restart)."""
        if call.state == "connected" and call.agent:
            answered = float(call.extra.get("answered_at", ended))
            hold, talk = secs(answered - call.entered_at), secs(max(0.0, ended - answered))
            self._own(call, call.agent, QueueEvent.COMPLETECALLER, ended, hold, talk, "0")
        elif call.state in ("waiting", "offered"):
            waited = secs(max(0.0, ended - call.entered_at))
            self._own(call, NONE, QueueEvent.ABANDON, ended, "0", "0", waited)

    async def _release_wrapped(self, agent_id: str, call_id: str) -> None:
        await self.store.release(agent_id, call_id)
        await self.store.remove_call(call_id)

    def _own(self, call: StoredCall, agent: str, event: QueueEvent, now: float, *data: str) -> None:
        """A queue-log record for a call restored busy (the new router never held it)."""
        self._own_log.append(QueueLogRecord(now, call.call_id, call.queue, agent, event, data))

    def _unpause_restored(self, agent_id: str, now: float) -> list[Decision]:
        if agent_id in self.agents and self.router.agent(agent_id).pause_reason == ON_CALL:
            return self.router.unpause(agent_id, now)
        return []

    # ------------------------------------------------------------------ decisions
    async def _run(self, decisions: list[Decision]) -> None:
        pending = list(decisions)
        while pending:
            decision = pending.pop(0)
            if isinstance(decision, Offer):
                pending += await self._offer(decision)
            elif isinstance(decision, CancelOffer):
                await self._cancel(decision)
            elif isinstance(decision, Overflow):
                call = self.calls.get(decision.call_id)
                if call is not None:
                    call.queue = decision.to_queue
                    await self.store.save_call(call)
            elif isinstance(decision, Timeout | Rejected | ExitEmpty):
                await self._send_away(decision.call_id, type(decision).__name__)
            elif isinstance(decision, OfferCallback):
                await self._offer_callback(decision)
            else:
                log.info("acd_decision_ignored", decision=repr(decision))
        self._queue_log()

    async def _offer(self, offer: Offer) -> list[Decision]:
        call = self.calls.get(offer.call_id)
        agent = self.agents.get(offer.agent_id)
        if call is None or agent is None:
            return []
        now = self.clock()
        finished = self._wrapping.pop(offer.agent_id, None)
        if finished is not None:  # our router freed him: his last call's hold ends here
            await self._release_wrapped(offer.agent_id, finished)
        if not await self.store.reserve(offer.agent_id, offer.call_id, self.owner):
            log.info("acd_agent_taken_elsewhere", agent=offer.agent_id, linkedid=offer.call_id)
            decisions = self.router.agent_no_answer(offer.call_id, now)
            decisions += self.router.pause(offer.agent_id, ELSEWHERE, now)
            return decisions
        call.agent, call.state = offer.agent_id, "offered"
        await self.store.save_call(call)
        if call.extra.get("caller_gone"):  # a callback whose caller hung up: call him back
            await self._place_callback(call, agent, offer)
            return []
        exten = offer.agent_id if _EXTEN.fullmatch(offer.agent_id) else "00"
        actions = [
            {"Action": "Setvar", "Channel": call.channel, "Variable": "AGENT_INTERFACE",
             "Value": agent.interface},
            {"Action": "Setvar", "Channel": call.channel, "Variable": "RING_TIMEOUT",
             "Value": str(max(1, round(offer.ring_timeout)))},
            {"Action": "Redirect", "Channel": call.channel, "Context": self.connect_context,
             "Exten": exten, "Priority": "1"},
        ]  # fmt: skip
        try:
            for action in actions:
                await self.link.send_action(self.server, action)
        except (AmiActionError, ConnectionError, TimeoutError) as exc:
            # the caller left (its hangup will follow) or Asterisk is away (the router's ring
            # timeout cancels the offer): nothing else to do now
            log.warning(
                "acd_offer_failed", linkedid=call.call_id, agent=agent.agent_id, error=str(exc)
            )
        log.info("acd_offered", linkedid=call.call_id, agent=agent.agent_id, queue=offer.queue)
        return []

    async def _cancel(self, cancel: CancelOffer) -> None:
        call = self.calls.get(cancel.call_id)
        await self.store.release(cancel.agent_id, cancel.call_id)
        for action_id, call_id in list(self._callback_actions.items()):
            if call_id == cancel.call_id:  # a late OriginateResponse is then ignored
                del self._callback_actions[action_id]
        if call is None:
            return
        call.state, call.agent = "waiting", None
        await self.store.save_call(call)
        with contextlib.suppress(AmiActionError, ConnectionError, TimeoutError):
            await self.link.send_action(
                self.server,
                {"Action": "Redirect", "Channel": call.channel, "Context": self.hold_context,
                 "Exten": "s", "Priority": "1"},
            )  # fmt: skip

    async def _send_away(self, call_id: str, why: str) -> None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        await self.store.remove_call(call_id)
        log.info("acd_caller_sent_away", linkedid=call_id, reason=why)
        actions = [
            {"Action": "Setvar", "Channel": call.channel, "Variable": "ATENDE_EXIT_REASON",
             "Value": why},
            {"Action": "Redirect", "Channel": call.channel, "Context": self.exit_context,
             "Exten": "s", "Priority": "1"},
        ]  # fmt: skip
        try:
            for action in actions:
                await self.link.send_action(self.server, action)
        except AmiActionError:
            # no exit announcement on this Asterisk: end the call as before
            with contextlib.suppress(AmiActionError, ConnectionError, TimeoutError):
                await self.link.send_action(
                    self.server, {"Action": "Hangup", "Channel": call.channel}
                )
        except (ConnectionError, TimeoutError) as exc:
            log.warning("acd_send_away_failed", linkedid=call_id, error=str(exc))

    # ------------------------------------------------------------------ callbacks
    async def _offer_callback(self, decision: OfferCallback) -> None:
        """Send a waiting caller to the callback offer (he comes back to hold unless he
        accepts)."""
        call = self.calls.get(decision.call_id)
        if call is None or call.state != "waiting":
            return
        log.info("acd_callback_offered", linkedid=call.call_id, queue=decision.queue)
        try:
            await self.link.send_action(
                self.server,
                {"Action": "Redirect", "Channel": call.channel,
                 "Context": self.callback_offer_context, "Exten": "s", "Priority": "1"},
            )  # fmt: skip
        except (AmiActionError, ConnectionError, TimeoutError) as exc:
            log.warning("acd_callback_offer_failed", linkedid=call.call_id, error=str(exc))

    async def _accept_callback(self, event: CallbackAccepted) -> None:
        call_id = await self._linkedid(event.uniqueid)
        async with self._lock:
            call = self.calls.get(call_id) if call_id else None
            if call is None:
                log.warning("acd_callback_caller_unknown", uniqueid=event.uniqueid)
                return
            try:
                decisions = self.router.callback_accepted(call.call_id, self.clock())
            except AcdError as exc:
                log.warning("acd_callback_refused", linkedid=call.call_id, error=str(exc))
                return
            call.extra["callback"] = True
            call.extra["callback_number"] = event.number
            await self.store.save_call(call)
            log.info(
                "acd_callback_accepted",
                linkedid=call.call_id,
                queue=call.queue,
                position=self.router.position(call.call_id),
            )
            await self._run(decisions)

    async def _place_callback(self, call: StoredCall, agent: StoredAgent, offer: Offer) -> None:
        """Ring the reserved agent; his answer runs the dialplan that calls the customer."""
        number = str(call.extra.get("callback_number") or call.caller)
        action_id = f"atende-callback-{uuid.uuid4().hex[:16]}"
        self._callback_actions[action_id] = call.call_id
        ring_ms = max(1, round(offer.ring_timeout)) * 1000
        action = {
            "Action": "Originate", "ActionID": action_id, "Channel": agent.interface,
            "Context": self.callback_dial_context, "Exten": number, "Priority": "1",
            "Async": "true", "Timeout": str(ring_ms), "CallerID": f'"Callback" <{number}>',
            "Variable": f"ATENDE_CALLBACK={call.call_id}",
        }  # fmt: skip
        try:
            await self.link.send_action(self.server, action)
        except (AmiActionError, ConnectionError, TimeoutError) as exc:
            # the router's ring timeout cancels the offer; the call keeps its place
            self._callback_actions.pop(action_id, None)
            log.warning("acd_callback_not_placed", linkedid=call.call_id, error=str(exc))
            return
        log.info("acd_callback_ringing_agent", linkedid=call.call_id, agent=agent.agent_id)

    async def _callback_placed(self, result: OriginateResult) -> None:
        """The agent answered the callback (his call now dials the customer) or did not."""
        call_id = self._callback_actions.pop(result.action_id, None)
        call = self.calls.get(call_id) if call_id else None
        if call is None or call.state != "offered":
            return
        now = self.clock()
        if result.success and result.linkedid:
            self._callback_legs[result.linkedid] = call.call_id
            call.extra["callback_leg"] = result.linkedid
            call.extra["agent_leg"] = _leg(result.channel)
            log.info("acd_callback_agent_answered", linkedid=call.call_id, leg=result.linkedid)
            await self._dial_ended(call, "ANSWER", now)
        else:
            log.info("acd_callback_agent_missed", linkedid=call.call_id, reason=result.reason)
            await self._dial_ended(call, "NOANSWER", now)

    # ------------------------------------------------------------------ restart
    async def _restore(self) -> None:
        """Rebuild the router from the store after a restart, checked against the tracker."""
        calls = [c for c in await self.store.calls() if c.owner == self.engine_id]
        await self._rebuild(await self.store.agents(), calls)

    async def reconfigure(self, queues: Iterable[QueueConfig]) -> None:
        """New queue settings (``Router.reconfigure``): agents' states and clocks, callers'
        places and calls ringing or connected are untouched; nothing is rewritten per agent."""
        await self.wait_ready(5.0)
        async with self._lock:
            decisions = self.router.reconfigure(list(queues), self.clock())
            self._stats_cache = None
            await self._run(decisions)

    async def _rebuild(self, agents: list[StoredAgent], calls: list[StoredCall]) -> None:
        now = self.clock()
        busy: dict[str, str] = {}
        for call in calls:
            tracked = self.link.tracker.call(self.server, call.call_id)
            if (
                call.extra.get("callback")
                and call.state in ("waiting", "offered")
                and call.queue in self.router.queues
            ):
                # an accepted callback waits again in its place (its caller may be gone)
                if call.agent:
                    await self.store.release(call.agent, call.call_id)
                if tracked is None or tracked.ended_at is not None:
                    call.extra["caller_gone"] = True
                self.calls[call.call_id] = call
                continue
            if (
                tracked is None
                or tracked.ended_at is not None
                or call.state == "wrap_up"
                or call.queue not in self.router.queues
            ):
                await self.store.remove_call(call.call_id)
                if call.agent:
                    await self.store.release(call.agent, call.call_id)
                self._held.pop(call.call_id, None)
                ended = tracked.ended_at if tracked is not None and tracked.ended_at else now
                self._ended_unseen(call, min(ended, now))
                continue
            self.calls[call.call_id] = call
            back_on_hold = self.link.tracker.state_of(tracked) == "on_hold"
            if call.state != "waiting" and call.agent and back_on_hold:
                # the ring failed while nobody was watching: the caller waits again
                await self.store.release(call.agent, call.call_id)
                self._held.pop(call.call_id, None)
            elif call.state != "waiting" and call.agent:
                busy[call.agent] = call.call_id
                self._held[call.call_id] = call.agent
        decisions: list[Decision] = []
        for agent in agents:
            self.agents[agent.agent_id] = agent
            paused = ON_CALL if agent.agent_id in busy else agent.paused
            decisions += self.router.login(agent.agent_id, agent.skills, now, paused_reason=paused)
        for call in sorted(self.calls.values(), key=lambda c: c.entered_at):
            if call.call_id in self._held:
                continue
            call.agent, call.state = None, "waiting"
            self._restored.add(call.call_id)
            try:
                decisions += self.router.call_arrived(
                    call.call_id, call.queue, now, call.priority, entered_at=call.entered_at
                )
                if call.extra.get("callback"):
                    decisions += self.router.callback_accepted(call.call_id, now)
            except AcdError as exc:
                log.warning("acd_restore_call_refused", linkedid=call.call_id, error=str(exc))
                self.calls.pop(call.call_id)
        log.info("acd_restored", agents=len(self.agents), calls=len(self.calls), held=len(busy))
        await self._run(decisions)

    # ------------------------------------------------------------------ queue log
    def _queue_log(self) -> None:
        records = self._own_log + self.router.drain_log()
        self._own_log = []
        if self._restored:
            kept = []
            for r in records:
                if r.event is QueueEvent.ENTERQUEUE and r.call_id in self._restored:
                    self._restored.discard(r.call_id)  # already logged by the engine before
                    continue
                kept.append(r)
            records = kept
        if not records:
            return
        self._history += records
        if self._log_writer is not None:
            self._log_queue.put_nowait(records)

    async def _write_log(self) -> None:
        """Write batches as they come; a ``None`` (from :meth:`stop`) ends it after the rest."""
        while True:
            item = await self._log_queue.get()
            batch = [] if item is None else item
            done = item is None
            while not self._log_queue.empty():
                more = self._log_queue.get_nowait()
                done = done or more is None
                batch += more or []
            if batch:
                await self._write(batch)
            if done:
                return

    async def _flush_log_queue(self) -> None:
        batch: list[QueueLogRecord] = []
        while not self._log_queue.empty():
            batch += self._log_queue.get_nowait() or []
        if batch and self._log_writer is not None:
            await self._write(batch)

    async def _write(self, batch: list[QueueLogRecord]) -> None:
        assert self._log_writer is not None
        try:
            await self._log_writer(batch)
        except Exception:
            log.exception("acd_queue_log_write_failed", records=len(batch))

    # ------------------------------------------------------------------ queries
    def _log_stats(self, now: float) -> StatsSnapshot:
        """Today's statistics from the queue log (recomputed when it grew, or each second)."""
        key = (len(self._history), int(now))
        if self._stats_cache is None or self._stats_cache[0] != key:
            since = now - now % DAY
            today = (r for r in self._history if r.time >= since)
            self._stats_cache = (key, stats_from_log(today, self.router.configs, now))
        return self._stats_cache[1]

    def live_view(self) -> dict[str, Any]:
        """Agents (state, time in state), queues (statistics), waiting and active calls."""
        now = self.clock()
        live = self.router.stats(now)
        stats = self._log_stats(now)
        agents = []
        held_calls = {agent: call for call, agent in self._held.items()}
        for agent_id, stored in sorted(self.agents.items()):
            view = self.router.agent(agent_id)
            held = view.state is AgentState.PAUSED and view.pause_reason == ON_CALL
            agents.append(
                {
                    "agent": agent_id,
                    "interface": stored.interface,
                    "skills": view.skills,
                    "state": "on_call" if held else view.state.value,
                    "pause_reason": view.pause_reason,
                    "in_state_seconds": round(max(0.0, now - view.since), 1),
                    "call": view.call_id or held_calls.get(agent_id),
                }
            )
        queues = []
        for name, q in sorted(stats.queues.items()):
            queues.append(
                {
                    "queue": name,
                    "waiting": live.queues[name].waiting,
                    "longest_wait": round(live.queues[name].longest_wait, 1),
                    "offered": q.offered,
                    "answered": q.answered,
                    "abandoned": q.abandoned,
                    "timed_out": q.timed_out,
                    "no_answers": q.no_answers,
                    "service_level": q.service_level,
                    "asa": q.asa,
                    "aht": q.aht,
                }
            )
        calls = [
            {
                "call": c.call_id,
                "queue": c.queue,
                "caller": c.caller,
                "state": c.state,
                "agent": c.agent,
                "entered_at": c.entered_at,
                "waited_seconds": round(
                    max(0.0, c.extra.get("answered_at", now) - c.entered_at), 1
                ),
                "answered_at": c.extra.get("answered_at"),
                "talk_seconds": (
                    round(max(0.0, now - c.extra["answered_at"]), 1)
                    if "answered_at" in c.extra
                    else None
                ),
                "priority": c.priority,
            }
            for c in sorted(self.calls.values(), key=lambda c: c.entered_at)
        ]
        return {"agents": agents, "queues": queues, "calls": calls}
