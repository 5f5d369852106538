"""User-level call states, derived from a call's channels (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from telephony.calls.model import Call, Channel, known

#: dialplan applications that mean the caller is in the IVR
IVR_APPS: Final = frozenset({"AGI", "EAGI", "Background", "Read", "Playback", "WaitExten"})
#: pseudo-applications of a channel created by Dial/Originate (not the caller's dialplan)
DIAL_APPS: Final = frozenset({"AppDial", "AppDial2"})

#: every state :func:`call_state` returns
CALL_STATES: Final = (
    "dialing",
    "ringing",
    "ivr",
    "amd",
    "on_hold",
    "ringing_agent",
    "talking",
    "spying",
    "in_dialplan",
    "hung_up",
)


def call_state(
    call: Call,
    channels: Mapping[str, Channel],
    bridges: Mapping[str, set[str]],
) -> str:
    """The state a supervisor would name for ``call``.

    Order matters: hold beats talking (an agent holding a bridged caller), talking beats ringing.
    ``in_dialplan`` is the in-between state (answered, running dialplan that is none of the
    others), e.g. between the end of the music and the agent's phone ringing.
    """
    if call.ended_at is not None:
        return "hung_up"
    chans = [channels[u] for u in call.channels if u in channels]
    if any(ch.on_hold for ch in chans):
        return "on_hold"
    for ch in chans:
        if ch.bridge_id is not None and len(bridges.get(ch.bridge_id, ())) >= 2:
            return "talking"
    if any(ch.dialled_by is not None and not ch.is_up for ch in chans):
        return "ringing_agent"
    if not any(ch.is_up for ch in chans):
        return "dialing" if call.originated else "ringing"
    apps = {ch.application for ch in chans}
    if apps & IVR_APPS:
        return "ivr"
    if "AMD" in apps:
        return "amd"
    if "ChanSpy" in apps:
        return "spying"
    return "in_dialplan"


#: contexts where callers arrive on a DID: there the caller id, not the exten, is the customer
INBOUND_CONTEXTS = frozenset({"inbound"})


def call_caller(call: Call, channels: Mapping[str, Channel]) -> str | None:
    """The customer's number: the number dialled for an originated call, else the caller id."""
    primary = channels.get(call.primary)
    if primary is None:
        return call.caller_cache
    inbound = primary.first_context in INBOUND_CONTEXTS
    if call.originated and primary.first_exten and not inbound:
        return primary.first_exten
    return known(primary.caller_num) or known(primary.connected_num) or primary.first_exten or None
