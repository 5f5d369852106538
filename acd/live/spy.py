"""Supervisors listening to agents' calls over AMI (the ``Spying`` port of ``acd.app``).

``start`` Originates the supervisor's phone into the dialplan's ``[spy]`` context with
``SPY_MODE``, ``SPY_TARGET`` (the agent's leg of the call, its full channel name, as the call
tracker shows it bridged) and ``ATENDE_SPY`` (the session's id), and returns once Asterisk has
queued the call. The tracker's records then move the session on: ``OriginateResponse``
(answered, or not: ``no_answer``), ``ChanSpyStart`` (``spying``), the supervisor's hang-up
(``ended``). ``switch`` changes the mode of a session that is spying by the key ChanSpy's ``d``
option reads (4 listen, 5 whisper, 6 barge), sent as if from his phone (PlayDTMF with
``Receive``): his phone does not ring again. ``stop`` sends ChanSpy's exit key (``#``), after
which ``[spy]`` hangs his phone up (a phone still ringing is hung up).

An answered phone that is not spying within ``spy_wait`` seconds (the call ended meanwhile) is
hung up by the owned watchdog task, so no supervisor is left in a silent ChanSpy.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from acd.app.spying import SpyMode, SpySession, SpyUnavailable
from telephony.ami.errors import AmiError
from telephony.calls.changes import (
    ChannelHungUp,
    OriginateResult,
    SpyStarted,
    SpyStopped,
    TrackerRecord,
)
from telephony.link import AsteriskLink
from telephony.tasks import cancel_and_wait

log = structlog.get_logger("acd.live.spy")

#: ChanSpy's ``d`` option: the key that selects each mode
MODE_KEYS: dict[SpyMode, str] = {"listen": "4", "whisper": "5", "barge": "6"}
#: ChanSpy's ``x(#)`` in ``[spy]``: the key that ends the spying
EXIT_KEY = "#"
ACTION_PREFIX = "atende-spy-"
#: seconds an ended session still claims its phone's late events (answer, ChanSpyStart)
KEEP_ENDED = 120.0


@dataclass
class _Live:
    """What the adapter keeps beside a session."""

    session: SpySession
    answered_at: float | None = None
    stop_seen: bool = False
    #: asked to leave ChanSpy by its exit key: hung up if still there at this time
    leave_by: float | None = None


class CallSpy:
    """Spy sessions of the supervisors on one Asterisk server (one per supervisor)."""

    def __init__(
        self,
        link: AsteriskLink,
        server: str,
        *,
        ring_timeout: float = 30.0,
        spy_wait: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._link = link
        self._server = server
        self._ring_timeout = ring_timeout
        self._spy_wait = spy_wait
        self._clock = clock
        self._by_supervisor: dict[str, _Live] = {}
        self._by_id: dict[str, _Live] = {}
        self._hangups: list[str] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # ------------------------------------------------------------------ life cycle
    async def open(self) -> None:
        """Follow the tracker's records and start the watchdog."""
        self._unsubscribe = self._link.subscribe(self.on_records)
        self._task = asyncio.create_task(self._watch(), name="acd-spy-watchdog")

    async def close(self) -> None:
        """Stop following; sessions are left as they are on Asterisk."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            await cancel_and_wait([self._task])

    # ------------------------------------------------------------------ the port
    def agent_leg(self, interface: str) -> str | None:
        """The channel on ``interface`` (``PJSIP/2001-0000002a``,
        ``Local/2001@agents-00000003;1``) that is bridged in a call now."""
        prefix = f"{interface}-"
        for ch in self._link.tracker.channels(self._server):
            if (
                ch.name.startswith(prefix)
                and ch.bridge_id
                and ch.hung_up_at is None
                and ch.spying_on is None
            ):
                return ch.name
        return None

    def session(self, supervisor: str) -> SpySession | None:
        """The supervisor's session while his phone rings or he listens."""
        live = self._by_supervisor.get(supervisor)
        if live is None or live.session.state == "ended":
            return None
        return live.session

    def sessions(self) -> list[SpySession]:
        """Every supervisor's session while his phone rings or he listens (the floor's)."""
        return [
            live.session for live in self._by_supervisor.values() if live.session.state != "ended"
        ]

    def last(self, supervisor: str) -> SpySession | None:
        """The supervisor's latest session, ended or not."""
        live = self._by_supervisor.get(supervisor)
        return None if live is None else live.session

    async def start(
        self, supervisor: str, agent: str, target: str, mode: SpyMode, phone: str
    ) -> SpySession:
        """Ring ``phone`` into ``[spy]`` on ``target``; :class:`SpyUnavailable` when Asterisk
        cannot take the Originate."""
        spy_id = uuid.uuid4().hex[:16]
        session = SpySession(spy_id, supervisor, agent, mode, phone, target)
        session.started_at = self._clock()
        live = _Live(session)
        self._by_supervisor[supervisor] = live
        self._by_id[spy_id] = live
        self._wake.set()  # the watchdog watches while a session is kept
        action = {
            "Action": "Originate",
            "Channel": phone,
            "Context": "spy",
            "Exten": agent,
            "Priority": "1",
            "Timeout": str(int(self._ring_timeout * 1000)),
            "CallerID": f'"Atende {mode}" <{agent}>',
            "Variable": f"SPY_MODE={mode},SPY_TARGET={target},ATENDE_SPY={spy_id}",
            "Async": "true",
            "ActionID": ACTION_PREFIX + spy_id,
        }
        try:
            result = await self._link.send_action(self._server, action, raise_on_error=False)
        except AmiError as exc:
            self._end(live, "unavailable")
            raise SpyUnavailable(f"Asterisk {self._server} cannot be reached: {exc}") from None
        if not result.ok:
            self._end(live, "refused")
            raise SpyUnavailable(f"Asterisk refused to ring {phone}: {result.message}")
        leg = self._link.tracker.channel_by_name(self._server, target)
        log.info(
            "spy_ringing",
            linkedid=None if leg is None else leg.call_id,
            spy_id=spy_id,
            supervisor=supervisor,
            agent=agent,
            mode=mode,
            phone=phone,
            target=target,
        )
        return session

    async def switch(self, supervisor: str, mode: SpyMode) -> SpySession:
        """Switch the mode of the supervisor's spying session (the key of ``mode``)."""
        live = self._by_supervisor[supervisor]
        session = live.session
        assert session.spyer is not None
        try:
            await self._link.send_action(
                self._server,
                {
                    "Action": "PlayDTMF",
                    "Channel": session.spyer,
                    "Digit": MODE_KEYS[mode],
                    "Receive": "true",
                },
            )
        except AmiError as exc:
            raise SpyUnavailable(f"Asterisk could not switch the mode: {exc}") from None
        log.info("spy_mode_switched", spy_id=session.spy_id, old=session.mode, new=mode)
        session.mode = mode
        return session

    async def stop(self, supervisor: str, reason: str = "stopped") -> SpySession | None:
        """End the supervisor's session (None: there was none). Spying, ChanSpy is left by its
        exit key (``#``: a hang-up alone would leave it running until the agent's call ends)
        and the dialplan hangs his phone up; ringing, his phone is hung up."""
        live = self._by_supervisor.get(supervisor)
        if live is None or live.session.state == "ended":
            return None
        session = live.session
        spying = session.state == "spying" and session.spyer is not None
        channel = session.spyer or self._ringing_channel(session.spy_id)
        self._end(live, reason)
        if spying and channel is not None:
            try:
                key = {"Action": "PlayDTMF", "Channel": channel, "Digit": EXIT_KEY}
                await self._link.send_action(self._server, {**key, "Receive": "true"})
                live.leave_by = self._clock() + self._spy_wait  # else the watchdog hangs up
            except AmiError:
                await self._hangup(channel)
        elif channel is not None:
            await self._hangup(channel)
        # a phone not yet seen is hung up when its answer or ChanSpyStart shows it
        return session

    # ------------------------------------------------------------------ records
    def on_records(self, records: Sequence[TrackerRecord]) -> None:
        """Move sessions on from the tracker's records (runs in the link's consumer)."""
        for record in records:
            if isinstance(record, OriginateResult):
                self._answered(record)
            elif isinstance(record, SpyStarted):
                self._spying(record)
            elif isinstance(record, SpyStopped):
                live = self._live_of_channel(record.spyer)
                if live is not None:
                    live.stop_seen = True
            elif isinstance(record, ChannelHungUp):
                live = self._live_of_channel(record.channel)
                if live is not None and live.session.state != "ended":
                    self._end(live, self._hangup_reason(live))

    def _answered(self, record: OriginateResult) -> None:
        if record.server != self._server or not record.action_id.startswith(ACTION_PREFIX):
            return
        live = self._by_id.get(record.action_id.removeprefix(ACTION_PREFIX))
        if live is None:
            return
        if not record.success:
            if live.session.state != "ended":
                self._end(live, "no_answer")
            return
        live.session.spyer = record.channel
        live.answered_at = self._clock()
        if live.session.state == "ended":  # stopped while it rang
            self._queue_hangup(record.channel)
        self._wake.set()

    def _spying(self, record: SpyStarted) -> None:
        if record.server != self._server:
            return
        live = self._live_of_channel(record.spyer)
        if live is None:
            return
        session = live.session
        session.spyer = record.spyer
        if session.state == "ended":
            self._queue_hangup(record.spyer)
            return
        session.state, session.spying_at = "spying", self._clock()
        log.info(
            "spy_started",
            spy_id=session.spy_id,
            agent=session.agent,
            spyee=record.spyee,
            linkedid=record.linkedid,
        )

    def _hangup_reason(self, live: _Live) -> str:
        if live.session.state == "spying":
            return "call_ended" if live.stop_seen else "hung_up"
        return "target_gone" if live.answered_at is not None else "no_answer"

    def _live_of_channel(self, name: str) -> _Live | None:
        """The session of the supervisor's channel ``name`` (its ATENDE_SPY variable)."""
        for live in self._by_id.values():
            if live.session.spyer == name:
                return live
        ch = self._link.tracker.channel_by_name(self._server, name)
        if ch is None:
            return None
        return self._by_id.get(ch.variables.get("ATENDE_SPY", ""))

    def _still_up(self, name: str) -> bool:
        ch = self._link.tracker.channel_by_name(self._server, name)
        return ch is not None and ch.hung_up_at is None

    def _ringing_channel(self, spy_id: str) -> str | None:
        """The supervisor's channel while it rings (it carries ATENDE_SPY from its start)."""
        for ch in self._link.tracker.channels(self._server):
            if ch.variables.get("ATENDE_SPY") == spy_id and not ch.name.endswith(";2"):
                return ch.name
        return None

    def _end(self, live: _Live, reason: str) -> None:
        session = live.session
        session.state, session.ended_at, session.ended_reason = "ended", self._clock(), reason
        log.info("spy_ended", spy_id=session.spy_id, agent=session.agent, reason=reason)

    # ------------------------------------------------------------------ watchdog
    def _queue_hangup(self, channel: str) -> None:
        self._hangups.append(channel)
        self._wake.set()

    async def _hangup(self, channel: str) -> None:
        try:
            await self._link.send_action(
                self._server,
                {"Action": "Hangup", "Channel": channel, "Cause": "16"},
                raise_on_error=False,
            )
        except AmiError as exc:
            log.warning("spy_hangup_failed", channel=channel, error=str(exc))

    async def _watch(self) -> None:
        """Hang up phones left behind: stopped while ringing, or answered and never spying."""
        while True:
            if self._by_id or self._hangups:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        await self._wake.wait()
            else:  # no session: nothing to watch until one starts
                await self._wake.wait()
            self._wake.clear()
            now = self._clock()
            for live in list(self._by_id.values()):
                session = live.session
                late = live.answered_at is not None and now - live.answered_at > self._spy_wait
                if session.state == "ringing" and late and session.spyer is not None:
                    self._end(live, "target_gone")
                    self._hangups.append(session.spyer)
                if live.leave_by is not None and now > live.leave_by:
                    live.leave_by = None
                    if session.spyer is not None and self._still_up(session.spyer):
                        self._hangups.append(session.spyer)
            while self._hangups:
                await self._hangup(self._hangups.pop(0))
            self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop sessions ended a while ago (late events of theirs no longer matter)."""
        for spy_id, live in list(self._by_id.items()):
            ended = live.session.ended_at
            if ended is not None and now - ended > KEEP_ENDED:
                del self._by_id[spy_id]
