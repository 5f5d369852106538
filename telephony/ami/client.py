"""AMI client for one Asterisk server.

Replaces panoramisk's ``Manager``/``AMIProtocol`` (kept only as the benchmark's peer) to fix their
known faults: every action has a timeout and no future outlives it or the connection; a malformed
frame is logged and skipped instead of dropping the connection; each (re)connect logs in again and
then runs a ``CoreShowChannels`` resync; events go to a synchronous, non-blocking sink (the link's
bounded queue), never to fire-and-forget tasks. A wrong secret raises
:class:`AmiAuthenticationError` and stops the client: no retry storm.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from telephony.ami.actions import ActionFields, ActionResult, encode_action
from telephony.ami.config import AmiServer
from telephony.ami.errors import (
    AmiActionError,
    AmiActionTimeout,
    AmiAuthenticationError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
)
from telephony.ami.message import AmiMessage
from telephony.ami.parser import AmiParser

log = structlog.get_logger("telephony.ami.client")


class AmiEventSink(Protocol):
    """Where a client hands what it reads. Methods must return at once and never raise."""

    def ami_events(self, server: str, events: list[AmiMessage], received_at: float) -> None:
        """The events of one read, in order, that are not part of a pending action's answer
        (OriginateResponse is handed here too)."""

    def ami_resynced(
        self, server: str, channels: list[AmiMessage], requested_at: float, received_at: float
    ) -> None:
        """The ``CoreShowChannel`` events of a resync, after each (re)connect or on request.

        ``requested_at`` is when CoreShowChannels was sent: events seen after it are newer than
        (or as new as) the report."""

    def ami_connection_changed(self, server: str, connected: bool) -> None:
        """The client logged in (``True``) or lost its connection (``False``)."""


@dataclass(slots=True)
class _Pending:
    action: str
    future: asyncio.Future[ActionResult]
    wait_event: str | None
    response: AmiMessage | None = None
    listing: bool = False
    events: list[AmiMessage] = field(default_factory=list)
    final: AmiMessage | None = None


class _Protocol(asyncio.Protocol):
    def __init__(self, client: AmiClient) -> None:
        self.client = client
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.client._data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class AmiClient:
    """One AMI connection (with reconnects) to ``server``."""

    def __init__(
        self,
        server: AmiServer,
        sink: AmiEventSink,
        *,
        action_timeout: float = 10.0,
        login_timeout: float = 10.0,
        reconnect_base_delay: float = 0.5,
        reconnect_max_delay: float = 30.0,
        ping_interval: float = 20.0,
        auth: str = "plain",
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        if auth not in ("plain", "md5"):
            raise ValueError("auth must be 'plain' or 'md5'")
        self.server = server
        self.name = server.name
        self._sink = sink
        self.action_timeout = action_timeout
        self.login_timeout = login_timeout
        self.reconnect_base_delay = reconnect_base_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.ping_interval = ping_interval
        self._auth = auth
        self._clock = clock
        self._rng = rng or random.Random()
        self._ids = itertools.count(1)
        self._id_prefix = f"atende-{secrets.token_hex(3)}"
        self._pending: dict[str, _Pending] = {}
        self._parser = AmiParser()
        self._transport: asyncio.Transport | None = None
        self._protocol: _Protocol | None = None
        self._logged_in = False
        self._task: asyncio.Task[None] | None = None
        self._first_attempt: asyncio.Future[None] | None = None
        self._stopping = False
        self._resync_wanted = asyncio.Event()
        self._log = log.bind(server=self.name)
        #: set when the server refused our secret; the client stopped
        self.failure: AmiAuthenticationError | None = None
        #: how many times the client logged in (1 + reconnects)
        self.logins = 0
        #: the delays (seconds) the client waited before each reconnect attempt
        self.reconnect_delays: list[float] = []

    # ------------------------------------------------------------------ lifecycle

    @property
    def connected(self) -> bool:
        """True while connected and logged in."""
        return self._logged_in and self._transport is not None

    @property
    def pending_actions(self) -> int:
        """Actions sent and still waiting for their answer."""
        return len(self._pending)

    async def start(self) -> None:
        """Connect and log in, then keep the connection up in a task this client owns.

        Returns after the first attempt: logged in, or unreachable (retried in the background).
        Raises :class:`AmiAuthenticationError` when Asterisk refuses the secret.
        """
        if self._task is not None:
            raise RuntimeError(f"AMI client {self.name} already started")
        self._stopping = False
        self.failure = None
        self._first_attempt = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name=f"ami-{self.name}")
        await asyncio.shield(self._first_attempt)
        if self.failure is not None:
            await self.stop()
            raise self.failure

    async def stop(self) -> None:
        """Log off (briefly), close the connection and end the client's task."""
        task, self._task = self._task, None
        self._stopping = True
        if self.connected:
            with contextlib.suppress(AmiError, OSError):
                await self._request({"Action": "Logoff"}, timeout=0.5, raise_on_error=False)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._close_transport()
        self._fail_pending(AmiNotConnected(f"AMI client {self.name} stopped"))

    def request_resync(self) -> None:
        """Ask for a ``CoreShowChannels`` resync as soon as possible (e.g. after lost events)."""
        self._resync_wanted.set()

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._connect_and_login()
            except AmiAuthenticationError as exc:
                self.failure = exc
                self._log.error("ami_authentication_failed", username=self.server.username)
                self._first_done()
                self._close_transport()
                return
            except Exception as exc:  # refused, timed out, reset... or a bug: retry, never die
                self._log.warning("ami_connect_failed", error=str(exc) or type(exc).__name__)
                self._close_transport()
                self._first_done()
                attempt += 1
                await self._backoff(attempt)
                continue
            attempt = 0
            self._first_done()
            try:
                await self._session()
            finally:
                was_in = self._logged_in
                self._logged_in = False
                self._close_transport()
                self._fail_pending(AmiConnectionLost(f"AMI connection to {self.name} lost"))
                if was_in:
                    self._notify_connection(False)
            if self._stopping:
                return
            self._log.warning("ami_connection_lost")
            attempt += 1
            await self._backoff(attempt)

    async def _backoff(self, attempt: int) -> None:
        """Exponential backoff with jitter: base * 2^(attempt-1), capped, times 0.5..1."""
        ceiling = min(self.reconnect_max_delay, self.reconnect_base_delay * 2 ** (attempt - 1))
        delay = ceiling * (0.5 + self._rng.random() / 2)
        self.reconnect_delays.append(delay)
        self._log.info("ami_reconnect_scheduled", delay=round(delay, 3), attempt=attempt)
        await asyncio.sleep(delay)

    def _first_done(self) -> None:
        if self._first_attempt is not None and not self._first_attempt.done():
            self._first_attempt.set_result(None)

    async def _connect_and_login(self) -> None:
        loop = asyncio.get_running_loop()
        self._parser = AmiParser()
        transport, protocol = await asyncio.wait_for(
            loop.create_connection(lambda: _Protocol(self), self.server.host, self.server.port),
            self.login_timeout,
        )
        self._transport = transport
        self._protocol = protocol
        secret = self.server.secret.get_secret_value()
        login: dict[str, str] = {"Action": "Login", "Username": self.server.username}
        if self._auth == "md5":
            challenge = await self._request(
                {"Action": "Challenge", "AuthType": "MD5"}, timeout=self.login_timeout
            )
            key = hashlib.md5((challenge.response.get("Challenge", "") + secret).encode())
            login.update(AuthType="MD5", Key=key.hexdigest())
        else:
            login["Secret"] = secret
        try:
            await self._request(login, timeout=self.login_timeout)
        except AmiActionError as exc:
            raise AmiAuthenticationError(
                f"AMI server {self.name} refused user {self.server.username!r}: {exc.message}"
            ) from None
        self._logged_in = True
        self.logins += 1
        self._log.info("ami_logged_in", banner=self._parser.banner, logins=self.logins)
        self._notify_connection(True)

    async def _session(self) -> None:
        """Resync, then serve the connection until it drops (pinging it meanwhile)."""
        assert self._protocol is not None
        closed = self._protocol.closed
        self._resync_wanted.set()
        tasks = [
            asyncio.create_task(self._resync_loop(), name=f"ami-resync-{self.name}"),
            asyncio.create_task(self._ping_loop(), name=f"ami-ping-{self.name}"),
        ]
        try:
            await asyncio.wait([closed, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                try:
                    await task
                except asyncio.CancelledError:
                    pass
                except Exception:
                    self._log.exception("ami_session_task_failed", task=task.get_name())

    async def _resync_loop(self) -> None:
        while True:
            await self._resync_wanted.wait()
            self._resync_wanted.clear()
            requested_at = self._clock()
            try:
                result = await self._request(
                    {"Action": "CoreShowChannels"}, timeout=self.action_timeout
                )
            except AmiError as exc:
                self._log.error("ami_resync_failed", error=str(exc))
                self._abort()
                return
            self._log.info("ami_resync_received", channels=len(result.events))
            try:
                self._sink.ami_resynced(self.name, result.events, requested_at, self._clock())
            except Exception:
                self._log.exception("ami_sink_failed", what="resync")

    async def _ping_loop(self) -> None:
        if self.ping_interval <= 0:
            await asyncio.Event().wait()
        while True:
            await asyncio.sleep(self.ping_interval)
            try:
                await self._request({"Action": "Ping"}, timeout=self.action_timeout)
            except AmiError as exc:
                self._log.warning("ami_ping_failed", error=str(exc))
                self._abort()
                return

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _close_transport(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    def _notify_connection(self, connected: bool) -> None:
        try:
            self._sink.ami_connection_changed(self.name, connected)
        except Exception:
            self._log.exception("ami_sink_failed", what="connection")

    # ------------------------------------------------------------------ actions

    async def send_action(
        self,
        action: ActionFields,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the API names it)
        raise_on_error: bool = True,
        wait_event: str | None = None,
    ) -> ActionResult:
        """Send ``action`` and wait for its whole answer (``timeout`` seconds at most).

        Event-list actions (``CoreShowChannels``, ``Status``...) return their events in
        ``result.events``. With ``wait_event`` the answer is complete only when that event arrives
        with the same ActionID (``OriginateResponse`` for ``Async: true``). Raises
        :class:`AmiActionTimeout`, :class:`AmiNotConnected`, :class:`AmiConnectionLost`, and
        :class:`AmiActionError` for a ``Response: Error`` unless ``raise_on_error`` is false.
        """
        if not self.connected:
            raise AmiNotConnected(f"AMI server {self.name} is not connected")
        return await self._request(
            action, timeout=timeout, raise_on_error=raise_on_error, wait_event=wait_event
        )

    async def send_actions(
        self,
        actions: Sequence[ActionFields],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the API names it)
    ) -> list[ActionResult | AmiError]:
        """Send ``actions`` in one write (Asterisk runs one session's actions in order) and
        wait for every answer: per action its result, or the error :meth:`send_action` would
        raise (:class:`AmiActionError` for ``Response: Error``). Raises
        :class:`AmiNotConnected` when nothing could be sent."""
        transport = self._transport
        if not self.connected or transport is None or transport.is_closing():
            raise AmiNotConnected(f"AMI server {self.name} is not connected")
        loop = asyncio.get_running_loop()
        sent: list[tuple[str, str, asyncio.Future[ActionResult]]] = []
        data = []
        for action in actions:
            action_id = str(action.get("ActionID") or f"{self._id_prefix}-{next(self._ids)}")
            if action_id in self._pending:
                raise ValueError(f"ActionID {action_id!r} is already pending")
            name = str(action["Action"])
            future: asyncio.Future[ActionResult] = loop.create_future()
            self._pending[action_id] = _Pending(name, future, None)
            sent.append((action_id, name, future))
            data.append(encode_action({**action, "ActionID": action_id}))
        limit = self.action_timeout if timeout is None else timeout
        out: list[ActionResult | AmiError] = []
        try:
            transport.write(b"".join(data))
            async with asyncio.timeout(limit):
                for _, name, future in sent:
                    try:
                        result = await future
                    except AmiError as exc:
                        out.append(exc)
                        continue
                    out.append(
                        result if result.response.ok else AmiActionError(name, result.response)
                    )
        except TimeoutError:
            self._log.warning("ami_action_timeout", action=sent[len(out)][1], after=limit)
            while len(out) < len(sent):
                name = sent[len(out)][1]
                out.append(AmiActionTimeout(f"{name} got no answer from {self.name} in {limit}s"))
        finally:
            for action_id, _, _ in sent:
                self._pending.pop(action_id, None)
        return out

    async def originate(
        self,
        action: ActionFields,
        *,
        timeout: float = 60.0,  # noqa: ASYNC109
    ) -> ActionResult:
        """``Originate`` with ``Async: true`` and wait for its ``OriginateResponse``.

        ``result.ok`` tells success; ``result.final_event["Reason"]`` the reason code
        (:data:`telephony.calls.ORIGINATE_REASONS`). Raises :class:`AmiActionError` when Asterisk
        refuses the action itself.
        """
        fields = {**action, "Action": "Originate", "Async": "true"}
        return await self.send_action(fields, timeout=timeout, wait_event="OriginateResponse")

    async def _request(
        self,
        action: ActionFields,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the API names it)
        raise_on_error: bool = True,
        wait_event: str | None = None,
    ) -> ActionResult:
        transport = self._transport
        if transport is None or transport.is_closing():
            raise AmiNotConnected(f"AMI server {self.name} is not connected")
        action_id = str(action.get("ActionID") or f"{self._id_prefix}-{next(self._ids)}")
        if action_id in self._pending:
            raise ValueError(f"ActionID {action_id!r} is already pending")
        name = str(action["Action"])
        data = encode_action({**action, "ActionID": action_id})
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(name, future, wait_event)
        limit = self.action_timeout if timeout is None else timeout
        try:
            transport.write(data)
            result = await asyncio.wait_for(future, limit)
        except TimeoutError:
            self._log.warning("ami_action_timeout", action=name, action_id=action_id, after=limit)
            raise AmiActionTimeout(f"{name} got no answer from {self.name} in {limit}s") from None
        finally:
            self._pending.pop(action_id, None)
        if raise_on_error and not result.response.ok:
            raise AmiActionError(name, result.response)
        return result

    def _fail_pending(self, exc: AmiError) -> None:
        pending, self._pending = self._pending, {}
        for item in pending.values():
            if not item.future.done():
                item.future.set_exception(exc)

    # ------------------------------------------------------------------ reading

    def _data_received(self, data: bytes) -> None:
        received_at = self._clock()
        events: list[AmiMessage] = []
        for msg in self._parser.feed(data):
            if "ActionID" not in msg and "Event" in msg:  # most events: no action's answer
                events.append(msg)
                continue
            try:
                if self._dispatch(msg):
                    events.append(msg)
            except Exception:
                self._log.exception("ami_message_dispatch_failed", message=msg.name)
        if events:
            self._to_sink(events, received_at)

    def _dispatch(self, msg: AmiMessage) -> bool:
        """Apply ``msg`` to the pending actions; True when it goes to the sink as well."""
        event = msg.get("Event")
        action_id = msg.get("ActionID")
        pending = self._pending.get(action_id) if action_id is not None else None
        if event is None:
            if pending is not None and pending.response is None:
                self._on_response(pending, msg)
            return False
        if pending is not None:
            if event == pending.wait_event:
                pending.final = msg
                self._maybe_done(pending)
            elif pending.listing:
                if event.endswith("Complete") or msg.get("EventList") == "Complete":
                    self._resolve(pending, complete=msg)
                else:
                    pending.events.append(msg)
                return False
        return True

    def _on_response(self, pending: _Pending, msg: AmiMessage) -> None:
        pending.response = msg
        if not msg.ok:
            self._resolve(pending)
            return
        pending.listing = msg.get("EventList") == "start" or "will follow" in msg.get("Message", "")
        if pending.listing:
            return
        self._maybe_done(pending)

    def _maybe_done(self, pending: _Pending) -> None:
        if pending.response is None:
            return
        if pending.wait_event is not None and pending.final is None:
            return
        self._resolve(pending)

    def _resolve(self, pending: _Pending, complete: AmiMessage | None = None) -> None:
        if pending.future.done() or pending.response is None:
            return
        pending.future.set_result(
            ActionResult(pending.response, pending.events, complete, pending.final)
        )

    def _to_sink(self, events: list[AmiMessage], received_at: float) -> None:
        try:
            self._sink.ami_events(self.name, events, received_at)
        except Exception:
            self._log.exception("ami_sink_failed", what="event", events=len(events))
