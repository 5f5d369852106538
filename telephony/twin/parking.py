"""Call parking (res_parking's default lot) as Asterisk 22 shows it (trace product_hold_park).

AMI ``Park`` Channel=<parkee> TimeoutChannel=<parker>: the parkee leaves its bridge for the
lot's holding bridge (space 701 on), hears music; the parker hears the space announced
(``ANNOUNCE_SECONDS``) and is hung up. The parkee's own application (its Dial) goes on. A
channel that runs ``ParkedCall(default,701)`` (the built-in ``[parkedcalls]`` context) takes
the parked call back in a new basic bridge; the parkee's Dial then talks there. ``ParkedCalls``
lists the lot.

The lot's bridge exists with the lot: the product's connection never sees its BridgeCreate
(nor a BridgeDestroy when the lot empties).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telephony.twin.channel import Bridge, Channel
from telephony.twin.dialplan import Dialplan
from telephony.twin.wire import Message

if TYPE_CHECKING:
    from telephony.twin.pbx import Pbx

FIRST_SPACE = 701
ANNOUNCE_SECONDS = 2.644  # "seven hundred one" played to the parker
LOT = "default"
#: what res_parking adds to the dialplan: each space's extension
PARKEDCALLS = Dialplan.from_text("[parkedcalls]\nexten => _7XX,1,ParkedCall(default,${EXTEN})\n")


@dataclass(eq=False)
class Parked:
    """One parked call."""

    parkee: Channel
    space: int
    parker_dial: str
    timeout: int
    at: float
    #: the bridge the parkee left (its Dial's), to be replaced by the retriever's
    left: Bridge


@dataclass(eq=False)
class ParkingLot:
    """The default lot: its holding bridge and the calls in it."""

    bridge: Bridge
    calls: dict[int, Parked] = field(default_factory=dict)

    def free_space(self) -> int:
        space = FIRST_SPACE
        while space in self.calls:
            space += 1
        return space


def lot_bridge_block(bridge: Bridge) -> Message:
    return [
        ("BridgeUniqueid", bridge.uniqueid),
        ("BridgeType", "parking"),
        ("BridgeTechnology", "holding_bridge"),
        ("BridgeCreator", "Parking"),
        ("BridgeName", LOT),
        ("BridgeNumChannels", str(len(bridge.members))),
        ("BridgeVideoSourceMode", "none"),
    ]


def _parked_fields(pbx: Pbx, parked: Parked) -> Message:
    elapsed = int((pbx.now() - parked.at) / pbx.time_scale)
    return [
        ("ParkerDialString", parked.parker_dial),
        ("Parkinglot", LOT),
        ("ParkingSpace", str(parked.space)),
        ("ParkingTimeout", str(max(0, parked.timeout - elapsed))),
        ("ParkingDuration", str(elapsed)),
    ]


def park(pbx: Pbx, parkee: Channel, parker: Channel | None, timeout_ms: int) -> bool:
    """AMI Park: False when the parkee talks in no bridge."""
    from telephony.twin.apps import bridge_leave

    left = parkee.bridge
    if left is None:
        return False
    lot = pbx.parking
    space = lot.free_space()
    dial = parker.device if parker is not None else ""
    parked = Parked(parkee, space, dial, max(1, timeout_ms // 1000), pbx.now(), left)
    lot.calls[space] = parked
    if parker is not None:
        pbx.set_var(parkee, "BLINDTRANSFER", parker.name)
        pbx.set_var(parkee, "BLINDTRANSFER", parker.name)
        parker.consulting = True  # its Dial leaves it to the park
    bridge_leave(pbx, left, parkee)
    pbx.emit("ParkedCall", "call,all", [*parkee.block("Parkee"), *_parked_fields(pbx, parked)])
    pbx.emit_device(f"park:{space}@parkedcalls", "INUSE")
    lot.bridge.members.append(parkee)
    parkee.bridge = lot.bridge
    pbx.emit("BridgeEnter", "call,all", [*lot_bridge_block(lot.bridge), *parkee.block()])
    if parkee.variables.get("BLINDTRANSFER"):
        pbx.set_var(parkee, "BLINDTRANSFER", "")
    pbx.set_var(parkee, "BRIDGEPEER", "")
    parkee.on_hold = True
    pbx.emit("MusicOnHoldStart", "call,all", [*parkee.block(), ("Class", "default")])
    if parker is not None:
        pbx.spawn(_announce_and_drop(pbx, parker, left), "park-announce")
    return True


async def _announce_and_drop(pbx: Pbx, parker: Channel, bridge: Bridge) -> None:
    """The parker hears the space, then is hung up (its bridge goes with it)."""
    from telephony.twin.apps import bridge_leave

    await asyncio.sleep(ANNOUNCE_SECONDS * pbx.time_scale)
    if not parker.alive:
        return
    pbx.set_var(parker, "BRIDGEPEER", "")
    bridge_leave(pbx, bridge, parker)
    pbx.emit("BridgeDestroy", "call,all", bridge.block())
    parker.cause = parker.cause or 16
    peer = parker.peer if parker.peer is not None and parker.peer.alive else None
    if peer is not None:
        pbx.emit("HangupRequest", "call,all", [*peer.block(), ("Cause", "16")])
        peer.cause = peer.cause or 16
    pbx.destroy(parker, tell_peer=False)
    if peer is not None:
        peer.interrupt("hangup")


def parked_calls(pbx: Pbx) -> list[Message]:
    """One ParkedCall event body per parked call (AMI ParkedCalls)."""
    return [
        [*p.parkee.block("Parkee"), *_parked_fields(pbx, p)]
        for p in sorted(pbx.parking.calls.values(), key=lambda p: p.space)
    ]


async def app_parkedcall(pbx: Pbx, ch: Channel, data: str) -> bool:
    """ParkedCall(lot,space): take the parked call back and talk to it in a new bridge."""
    from telephony.twin.apps import bridge_enter
    from telephony.twin.transfer import connected_line

    space_text = data.split(",")[-1].strip()
    parked = pbx.parking.calls.pop(int(space_text), None) if space_text.isdigit() else None
    if parked is None or not parked.parkee.alive:
        return True
    parkee, lot = parked.parkee, pbx.parking
    bridge = pbx.new_bridge()
    pbx.emit("BridgeCreate", "call,all", bridge.block())
    parkee.on_hold = False
    pbx.emit("MusicOnHoldStop", "call,all", parkee.block())
    pbx.emit(
        "UnParkedCall",
        "call,all",
        [*parkee.block("Parkee"), *ch.block("Retriever"), *_parked_fields(pbx, parked)],
    )
    pbx.emit_device(f"park:{parked.space}@parkedcalls", "NOT_INUSE")
    if parkee in lot.bridge.members:
        lot.bridge.members.remove(parkee)
    parkee.bridge = None
    pbx.emit("BridgeLeave", "call,all", [*lot_bridge_block(lot.bridge), *parkee.block()])
    bridge_enter(pbx, bridge, parkee)
    ch.linkedid = parkee.linkedid  # bridged with an older call: it takes that call's linkedid
    bridge_enter(pbx, bridge, ch)
    pbx.set_var(parkee, "BRIDGEPEER", ch.name)
    pbx.set_var(ch, "BRIDGEPEER", parkee.name)
    connected_line(pbx, parkee, (ch.cid_num, ch.cid_name))
    connected_line(pbx, ch, (parkee.cid_num, parkee.cid_name))
    parked.left.swap, parked.left.moved_to = ch, bridge  # the parkee's Dial talks here now
    parked.left.changed.set()
    ch.app, ch.appdata = "ParkedCall", data
    from telephony.twin.apps import bridge_leave
    from telephony.twin.pbx import Hungup

    try:
        while ch.bridge is bridge:
            await pbx.pause(ch, 3600)
    except Hungup:
        if ch.bridge is bridge:  # it leaves first; the parkee's Dial ends the bridge
            pbx.clear_bridge_peers(bridge)
            bridge_leave(pbx, bridge, ch)
        raise
    return True
