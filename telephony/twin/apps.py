"""Dialplan applications of the twin (the ones the lab and product dialplans use)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telephony.twin.channel import Bridge, Channel
from telephony.twin.parking import app_parkedcall
from telephony.twin.pbx import Hungup, Jump, Pbx

App = Callable[[Pbx, Channel, str], Awaitable[bool]]


_DIAL_RESET = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)
_LOCAL = re.compile(r"^Local/(?P<exten>[^@/]+)@(?P<context>[^/]+)(?:/n)?$", re.IGNORECASE)
#: The twin has no SIP endpoints: ``PJSIP/2001`` is the phone at ``Local/2001@agents``, and a
#: number through a trunk (``PJSIP/5511...@trunk``) is the customer at ``Local/5511...@customers``.
_PJSIP = re.compile(
    r"^PJSIP/(?P<exten>[A-Za-z0-9_.+-]+)(?:@(?P<endpoint>[A-Za-z0-9_.-]+))?$", re.IGNORECASE
)


def _args(data: str) -> list[str]:
    return [a.strip() for a in data.split(",")] if data else []


def _seconds(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


async def app_noop(pbx: Pbx, ch: Channel, data: str) -> bool:
    """NoOp(): nothing."""
    return False


async def app_answer(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Answer(): answer, then wait up to 500 ms for media as Asterisk does."""
    if pbx.answer(ch):
        await pbx.pause(ch, 0.5)
    return False


async def app_wait(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Wait(seconds)."""
    await pbx.pause(ch, _seconds(data, 0.0))
    return False


async def app_hangup(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Hangup([cause]): end the call (cause 16 unless given)."""
    ch.cause = int(data) if data.isdigit() else (ch.cause or 16)
    return True


async def app_ringing(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Ringing(): indicate ringing to the caller."""
    pbx.ringing(ch)
    return False


async def app_busy(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Busy([timeout]): signal busy, wait, hang up."""
    pbx.busy(ch, 17)
    await pbx.pause(ch, _seconds(data, 10.0) or 10.0)
    return True


async def app_congestion(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Congestion([timeout]): signal congestion, wait, hang up."""
    pbx.busy(ch, 34)
    await pbx.pause(ch, _seconds(data, 10.0) or 10.0)
    return True


async def app_set(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Set(NAME=value); ``CALLERID(num)``/``CALLERID(name)`` change the caller id
    (NewCallerid, no VarSet), as Asterisk's function write does."""
    name, _, value = data.partition("=")
    name = name.strip()
    function = name.upper()
    if function in ("CALLERID(NUM)", "CALLERID(NUMBER)", "CALLERID(NAME)"):
        cid = (value, ch.cid_name) if function != "CALLERID(NAME)" else (ch.cid_num, value)
        pbx.set_caller(ch, cid, (ch.conn_num, ch.conn_name), changed=(True, False))
        return False
    pbx.set_var(ch, name, value)
    return False


async def app_playback(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Playback(file): play a known sound; PLAYBACKSTATUS tells how it went."""
    files = _args(data)[0].split("&") if data else []
    ok = all(f in pbx.sounds for f in files) and bool(files)
    try:
        for f in files:
            if f in pbx.sounds:
                await pbx.pause(ch, pbx.sounds[f] / 8000)
    except Hungup:
        # Asterisk's Playback reports how the files opened, not whether they played out
        pbx.set_var(ch, "PLAYBACKSTATUS", "SUCCESS" if ok else "FAILED")
        raise
    pbx.set_var(ch, "PLAYBACKSTATUS", "SUCCESS" if ok else "FAILED")
    return False


async def app_moh(pbx: Pbx, ch: Channel, data: str) -> bool:
    """MusicOnHold(class,duration): hold music until the time runs out or the call moves."""
    args = _args(data)
    klass = args[0] if args and args[0] else "default"
    duration = _seconds(args[1], 0.0) if len(args) > 1 else 0.0
    ch.on_hold = True
    pbx.emit("MusicOnHoldStart", "call,all", [*ch.block(), ("Class", klass)])
    try:
        await pbx.pause(ch, duration or 86400.0)
    finally:
        ch.on_hold = False
        pbx.emit("MusicOnHoldStop", "call,all", ch.block())
    return False


async def app_agi(pbx: Pbx, ch: Channel, data: str) -> bool:
    """AGI(agi://host:port/script): run a FastAGI session against the engine."""
    from telephony.twin.agi import run_agi

    await run_agi(pbx, ch, _args(data)[0] if data else "")
    return False


async def app_amd(pbx: Pbx, ch: Channel, data: str) -> bool:
    """AMD(): decide human or machine; the twin asks the called party's behaviour."""
    status, cause, seconds = pbx.amd_result(ch)
    await pbx.pause(ch, seconds)
    pbx.set_var(ch, "AMDSTATUS", status)
    pbx.set_var(ch, "AMDCAUSE", cause)
    return False


async def app_waitforsilence(pbx: Pbx, ch: Channel, data: str) -> bool:
    """WaitForSilence(silence_ms,iterations,timeout_s): WAITSTATUS=SILENCE once the called
    party has been quiet that long (the twin asks ``pbx.silence_after``), TIMEOUT after
    ``timeout_s`` otherwise."""
    args = _args(data)
    needed = _seconds(args[0], 1000.0) / 1000 if args else 1.0
    timeout = _seconds(args[2], 0.0) if len(args) > 2 else 0.0
    quiet_at = pbx.silence_after(ch, needed)
    if timeout and quiet_at > timeout:
        await pbx.pause(ch, timeout)
        pbx.set_var(ch, "WAITSTATUS", "TIMEOUT")
    else:
        await pbx.pause(ch, quiet_at)
        pbx.set_var(ch, "WAITSTATUS", "SILENCE")
    return False


def bridge_enter(pbx: Pbx, bridge: Bridge, ch: Channel) -> None:
    """Put a channel in a bridge (BridgeEnter)."""
    bridge.members.append(ch)
    ch.bridge = bridge
    pbx.emit("BridgeEnter", "call,all", [*bridge.block(), *ch.block()])
    if ch.variables.get("BLINDTRANSFER"):  # a transferred party's next bridge forgets it
        pbx.set_var(ch, "BLINDTRANSFER", "")


def bridge_leave(pbx: Pbx, bridge: Bridge, ch: Channel) -> None:
    """Take a channel out of its bridge (BridgeLeave)."""
    if ch in bridge.members:
        bridge.members.remove(ch)
    ch.bridge = None
    pbx.emit("BridgeLeave", "call,all", [*bridge.block(), *ch.block()])


async def _first(pbx: Pbx, waits: list[asyncio.Future[Any]], seconds: float | None) -> None:
    await asyncio.wait(
        waits,
        timeout=None if seconds is None else seconds * pbx.time_scale,
        return_when=asyncio.FIRST_COMPLETED,
    )


def dial_options(text: str) -> dict[str, str]:
    """Dial's options: ``m(default)g`` -> ``{"m": "default", "g": ""}``."""
    out: dict[str, str] = {}
    i = 0
    while i < len(text):
        letter = text[i]
        i += 1
        arg = ""
        if i < len(text) and text[i] == "(":
            close = text.find(")", i)
            close = len(text) if close < 0 else close
            arg, i = text[i + 1 : close], close + 1
        if not letter.isspace():
            out[letter] = arg
    return out


class _DialHold:
    """Dial's ``m(class)``: the caller hears music on hold while the called side rings."""

    def __init__(self, pbx: Pbx, caller: Channel, klass: str | None) -> None:
        self.pbx, self.caller, self.klass = pbx, caller, klass
        self.playing = False

    def start(self) -> None:
        if self.klass is None:
            return
        self.playing = self.caller.on_hold = True
        self.pbx.emit("MusicOnHoldStart", "call,all", [*self.caller.block(), ("Class", self.klass)])

    def stop(self) -> None:
        if not self.playing:
            return
        self.playing = self.caller.on_hold = False
        self.pbx.emit("MusicOnHoldStop", "call,all", self.caller.block())


async def app_dial(pbx: Pbx, caller: Channel, data: str) -> bool:
    """Dial(Local/exten@context,timeout,options): ring a Local target, bridge it on answer.

    Options: ``m(class)`` music on hold instead of ringback while it rings; ``g`` go on in
    the dialplan when the called party hangs up an answered call (else the caller hangs up).
    """
    args = _args(data)
    timeout = _seconds(args[1], 0.0) if len(args) > 1 and args[1] else 0.0
    options = dial_options(args[2] if len(args) > 2 else "")
    for name in _DIAL_RESET:
        pbx.set_var(caller, name, "")
    target = args[0] if args else ""
    pjsip = _PJSIP.match(target)
    if pjsip is not None:
        context = "customers" if pjsip.group("endpoint") else "agents"
        target = f"Local/{pjsip.group('exten')}@{context}"
    match = _LOCAL.match(target)
    if match is None or not pbx.target_exists(match.group("context"), match.group("exten")):
        if pjsip is not None:  # no such endpoint here: as an Asterisk without chan_pjsip
            caller.cause = 66  # Channel not implemented
        pbx.set_var(caller, "DIALSTATUS", "CHANUNAVAIL")
        return False
    exten, context = match.group("exten"), match.group("context")
    dialstring = f"{exten}@{context}"
    started = pbx.now()
    pair = pbx.new_local_pair(exten, context, caller.linkedid, "dial")
    one, two = pair.one, pair.two
    inherited = caller.inheritable()
    pbx.set_var(one, "DIALEDPEERNUMBER", dialstring)
    for name, value in inherited:
        pbx.set_var(one, name, value)
    cid, conn = (exten, caller.cid_name), (caller.cid_num, caller.cid_name)
    changed = ((one.cid_num, one.cid_name) != cid, (one.conn_num, one.conn_name) != conn)
    (one.cid_num, one.cid_name), (one.conn_num, one.conn_name) = cid, conn
    pbx.newexten(one, "AppDial", "(Outgoing Line)")
    pbx.set_caller(one, cid, conn, preset=True, changed=changed)
    pbx.set_var(two, "DIALEDPEERNUMBER", dialstring)
    for name, value in inherited:
        pbx.set_var(two, name, value)
    pbx.set_caller(two, (caller.cid_num, caller.cid_name), (exten, caller.cid_name), preset=True)
    pbx.local_bridge(pair)
    pbx.emit(
        "DialBegin", "call,all", [*caller.block(), *one.block("Dest"), ("DialString", dialstring)]
    )
    hold = _DialHold(pbx, caller, (options["m"] or "default") if "m" in options else None)
    hold.start()

    def on_ringing() -> None:
        ms = int((pbx.now() - started) * 1000)
        pbx.set_var(caller, "RINGTIME", str(ms // 1000))
        pbx.set_var(caller, "RINGTIME_MS", str(ms))
        pbx.emit(
            "DialState",
            "call,all",
            [*caller.block(), *one.block("Dest"), ("DialStatus", "RINGING")],
        )

    pair.on_ringing = on_ringing
    pbx.start_dialplan(two)

    def dial_end(status: str) -> None:
        # a Redirect has already moved the caller: DialEnd shows where it is going
        at = caller.redirect_to if caller.pending == "redirect" else None
        pbx.emit(
            "DialEnd",
            "call,all",
            [*caller.block(at=at), *one.block("Dest"), ("DialStatus", status)],
        )

    try:
        pbx.check(caller)
    except BaseException:
        hold.stop()
        raise
    waiter = asyncio.ensure_future(caller.wake.wait())
    try:
        await _first(pbx, [pair.outcome, waiter], timeout or None)
    finally:
        waiter.cancel()
    if not pair.outcome.done() or pair.outcome.result() != "answer":
        if caller.pending is not None:
            status = "CANCEL"
            one.cause = one.cause or 16
        elif not pair.outcome.done():
            status = "NOANSWER"
        else:
            status = {"busy": "BUSY", "congestion": "CONGESTION"}.get(
                pair.outcome.result(), "NOANSWER"
            )
        hold.stop()
        dial_end(status)
        pbx.destroy(one)
        pbx.set_var(caller, "DIALSTATUS", status)
        pbx.check(caller)
        return False
    pbx.set_var(caller, "DIALSTATUS", "ANSWER")
    pbx.set_var(caller, "DIALEDPEERNAME", one.name)
    pbx.set_var(caller, "DIALEDPEERNUMBER", dialstring)
    one.exten = ""
    dial_end("ANSWER")
    hold.stop()
    answered = pbx.now()
    bridge = pbx.new_bridge()
    pbx.emit("BridgeCreate", "call,all", bridge.block())
    pbx.newexten(one, "AppDial", "(Outgoing Line)")
    bridge_enter(pbx, bridge, one)
    bridge_enter(pbx, bridge, caller)
    pbx.set_var(one, "BRIDGEPEER", caller.name)
    pbx.set_var(caller, "BRIDGEPEER", one.name)
    caller.app, caller.appdata = "Dial", data
    one.may_transfer = "t" in options
    caller.may_transfer = "T" in options
    one.wake.clear()
    one, bridge = await _talk(pbx, caller, one, bridge)
    pbx.clear_bridge_peers(bridge)
    if caller.pending == "redirect" and caller.redirect_to is not None:
        # leaving the bridge publishes the location the Redirect set
        caller.context, caller.exten, caller.priority = caller.redirect_to
        pbx.moved_snapshot(caller)
    moved = one.redirect_to if one.pending == "redirect" else None  # a dual Redirect
    if moved is not None:
        one.context, one.exten, one.priority = moved
        pbx.moved_snapshot(one)
    if caller.pending is None and one.bridge is bridge:  # the called side hung up first
        bridge_leave(pbx, bridge, one)
    bridge_leave(pbx, bridge, caller)
    if caller.pending != "redirect":  # a Redirect ends Dial before it times the call
        now = pbx.now()
        talk_ms, dial_ms = int((now - answered) * 1000), int((now - started) * 1000)
        pbx.set_var(caller, "ANSWEREDTIME", str(talk_ms // 1000))
        pbx.set_var(caller, "ANSWEREDTIME_MS", str(talk_ms))
        pbx.set_var(caller, "DIALEDTIME", str(dial_ms // 1000))
        pbx.set_var(caller, "DIALEDTIME_MS", str(dial_ms))
    pbx.set_var(caller, "DIALSTATUS", "ANSWER")
    if one.bridge is bridge:
        bridge_leave(pbx, bridge, one)
    pbx.emit("BridgeDestroy", "call,all", bridge.block())
    for spyer_done in pbx.spies.pop(one.name, []):
        spyer_done()
    if moved is not None:  # the called leg goes on in the dialplan it was sent to
        one.cause = one.cause or 16  # Dial has set its hang-up cause already
        one.redirect_to, one.pending = None, None
        one.wake.clear()
        pbx.start_dialplan(one)
    elif not one.runner:  # a retriever of a parked call ends in its own dialplan
        one.cause = one.cause or 16
        pbx.destroy(one)
    if caller.pending is not None or "g" not in options:
        caller.cause = caller.cause or 16
    pbx.check(caller)
    if "g" in options:
        return False
    raise Hungup


async def _talk(pbx: Pbx, caller: Channel, one: Channel, bridge: Bridge) -> tuple[Channel, Bridge]:
    """Until a side leaves the Dial's bridge; an attended transfer from the called party (or
    a park) leaves it to the transfer, and a completed one makes the target the called
    party (a parked call taken back: the retriever, in its new bridge)."""
    while True:
        consulting = one.consulting and one.pending != "redirect"
        if caller.pending is None and (one.pending is None or consulting):
            waits = [
                asyncio.ensure_future(caller.wake.wait()),
                asyncio.ensure_future(bridge.changed.wait()),
            ]
            if not consulting:
                waits.append(asyncio.ensure_future(one.wake.wait()))
            try:
                await _first(pbx, list(waits), None)
            finally:
                for w in waits:
                    w.cancel()
        if bridge.changed.is_set():
            bridge.changed.clear()
            if bridge.swap is not None:
                one, bridge.swap = bridge.swap, None
                if bridge.moved_to is not None:
                    bridge, moved = bridge.moved_to, bridge
                    moved.moved_to = None
                continue
        if caller.pending is None and (one.consulting or one.pending is None):
            continue
        return one, bridge


async def app_chanspy(pbx: Pbx, ch: Channel, data: str) -> bool:
    """ChanSpy(prefix,options): listen to the first bridged channel whose name matches."""
    args = _args(data)
    prefix = args[0] if args else ""
    spyee: Channel | None = None
    while spyee is None:
        await pbx.pause(ch, 0.1)
        spyee = next(
            (c for c in pbx.channels.values() if c.name.startswith(prefix) and c.bridge),
            None,
        )
    pbx.emit("ChanSpyStart", "call,all", [*ch.block("Spyer"), *spyee.block("Spyee")])
    _renew_bridge_peers(pbx, spyee)
    spyee_snapshot = spyee.block("Spyee")
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def spyee_gone() -> None:
        if not done.done():
            done.set_result(None)

    pbx.spies.setdefault(spyee.name, []).append(spyee_gone)
    if ch.pending is None:
        waiter = asyncio.ensure_future(ch.wake.wait())
        try:
            await _first(pbx, [done, waiter], None)
        finally:
            waiter.cancel()
    if not done.done():
        # The supervisor hung up: the audiohook leaves the bridge, which re-announces
        # its peers; ChanSpy itself only ends when the spied call does.
        _renew_bridge_peers(pbx, spyee)
        await done
    pbx.emit("ChanSpyStop", "call,all", [*ch.block("Spyer"), *spyee_snapshot])
    pbx.check(ch)
    return False


def _renew_bridge_peers(pbx: Pbx, spyee: Channel) -> None:
    bridge = spyee.bridge
    if bridge is None:
        return
    for member in sorted(bridge.members, key=lambda c: c is not spyee):
        other = next((c for c in bridge.members if c is not member), None)
        if other is not None:
            pbx.set_var(member, "BRIDGEPEER", other.name)


async def app_goto(pbx: Pbx, ch: Channel, data: str) -> bool:
    """Goto([[context,]exten,]priority|label)."""
    args = _args(data)
    if not args:
        return True
    exten = args[-2] if len(args) >= 2 else ch.exten
    context = args[-3] if len(args) >= 3 else ch.context
    if args[-1].isdigit():
        priority: int | None = int(args[-1])
    else:
        priority = pbx.dialplan.label(context, exten, args[-1])
    if priority is None:
        return True
    raise Jump(context, exten, priority)


async def app_execif(pbx: Pbx, ch: Channel, data: str) -> bool:
    """ExecIf(condition?App(args)[:App(args)]): run one application by a plain truth value."""
    condition, _, apps = data.partition("?")
    when_true, when_false = _split_else(apps)
    target = when_true if _truth(condition) else when_false
    if not target:
        return False
    name, _, rest = target.partition("(")
    return await run_app(pbx, ch, name.strip(), rest[:-1] if rest.endswith(")") else rest)


def _split_else(apps: str) -> tuple[str, str]:
    depth = 0
    for i, c in enumerate(apps):
        depth += c == "("
        depth -= c == ")"
        if c == ":" and depth == 0:
            return apps[:i], apps[i + 1 :]
    return apps, ""


def _truth(condition: str) -> bool:
    cond = condition.strip()
    if cond.startswith("$[") and cond.endswith("]"):
        cond = cond[2:-1]
    cond = cond.strip()
    return cond not in ("", "0") and not _false_comparison(cond)


async def app_gotoif(pbx: Pbx, ch: Channel, data: str) -> bool:
    """GotoIf(condition?[label_if_true][:label_if_false]) with a plain truth value."""
    condition, _, labels = data.partition("?")
    when_true, _, when_false = labels.partition(":")
    truth = _truth(condition)
    target = when_true if truth else when_false
    if not target:
        return False
    return await app_goto(pbx, ch, target)


def _false_comparison(cond: str) -> bool:
    for op in ("!=", "="):
        if op in cond:
            left, _, right = cond.partition(op)
            same = left.strip().strip('"') == right.strip().strip('"')
            return same if op == "!=" else not same
    return False


APPS: dict[str, App] = {
    "goto": app_goto,
    "gotoif": app_gotoif,
    "execif": app_execif,
    "verbose": app_noop,
    "log": app_noop,
    "progress": app_noop,
    "noop": app_noop,
    "answer": app_answer,
    "wait": app_wait,
    "hangup": app_hangup,
    "ringing": app_ringing,
    "busy": app_busy,
    "congestion": app_congestion,
    "set": app_set,
    "playback": app_playback,
    "musiconhold": app_moh,
    "agi": app_agi,
    "amd": app_amd,
    "waitforsilence": app_waitforsilence,
    "dial": app_dial,
    "parkedcall": app_parkedcall,
    "chanspy": app_chanspy,
}


async def run_app(pbx: Pbx, ch: Channel, app: str, data: str) -> bool:
    """Run one application; True when the dialplan must stop (the channel hangs up)."""
    impl = APPS.get(app.lower())
    if impl is None:
        return True
    return await impl(pbx, ch, data)


__all__ = ["APPS", "dial_options", "run_app"]
