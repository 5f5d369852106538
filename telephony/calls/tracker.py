"""The call tracker: AMI events in, channel/call state and change records out. No I/O.

``tracker.apply(server, event, now)`` updates the channel table of ``server`` and returns the
call-level changes (:mod:`telephony.calls.changes`). ``tracker.resync(server, channels, now)``
replaces a server's table with what ``CoreShowChannels`` reported and returns the difference.
Channels are grouped into calls by ``Linkedid``; the two halves of a Local channel always share
one call. Ids are unique per server only, so every table is kept per server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from telephony.calls import changes as c
from telephony.calls.model import Call, Channel, known, local_sibling
from telephony.calls.state import DIAL_APPS, call_caller, call_state

Event = Mapping[str, str]
AgentOf = Callable[[str, str], str | None]
_Handler = Callable[["_Server", Event, float, list[Any]], None]

#: events after which the user-level state of the event's call is recomputed
_STATE_EVENTS = frozenset(
    {
        "Newchannel",
        "Newstate",
        "Newexten",
        "DialBegin",
        "DialEnd",
        "BridgeEnter",
        "BridgeLeave",
        "MusicOnHoldStart",
        "MusicOnHoldStop",
        "CoreShowChannel",
        "Status",
    }
)


def agent_from_dial_string(dial_string: str, destination: str) -> str | None:
    """Default agent naming: the peer a dialplan ``Dial`` reached (``2001@agents`` -> ``2001``,
    ``PJSIP/2001`` -> ``2001``)."""
    target = dial_string.split("&", 1)[0].split(",", 1)[0]
    target = target.rsplit("/", 1)[-1].split("@", 1)[0]
    return target or None


class _Server:
    """The channel, call and bridge tables of one Asterisk server."""

    __slots__ = ("bridges", "by_target", "calls", "channels", "ended", "gone", "name", "names")

    def __init__(self, name: str) -> None:
        self.name = name
        self.channels: dict[str, Channel] = {}
        self.names: dict[str, str] = {}
        self.calls: dict[str, Call] = {}
        self.bridges: dict[str, set[str]] = {}
        #: recently hung up channels / ended calls (bounded), to ignore late events and answer
        #: questions about calls that just ended
        self.gone: dict[str, Channel] = {}
        self.ended: dict[str, Call] = {}
        #: dial target (``Local/99@nowhere``) -> uniqueid of its latest channel (bounded)
        self.by_target: dict[str, str] = {}


class CallTracker:
    """Live channels and calls of every Asterisk server the engine is linked to."""

    def __init__(self, *, agent_of: AgentOf = agent_from_dial_string, keep_ended: int = 1000):
        self._agent_of = agent_of
        self._keep = keep_ended
        self._servers: dict[str, _Server] = {}
        self._handlers: dict[str, _Handler] = {
            "Newchannel": self._on_newchannel,
            "Newstate": self._on_snapshot,
            "NewCallerid": self._on_snapshot,
            "NewConnectedLine": self._on_snapshot,
            "DialState": self._on_dial_state,
            "Newexten": self._on_newexten,
            "VarSet": self._on_varset,
            "DialBegin": self._on_dial_begin,
            "DialEnd": self._on_dial_end,
            "BridgeCreate": self._on_bridge_create,
            "BridgeEnter": self._on_bridge_enter,
            "BridgeLeave": self._on_bridge_leave,
            "BridgeDestroy": self._on_bridge_destroy,
            "MusicOnHoldStart": self._on_moh_start,
            "MusicOnHoldStop": self._on_moh_stop,
            "HangupRequest": self._on_hangup_request,
            "SoftHangupRequest": self._on_hangup_request,
            "Hangup": self._on_hangup,
            "OriginateResponse": self._on_originate_response,
            "DTMFEnd": self._on_dtmf_end,
            "ChanSpyStart": self._on_spy_start,
            "ChanSpyStop": self._on_spy_stop,
            "LocalBridge": self._on_local_bridge,
            "Rename": self._on_rename,
            "CoreShowChannel": self._on_core_show_channel,
            "Status": self._on_status,
        }

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
            st = self._servers[server] = _Server(server)
        handler(st, event, now, out)
        if name in _STATE_EVENTS:
            uid = event.get("Uniqueid") or event.get("DestUniqueid")
            ch = st.channels.get(uid) if uid else None
            if ch is not None:
                self._restate(st, st.calls[ch.call_id], now, out)
        return out

    def _restate(self, st: _Server, call: Call, now: float, out: list[Any]) -> None:
        state = call_state(call, st.channels, st.bridges)
        if state != call.state:
            out.append(c.CallStateChanged(st.name, call.linkedid, state, call.state, now))
            call.state = state
            if state != "in_dialplan" and call.state_at_hangup is None:
                call.last_state = state

    def apply_many(self, server: str, events: Iterable[Event], now: float) -> list[c.CallChange]:
        """Apply several events; return all their changes in order."""
        out: list[c.CallChange] = []
        for event in events:
            out.extend(self.apply(server, event, now))
        return out

    # -- channel table

    def _touch(
        self, st: _Server, ev: Event, now: float, out: list[Any], p: str = "", create: bool = True
    ) -> Channel | None:
        """Find the channel an event (or its ``p``-prefixed snapshot) is about; update it."""
        uid = ev.get(p + "Uniqueid")
        if uid is None:
            name = ev.get(p + "Channel")
            uid = st.names.get(name) if name else None
            if uid is None:
                return None
        ch = st.channels.get(uid)
        if ch is None:
            if not create or uid in st.gone or p + "Channel" not in ev:
                return None
            return self._create(st, ev, now, out, p)
        state = ev.get(p + "ChannelState")
        if state is not None and state != ch.state:
            ch.state = state
            out.append(
                c.ChannelStateChanged(st.name, ch.call_id, ch.name, uid, state, ch.state_desc)
            )
        num = ev.get(p + "CallerIDNum")
        if num is not None:
            ch.caller_num = num
            ch.caller_name = ev.get(p + "CallerIDName", ch.caller_name)
            ch.connected_num = ev.get(p + "ConnectedLineNum", ch.connected_num)
            ch.connected_name = ev.get(p + "ConnectedLineName", ch.connected_name)
        ctx = ev.get(p + "Context")
        if ctx is not None:
            ch.context = ctx
            ch.exten = ev.get(p + "Exten", ch.exten)
            ch.priority = ev.get(p + "Priority", ch.priority)
        return ch

    def _create(self, st: _Server, ev: Event, now: float, out: list[Any], p: str = "") -> Channel:
        uid = ev[p + "Uniqueid"]
        name = ev[p + "Channel"]
        linkedid = ev.get(p + "Linkedid") or uid
        call_id = linkedid
        sibling = local_sibling(name)
        if sibling is not None:
            sib = st.names.get(sibling)
            if sib is not None and sib in st.channels:
                call_id = st.channels[sib].call_id
        exten = ev.get(p + "Exten", "")
        ch = Channel(
            server=st.name,
            uniqueid=uid,
            name=name,
            linkedid=linkedid,
            call_id=call_id,
            state=ev.get(p + "ChannelState", "0"),
            caller_num=ev.get(p + "CallerIDNum", ""),
            caller_name=ev.get(p + "CallerIDName", ""),
            connected_num=ev.get(p + "ConnectedLineNum", ""),
            connected_name=ev.get(p + "ConnectedLineName", ""),
            context=ev.get(p + "Context", ""),
            exten=exten,
            priority=ev.get(p + "Priority", ""),
            first_exten=exten,
            created_at=now,
        )
        st.channels[uid] = ch
        st.names[name] = uid
        target = _dial_target(name)
        if target is not None:
            st.by_target.pop(target, None)
            self._remember(st.by_target, target, uid)
        call = st.calls.get(call_id)
        if call is None:
            call = st.calls[call_id] = Call(st.name, call_id, now, primary=uid)
            call.where = f"{ch.context}/{exten}" if ch.context else ""
            call.channels.append(uid)
            out.append(c.CallStarted(st.name, call_id, name, known(ch.caller_num), now))
        else:
            call.channels.append(uid)
        return ch

    def _call(self, st: _Server, ch: Channel) -> Call:
        return st.calls[ch.call_id]

    def _remember(self, table: dict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        if len(table) > self._keep:
            del table[next(iter(table))]

    def _hangup(
        self, st: _Server, ch: Channel, now: float, out: list[Any], unseen: bool = False
    ) -> None:
        uid = ch.uniqueid
        call = st.calls.get(ch.call_id)
        if call is not None:
            self._hanging_up(call, ch)
        st.channels.pop(uid, None)
        ch.hung_up_at = now
        if st.names.get(ch.name) == uid:
            del st.names[ch.name]
        if ch.bridge_id is not None:
            members = st.bridges.get(ch.bridge_id)
            if members is not None:
                members.discard(uid)
        self._remember(st.gone, uid, ch)
        out.append(
            c.ChannelHungUp(
                st.name, ch.call_id, ch.name, uid, ch.hangup_cause, ch.hangup_cause_txt, unseen
            )
        )
        if call is None:
            return
        if uid in call.channels:
            call.channels.remove(uid)
        if uid == call.primary:
            call.caller_cache = call_caller(call, {uid: ch})
        if call.channels:
            self._restate(st, call, now, out)
            return
        call.ended_at = now
        out.append(c.CallStateChanged(st.name, call.linkedid, "hung_up", call.state, now))
        call.state = "hung_up"
        del st.calls[call.linkedid]
        self._remember(st.ended, call.linkedid, call)
        out.append(
            c.CallEnded(
                st.name,
                call.linkedid,
                call.caller_cache,
                call.agent,
                call.state_at_hangup or call.last_state,
                call.started_at,
                now,
                ch.hangup_cause,
                unseen,
            )
        )

    # -- handlers

    def _on_newchannel(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        self._touch(st, ev, now, out)

    def _on_snapshot(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        self._touch(st, ev, now, out)

    def _on_dial_state(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        self._touch(st, ev, now, out, "Dest")

    def _on_newexten(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        app = ev.get("Application", "")
        ch.application = app
        ch.app_data = ev.get("AppData", "")
        call = self._call(st, ch)
        if ch.dialled_by is None and app not in DIAL_APPS:
            call.where = f"{ch.context}/{ev.get('Extension', ch.exten)}"

    def _on_varset(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        uid = ev.get("Uniqueid")
        ch = st.channels.get(uid) if uid else None
        if ch is None:
            ch = self._touch(st, ev, now, out)
            if ch is None:
                return
        name = ev.get("Variable", "")
        value = ev.get("Value", "")
        ch.variables[name] = value
        if name == "AMDSTATUS":
            ch.amd_status = value
        elif name == "AMDCAUSE":
            ch.amd_cause = value
            self._amd(st, ch, ch.amd_status or value, value, out)
        elif name == "AMD_RESULT" and ch.amd_status is None:
            ch.amd_status = value
            self._amd(st, ch, value, None, out)

    def _amd(
        self, st: _Server, ch: Channel, result: str, cause: str | None, out: list[Any]
    ) -> None:
        self._call(st, ch).amd_result = result
        out.append(c.AmdResult(st.name, ch.call_id, ch.name, result, cause))

    def _on_dial_begin(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        dest = self._touch(st, ev, now, out, "Dest")
        if dest is None:
            return
        src = self._touch(st, ev, now, out) if "Channel" in ev else None
        dial_string = ev.get("DialString", "")
        agent = None
        if src is not None:
            src.dial_peers.append(dest.uniqueid)
            agent = self._agent_of(dial_string, dest.name)
            for leg in self._halves(st, dest):
                leg.dialled_by = src.uniqueid
                leg.agent = agent
        else:
            call = self._call(st, dest)
            if call.primary == dest.uniqueid:
                call.originated = True
        out.append(
            c.DialStarted(
                st.name,
                dest.call_id,
                src.name if src else None,
                dest.name,
                dial_string,
                agent,
            )
        )

    def _halves(self, st: _Server, ch: Channel) -> list[Channel]:
        sibling = local_sibling(ch.name)
        uid = st.names.get(sibling) if sibling else None
        other = st.channels.get(uid) if uid else None
        return [ch, other] if other is not None else [ch]

    def _on_dial_end(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        dest = self._touch(st, ev, now, out, "Dest")
        if dest is None:
            return
        src = self._touch(st, ev, now, out) if "Channel" in ev else None
        status = ev.get("DialStatus", "")
        dest.dial_status = status
        if src is not None:
            src.dial_status = status
        out.append(
            c.DialEnded(
                st.name, dest.call_id, src.name if src else None, dest.name, status, dest.agent
            )
        )
        if status == "ANSWER" and src is not None and dest.agent is not None:
            call = self._call(st, src)
            call.agent = dest.agent
            call.agent_channel = dest.uniqueid
            out.append(c.AgentLegAnswered(st.name, call.linkedid, dest.agent, dest.name))

    def _on_bridge_create(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        st.bridges.setdefault(ev.get("BridgeUniqueid", ""), set())

    def _on_bridge_enter(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        bid = ev.get("BridgeUniqueid", "")
        ch.bridge_id = bid
        members = st.bridges.setdefault(bid, set())
        members.add(ch.uniqueid)
        if len(members) >= 2:
            names = tuple(sorted(st.channels[u].name for u in members if u in st.channels))
            for call_id in sorted({st.channels[u].call_id for u in members if u in st.channels}):
                out.append(c.CallBridged(st.name, call_id, bid, names))
                if call_id != ch.call_id:
                    self._restate(st, st.calls[call_id], now, out)

    def _on_bridge_leave(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        bid = ev.get("BridgeUniqueid", "")
        members = st.bridges.get(bid)
        if ch is not None:
            ch.bridge_id = None
            if members is not None:
                members.discard(ch.uniqueid)

    def _on_bridge_destroy(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        for uid in st.bridges.pop(ev.get("BridgeUniqueid", ""), set()):
            ch = st.channels.get(uid)
            if ch is not None:
                ch.bridge_id = None

    def _on_moh_start(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        ch.on_hold = True
        ch.moh_class = ev.get("Class", "")
        out.append(c.CallerOnHold(st.name, ch.call_id, ch.name, ch.moh_class))

    def _on_moh_stop(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        if ch is None or not ch.on_hold:
            return
        ch.on_hold = False
        out.append(c.CallerOffHold(st.name, ch.call_id, ch.name))

    def _on_hangup_request(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        if ch is None:
            return
        self._hanging_up(self._call(st, ch), ch)

    @staticmethod
    def _hanging_up(call: Call, ch: Channel) -> None:
        """Note the call's state when its customer side starts hanging up (an agent's phone that
        stops ringing does not end the call)."""
        if call.state_at_hangup is None and ch.dialled_by is None:
            call.state_at_hangup = call.last_state or call.state

    def _on_hangup(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        if ch is None:
            return
        ch.hangup_cause = ev.get("Cause")
        ch.hangup_cause_txt = ev.get("Cause-txt")
        self._hangup(st, ch, now, out)

    def _on_originate_response(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        name = ev.get("Channel", "")
        reason = ev.get("Reason", "")
        linkedid = None
        uid = st.names.get(name)
        ch = st.channels.get(uid) if uid else None
        if ch is None:
            # a failed Originate names the dial target (Local/99@nowhere), not the channel
            uid = st.by_target.get(name)
            ch = (st.channels.get(uid) or st.gone.get(uid)) if uid else None
        if ch is not None:
            linkedid = ch.call_id
        out.append(
            c.OriginateResult(
                st.name,
                ev.get("ActionID", ""),
                ev.get("Response") == "Success",
                reason,
                c.ORIGINATE_REASONS.get(reason, "unknown"),
                name,
                linkedid,
            )
        )

    def _on_dtmf_end(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        digit = ev.get("Digit", "")
        ch.last_dtmf = digit
        self._call(st, ch).dtmf.append(digit)
        out.append(c.DtmfReceived(st.name, ch.call_id, ch.name, digit, ev.get("Direction", "")))

    def _on_spy_start(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        spyer = self._touch(st, ev, now, out, "Spyer")
        spyee = self._touch(st, ev, now, out, "Spyee")
        if spyer is None or spyee is None:
            return
        spyer.spying_on = spyee.uniqueid
        spyee.spied_by.add(spyer.uniqueid)
        out.append(c.SpyStarted(st.name, spyee.call_id, spyer.name, spyee.name))

    def _on_spy_stop(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        spyer = self._touch(st, ev, now, out, "Spyer", create=False)
        spyee = self._touch(st, ev, now, out, "Spyee", create=False)
        if spyer is not None:
            spyer.spying_on = None
        if spyee is not None and spyer is not None:
            spyee.spied_by.discard(spyer.uniqueid)
        spyee_name = spyee.name if spyee else ev.get("SpyeeChannel", "")
        linkedid = spyee.call_id if spyee else ev.get("SpyeeLinkedid", "")
        out.append(c.SpyStopped(st.name, linkedid, ev.get("SpyerChannel", ""), spyee_name))

    def _on_local_bridge(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        one = self._touch(st, ev, now, out, "LocalOne")
        two = self._touch(st, ev, now, out, "LocalTwo")
        if one is None or two is None or one.call_id == two.call_id:
            return
        old = st.calls.get(two.call_id)
        target = st.calls[one.call_id]
        if old is not None and two.uniqueid in old.channels:
            old.channels.remove(two.uniqueid)
            if not old.channels:
                del st.calls[old.linkedid]
        two.call_id = one.call_id
        target.channels.append(two.uniqueid)

    def _on_rename(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        new = ev.get("Newname")
        if ch is None or not new:
            return
        if st.names.get(ch.name) == ch.uniqueid:
            del st.names[ch.name]
        ch.name = new
        st.names[new] = ch.uniqueid

    def _on_core_show_channel(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        ch.application = ev.get("Application", ch.application)
        ch.app_data = ev.get("ApplicationData", ch.app_data)
        self._set_bridge(st, ch, ev.get("BridgeId") or None)

    def _on_status(self, st: _Server, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        ch.application = ev.get("Application", ch.application)
        ch.app_data = ev.get("Data", ch.app_data)
        variables = getattr(ev, "variables", None)
        if callable(variables):
            ch.variables.update(variables())

    def _set_bridge(self, st: _Server, ch: Channel, bid: str | None) -> None:
        if ch.bridge_id == bid:
            return
        if ch.bridge_id is not None:
            st.bridges.get(ch.bridge_id, set()).discard(ch.uniqueid)
        ch.bridge_id = bid
        if bid is not None:
            st.bridges.setdefault(bid, set()).add(ch.uniqueid)

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
            st = self._servers[server] = _Server(server)
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


def _dial_target(name: str) -> str | None:
    """``Local/99@nowhere-00000005;1`` -> ``Local/99@nowhere`` (what Originate was asked)."""
    base, sep, _ = name.rpartition("-")
    return base if sep else None


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
