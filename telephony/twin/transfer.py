"""Attended transfer (AMI ``Atxfer``) as Asterisk 22 runs it (trace product_atxfer_enabled).

Only for a transferer whose Dial gave it the transfer feature (``t`` for the called party,
``T`` for the caller) and with an ``atxfer`` code in features.conf; the ``Atxfer`` action types
the code and the target's digits on the transferer's channel:

1. the code is recognised (``HOLD_AFTER`` s): ``Hold`` on the transferer, music on hold for its
   peer (the transferee);
2. after the digits and features.conf's digit timeout (``DIGITS_AFTER`` s): a Local channel
   ``exten@TRANSFER_CONTEXT`` is created (TRANSFERERNAME, ATTENDEDTRANSFER, inherited
   variables) in a new consultation bridge, the transferer moves into it; the target rings
   (DialState, DialEnd with only the ``Dest`` fields) and answers;
3. the transferer hangs up: the bridges merge (BridgeMerge), the target joins the transferee's
   bridge, the music stops, ``AttendedTransfer`` (DestType Bridge) and the transferer's legs go;
   the transferee's Dial goes on with the target as its called party;
4. the target hangs up first (or is hung up): the consultation ends and the transferer is back
   with the transferee (``Unhold``, music stops).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from telephony.twin.channel import UNKNOWN, Bridge, Channel

if TYPE_CHECKING:
    from telephony.twin.pbx import Pbx

HOLD_AFTER = 0.261  # from the code's first digit to the Hold (its digits 0.16 s apart)
DIGIT_GAP = 0.06  # between the target's digits, once the code is recognised
DIGIT_TIMEOUT = 3.005  # features.conf transferdigittimeout after the last digit
PASSED_GAP = 0.16  # between digits typed on a channel that may not transfer
PASSED_LENGTH = 0.1  # how long each such digit plays to the other side


def received(pbx: Pbx, ch: Channel, digit: str) -> None:
    """A digit the Atxfer typed on ``ch`` (DTMFEnd only, as Asterisk shows it)."""
    pbx.emit(
        "DTMFEnd",
        "dtmf,all",
        [*ch.block(), ("Digit", digit), ("DurationMs", "0"), ("Direction", "Received")],
    )


async def pass_digits(pbx: Pbx, ch: Channel, digits: str) -> None:
    """Atxfer on a channel whose Dial gave it no transfer feature: the code and the target's
    digits cross the bridge, and the other side hears them as tones."""
    for n, digit in enumerate(digits):
        if n:
            await asyncio.sleep((PASSED_GAP - PASSED_LENGTH) * pbx.time_scale)
        bridge = ch.bridge
        if not ch.alive or bridge is None:
            return
        received(pbx, ch, digit)
        other = next((c for c in bridge.members if c is not ch), None)
        if other is None:
            continue
        far = other.peer if other.peer is not None and other.peer.alive else None
        pbx.emit("DTMFBegin", "dtmf,all", [*other.block(), ("Digit", digit), ("Direction", "Sent")])
        if far is not None:
            pbx.emit(
                "DTMFBegin", "dtmf,all", [*far.block(), ("Digit", digit), ("Direction", "Received")]
            )
        await asyncio.sleep(PASSED_LENGTH * pbx.time_scale)
        ms = str(int(PASSED_LENGTH * 1000))
        if other.alive:
            pbx.emit(
                "DTMFEnd",
                "dtmf,all",
                [*other.block(), ("Digit", digit), ("DurationMs", ms), ("Direction", "Sent")],
            )
        if far is not None and far.alive:
            pbx.emit(
                "DTMFEnd",
                "dtmf,all",
                [*far.block(), ("Digit", digit), ("DurationMs", ms), ("Direction", "Received")],
            )


RING_WAIT = 1.0  # at most this long for the target's phone to ring before the move


def connected_line(pbx: Pbx, ch: Channel, party: tuple[str, str]) -> None:
    """A bridge tells ``ch`` whom it talks to. A Local ``;1``'s new connected line becomes its
    ``;2``'s caller id: published at once when it has a number, else only at the ``;2``'s
    hang-up (as Asterisk shows it); a ``;2``'s as ``Pbx._connected_to`` does."""
    if ch.half != 1:
        pbx._connected_to(ch, party)
        return
    if (ch.conn_num, ch.conn_name) == party:
        return
    ch.conn_num, ch.conn_name = party
    pbx.emit("NewConnectedLine", "call,all", ch.block())
    peer = ch.peer if ch.peer is not None and ch.peer.alive else None
    if peer is None:
        return
    if party[0] == UNKNOWN:
        peer.unpublished_cid = party
        return
    if peer.app.lower() == "answer" and peer.pending is None:
        # the update is the frame Answer() waits for: it ends the wait, and the new caller id
        # is published by the next application (after its Newexten)
        peer.cid_num, peer.cid_name = party
        peer.unread_cid = party
        peer.wake.set()
        return
    peer.cid_num, peer.cid_name = party
    pbx.emit(
        "NewCallerid",
        "call,all",
        [*peer.block(), ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")],
    )


async def attended_transfer(pbx: Pbx, transferer: Channel, context: str, exten: str) -> None:
    """Run one attended transfer from ``transferer`` (see the module)."""
    from telephony.twin.apps import bridge_enter, bridge_leave

    orig = transferer.bridge
    if orig is None:
        return
    code = pbx.features.get("atxfer", "")
    for n, digit in enumerate(code):  # the feature code, typed and recognised
        if n:
            await asyncio.sleep(PASSED_GAP * pbx.time_scale)
        if not transferer.alive:
            return
        received(pbx, transferer, digit)
    await asyncio.sleep(max(0.0, HOLD_AFTER - PASSED_GAP * (len(code) - 1)) * pbx.time_scale)
    others = [c for c in orig.members if c is not transferer]
    if transferer.bridge is not orig or not transferer.alive or len(others) != 1:
        return
    transferee = others[0]
    pbx.emit("Hold", "call,all", transferer.block())
    transferee.on_hold = True
    pbx.emit("MusicOnHoldStart", "call,all", [*transferee.block(), ("Class", "default")])
    transferer.consulting = True
    for digit in exten:  # the target's digits, consumed by the feature (not passed on)
        await asyncio.sleep(DIGIT_GAP * pbx.time_scale)
        if not transferer.alive:
            return
        received(pbx, transferer, digit)
    await asyncio.sleep(DIGIT_TIMEOUT * pbx.time_scale)
    if not transferer.alive or transferer.pending is not None or not transferee.alive:
        transferer.consulting = False
        return
    if not pbx.target_exists(context, exten):
        _back(pbx, transferer, transferee, orig)
        return
    pair = pbx.new_local_pair(exten, context, transferer.linkedid, "dial")
    one, two = pair.one, pair.two
    inherited = transferer.inheritable()
    pbx.set_var(one, "TRANSFERERNAME", transferer.name)
    pbx.set_var(one, "ATTENDEDTRANSFER", transferer.name)
    for name, value in inherited:
        pbx.set_var(one, name, value)
    consult = pbx.new_bridge()
    pbx.emit("BridgeCreate", "call,all", consult.block())
    pbx.set_var(two, "ATTENDEDTRANSFER", transferer.name)
    pbx.set_var(two, "TRANSFERERNAME", transferer.name)
    for name, value in inherited:
        pbx.set_var(two, name, value)
    party = (transferer.cid_num, transferer.cid_name)
    pbx.set_caller(two, party, (two.conn_num, two.conn_name))
    pbx.local_bridge(pair)
    pbx.set_caller(one, (one.cid_num, one.cid_name), party)
    bridge_enter(pbx, consult, one)
    pbx.set_var(one, "ATTENDEDTRANSFER", "")
    rang: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def ringing() -> None:
        pbx.emit("DialState", "call,all", [*one.block("Dest"), ("DialStatus", "RINGING")])
        if not rang.done():
            rang.set_result(None)

    pair.on_ringing = ringing
    pbx.start_dialplan(two)
    # the target's phone rings before the transferer moves over (a phone that answers at
    # once does not ring)
    answer_seen = asyncio.ensure_future(asyncio.shield(pair.outcome))
    first: list[asyncio.Future[Any]] = [rang, answer_seen]
    await asyncio.wait(first, timeout=RING_WAIT * pbx.time_scale)
    answer_seen.cancel()
    bridge_leave(pbx, orig, transferer)
    bridge_enter(pbx, consult, transferer)
    pbx.set_var(one, "BRIDGEPEER", transferer.name)
    pbx.set_var(transferer, "BRIDGEPEER", one.name)
    connected_line(pbx, transferer, _party(one))
    answered = await _first(pbx, transferer, one, pair.outcome)
    if answered and pair.outcome.result() == "answer" and one.alive:
        pbx.emit("DialEnd", "call,all", [*one.block("Dest"), ("DialStatus", "ANSWER")])
        pbx.set_var(one, "BRIDGEPEER", transferer.name)
        pbx.set_var(transferer, "BRIDGEPEER", one.name)
        await _first(pbx, transferer, one, None)
    if transferer.pending == "hangup" and one.alive and one.pending is None:
        _complete(pbx, transferer, transferee, one, orig, consult)
        return
    # the target is gone (or never answered): the transferer is back with the transferee
    pbx.set_var(one, "BRIDGEPEER", "")
    if one.bridge is consult:
        bridge_leave(pbx, consult, one)
    one.cause = one.cause or 16
    pbx.destroy(one)
    if transferer.bridge is consult:
        bridge_leave(pbx, consult, transferer)
    pbx.emit("BridgeDestroy", "call,all", consult.block())
    if transferer.pending == "hangup":  # both gone: the Dial ends the transferee's call
        transferer.consulting = False
        bridge_enter(pbx, orig, transferer)
        orig.changed.set()
        return
    bridge_enter(pbx, orig, transferer)
    _back(pbx, transferer, transferee, orig)


def _back(pbx: Pbx, transferer: Channel, transferee: Channel, orig: Bridge) -> None:
    """The transfer did not happen: Unhold, the music stops, both talk again."""
    transferer.consulting = False
    pbx.emit("Unhold", "call,all", transferer.block())
    if transferee.on_hold:
        transferee.on_hold = False
        pbx.emit("MusicOnHoldStop", "call,all", transferee.block())
    pbx.set_var(transferee, "BRIDGEPEER", transferer.name)
    pbx.set_var(transferer, "BRIDGEPEER", transferee.name)
    orig.changed.set()


def _complete(
    pbx: Pbx,
    transferer: Channel,
    transferee: Channel,
    target: Channel,
    orig: Bridge,
    consult: Bridge,
) -> None:
    """The transferer hung up while consulting: the target takes its place."""
    from telephony.twin.apps import bridge_enter, bridge_leave

    pbx.set_var(transferer, "BRIDGEPEER", "")
    bridge_leave(pbx, consult, transferer)
    peer = transferer.peer if transferer.peer is not None and transferer.peer.alive else None
    if peer is not None:
        pbx.emit("HangupRequest", "call,all", [*peer.block(), ("Cause", "16")])
    pbx.emit(
        "BridgeMerge",
        "call,all",
        [*_prefixed("To", orig), *_prefixed("From", consult)],
    )
    bridge_leave(pbx, consult, target)
    bridge_enter(pbx, orig, target)
    transferee.on_hold = False
    pbx.emit("MusicOnHoldStop", "call,all", transferee.block())
    pbx.set_var(transferee, "BRIDGEPEER", target.name)
    pbx.set_var(target, "BRIDGEPEER", transferee.name)
    pbx.emit(
        "AttendedTransfer",
        "call,all",
        [
            ("Result", "Success"),
            *transferer.block("OrigTransferer"),
            *_prefixed("Orig", orig),
            *transferer.block("SecondTransferer"),
            *_prefixed("Second", consult),
            *transferee.block("Transferee"),
            *target.block("TransferTarget"),
            ("IsExternal", "No"),
            ("DestType", "Bridge"),
            ("DestBridgeUniqueid", orig.uniqueid),
        ],
    )
    connected_line(pbx, target, _party(transferee))
    pbx.emit("BridgeDestroy", "call,all", consult.block())
    transferer.consulting = False
    transferer.cause = transferer.cause or 16
    pbx.destroy(transferer, tell_peer=False)
    if peer is not None:
        peer.cause = peer.cause or 16
        peer.interrupt("hangup")
    connected_line(pbx, transferee, _party(target))
    orig.swap = target
    orig.changed.set()


def _party(ch: Channel) -> tuple[str, str]:
    return ch.cid_num, ch.cid_name


def _prefixed(prefix: str, bridge: Bridge) -> list[tuple[str, str]]:
    return [(prefix + key, value) for key, value in bridge.block()]


async def _first(
    pbx: Pbx, transferer: Channel, target: Channel, outcome: asyncio.Future[str] | None
) -> bool:
    """Until the target answers (``outcome``), or either side is hung up; True: answered."""
    waits: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(transferer.wake.wait()),
        asyncio.ensure_future(target.wake.wait()),
    ]
    if outcome is not None:
        waits.append(asyncio.ensure_future(asyncio.shield(outcome)))
    try:
        while transferer.pending is None and target.pending is None and target.alive:
            if outcome is not None and outcome.done():
                return True
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for w in waits[:2]:
                if w.done():
                    break
            if outcome is not None and outcome.done():
                return True
            if transferer.pending is None and target.pending is None:
                # a wake without a hang-up (the channel's own Ringing, say): wait again
                transferer.wake.clear()
                target.wake.clear()
                waits[0] = asyncio.ensure_future(transferer.wake.wait())
                waits[1] = asyncio.ensure_future(target.wake.wait())
        return False
    finally:
        for w in waits:
            w.cancel()
