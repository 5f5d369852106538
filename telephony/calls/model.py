"""Channels and calls as the engine sees them (one Asterisk server each)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

UNKNOWN: Final = "<unknown>"

#: Asterisk ``ChannelState`` numbers (``ast_state``) and their names
CHANNEL_STATES: Final = {
    "0": "Down",
    "1": "Rsrvd",
    "2": "OffHook",
    "3": "Dialing",
    "4": "Ring",
    "5": "Ringing",
    "6": "Up",
    "7": "Busy",
    "8": "Dialing Offhook",
    "9": "Pre-ring",
}


def known(value: str | None) -> str | None:
    """``None`` for Asterisk's empty or ``<unknown>`` placeholders."""
    if not value or value == UNKNOWN:
        return None
    return value


def local_sibling(name: str) -> str | None:
    """The other half of a Local channel (``Local/x@ctx-0001;1`` <-> ``;2``), else ``None``."""
    if not name.startswith("Local/"):
        return None
    if name.endswith(";1"):
        return name[:-1] + "2"
    if name.endswith(";2"):
        return name[:-1] + "1"
    return None


@dataclass(slots=True, eq=False)
class Channel:
    """One Asterisk channel; ids are unique per server only."""

    server: str
    uniqueid: str
    name: str
    linkedid: str
    #: the call this channel belongs to (its linkedid, or its Local sibling's call)
    call_id: str
    state: str = "0"
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    context: str = ""
    exten: str = ""
    priority: str = ""
    #: the extension the channel was created for (the number a dialer dialled)
    first_exten: str = ""
    #: the context the channel was created in (``inbound`` for a caller who dialled a DID)
    first_context: str = ""
    application: str = ""
    app_data: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    bridge_id: str | None = None
    on_hold: bool = False
    moh_class: str = ""
    #: channels this one dialled (uniqueids), and the last DialStatus of its dials
    dial_peers: list[str] = field(default_factory=list)
    dial_status: str | None = None
    #: set when this channel is the destination of a Dial from a dialplan channel
    dialled_by: str | None = None
    #: an agent's leg: the agent (number/extension) reached through this channel
    agent: str | None = None
    spying_on: str | None = None
    spied_by: set[str] = field(default_factory=set)
    amd_status: str | None = None
    amd_cause: str | None = None
    last_dtmf: str | None = None
    hangup_cause: str | None = None
    hangup_cause_txt: str | None = None
    created_at: float = 0.0
    hung_up_at: float | None = None

    @property
    def state_desc(self) -> str:
        """The name of :attr:`state` (``Up``, ``Ringing``...)."""
        return CHANNEL_STATES.get(self.state, self.state)

    @property
    def is_up(self) -> bool:
        """True once the channel is answered."""
        return self.state == "6"


@dataclass(slots=True, eq=False)
class Call:
    """Channels that share a linkedid (Local halves included) on one server."""

    server: str
    linkedid: str
    started_at: float
    #: uniqueids of the live channels, in creation order
    channels: list[str] = field(default_factory=list)
    #: the first channel of the call (the customer's side)
    primary: str = ""
    #: the agent who answered, once an agent leg is answered
    agent: str | None = None
    agent_channel: str | None = None
    #: context/exten where the customer's side last ran dialplan
    where: str = ""
    #: the call began with an Originate (a dialer's call, or a test's simulated caller)
    originated: bool = False
    ended_at: float | None = None
    #: the user-level state now, and the last one other than ``in_dialplan``
    state: str = "ringing"
    last_state: str | None = None
    #: :attr:`last_state` when the first channel started hanging up
    state_at_hangup: str | None = None
    caller_cache: str | None = None
    amd_result: str | None = None
    dtmf: list[str] = field(default_factory=list)
