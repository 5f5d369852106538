"""The call tracker: AMI events in, channel/call state and change records out. No I/O.

``tracker.apply(server, event, now)`` updates the channel table of ``server`` and returns the
call-level changes (:mod:`telephony.calls.changes`). ``tracker.resync(server, channels, now)``
replaces a server's table with what ``CoreShowChannels`` reported and returns the difference.
Channels are grouped into calls by ``Linkedid``; the two halves of a Local channel always share
one call. Ids are unique per server only, so every table is kept per server.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from telephony.calls import changes as c
from telephony.calls.handlers import STATE_EVENTS, EventHandlers, Handler
from telephony.calls.model import Call, Channel
from telephony.calls.state import call_caller, call_state
from telephony.calls.tables import AgentOf, Event, ServerTables, agent_from_dial_string


class CallTracker(EventHandlers):
    """Live channels and calls of every Asterisk server the engine is linked to."""

    def __init__(self, *, agent_of: AgentOf = agent_from_dial_string, keep_ended: int = 1000):
        self._agent_of = agent_of
        self._keep = keep_ended
        self._servers: dict[str, ServerTables] = {}
        self._handlers: dict[str, Handler] = self.handler_table()

    # ------------------------------------------------------------------ queries

    @property
    def servers(self) -> list[str]:
        """Servers the tracker has seen."""
        return list(self._servers)

    def channel(self, server: str, uniqueid: str) -> Channel | None:
        """A live (or just hung up) channel by uniqueid."""
        st = self._servers.get(server)
        if st is None:
            return None
        return st.channels.get(uniqueid) or st.gone.get(uniqueid)

    def channel_by_name(self, server: str, name: str) -> Channel | None:
        """A live channel by its name (``PJSIP/2001-00000001``)."""
        st = self._servers.get(server)
        uid = st.names.get(name) if st else None
        return st.channels.get(uid) if st and uid else None

    def channels(self, server: str) -> list[Channel]:
        """Live channels of ``server``."""
        st = self._servers.get(server)
        return list(st.channels.values()) if st else []

    def call(self, server: str, linkedid: str) -> Call | None:
        """A live call, or one that ended recently."""
        st = self._servers.get(server)
        if st is None:
            return None
        return st.calls.get(linkedid) or st.ended.get(linkedid)

    def calls(self, server: str | None = None) -> list[Call]:
        """Live calls (of one server, or all)."""
        sts = [self._servers[server]] if server in self._servers else []
        if server is None:
            sts = list(self._servers.values())
        return [call for st in sts for call in st.calls.values()]

    def call_of(self, server: str, uniqueid: str) -> Call | None:
        """The call a channel belongs to."""
        ch = self.channel(server, uniqueid)
        return self.call(server, ch.call_id) if ch else None

    def call_channels(self, call: Call) -> list[Channel]:
        """The live channels of ``call``."""
        st = self._servers[call.server]
        return [st.channels[u] for u in call.channels if u in st.channels]

    def state_of(self, call: Call) -> str:
        """The user-level state of ``call`` (see :mod:`telephony.calls.state`)."""
        st = self._servers[call.server]
        return call_state(call, st.channels, st.bridges)

    def caller_of(self, call: Call) -> str | None:
        """The customer's number for ``call``."""
        return call_caller(call, self._servers[call.server].channels)

    def live_calls_view(
        self, now: float | None = None, ended_within: float = 0.0
    ) -> list[dict[str, Any]]:
        """One row per live call, for the web page: server, linkedid, caller, state, where,
        agent, channels (count), started_at and ended_at (ISO 8601, UTC; ended_at ``None``).

        With ``now`` and ``ended_within`` seconds, calls that ended since ``now - ended_within``
        are listed too, in state ``hung_up`` with no channels.
        """
        rows = []
        for st in self._servers.values():
            for call in st.calls.values():
                state = call_state(call, st.channels, st.bridges)
                where = f"agent {call.agent}" if state == "talking" and call.agent else call.where
                rows.append(_row(st.name, call, call_caller(call, st.channels), state, where))
            if now is not None and ended_within > 0:
                for call in st.ended.values():
                    if call.ended_at is not None and call.ended_at >= now - ended_within:
                        rows.append(_row(st.name, call, call.caller_cache, "hung_up", call.where))
        rows.sort(key=lambda r: (r["started_at"], r["server"], r["linkedid"]))
        return rows

    # ------------------------------------------------------------------ events

    def apply(self, server: str, event: Event, now: float) -> list[c.CallChange]:
        """Apply one AMI event of ``server`` received at ``now`` (epoch seconds)."""
        name = event.get("Event", "")
        handler = self._handlers.get(name)
        out: list[c.CallChange] = []
        if handler is None:
            return out
        st = self._servers.get(server)
        if st is None:
            st = self._servers[server] = ServerTables(server)
        handler(st, event, now, out)
        if name in STATE_EVENTS:
            uid = event.get("Uniqueid") or event.get("DestUniqueid")
            ch = st.channels.get(uid) if uid else None
            if ch is not None:
                self._restate(st, st.calls[ch.call_id], now, out)
        return out

    def apply_many(self, server: str, events: Iterable[Event], now: float) -> list[c.CallChange]:
        """Apply several events; return all their changes in order."""
        out: list[c.CallChange] = []
        for event in events:
            out.extend(self.apply(server, event, now))
        return out

    # -- channel table

    # ------------------------------------------------------------------ resync

    def resync(
        self, server: str, channels: Iterable[Event], now: float, since: float | None = None
    ) -> c.ResyncDiff:
        """Replace ``server``'s channel table with a ``CoreShowChannels`` report.

        Channels the tracker had but Asterisk no longer reports hung up unseen (their calls end
        with ``unseen=True``); reported channels the tracker lacked are added; live channels whose
        state, bridge or application differ are corrected. Returns the difference.

        ``since`` is when the report was requested: events applied at or after it are newer than
        the report, so a channel created since then is kept and one hung up since then is not
        brought back.
        """
        st = self._servers.get(server)
        if st is None:
            st = self._servers[server] = ServerTables(server)
        reported = {ev["Uniqueid"]: ev for ev in channels if "Uniqueid" in ev and "Channel" in ev}
        out: list[Any] = []
        vanished = []
        for uid in [u for u in st.channels if u not in reported]:
            ch = st.channels[uid]
            if since is not None and ch.created_at >= since:
                continue
            vanished.append(_snapshot(ch))
            self._hangup(st, ch, now, out, unseen=True)
        appeared: list[c.ChannelSnapshot] = []
        changed: list[c.ChannelResynced] = []
        for uid, ev in reported.items():
            known_ch = st.channels.get(uid)
            if known_ch is None:
                dead = st.gone.get(uid)
                if since is not None and dead is not None and (dead.hung_up_at or 0) >= since:
                    continue
                st.gone.pop(uid, None)
                started = now - _duration(ev.get("Duration", ""))
                ch = self._create(st, ev, started, out)
                st.calls[ch.call_id].started_at = min(st.calls[ch.call_id].started_at, started)
                ch.application = ev.get("Application", "")
                ch.app_data = ev.get("ApplicationData", "")
                ch.on_hold = ch.application == "MusicOnHold"
                self._set_bridge(st, ch, ev.get("BridgeId") or None)
                appeared.append(_snapshot(ch))
                continue
            ch = known_ch
            before = (ch.state, ch.bridge_id, ch.application)
            self._touch(st, ev, now, out)
            ch.application = ev.get("Application", ch.application)
            ch.app_data = ev.get("ApplicationData", ch.app_data)
            self._set_bridge(st, ch, ev.get("BridgeId") or None)
            if ch.application == "MusicOnHold":
                ch.on_hold = True
            elif before[2] == "MusicOnHold":
                ch.on_hold = False
            after = (ch.state, ch.bridge_id, ch.application)
            for fname, old, new in zip(
                ("state", "bridge_id", "application"), before, after, strict=True
            ):
                if old != new:
                    changed.append(c.ChannelResynced(uid, ch.name, fname, old, new))
        for bid in [b for b, members in st.bridges.items() if not members]:
            del st.bridges[bid]
        for call in list(st.calls.values()):
            self._restate(st, call, now, out)
        return c.ResyncDiff(server, tuple(vanished), tuple(appeared), tuple(changed), tuple(out))


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def _row(server: str, call: Call, caller: str | None, state: str, where: str) -> dict[str, Any]:
    return {
        "server": server,
        "linkedid": call.linkedid,
        "caller": caller,
        "state": state,
        "where": where,
        "agent": call.agent,
        "channels": len(call.channels),
        "started_at": _iso(call.started_at),
        "ended_at": _iso(call.ended_at),
    }


def _snapshot(ch: Channel) -> c.ChannelSnapshot:
    return c.ChannelSnapshot(
        ch.uniqueid, ch.name, ch.linkedid, ch.state, ch.bridge_id, ch.application
    )


def _duration(text: str) -> float:
    """``HH:MM:SS`` (CoreShowChannel ``Duration``) in seconds; 0 when unreadable."""
    try:
        h, m, s = (int(x) for x in text.split(":"))
    except ValueError:
        return 0.0
    return float(h * 3600 + m * 60 + s)
