"""What Asterisk shows of an ACD call, read from the call tracker (after a resync too).

The caller's channel is the one the ACD redirects (``StoredCall.channel``). Answered: it runs
``Dial`` and shares a bridge with the agent's leg (``AppDial``, or a channel it dialled). Still
ringing: ``Dial`` without that bridge. On hold: ``MusicOnHold`` outside a Dial (Dial's ``m``
option plays music while the agent rings: that is not hold).
"""

from __future__ import annotations

from enum import StrEnum

from acd.live.call import StoredCall
from telephony.calls.model import Channel
from telephony.calls.state import DIAL_APPS
from telephony.calls.tracker import CallTracker


class Seen(StrEnum):
    """The caller as Asterisk shows him."""

    GONE = "gone"
    ON_HOLD = "on_hold"
    RINGING = "ringing"
    TALKING = "talking"
    ELSEWHERE = "elsewhere"  # alive, in some other dialplan (IVR, callback offer, exit...)


def seen(tracker: CallTracker, server: str, call: StoredCall) -> Seen:
    """Where ``call``'s caller is now.

    Bridges and agent legs come from events and the resync; a channel's application only from
    the resync (Asterisk's event filter drops ``Newexten``), so it is the last clue.
    """
    tracked = tracker.call(server, call.call_id)
    if tracked is None or tracked.ended_at is not None:
        return Seen.GONE
    channels = tracker.call_channels(tracked)
    if not channels:
        return Seen.GONE
    caller = next((ch for ch in channels if ch.name == call.channel), None)
    if caller is None:
        caller = next((ch for ch in channels if ch.uniqueid == tracked.primary), channels[0])
    legs = [ch for ch in channels if _agent_leg(ch)]
    if caller.bridge_id is not None and any(ch.bridge_id == caller.bridge_id for ch in legs):
        return Seen.TALKING
    if legs or caller.application == "Dial":
        return Seen.RINGING
    if caller.application == "MusicOnHold" or caller.on_hold:
        return Seen.ON_HOLD
    return Seen.ELSEWHERE


def _agent_leg(ch: Channel) -> bool:
    return ch.dialled_by is not None or ch.application in DIAL_APPS
