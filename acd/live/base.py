"""The state every part of :class:`acd.live.InboundAcd` shares (one router, one lock)."""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from acd.domain import (
    AgentConfig,
    AgentState,
    Decision,
    QueueConfig,
    QueueEvent,
    QueueLogRecord,
    Router,
)
from acd.live.call import OutboundAnswered, StoredCall
from acd.live.dialplan import ActionPipe, Contexts, DialplanActions
from acd.live.feed import AgentEvent, AgentFeed, EventKind
from acd.live.overload import Overload
from acd.live.queue_log_writer import EntryFinder, LogLoader, LogWriter, QueueLogBook
from acd.live.store import AcdStore, StoredAgent
from acd.live.store_writer import StoreWriter
from ivr import CallbackAccepted, CallerRouted
from telephony.link import AsteriskLink

ELSEWHERE = "busy elsewhere"  # another engine process reserved the agent first
ON_CALL = "on call"  # restored after a restart while on a call
AFTER_CALL = "wrap up"  # a restored call ended: the agent's wrap-up (a timed pause)
OUTBOUND = "outbound call"  # the agent's own click-to-call: no offer reaches him meanwhile
PREVIEW = "preview lead"  # a preview lead is on his desk: no offer reaches him meanwhile
PHONE_BUSY = "phone busy"  # Asterisk shows his phone in a call this engine did not route
BUSY = frozenset({AgentState.WRAP_UP, AgentState.ON_CALL, AgentState.RINGING, AgentState.RESERVED})

log = structlog.get_logger("acd.live")

TAKEN_KEPT = 20_000
PHONES_KEPT = 16_384  # channel names whose interface is kept (live channels and more)
InboxItem = CallerRouted | CallbackAccepted | OutboundAnswered | Sequence[Any]


def leg(channel: str) -> str:
    """A channel name without the half of a Local pair (``;1``/``;2``)."""
    return channel.rsplit(";", 1)[0] if channel.startswith("Local/") else channel


@functools.lru_cache(maxsize=PHONES_KEPT)
def phone_of(channel: str) -> str:
    """The interface a channel was made on (``Local/2001@agents-0000002a;1`` ->
    ``Local/2001@agents``, ``PJSIP/2001-0000000a`` -> ``PJSIP/2001``). Kept for the
    channels seen last: the busy-phone check reads every live channel's every 2 s."""
    return leg(channel).rsplit("-", 1)[0]


class AcdBase:
    """Fields and small helpers of the inbound ACD (see :class:`acd.live.InboundAcd`)."""

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
        log_entered: EntryFinder | None = None,
        hold_context: str = "inbound-hold",
        connect_context: str = "connect",
        exit_context: str = "queue-exit",
        callback_offer_context: str = "callback-offer",
        callback_dial_context: str = "callback-dial",
        auto_login: Iterable[AgentConfig] = (),
        engine_id: str = "main",
        did_queues: Mapping[str, str] | None = None,
        lease_ttl: float = 6.0,
        site_zone: ZoneInfo | None = None,
        max_backlog: float = 5.0,
        max_calls: int = 0,
    ) -> None:
        self.link = link
        self.router = Router(list(queues))
        self.store = StoreWriter(store, engine_id)
        self.server = server
        self.clock = clock
        self.tick_interval = tick_interval
        self.no_answer_pause = no_answer_pause
        self.vip_callers = frozenset(vip_callers)
        self.owner = uuid.uuid4().hex
        self.engine_id = engine_id  # stable across restarts: whose stored calls are whose
        self.lease_ttl = lease_ttl  # an engine silent this long is dead: its share is adopted
        #: DID (digits) -> queue, for callers on hold the IVR did not route (orphans)
        self.did_queues = {
            "".join(c for c in did if c.isdigit()): queue
            for did, queue in (did_queues or {}).items()
        }
        self.contexts = Contexts(
            hold_context, connect_context, exit_context, callback_offer_context,
            callback_dial_context,
        )  # fmt: skip
        self.caller_actions = ActionPipe()  # AMI actions on callers, sent off the routing path
        self.dialplan = DialplanActions(link, server, self.contexts)
        #: past capacity new callers are kept on hold (the dialplan's fallback) until level
        self.overload = Overload(max_backlog, max_calls)
        #: callers kept by an overload: call id -> (routing, when it was routed)
        self._kept: OrderedDict[str, tuple[CallerRouted, float]] = OrderedDict()
        self.agents: dict[str, StoredAgent] = {}
        self.calls: dict[str, StoredCall] = {}
        self._held: dict[str, str] = {}  # restored call -> agent kept busy until it ends
        self._wrapping: dict[str, str] = {}  # agent -> ended call still holding his reservation
        self._after_call: dict[str, float] = {}  # agent -> wrap-up seconds after a restored call
        self._lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._auto_login = list(auto_login)
        #: the consumer's backlog: (when enqueued, item), oldest first; the batch being
        #: worked on stays in ``_working`` until each item is done
        self._inbox: deque[tuple[float, InboxItem]] = deque()
        self._working: deque[tuple[float, InboxItem]] = deque()
        self._inbox_ready = asyncio.Event()
        self._callback_actions: dict[str, str] = {}  # Originate ActionID -> callback call
        self._callback_legs: dict[str, str] = {}  # the callback's own linkedid -> call
        #: calls a blind transfer already sent to the offered agent's [connect] (not rung again)
        self._rung_by_transfer: set[str] = set()
        self.log_book = QueueLogBook(log_writer, log_loader, site_zone, finder=log_entered)
        self.log_book.on_written = self.store.logged  # an adopter learns what is logged
        self._tasks: list[asyncio.Task[None]] = []
        self._unknown: set[asyncio.Task[None]] = set()  # callers waiting for their channel
        #: calls the ACD took (queued, counted, adopted), newest last; bounded
        self._taken: OrderedDict[str, None] = OrderedDict()
        self._unsubscribe: Callable[[], None] | None = None
        #: what the agent's desktop follows (reservations, rings, answers, ends, states)
        self.feed = AgentFeed()
        #: agent -> his current (or last) call, kept after its end for his wrap-up
        self.agent_calls: dict[str, StoredCall] = {}
        self._watchers: list[Callable[[], None]] = []
        self._phones_checked_at = 0.0

    # ------------------------------------------------------------------ shared helpers
    def _enqueue(self, item: InboxItem) -> None:
        """Hand an input to the consumer task (callbacks only translate and enqueue)."""
        self._inbox.append((self.clock(), item))
        self._inbox_ready.set()

    def _take(self, call_id: str) -> bool:
        """Remember that the ACD took ``call_id``; False when it had already."""
        if call_id in self._taken:
            return False
        self._taken[call_id] = None
        if len(self._taken) > TAKEN_KEPT:
            self._taken.popitem(last=False)
        return True

    async def _run(self, decisions: list[Decision]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def _share_lost(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _queue_log(self) -> None:
        """Hand the new queue-log records (ours and the router's) to the writer; every agent
        they name has changed state (the desktop's feed is told), and the watchers (the
        supervisors' floor) are told that the state may have changed."""
        records = self.router.drain_log()
        self.log_book.add(records)
        named = {r.agent for r in records if r.agent and r.agent != "NONE"}
        now = self.clock()
        for agent_id in sorted(named):
            self.feed.publish(AgentEvent("state", agent_id, now))
        for watcher in self._watchers:
            watcher()

    async def _entries_logged(self, calls: Sequence[StoredCall], engine_id: str) -> set[str]:
        """Which of the callers taken over from ``engine_id`` (ourselves after a restart, or a
        dead engine) already have their ENTERQUEUE in the database, by that engine's last mark
        (see :meth:`QueueLogBook.entries_logged`); with the database away, those the mark and
        today's records vouch for (the others are logged again: once more at worst)."""
        through = await self.store.logged_through(engine_id)
        pairs = [(c.call_id, c.entered_at) for c in calls]
        try:
            return await self.log_book.entries_logged(pairs, through)
        except Exception:  # the database away: any driver's error
            log.warning("acd_queue_log_lookup_failed", calls=len(pairs), exc_info=True)
            return await self.log_book.entries_logged(pairs, through, ask_database=False)

    def _tell(self, kind: EventKind, agent_id: str, call: StoredCall | None = None) -> None:
        """Publish one event of ``agent_id`` (with his call's facts) on the desktop's feed."""
        if call is None:
            self.feed.publish(AgentEvent(kind, agent_id, self.clock()))
            return
        self.feed.publish(
            AgentEvent(
                kind,
                agent_id,
                self.clock(),
                call.call_id,
                call.queue,
                call.caller,
                call.entered_at,
                call.customer_id,
            )
        )

    def _own(self, call: StoredCall, agent: str, event: QueueEvent, now: float, *data: str) -> None:
        """A queue-log record for a call restored busy (the new router never held it)."""
        self.log_book.own(QueueLogRecord(now, call.call_id, call.queue, agent, event, data))

    def _log_pause(self, agent_id: str, call_id: str, queue: str) -> None:
        """The router paused the agent after a call's offer (no answer, taken elsewhere)."""
        agent = self.router.agents.get(agent_id)
        if agent is not None and agent.state is AgentState.PAUSED:
            log.info(
                "acd_agent_paused", agent=agent_id, reason=agent.pause_reason,
                linkedid=call_id, queue=queue,
            )  # fmt: skip

    def _wrap_up_seconds(self, queue: str) -> float:
        config = self.router.configs.get(queue)
        return config.wrap_up_seconds if config is not None else 0.0

    def _after_restored(
        self, agent_id: str, queue: str, now: float, talked: bool = True
    ) -> list[Decision]:
        """A restored call of ``agent_id`` is over: after a talk his wrap-up (a timed pause,
        the queue's ``wrap_up_seconds``), else (or without wrap-up) available again."""
        if agent_id not in self.agents or self.router.agent(agent_id).pause_reason != ON_CALL:
            return []
        wrap = self._wrap_up_seconds(queue) if talked else 0.0
        if wrap <= 0:
            return self.router.unpause(agent_id, now)
        self._after_call[agent_id] = wrap
        return self.router.pause(agent_id, AFTER_CALL, now)
