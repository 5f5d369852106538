"""The Asterisk link: AMI clients for every server, the call tracker, and the event queue.

Clients only translate and enqueue (an :class:`asyncio.Queue` holding the events of each read,
bounded by the number of events, never blocking the reader). One consumer task owned by the link
drains the queue in order, applies each event to the :class:`CallTracker` and hands the
resulting change records to the subscribed listeners. When the queue is full an event is dropped,
counted, and the server is resynced (``CoreShowChannels``) once the queue has room again, so the
tracker never stays wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

import structlog

from telephony.ami.actions import ActionFields, ActionResult
from telephony.ami.client import AmiClient
from telephony.ami.config import AmiServer
from telephony.ami.errors import AmiError
from telephony.ami.message import AmiMessage
from telephony.call_logging import bind_call
from telephony.calls.changes import CallEnded, TrackerRecord
from telephony.calls.tracker import CallTracker

log = structlog.get_logger("telephony.link")

Listener = Callable[[Sequence[TrackerRecord]], Awaitable[None] | None]

#: most queued events the consumer applies before handing their records to the listeners
_BATCH = 256


@dataclass(slots=True)  # not frozen: built once per read, and frozen __init__ is slower
class _Events:
    server: str
    events: list[AmiMessage]
    at: float


@dataclass(frozen=True, slots=True)
class _Resync:
    server: str
    channels: list[AmiMessage]
    requested_at: float
    at: float


class LinkSettings(Protocol):
    """What :meth:`AsteriskLink.from_settings` reads (the engine's settings have it)."""

    @property
    def ami_servers(self) -> Sequence[AmiServer]: ...

    @property
    def ami_action_timeout(self) -> float: ...

    @property
    def ami_reconnect_max_delay(self) -> float: ...


class AsteriskLink:
    """Everything the engine needs to follow and drive calls on several Asterisk servers."""

    def __init__(
        self,
        servers: Sequence[AmiServer],
        *,
        tracker: CallTracker | None = None,
        action_timeout: float = 10.0,
        reconnect_base_delay: float = 0.5,
        reconnect_max_delay: float = 30.0,
        ping_interval: float = 20.0,
        queue_size: int = 10_000,
        auth: str = "plain",
        clock: Callable[[], float] = time.time,
        show_ended_for: float = 0.0,
    ) -> None:
        names = [s.name for s in servers]
        if len(set(names)) != len(names):
            raise ValueError(f"AMI server names must be unique: {names}")
        self._tracker = tracker or CallTracker()
        self._clock = clock
        self._show_ended_for = show_ended_for
        self._queue: asyncio.Queue[_Events | _Resync] = asyncio.Queue()
        #: most events (a resync counts one) queued at once, and how many are queued
        self.queue_size = queue_size
        self._queued = 0
        #: the queued items not handed to the listeners yet, oldest first (read only when the
        #: ACD asks which calls have events pending: nothing is counted per event)
        self._pending: deque[_Events | _Resync] = deque()
        self._listeners: list[Listener] = []
        self._consumer: asyncio.Task[None] | None = None
        self._needs_resync: set[str] = set()
        self._synced = {s.name: asyncio.Event() for s in servers}
        self._lost_at: dict[str, float] = {}
        #: events dropped because the queue was full (each triggers a resync of its server)
        self.dropped_events = 0
        self._clients = {
            s.name: AmiClient(
                s,
                self,
                action_timeout=action_timeout,
                reconnect_base_delay=reconnect_base_delay,
                reconnect_max_delay=reconnect_max_delay,
                ping_interval=ping_interval,
                auth=auth,
                clock=clock,
            )
            for s in servers
        }

    @classmethod
    def from_settings(cls, settings: LinkSettings, **kwargs: Any) -> Self:
        """A link over ``settings.ami_servers`` with the settings' timeouts."""
        return cls(
            settings.ami_servers,
            action_timeout=settings.ami_action_timeout,
            reconnect_max_delay=settings.ami_reconnect_max_delay,
            **kwargs,
        )

    # ------------------------------------------------------------------ public API

    @property
    def tracker(self) -> CallTracker:
        """The call tracker the link keeps up to date."""
        return self._tracker

    @property
    def servers(self) -> list[str]:
        """Names of the linked servers."""
        return list(self._clients)

    def client(self, server: str) -> AmiClient:
        """The AMI client of ``server`` (KeyError for an unknown name)."""
        return self._clients[server]

    def connected(self, server: str) -> bool:
        """True while ``server`` is connected and logged in."""
        return self._clients[server].connected

    def status(self) -> list[dict[str, Any]]:
        """Per server: name, connected, logins so far, refused (wrong secret)."""
        return [
            {
                "server": name,
                "connected": c.connected,
                "logins": c.logins,
                "refused": c.failure is not None,
            }
            for name, c in self._clients.items()
        ]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(records)`` with the change records of the events and resyncs the
        consumer just applied (in order; several events' records may come in one call). It runs
        in the link's consumer task, and a coroutine listener is awaited there: keep it short.
        Returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def live_calls_view(self) -> list[dict[str, Any]]:
        """Rows for the web page's live calls table (see :meth:`CallTracker.live_calls_view`);
        calls that ended in the last ``show_ended_for`` seconds are listed as ``hung_up``."""
        return self._tracker.live_calls_view(self._clock(), self._show_ended_for)

    async def start(self) -> None:
        """Start the consumer and connect every server.

        Unreachable servers are retried in the background; a refused secret raises
        :class:`~telephony.ami.AmiAuthenticationError` (after stopping what was started).
        """
        if self._consumer is None:
            self._consumer = asyncio.create_task(self._consume(), name="asterisk-link-consumer")
        try:
            await asyncio.gather(*(c.start() for c in self._clients.values()))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Disconnect every server and stop the consumer (queued events are dropped)."""
        await asyncio.gather(*(c.stop() for c in self._clients.values()))
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer

    async def send_action(
        self,
        server: str,
        action: ActionFields,
        timeout: float | None = None,  # noqa: ASYNC109 (the API names it)
        *,
        raise_on_error: bool = True,
        wait_event: str | None = None,
    ) -> ActionResult:
        """Send an AMI action to ``server`` (see :meth:`AmiClient.send_action`)."""
        return await self._clients[server].send_action(
            action, timeout=timeout, raise_on_error=raise_on_error, wait_event=wait_event
        )

    async def send_actions(
        self,
        server: str,
        actions: Sequence[ActionFields],
        timeout: float | None = None,  # noqa: ASYNC109 (the API names it)
    ) -> list[ActionResult | AmiError]:
        """Several AMI actions to ``server`` in one write (see :meth:`AmiClient.send_actions`)."""
        return await self._clients[server].send_actions(actions, timeout=timeout)

    async def originate(
        self,
        server: str,
        action: ActionFields,
        timeout: float = 60.0,  # noqa: ASYNC109
    ) -> ActionResult:
        """Async ``Originate`` on ``server``, awaiting its ``OriginateResponse``."""
        return await self._clients[server].originate(action, timeout=timeout)

    async def drain(self) -> None:
        """Wait until every queued event has been applied (tests, orderly shutdown)."""
        await self._queue.join()

    def synced(self, server: str) -> bool:
        """True when ``server`` is connected and its post-login resync has been applied."""
        return self._synced[server].is_set()

    def lost_at(self, server: str) -> float | None:
        """When the link to ``server`` was last lost (None: never since the start); what
        happened on ``server`` after it is known only from the resync that follows."""
        return self._lost_at.get(server)

    def logins(self, server: str) -> int:
        """How many times the link to ``server`` logged in (each login is followed by a
        resync)."""
        return self._clients[server].logins

    async def wait_synced(self, server: str | None = None, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``server`` (or every server) is connected and its resync applied:
        the tracker then agrees with Asterisk. Raises ``TimeoutError``."""
        names = [server] if server is not None else list(self._clients)
        async with asyncio.timeout(timeout):
            for name in names:
                await self._synced[name].wait()

    # ------------------------------------------------------------------ sink (clients call these)

    def ami_events(self, server: str, events: list[AmiMessage], received_at: float) -> None:
        """Enqueue a read's events without blocking; those that find the queue full are
        dropped and a resync is scheduled."""
        room = self.queue_size - self._queued
        if room < len(events):
            self.dropped_events += len(events) - max(room, 0)
            events = events[: max(room, 0)]
            if server not in self._needs_resync:
                self._needs_resync.add(server)
                log.error("ami_event_queue_full", server=server, size=self.queue_size)
            if not events:
                return
        self._queued += len(events)
        item = _Events(server, events, received_at)
        self._pending.append(item)
        self._queue.put_nowait(item)

    def ami_resynced(
        self, server: str, channels: list[AmiMessage], requested_at: float, received_at: float
    ) -> None:
        """Enqueue a resync; it is applied in order with the events around it."""
        if self._queued >= self.queue_size:
            self.dropped_events += 1
            self._needs_resync.add(server)
            return
        self._queued += 1
        resync = _Resync(server, channels, requested_at, received_at)
        self._pending.append(resync)
        self._queue.put_nowait(resync)

    def ami_connection_changed(self, server: str, connected: bool) -> None:
        """Log connection changes (the resync that follows a login carries the state)."""
        log.info("ami_link_state", server=server, connected=connected)
        if not connected:
            self._lost_at[server] = self._clock()
            self._synced[server].clear()

    # ------------------------------------------------------------------ consumer

    async def _consume(self) -> None:
        """Apply queued items in order; what is already queued is taken in one batch (up to
        about ``_BATCH`` events) and its records go to the listeners in one call."""
        queue = self._queue
        while True:
            batch = [await queue.get()]
            size = _size(batch[0])
            while size < _BATCH and not queue.empty():
                item = queue.get_nowait()
                batch.append(item)
                size += _size(item)
            records: list[TrackerRecord] = []
            for item in batch:
                if isinstance(item, _Events):
                    self._apply_events(item, records)
                    continue
                try:
                    records.extend(self._apply(item))
                except Exception:
                    log.exception("ami_event_apply_failed", server=item.server)
            self._queued -= size
            try:
                if records:
                    await self._notify(records)
            finally:
                for _ in batch:
                    self._pending.popleft()
                    queue.task_done()
            if self._needs_resync and self._queued < self.queue_size // 2:
                for server in sorted(self._needs_resync):
                    self._clients[server].request_resync()
                self._needs_resync.clear()

    def unapplied_calls(self, server: str) -> frozenset[str] | None:
        """Linkedids with events of ``server`` read from Asterisk and not handed to the
        listeners yet (a timer of such a call waits for them); None while a resync of the
        server is queued (any call's state may change with it)."""
        found: set[str] = set()
        for item in self._pending:
            if item.server != server:
                continue
            if isinstance(item, _Resync):
                return None
            found.update(e["Linkedid"] for e in item.events if e.get("Linkedid"))
        return frozenset(found)

    def _apply_events(self, item: _Events, records: list[TrackerRecord]) -> None:
        apply, server, at = self._tracker.apply, item.server, item.at
        for event in item.events:
            try:
                records.extend(apply(server, event, at))
            except Exception:
                log.exception("ami_event_apply_failed", server=server)

    def _apply(self, item: _Resync) -> Sequence[TrackerRecord]:
        diff = self._tracker.resync(item.server, item.channels, item.at, since=item.requested_at)
        if self._clients[item.server].connected:
            self._synced[item.server].set()
        log.info(
            "ami_resync_applied",
            server=item.server,
            vanished=len(diff.vanished),
            appeared=len(diff.appeared),
            changed=len(diff.changed),
        )
        for change in diff.changes:
            if isinstance(change, CallEnded):
                with bind_call(change.linkedid, change.linkedid):
                    log.info(
                        "call_ended_unseen",
                        server=change.server,
                        state_at_hangup=change.state_at_hangup,
                    )
        return [diff, *diff.changes]

    async def _notify(self, records: Sequence[TrackerRecord]) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(records)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("call_listener_failed", listener=repr(listener))


def _size(item: _Events | _Resync) -> int:
    """Queue places an item takes: its events (a resync takes one)."""
    return len(item.events) if isinstance(item, _Events) else 1
