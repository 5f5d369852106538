"""Call-level change records: what :meth:`CallTracker.apply` reports to the ACD and others.

Each record is a frozen dataclass naming the server and the call's linkedid. Listeners match on
the class (``match change: case CallEnded(...)``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: OriginateResponse ``Reason`` codes (Asterisk ``AST_CONTROL_*``) in plain words
ORIGINATE_REASONS: dict[str, str] = {
    "0": "failed",
    "1": "hangup",
    "3": "no_answer",
    "4": "answered",
    "5": "busy",
    "8": "congestion",
}


@dataclass(frozen=True, slots=True)
class CallStarted:
    """A new call appeared (its first channel)."""

    server: str
    linkedid: str
    channel: str
    caller: str | None
    at: float


@dataclass(frozen=True, slots=True)
class CallStateChanged:
    """The user-level state of the call changed (see :data:`telephony.calls.CALL_STATES`)."""

    server: str
    linkedid: str
    state: str
    previous: str
    at: float


@dataclass(frozen=True, slots=True)
class ChannelStateChanged:
    """A channel changed its Asterisk state (``Ring`` -> ``Up``...)."""

    server: str
    linkedid: str
    channel: str
    uniqueid: str
    state: str
    state_desc: str


@dataclass(frozen=True, slots=True)
class CallerOnHold:
    """Music on hold started on a channel of the call."""

    server: str
    linkedid: str
    channel: str
    moh_class: str


@dataclass(frozen=True, slots=True)
class CallerOffHold:
    """Music on hold stopped on a channel of the call."""

    server: str
    linkedid: str
    channel: str


@dataclass(frozen=True, slots=True)
class DialStarted:
    """A Dial began; ``source`` is ``None`` for an Originate (the dialer's own leg)."""

    server: str
    linkedid: str
    source: str | None
    destination: str
    dial_string: str
    agent: str | None


@dataclass(frozen=True, slots=True)
class DialEnded:
    """A Dial ended with ``status`` (``ANSWER``, ``NOANSWER``, ``BUSY``, ``CONGESTION``...)."""

    server: str
    linkedid: str
    source: str | None
    destination: str
    status: str
    agent: str | None


@dataclass(frozen=True, slots=True)
class AgentLegAnswered:
    """The agent's leg of the call answered (DialEnd ``ANSWER`` from a dialplan Dial)."""

    server: str
    linkedid: str
    agent: str
    channel: str


@dataclass(frozen=True, slots=True)
class CallBridged:
    """A channel of the call entered a bridge that now holds two or more channels."""

    server: str
    linkedid: str
    bridge_id: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DtmfReceived:
    """A DTMF digit finished (``DTMFEnd``)."""

    server: str
    linkedid: str
    channel: str
    digit: str
    direction: str


@dataclass(frozen=True, slots=True)
class AmdResult:
    """Answering machine detection finished (``AMDSTATUS``/``AMD_RESULT`` variable)."""

    server: str
    linkedid: str
    channel: str
    result: str
    cause: str | None


@dataclass(frozen=True, slots=True)
class SpyStarted:
    """A supervisor's channel started listening to ``spyee`` (ChanSpy)."""

    server: str
    linkedid: str
    spyer: str
    spyee: str


@dataclass(frozen=True, slots=True)
class SpyStopped:
    """A supervisor's channel stopped listening to ``spyee``."""

    server: str
    linkedid: str
    spyer: str
    spyee: str


@dataclass(frozen=True, slots=True)
class OriginateResult:
    """The outcome of an ``Originate`` with ``Async: true`` (``OriginateResponse``).

    ``linkedid`` is the call the originated channel belongs to when it could be found.
    """

    server: str
    action_id: str
    success: bool
    reason: str
    reason_text: str
    channel: str
    linkedid: str | None


@dataclass(frozen=True, slots=True)
class ChannelHungUp:
    """A channel hung up; ``unseen`` when found gone by a resync (no Hangup event seen)."""

    server: str
    linkedid: str
    channel: str
    uniqueid: str
    cause: str | None
    cause_txt: str | None
    unseen: bool = False


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call's last channel hung up.

    ``state_at_hangup`` is the last user-level state other than ``in_dialplan`` when hanging up
    began (``on_hold`` with no ``agent`` is a caller who abandoned while waiting; ``talking`` a
    conversation that ended); ``unseen`` when the end was found by a resync.
    """

    server: str
    linkedid: str
    caller: str | None
    agent: str | None
    state_at_hangup: str | None
    started_at: float
    ended_at: float
    cause: str | None
    unseen: bool = False


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    """What a resync knows about one channel."""

    uniqueid: str
    name: str
    linkedid: str
    state: str
    bridge_id: str | None
    application: str


@dataclass(frozen=True, slots=True)
class ChannelResynced:
    """A field of a live channel differed from the resync's report."""

    uniqueid: str
    name: str
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class ResyncDiff:
    """What changed on ``server`` while the link was away (from ``CoreShowChannels``)."""

    server: str
    vanished: tuple[ChannelSnapshot, ...] = ()
    appeared: tuple[ChannelSnapshot, ...] = ()
    changed: tuple[ChannelResynced, ...] = ()
    #: the call-level records the resync produced (``ChannelHungUp(unseen=True)``, ...)
    changes: tuple[CallChange, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the tracker already agreed with Asterisk."""
        return not (self.vanished or self.appeared or self.changed)


CallChange = (
    CallStarted
    | CallStateChanged
    | ChannelStateChanged
    | CallerOnHold
    | CallerOffHold
    | DialStarted
    | DialEnded
    | AgentLegAnswered
    | CallBridged
    | DtmfReceived
    | AmdResult
    | SpyStarted
    | SpyStopped
    | OriginateResult
    | ChannelHungUp
    | CallEnded
)

#: what listeners of the link receive: call changes, and a resync's diff after each (re)connect
TrackerRecord = CallChange | ResyncDiff
