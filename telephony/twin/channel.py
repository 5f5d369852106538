"""Channels, bridges and the header blocks Asterisk prints for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from telephony.twin.wire import Message

DOWN, RING, RINGING, UP, BUSY = 0, 4, 5, 6, 7
STATE_DESC = {DOWN: "Down", RING: "Ring", RINGING: "Ringing", UP: "Up", BUSY: "Busy"}
UNKNOWN = "<unknown>"

CAUSE_TEXT = {
    0: "Unknown",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
    66: "Channel not implemented",
}


def bare_name(name: str) -> str:
    """A variable's name without the one or two leading underscores that mark inheritance."""
    if name.startswith("__"):
        return name[2:]
    return name[1:] if name.startswith("_") else name


@dataclass(eq=False)
class Channel:
    """One channel as the twin's PBX sees it."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    created: float
    priority: int = 1
    state: int = DOWN
    cid_num: str = UNKNOWN
    cid_name: str = UNKNOWN
    conn_num: str = UNKNOWN
    conn_name: str = UNKNOWN
    app: str = ""
    appdata: str = ""
    device: str = ""
    half: int = 0
    peer: Channel | None = None
    pair: LocalPair | None = None
    variables: dict[str, str] = field(default_factory=dict)
    #: the name a variable was set with (``__ATENDE_DID``) by its bare name (``ATENDE_DID``)
    var_names: dict[str, str] = field(default_factory=dict)
    bridge: Bridge | None = None
    cause: int = 0
    runner: bool = False
    alive: bool = True
    on_hold: bool = False
    pending: str | None = None
    redirect_to: tuple[str, str, int] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dtmf: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    answered_at: float | None = None
    join: Bridge | None = None  # the bridge the Bridge action is moving the channel into
    #: the place a moved channel's snapshot already announced (its Newexten is not repeated)
    published_at: tuple[str, str, int] | None = None
    #: a caller id taken from the Local peer's connected line, not yet in a snapshot
    unpublished_cid: tuple[str, str] | None = None
    #: a caller id from the Local peer's connected line, read once Answer's wait is over
    unread_cid: tuple[str, str] | None = None
    #: its Dial gave it the transfer feature (``t``/``T``): Atxfer works on it
    may_transfer: bool = False
    #: an attended transfer from this channel is under way (its Dial leaves it to that)
    consulting: bool = False

    def store(self, name: str, value: str) -> None:
        """Set a variable as Asterisk keeps it: found by its bare name, newest first."""
        bare = bare_name(name)
        self.variables.pop(bare, None)
        self.variables[bare] = value
        self.var_names[bare] = name

    def inheritable(self) -> list[tuple[str, str]]:
        """What a channel this one dials inherits: ``__X`` as ``__X``, ``_X`` as ``X``
        (newest first, as Asterisk walks its variable list)."""
        out = []
        for bare, value in reversed(self.variables.items()):
            full = self.var_names.get(bare, bare)
            if full.startswith("__"):
                out.append((full, value))
            elif full.startswith("_"):
                out.append((full[1:], value))
        return out

    def block(self, prefix: str = "", at: tuple[str, str, int] | None = None) -> Message:
        """The channel snapshot header block (``Channel``, ``ChannelState``...).

        ``at`` shows another dialplan location (where a Redirect is taking the channel).
        """
        context, exten, priority = at or (self.context, self.exten, self.priority)
        return [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", str(self.state)),
            (f"{prefix}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{prefix}CallerIDNum", self.cid_num),
            (f"{prefix}CallerIDName", self.cid_name),
            (f"{prefix}ConnectedLineNum", self.conn_num),
            (f"{prefix}ConnectedLineName", self.conn_name),
            (f"{prefix}Language", "en"),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", context),
            (f"{prefix}Exten", exten),
            (f"{prefix}Priority", str(priority)),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]

    def interrupt(self, reason: str) -> None:
        """Ask the channel's running application to stop (``hangup`` or ``redirect``)."""
        if self.pending != "hangup":
            self.pending = reason
        self.wake.set()


@dataclass(eq=False)
class LocalPair:
    """The two halves of a Local channel and who placed the call on ``;1``."""

    one: Channel
    two: Channel
    owner: str  # "originate" or "dial"
    on_ringing: Callable[[], None] | None = None
    outcome: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def settle(self, outcome: str) -> None:
        """Record how ``;2`` answered the call (answer, busy, congestion, hangup)."""
        if not self.outcome.done():
            self.outcome.set_result(outcome)


@dataclass(eq=False)
class Bridge:
    """A basic two-party bridge."""

    uniqueid: str
    members: list[Channel] = field(default_factory=list)
    peers_cleared: bool = False
    dissolved: asyncio.Event = field(default_factory=asyncio.Event)
    #: an attended transfer changed who is in it (``swap``: the new called party)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    swap: Channel | None = None
    moved_to: Bridge | None = None  # a parked call taken back talks in this bridge now

    def block(self) -> Message:
        """The bridge snapshot header block."""
        return [
            ("BridgeUniqueid", self.uniqueid),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", UNKNOWN),
            ("BridgeName", UNKNOWN),
            ("BridgeNumChannels", str(len(self.members))),
            ("BridgeVideoSourceMode", "none"),
        ]
