"""The twin's PBX core: channel table, event emission, Local channels, Originate, hangups.

Every event is emitted in the order Asterisk 22 emits it for the same situation on each
channel (the recorded traces are the reference). Dialplan applications live in
:mod:`telephony.twin.apps`; FastAGI in :mod:`telephony.twin.agi`.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from telephony.twin.channel import (
    BUSY,
    CAUSE_TEXT,
    DOWN,
    RING,
    RINGING,
    UNKNOWN,
    UP,
    Bridge,
    Channel,
    LocalPair,
    bare_name,
)
from telephony.twin.dialplan import Dialplan, Step, expand
from telephony.twin.parking import PARKEDCALLS, ParkingLot
from telephony.twin.sounds import STOCK_SOUNDS
from telephony.twin.wire import Message

ALLOWED = "0 (Presentation Allowed, Not Screened)"  # CID-CallingPres of a known number

log = structlog.get_logger("telephony.twin.pbx")

Listener = Callable[[Message], None]

_LOCAL = re.compile(r"^Local/(?P<exten>[^@/]+)@(?P<context>[^/]+)(?:/n)?$", re.IGNORECASE)


class Hungup(Exception):
    """Raised inside a channel's application when the channel is hung up."""


class Redirected(Exception):
    """Raised inside a channel's application when the channel is redirected."""


class Bridged(Exception):
    """Raised inside a channel's application when the AMI ``Bridge`` action takes it."""


class Jump(Exception):
    """Raised by Goto/GotoIf: continue at another place of the dialplan."""

    def __init__(self, context: str, exten: str, priority: int) -> None:
        super().__init__(f"{context},{exten},{priority}")
        self.target = (context, exten, priority)


@dataclass
class OriginateRequest:
    """What an ``Originate`` action asks for."""

    channel: str
    context: str = ""
    exten: str = ""
    priority: int = 1
    application: str = ""
    data: str = ""
    caller_id: tuple[str, str] | None = None
    timeout: float = 30.0
    variables: list[tuple[str, str]] = field(default_factory=list)
    action_id: str = ""
    announce: bool = True


@dataclass
class OriginateResult:
    """How an originated call ended up: Asterisk's reason code and the channel name."""

    reason: int
    channel: Channel | None = None


class Pbx:
    """Channels, bridges and dialplan execution of one twin instance."""

    def __init__(
        self,
        dialplan: Dialplan,
        *,
        time_scale: float = 1.0,
        agi_address: tuple[str, int] | None = None,
        sounds: dict[str, int] | None = None,
    ) -> None:
        self.dialplan = dialplan
        if dialplan.find("parkedcalls", "701") is None:
            dialplan.merge(PARKEDCALLS)
        #: features.conf ``[featuremap]`` (e.g. ``{"atxfer": "*2"}``); none by default
        self.features: dict[str, str] = {}
        #: the sound files this Asterisk has (name -> length in 8 kHz samples)
        self.sounds = dict(STOCK_SOUNDS if sounds is None else sounds)
        self.time_scale = time_scale
        self.agi_address = agi_address
        self.channels: dict[str, Channel] = {}
        self.listeners: list[Listener] = []
        self.started = time.time()
        self.processed_calls = 0
        self._epoch = int(self.started)
        self._loop_start: float | None = None
        self.random = random.Random(0)
        self._uid = 0
        self._local_seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.behaviour: Callable[[str, str], list[Step] | None] = lambda _c, _e: None
        self.amd_result: Callable[[Channel], tuple[str, str, float]] = lambda _ch: (
            "NOTSURE",
            "TOOLONG-4820",
            5.0,
        )
        #: seconds until the far side of ``ch`` has been silent for ``needed`` seconds
        #: (WaitForSilence); by default it says nothing at all
        self.silence_after: Callable[[Channel, float], float] = lambda _ch, needed: needed
        self.on_hangup: list[Callable[[Channel], None]] = []
        self.spies: dict[str, list[Callable[[], None]]] = {}
        #: res_parking's default lot (AMI Park, ParkedCalls, ``[parkedcalls]``)
        self.parking = ParkingLot(self.new_bridge())

    # -- plumbing -----------------------------------------------------------------------

    def emit(self, event: str, privilege: str, fields: Message) -> None:
        """Publish an event to every listener (AMI sessions, the event log)."""
        message: Message = [("Event", event), ("Privilege", privilege), *fields]
        for listener in list(self.listeners):
            listener(message)

    def spawn(self, coro: asyncio.Future[None] | object, name: str) -> None:
        """Run a channel's work as an owned task (cancelled by :meth:`close`)."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("twin_task_failed", task=task.get_name(), error=repr(task.exception()))

    async def close(self) -> None:
        """Cancel every channel's work and forget the channels."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self.channels.clear()

    def now(self) -> float:
        """Loop time in seconds."""
        return asyncio.get_running_loop().time()

    def epoch(self) -> float:
        """This Asterisk's clock (``${EPOCH}``): Unix time at start, then running
        ``1/time_scale`` times faster, so HOLD_MAX and the dialplan's sums agree."""
        if self._loop_start is None:
            self._loop_start = self.now()
        return self.started + (self.now() - self._loop_start) / self.time_scale

    async def pause(self, ch: Channel | None, seconds: float) -> None:
        """Wait ``seconds`` (scaled); raise :class:`Hungup`/:class:`Redirected` if asked."""
        if ch is None:
            await asyncio.sleep(seconds * self.time_scale)
            return
        self.check(ch)
        if ch.unread_cid is not None and ch.app.lower() != "answer":
            # a caller id its Local peer sent during Answer's wait, published by the next app
            ch.unread_cid = None
            self.emit("NewCallerid", "call,all", [*ch.block(), ("CID-CallingPres", ALLOWED)])
        deadline = self.now() + seconds * self.time_scale
        try:
            await asyncio.wait_for(ch.wake.wait(), seconds * self.time_scale)
        except TimeoutError:
            # a timer may fire a hair early; Asterisk's waits never end before their time
            rest = deadline - self.now()
            if rest > 0:
                await asyncio.sleep(rest + 0.001)
            return
        self.check(ch)

    def check(self, ch: Channel) -> None:
        """Raise when the channel was hung up or redirected."""
        if ch.pending == "hangup":
            raise Hungup
        if ch.pending == "redirect":
            raise Redirected
        if ch.pending == "bridge":
            raise Bridged
        ch.wake.clear()

    def new_uniqueid(self) -> str:
        """Next ``epoch.sequence`` id, as Asterisk numbers channels."""
        uid = f"{self._epoch}.{self._uid}"
        self._uid += 1
        return uid

    @staticmethod
    def new_bridge() -> Bridge:
        """A bridge with a fresh UUID."""
        return Bridge(str(uuid.uuid4()))

    def lookup(self, ch: Channel | None, name: str) -> str:
        """Value of a variable or function as the dialplan sees it."""
        if name == "EPOCH":
            return str(int(self.epoch()))
        if name.startswith("IF(") and name.endswith(")"):
            condition, _, choices = name[3:-1].partition("?")
            when_true, _, when_false = choices.partition(":")
            truth = expand(condition, lambda _n: "").strip() not in ("", "0")
            return when_true if truth else when_false
        if name.startswith("RAND(") and name.endswith(")"):
            low, _, high = name[5:-1].partition(",")
            return str(self.random.randint(int(low or 0), int(high or 2147483647)))
        if ch is not None:
            if name == "EXTEN":
                return ch.exten
            if name == "CONTEXT":
                return ch.context
            if name == "CHANNEL":
                return ch.name
            if name == "UNIQUEID":
                return ch.uniqueid
            if name in ("CALLERID(num)", "CALLERID(number)"):
                return "" if ch.cid_num == UNKNOWN else ch.cid_num
            if name == "CALLERID(name)":
                return "" if ch.cid_name == UNKNOWN else ch.cid_name
            if bare_name(name) in ch.variables:
                return ch.variables[bare_name(name)]
        return self.dialplan.globals.get(name, "")

    def lookup_set(self, ch: Channel, name: str) -> str | None:
        """The variable's value, or None when neither the channel nor [globals] has it."""
        if bare_name(name) in ch.variables or name in self.dialplan.globals:
            return self.lookup(ch, name)
        if "(" in name or name in ("EXTEN", "CONTEXT", "CHANNEL", "UNIQUEID", "EPOCH"):
            return self.lookup(ch, name)
        return None

    def expand(self, ch: Channel | None, text: str) -> str:
        """Substitute ``${...}`` in ``text`` for channel ``ch``."""
        return expand(text, lambda name: self.lookup(ch, name))

    # -- events about one channel --------------------------------------------------------

    def set_var(self, ch: Channel, name: str, value: str) -> None:
        """Set a channel variable and publish VarSet."""
        ch.store(name, value)
        self.emit("VarSet", "dialplan,all", [*ch.block(), ("Variable", name), ("Value", value)])

    def set_state(self, ch: Channel, state: int) -> None:
        """Change the channel state and publish Newstate."""
        ch.state = state
        if state == UP and ch.answered_at is None:
            ch.answered_at = self.now()
        self.emit("Newstate", "call,all", ch.block())

    def emit_device(self, device: str, state: str) -> None:
        """DeviceStateChange of a device that is no channel (a parking space)."""
        self.emit("DeviceStateChange", "call,all", [("Device", device), ("State", state)])

    def device_state(self, ch: Channel, state: str) -> None:
        """Publish the Local device's state (one event per channel change, as Asterisk)."""
        if ch.device:
            self.emit("DeviceStateChange", "call,all", [("Device", ch.device), ("State", state)])

    def moved_snapshot(self, ch: Channel) -> None:
        """A channel moved out of a bridge (Redirect, transfer) publishes its new place at
        once, still naming the application it ran: Newexten with the old application; the
        first application at that place then brings no Newexten of its own."""
        self.emit(
            "Newexten",
            "dialplan,all",
            [
                *ch.block(),
                ("Extension", ch.exten),
                ("Application", ch.app),
                ("AppData", ch.appdata),
            ],
        )
        ch.published_at = (ch.context, ch.exten, ch.priority)

    def newexten(self, ch: Channel, app: str, data: str) -> None:
        """Publish Newexten for the application the channel starts."""
        here = (ch.context, ch.exten, ch.priority)
        skip, ch.published_at = ch.published_at == here, None
        ch.app, ch.appdata = app, data
        if skip:
            return
        self.emit(
            "Newexten",
            "dialplan,all",
            [*ch.block(), ("Extension", ch.exten), ("Application", app), ("AppData", data)],
        )

    def set_caller(
        self,
        ch: Channel,
        cid: tuple[str, str],
        connected: tuple[str, str],
        preset: bool = False,
        changed: tuple[bool, bool] | None = None,
    ) -> None:
        """Set caller id and connected line; publish NewCallerid and NewConnectedLine.

        With ``preset`` both were already updated before the NewCallerid (a dialed leg).
        """
        cid_changed = (ch.cid_num, ch.cid_name) != cid
        conn_changed = (ch.conn_num, ch.conn_name) != connected
        if changed is not None:
            cid_changed, conn_changed = changed
        ch.cid_num, ch.cid_name = cid
        if preset:
            ch.conn_num, ch.conn_name = connected
        if cid_changed:
            self.emit(
                "NewCallerid",
                "call,all",
                [*ch.block(), ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")],
            )
        ch.conn_num, ch.conn_name = connected
        if conn_changed:
            self.emit("NewConnectedLine", "call,all", ch.block())

    # -- Local channels ------------------------------------------------------------------

    def _new_channel(self, name: str, linkedid: str | None, context: str, exten: str) -> Channel:
        uid = self.new_uniqueid()
        ch = Channel(
            name=name,
            uniqueid=uid,
            linkedid=linkedid or uid,
            context=context,
            exten=exten,
            created=self.now(),
        )
        self.channels[name] = ch
        return ch

    def new_local_pair(
        self, exten: str, context: str, linkedid: str | None, owner: str
    ) -> LocalPair:
        """Create both halves of ``Local/exten@context`` and publish their Newchannel."""
        base = f"Local/{exten}@{context}-{self._local_seq:08x}"
        self._local_seq += 1
        self.processed_calls += 1
        one = self._new_channel(base + ";1", linkedid, context, exten)
        two = self._new_channel(base + ";2", linkedid or one.uniqueid, context, exten)
        two.state = RING
        for half, ch in ((1, one), (2, two)):
            ch.half = half
            ch.device = f"Local/{exten}@{context}"
        one.peer, two.peer = two, one
        pair = LocalPair(one, two, owner)
        one.pair = two.pair = pair
        self.emit("Newchannel", "call,all", one.block())
        self.emit("Newchannel", "call,all", two.block())
        return pair

    def local_bridge(self, pair: LocalPair) -> None:
        """Publish LocalBridge for a pair about to run its dialplan."""
        self.emit(
            "LocalBridge",
            "call,all",
            [
                *pair.one.block("LocalOne"),
                *pair.two.block("LocalTwo"),
                ("Context", pair.two.context),
                ("Exten", pair.two.exten),
                ("LocalOptimization", "Yes"),
            ],
        )

    def target_exists(self, context: str, exten: str) -> bool:
        """True when the dialplan (or a phone behaviour) has ``exten@context``."""
        script = self.behaviour(context, exten)
        if script is not None:
            return bool(script)
        return self.dialplan.find(context, exten) is not None

    def answer(self, ch: Channel) -> bool:
        """Answer ``ch``; for a Local ``;2`` the ``;1`` half answers too. False if already up."""
        if ch.state == UP:
            return False
        peer = ch.peer if ch.half == 2 else None
        if peer is not None and peer.alive and ch.pair is not None and ch.pair.owner == "dial":
            self.set_state(peer, UP)
            self.set_state(ch, UP)
            self.device_state(peer, "INUSE")
            self.device_state(ch, "INUSE")
        else:
            self.set_state(ch, UP)
            self.device_state(ch, "INUSE")
            if peer is not None and peer.alive and peer.state != UP:
                self.set_state(peer, UP)
                self.device_state(peer, "INUSE")
        if ch.pair is not None:
            ch.pair.settle("answer")
        return True

    def ringing(self, ch: Channel) -> None:
        """Indicate ringing: the calling half of a Local pair goes to Ringing."""
        peer = ch.peer if ch.half == 2 else None
        target = peer if peer is not None and peer.alive else ch
        if target.state not in (UP, RINGING):
            self.set_state(target, RINGING)
            self.device_state(target, "INUSE")
        if ch.pair is not None and ch.pair.on_ringing is not None:
            ch.pair.on_ringing()

    def busy(self, ch: Channel, cause: int) -> None:
        """Busy (17) or congestion (34) on a Local ``;2``: the caller learns at once."""
        ch.cause = cause
        self.set_state(ch, BUSY)
        self.device_state(ch, "INUSE")
        if ch.pair is not None:
            ch.pair.settle("busy" if cause == 17 else "congestion")

    # -- running the dialplan ------------------------------------------------------------

    def start_dialplan(self, ch: Channel) -> None:
        """Start the channel's dialplan at its context/exten/priority."""
        ch.runner = True
        self.spawn(self.run_dialplan(ch), f"dialplan:{ch.name}")

    async def run_dialplan(self, ch: Channel) -> None:
        """Execute priorities until the dialplan ends or the channel hangs up."""
        from telephony.twin.apps import run_app

        script = self.behaviour(ch.context, ch.exten) if ch.half == 2 else None
        ids = structlog.contextvars.bind_contextvars(uniqueid=ch.uniqueid, linkedid=ch.linkedid)
        log.debug("twin_dialplan_start", channel=ch.name, context=ch.context, exten=ch.exten)
        try:
            while True:
                if script is not None:
                    step = next((s for s in script if s.priority == ch.priority), None)
                else:
                    step = self.dialplan.step(ch.context, ch.exten, ch.priority)
                if step is None:
                    break
                data = self.expand(ch, step.data)
                self.newexten(ch, step.app, data)
                try:
                    ended = await run_app(self, ch, step.app, data)
                except Redirected:
                    assert ch.redirect_to is not None
                    ch.context, ch.exten, ch.priority = ch.redirect_to
                    ch.redirect_to, ch.pending = None, None
                    ch.wake.clear()
                    script = None
                    continue
                except Jump as jump:
                    ch.context, ch.exten, ch.priority = jump.target
                    continue
                except Bridged:
                    # the Bridge action: the application ends, the channel talks in the
                    # bridge, and the dialplan goes on at the next priority afterwards
                    ch.pending = None
                    ch.wake.clear()
                    ch.priority += 1
                    ch.app = ch.appdata = ""
                    try:
                        await self._in_bridge(ch)
                    except Redirected:  # moved on from the bridge (a transfer, a Redirect)
                        assert ch.redirect_to is not None
                        ch.context, ch.exten, ch.priority = ch.redirect_to
                        ch.redirect_to, ch.pending = None, None
                        ch.wake.clear()
                        script = None
                    continue
                if ended or ch.pending == "hangup":
                    break
                if ch.pending == "redirect" and ch.redirect_to is not None:
                    # a Redirect during an application that does not wait (Set, NoOp...)
                    # takes effect as soon as it returns: no further priority runs
                    ch.context, ch.exten, ch.priority = ch.redirect_to
                    ch.redirect_to, ch.pending = None, None
                    ch.wake.clear()
                    script = None
                    continue
                ch.priority += 1
        except Hungup:
            pass
        self.finish(ch)
        log.debug("twin_channel_gone", channel=ch.name, cause=ch.cause)
        structlog.contextvars.reset_contextvars(**ids)

    # -- hanging up ----------------------------------------------------------------------

    def request_hangup(self, ch: Channel, cause: int | None = None) -> None:
        """Hang up a channel from outside (AMI ``Hangup``)."""
        if not ch.alive:
            return
        if cause is not None:
            ch.cause = cause
        if ch.runner:
            if ch.bridge is not None:
                self.clear_bridge_peers(ch.bridge)
            ch.interrupt("hangup")
        elif ch.bridge is not None:
            # a dialed leg in a Dial's bridge: the Dial ends the call (it leaves first)
            ch.cause = ch.cause or 16
            ch.interrupt("hangup")
        else:
            self.destroy(ch)

    def clear_bridge_peers(self, bridge: Bridge) -> None:
        """A member is leaving: BRIDGEPEER is emptied on every member (once)."""
        if bridge.peers_cleared:
            return
        bridge.peers_cleared = True
        for member in sorted(bridge.members, key=lambda c: not c.runner):
            if member.variables.get("BRIDGEPEER") != "":  # a transfer may have cleared it
                self.set_var(member, "BRIDGEPEER", "")

    def finish(self, ch: Channel) -> None:
        """A dialplan runner ends: SoftHangupRequest then the channel goes away."""
        if not ch.alive:
            return
        self.emit("SoftHangupRequest", "call,all", [*ch.block(), ("Cause", "16")])
        self.destroy(ch)

    def destroy(self, ch: Channel, device_state: str = "NOT_INUSE", tell_peer: bool = True) -> None:
        """Tell the Local peer, publish Hangup and the device state, drop the channel."""
        if not ch.alive:
            return
        ch.alive = False
        peer = ch.peer if ch.peer is not None and ch.peer.alive else None
        if peer is not None and tell_peer:
            status = ch.variables.get("DIALSTATUS")
            if ch.half == 2 and status:
                self.set_var(peer, "CHANLOCALSTATUS", status)
            self.emit("HangupRequest", "call,all", [*peer.block(), ("Cause", str(ch.cause))])
        changed_cid = ch.unpublished_cid
        if changed_cid is not None:
            (ch.cid_num, ch.cid_name), ch.unpublished_cid = changed_cid, None
        self.emit(
            "Hangup",
            "call,all",
            [
                *ch.block(),
                ("Cause", str(ch.cause)),
                ("Cause-txt", CAUSE_TEXT.get(ch.cause, "Unknown")),
            ],
        )
        if changed_cid is not None:  # the same snapshot carries the caller id change
            pres = "67 (Number Unavailable)" if ch.cid_num == UNKNOWN else ALLOWED
            self.emit("NewCallerid", "call,all", [*ch.block(), ("CID-CallingPres", pres)])
        self.device_state(ch, device_state)
        self.channels.pop(ch.name, None)
        if ch.pair is not None:
            ch.pair.settle("hangup")
        for hook in list(self.on_hangup):
            hook(ch)
        if peer is not None:
            if peer.cause == 0:
                peer.cause = ch.cause
            if peer.runner:
                peer.interrupt("hangup")
            elif peer.bridge is None:
                self.destroy(peer, device_state)
            else:
                peer.interrupt("hangup")

    # -- originate -----------------------------------------------------------------------

    async def originate(self, req: OriginateRequest) -> OriginateResult:
        """Place a call on a Local channel and publish its OriginateResponse."""
        match = _LOCAL.match(req.channel)
        if match is None:
            self._originate_response(req, "Failure", None, 0)
            return OriginateResult(0)
        exten, context = match.group("exten"), match.group("context")
        pair = self.new_local_pair(exten, context, None, "originate")
        one, two = pair.one, pair.two
        self.newexten(one, "AppDial2", "(Outgoing Line)")
        for name, value in reversed(req.variables):
            self.set_var(one, name, value)
        if req.caller_id is not None:
            self.set_caller(one, req.caller_id, req.caller_id)
        for name, value in req.variables:
            self.set_var(two, name, value)
        if req.caller_id is not None:
            self.set_caller(two, req.caller_id, req.caller_id, preset=True)
        if not self.target_exists(context, exten):
            self.destroy(two, "INVALID", tell_peer=False)
            self._originate_response(req, "Failure", None, 0)
            self.destroy(one, "INVALID")
            return OriginateResult(0)
        self.local_bridge(pair)
        self.emit(
            "DialBegin", "call,all", [*one.block("Dest"), ("DialString", f"{exten}@{context}")]
        )
        pair.on_ringing = lambda: self.emit(
            "DialState", "call,all", [*one.block("Dest"), ("DialStatus", "RINGING")]
        )
        self.start_dialplan(two)
        try:
            outcome = await asyncio.wait_for(
                asyncio.shield(pair.outcome), req.timeout * self.time_scale
            )
        except TimeoutError:
            outcome = "timeout"
        if outcome == "answer" and one.alive:
            self.emit("DialEnd", "call,all", [*one.block("Dest"), ("DialStatus", "ANSWER")])
            self._originate_response(req, "Success", one, 4)
            if req.application:
                one.app, one.appdata = req.application, req.data
            else:
                one.context, one.exten, one.priority = req.context, req.exten, req.priority
                self.start_dialplan(one)
            return OriginateResult(4, one)
        reason = {"busy": 5, "congestion": 8, "timeout": 3}.get(outcome, 1)
        status = {"busy": "BUSY", "congestion": "CONGESTION"}.get(outcome)
        if status is not None and one.alive:
            self.emit("DialEnd", "call,all", [*one.block("Dest"), ("DialStatus", status)])
        if outcome == "timeout":
            one.cause = 19
        self.destroy(one)
        self._originate_response(req, "Failure", None, reason)
        return OriginateResult(reason)

    def _originate_response(
        self, req: OriginateRequest, result: str, one: Channel | None, reason: int
    ) -> None:
        if not req.announce:
            return
        message: Message = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
        if req.action_id:
            message.append(("ActionID", req.action_id))
        message += [("Response", result), ("Channel", one.name if one else req.channel)]
        if req.application:
            message += [("Application", req.application), ("Data", req.data)]
        else:
            message += [("Context", req.context), ("Exten", req.exten)]
        # without a channel Asterisk reports the caller id the Originate asked for
        num, name = (one.cid_num, one.cid_name) if one else (req.caller_id or (UNKNOWN, UNKNOWN))
        message += [
            ("Reason", str(reason)),
            ("Uniqueid", one.uniqueid if one else UNKNOWN),
            ("CallerIDNum", num),
            ("CallerIDName", name),
        ]
        for listener in list(self.listeners):
            listener(message)

    # -- lookups for actions -------------------------------------------------------------

    def find(self, name: str) -> Channel | None:
        """A live channel by exact name."""
        return self.channels.get(name)

    def redirect(self, ch: Channel, context: str, exten: str, priority: int) -> None:
        """Send a channel to another place in the dialplan (AMI ``Redirect``)."""
        ch.redirect_to = (context, exten, priority)
        if ch.runner or ch.bridge is not None:  # a dialed leg leaves its Dial's bridge first
            ch.interrupt("redirect")
        else:
            ch.context, ch.exten, ch.priority = context, exten, priority
            ch.redirect_to = None
            self.start_dialplan(ch)

    # -- transfers -------------------------------------------------------------------------

    def blind_transfer(self, transferer: Channel, context: str, exten: str) -> bool:
        """AMI ``BlindTransfer`` of a bridged channel: it leaves the call (hung up) and the
        party it talked to is sent to ``exten@context``. False when it talks to nobody."""
        bridge = transferer.bridge
        others = [c for c in bridge.members if c is not transferer] if bridge else []
        if bridge is None or len(others) != 1:
            return False
        transferee = others[0]
        self.emit("Unhold", "call,all", transferer.block())
        self.set_var(transferee, "BLINDTRANSFER", transferer.name)
        self.set_var(transferer, "BLINDTRANSFER", transferee.name)
        self.set_var(transferer, "BRIDGEPEER", "")
        self.emit(
            "BlindTransfer",
            "call,all",
            [
                ("Result", "Success"),
                *transferer.block("Transferer"),
                *transferee.block("Transferee"),
                *bridge.block(),
                ("IsExternal", "Yes"),
                ("Context", context),
                ("Extension", exten),
            ],
        )
        transferer.cause = transferer.cause or 16
        if transferer.runner:  # the caller's own Dial ends and hangs him up
            self.redirect(transferee, context, exten, 1)
            transferer.interrupt("hangup")
            return True
        from telephony.twin.apps import bridge_leave

        bridge_leave(self, bridge, transferer)
        self.destroy(transferer)
        self.redirect(transferee, context, exten, 1)
        return True

    # -- the Bridge action ---------------------------------------------------------------

    def bridge_channels(self, first: Channel, second: Channel) -> None:
        """AMI ``Bridge``: both channels leave what they run and talk in a new bridge."""
        bridge = self.new_bridge()
        self.emit("BridgeCreate", "call,all", bridge.block())
        for ch in (first, second):
            ch.join = bridge
            ch.interrupt("bridge")

    def _connected_to(self, ch: Channel, party: tuple[str, str]) -> None:
        """A bridge tells each side whom it talks to (NewConnectedLine when that changed).
        A Local ``;2``'s new connected line becomes its ``;1``'s caller id without a
        snapshot of ``;1``: Asterisk shows it at that channel's next one (its Hangup)."""
        if (ch.conn_num, ch.conn_name) == party:
            return
        ch.conn_num, ch.conn_name = party
        self.emit("NewConnectedLine", "call,all", ch.block())
        if ch.half == 2 and ch.peer is not None and ch.peer.alive:
            ch.peer.unpublished_cid = party

    async def _in_bridge(self, ch: Channel) -> None:
        """Talk in the bridge the Bridge action made until a side leaves (raises
        :class:`Hungup` when this side is hung up; returns when the other side left)."""
        from telephony.twin.apps import bridge_enter, bridge_leave

        bridge, ch.join = ch.join, None
        if bridge is None:
            return
        bridge_enter(self, bridge, ch)
        if len(bridge.members) == 2:
            one, two = bridge.members
            self.set_var(one, "BRIDGEPEER", two.name)
            self.set_var(two, "BRIDGEPEER", one.name)
            for member, other in ((one, two), (two, one)):
                self._connected_to(member, (other.cid_num, other.cid_name))
        while ch.pending is None and not bridge.dissolved.is_set():
            waits = [
                asyncio.ensure_future(ch.wake.wait()),
                asyncio.ensure_future(bridge.dissolved.wait()),
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
        self.clear_bridge_peers(bridge)
        bridge_leave(self, bridge, ch)
        bridge.dissolved.set()
        if not bridge.members:
            self.emit("BridgeDestroy", "call,all", bridge.block())
        if ch.pending == "hangup":
            ch.cause = ch.cause or 16
            self.destroy(ch)  # hung up in the bridge: no SoftHangupRequest, as Asterisk
            raise Hungup
        self.check(ch)


__all__ = [
    "BUSY",
    "DOWN",
    "RING",
    "RINGING",
    "UP",
    "Hungup",
    "Jump",
    "OriginateRequest",
    "OriginateResult",
    "Pbx",
    "Redirected",
]
