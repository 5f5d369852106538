"""The per-server tables of the call tracker and the operations every event handler shares.

A channel is found by the uniqueid of an event (or of its ``Dest``/``Spyer``/... snapshot) and
updated from the snapshot fields; the first sight of a channel creates it (and its call); a
hangup removes it and ends the call with its last channel. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from telephony.calls import changes as c
from telephony.calls.model import Call, Channel, known, local_sibling
from telephony.calls.state import call_caller, call_state

Event = Mapping[str, str]
AgentOf = Callable[[str, str], str | None]


def agent_from_dial_string(dial_string: str, destination: str) -> str | None:
    """Default agent naming: the peer a dialplan ``Dial`` reached (``2001@agents`` -> ``2001``,
    ``PJSIP/2001`` -> ``2001``)."""
    target = dial_string.split("&", 1)[0].split(",", 1)[0]
    target = target.rsplit("/", 1)[-1].split("@", 1)[0]
    return target or None


class ServerTables:
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


class Tables:
    """Table operations shared by the event handlers and the resync."""

    _agent_of: AgentOf
    _keep: int
    _servers: dict[str, ServerTables]

    def _restate(self, st: ServerTables, call: Call, now: float, out: list[Any]) -> None:
        state = call_state(call, st.channels, st.bridges)
        if state != call.state:
            out.append(c.CallStateChanged(st.name, call.linkedid, state, call.state, now))
            call.state = state
            if state != "in_dialplan" and call.state_at_hangup is None:
                call.last_state = state

    def _touch(
        self,
        st: ServerTables,
        ev: Event,
        now: float,
        out: list[Any],
        p: str = "",
        create: bool = True,
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

    def _create(
        self, st: ServerTables, ev: Event, now: float, out: list[Any], p: str = ""
    ) -> Channel:
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
            first_context=ev.get(p + "Context", ""),
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

    def _call(self, st: ServerTables, ch: Channel) -> Call:
        return st.calls[ch.call_id]

    def _remember(self, table: dict[str, Any], key: str, value: Any) -> None:
        table[key] = value
        if len(table) > self._keep:
            del table[next(iter(table))]

    def _hangup(
        self, st: ServerTables, ch: Channel, now: float, out: list[Any], unseen: bool = False
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

    def _halves(self, st: ServerTables, ch: Channel) -> list[Channel]:
        sibling = local_sibling(ch.name)
        uid = st.names.get(sibling) if sibling else None
        other = st.channels.get(uid) if uid else None
        return [ch, other] if other is not None else [ch]

    @staticmethod
    def _hanging_up(call: Call, ch: Channel) -> None:
        """Note the call's state when its customer side starts hanging up (an agent's phone that
        stops ringing does not end the call)."""
        if call.state_at_hangup is None and ch.dialled_by is None:
            call.state_at_hangup = call.last_state or call.state

    def _set_bridge(self, st: ServerTables, ch: Channel, bid: str | None) -> None:
        if ch.bridge_id == bid:
            return
        if ch.bridge_id is not None:
            st.bridges.get(ch.bridge_id, set()).discard(ch.uniqueid)
        ch.bridge_id = bid
        if bid is not None:
            st.bridges.setdefault(bid, set()).add(ch.uniqueid)


def _dial_target(name: str) -> str | None:
    """``Local/99@nowhere-00000005;1`` -> ``Local/99@nowhere`` (what Originate was asked)."""
    base, sep, _ = name.rpartition("-")
    return base if sep else None
