"""The AMI event handlers of the call tracker: one method per event, pure (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telephony.calls import changes as c
from telephony.calls.model import Channel
from telephony.calls.state import DIAL_APPS
from telephony.calls.tables import Event, ServerTables, Tables

Handler = Callable[[ServerTables, Event, float, list[Any]], None]

#: events after which the user-level state of the event's call is recomputed
STATE_EVENTS = frozenset(
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


class EventHandlers(Tables):
    """``_on_<event>`` methods; :meth:`handler_table` maps AMI event names to them."""

    def handler_table(self) -> dict[str, Handler]:
        """Event name -> handler."""
        return {
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

    def _on_newchannel(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        self._touch(st, ev, now, out)

    def _on_snapshot(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        self._touch(st, ev, now, out)

    def _on_dial_state(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        self._touch(st, ev, now, out, "Dest")

    def _on_newexten(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        app = ev.get("Application", "")
        ch.application = app
        ch.app_data = ev.get("AppData", "")
        call = self._call(st, ch)
        if ch.dialled_by is None and app not in DIAL_APPS:
            call.where = f"{ch.context}/{ev.get('Extension', ch.exten)}"

    def _on_varset(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
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
        self, st: ServerTables, ch: Channel, result: str, cause: str | None, out: list[Any]
    ) -> None:
        self._call(st, ch).amd_result = result
        out.append(c.AmdResult(st.name, ch.call_id, ch.name, result, cause))

    def _on_dial_begin(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
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

    def _on_dial_end(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
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

    def _on_bridge_create(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        st.bridges.setdefault(ev.get("BridgeUniqueid", ""), set())

    def _on_bridge_enter(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
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

    def _on_bridge_leave(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        bid = ev.get("BridgeUniqueid", "")
        members = st.bridges.get(bid)
        if ch is not None:
            ch.bridge_id = None
            if members is not None:
                members.discard(ch.uniqueid)

    def _on_bridge_destroy(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        for uid in st.bridges.pop(ev.get("BridgeUniqueid", ""), set()):
            ch = st.channels.get(uid)
            if ch is not None:
                ch.bridge_id = None

    def _on_moh_start(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        ch.on_hold = True
        ch.moh_class = ev.get("Class", "")
        out.append(c.CallerOnHold(st.name, ch.call_id, ch.name, ch.moh_class))

    def _on_moh_stop(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        if ch is None or not ch.on_hold:
            return
        ch.on_hold = False
        out.append(c.CallerOffHold(st.name, ch.call_id, ch.name))

    def _on_hangup_request(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        if ch is None:
            return
        self._hanging_up(self._call(st, ch), ch)

    def _on_hangup(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        if ch is None:
            return
        ch.hangup_cause = ev.get("Cause")
        ch.hangup_cause_txt = ev.get("Cause-txt")
        self._hangup(st, ch, now, out)

    def _on_originate_response(
        self, st: ServerTables, ev: Event, now: float, out: list[Any]
    ) -> None:
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

    def _on_dtmf_end(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        digit = ev.get("Digit", "")
        ch.last_dtmf = digit
        self._call(st, ch).dtmf.append(digit)
        out.append(c.DtmfReceived(st.name, ch.call_id, ch.name, digit, ev.get("Direction", "")))

    def _on_spy_start(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        spyer = self._touch(st, ev, now, out, "Spyer")
        spyee = self._touch(st, ev, now, out, "Spyee")
        if spyer is None or spyee is None:
            return
        spyer.spying_on = spyee.uniqueid
        spyee.spied_by.add(spyer.uniqueid)
        out.append(c.SpyStarted(st.name, spyee.call_id, spyer.name, spyee.name))

    def _on_spy_stop(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        spyer = self._touch(st, ev, now, out, "Spyer", create=False)
        spyee = self._touch(st, ev, now, out, "Spyee", create=False)
        if spyer is not None:
            spyer.spying_on = None
        if spyee is not None and spyer is not None:
            spyee.spied_by.discard(spyer.uniqueid)
        spyee_name = spyee.name if spyee else ev.get("SpyeeChannel", "")
        linkedid = spyee.call_id if spyee else ev.get("SpyeeLinkedid", "")
        out.append(c.SpyStopped(st.name, linkedid, ev.get("SpyerChannel", ""), spyee_name))

    def _on_local_bridge(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
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

    def _on_rename(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out, create=False)
        new = ev.get("Newname")
        if ch is None or not new:
            return
        if st.names.get(ch.name) == ch.uniqueid:
            del st.names[ch.name]
        ch.name = new
        st.names[new] = ch.uniqueid

    def _on_core_show_channel(
        self, st: ServerTables, ev: Event, now: float, out: list[Any]
    ) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        ch.application = ev.get("Application", ch.application)
        ch.app_data = ev.get("ApplicationData", ch.app_data)
        self._set_bridge(st, ch, ev.get("BridgeId") or None)

    def _on_status(self, st: ServerTables, ev: Event, now: float, out: list[Any]) -> None:
        ch = self._touch(st, ev, now, out)
        if ch is None:
            return
        ch.application = ev.get("Application", ch.application)
        ch.app_data = ev.get("Data", ch.app_data)
        variables = getattr(ev, "variables", None)
        if callable(variables):
            ch.variables.update(variables())
