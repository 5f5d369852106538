"""Every recorded Asterisk trace, replayed through the parser and the call tracker.

The recorded reads are fed exactly as they were split on the wire; the assertions are what a
supervisor or the ACD would check about each scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from telephony.ami import AmiParser
from telephony.calls import (
    AgentLegAnswered,
    AmdResult,
    CallEnded,
    CallerOnHold,
    CallStarted,
    CallStateChanged,
    CallTracker,
    DialEnded,
    DtmfReceived,
    OriginateResult,
    SpyStarted,
    SpyStopped,
)

SERVER = "pbx1"
EPOCH = 1_795_822_000.0


@dataclass
class Replay:
    tracker: CallTracker
    records: list[Any] = field(default_factory=list)
    messages: int = 0

    def of(self, kind: type) -> list[Any]:
        return [r for r in self.records if isinstance(r, kind)]

    def states(self, linkedid: str) -> list[str]:
        """The user-level states the call went through, in order."""
        return [r.state for r in self.of(CallStateChanged) if r.linkedid == linkedid]


def replay(trace: Any) -> Replay:
    parser = AmiParser()
    out = Replay(CallTracker())
    for t, data in trace.recv_chunks:
        for msg in parser.feed(data):
            out.messages += 1
            out.records.extend(out.tracker.apply(SERVER, msg, EPOCH + t))
    assert parser.malformed == 0
    return out


def collapse(states: list[str]) -> list[str]:
    """The states without the in-between ``in_dialplan``."""
    return [s for s in states if s != "in_dialplan"]


ALL_TRACES = [
    "actions_misc",
    "agent_no_answer",
    "bad_login",
    "inbound_abandoned",
    "inbound_burst_20",
    "inbound_routed",
    "ivr_dtmf",
    "outbound_amd",
    "outbound_answered",
    "outbound_failed",
    "outbound_results",
    "status_setvar",
    "supervisor_spy",
]


@pytest.mark.parametrize("name", ALL_TRACES)
def test_every_trace_parses_and_leaves_no_live_call(name: str, trace: Callable[[str], Any]) -> None:
    """Each trace parses without a malformed frame, and every call it starts has ended."""
    rec = trace(name)
    result = replay(rec)
    expected = sum(1 for f in rec.frames())
    assert result.messages == expected
    assert result.tracker.live_calls_view() == []
    started = {r.linkedid for r in result.of(CallStarted)}
    ended = {r.linkedid for r in result.of(CallEnded)}
    assert started == ended


def test_inbound_routed_hold_then_agent_2001_then_hangup(trace: Callable[[str], Any]) -> None:
    """The caller goes through the IVR, waits on hold, is bridged to agent 2001, hangs up."""
    result = replay(trace("inbound_routed"))
    (started,) = result.of(CallStarted)
    call_id = started.linkedid
    assert collapse(result.states(call_id)) == [
        "dialing",
        "ivr",
        "on_hold",
        "ringing_agent",
        "talking",
        "hung_up",
    ]
    assert [r.agent for r in result.of(AgentLegAnswered)] == ["2001"]
    (ended,) = result.of(CallEnded)
    assert ended.caller == "5511999990001"
    assert ended.agent == "2001"
    assert ended.state_at_hangup == "talking"
    call = result.tracker.call(SERVER, call_id)
    assert call is not None and call.ended_at is not None


def test_inbound_routed_view_while_talking(trace: Callable[[str], Any]) -> None:
    """Mid-call, the live view shows one call talking to agent 2001 with its four channels."""
    rec = trace("inbound_routed")
    parser, tracker = AmiParser(), CallTracker()
    view: list[dict[str, Any]] = []
    for t, data in rec.recv_chunks:
        for msg in parser.feed(data):
            tracker.apply(SERVER, msg, EPOCH + t)
            if msg.get("Event") == "CoreShowChannelsComplete":
                view = tracker.live_calls_view()
    assert len(view) == 1
    row = view[0]
    assert row["server"] == SERVER
    assert row["caller"] == "5511999990001"
    assert row["state"] == "talking"
    assert row["where"] == "agent 2001"
    assert row["channels"] == 4
    assert row["started_at"].startswith("2026-11-27T")


def test_inbound_abandoned_caller_hangs_up_on_hold(trace: Callable[[str], Any]) -> None:
    """The caller hangs up while on hold, before any agent: an abandoned call."""
    result = replay(trace("inbound_abandoned"))
    assert len(result.of(CallerOnHold)) == 1
    (ended,) = result.of(CallEnded)
    assert ended.state_at_hangup == "on_hold"
    assert ended.agent is None
    assert ended.caller == "5511999990002"
    assert not result.of(AgentLegAnswered)


def test_agent_no_answer_back_on_hold(trace: Callable[[str], Any]) -> None:
    """Agent 2003 never answers: DialEnd NOANSWER, then the caller is on hold again."""
    result = replay(trace("agent_no_answer"))
    dials = [d for d in result.of(DialEnded) if d.source is not None]
    assert [(d.agent, d.status) for d in dials] == [("2003", "NOANSWER")]
    after = result.records[result.records.index(dials[0]) :]
    assert any(isinstance(r, CallerOnHold) for r in after)
    states = collapse(result.states(dials[0].linkedid))
    assert states[-3:] == ["ringing_agent", "on_hold", "hung_up"]
    (ended,) = result.of(CallEnded)
    assert ended.agent is None and ended.state_at_hangup == "on_hold"


def test_outbound_failed_reports_failure(trace: Callable[[str], Any]) -> None:
    """An Originate to a dialplan target that does not exist fails (reason 0)."""
    result = replay(trace("outbound_failed"))
    (res,) = result.of(OriginateResult)
    assert (res.action_id, res.success, res.reason_text) == ("orig-4", False, "failed")
    assert res.linkedid is not None
    (ended,) = result.of(CallEnded)
    assert ended.linkedid == res.linkedid


def test_outbound_results_reasons(trace: Callable[[str], Any]) -> None:
    """Busy answers reason 5, no answer 3, congestion 8, each linked to its call and lead."""
    result = replay(trace("outbound_results"))
    by_id = {r.action_id: r for r in result.of(OriginateResult)}
    assert {k: (v.success, v.reason, v.reason_text) for k, v in by_id.items()} == {
        "res-customer_busy": (False, "5", "busy"),
        "res-customer_noanswer": (False, "3", "no_answer"),
        "res-customer_congestion": (False, "8", "congestion"),
    }
    leads = {}
    for action_id, res in by_id.items():
        call = result.tracker.call(SERVER, res.linkedid)
        assert call is not None and call.ended_at is not None
        primary = result.tracker.channel(SERVER, call.primary)
        assert primary is not None
        leads[action_id] = primary.variables["LEAD_ID"]
    assert leads == {
        "res-customer_busy": "100",
        "res-customer_noanswer": "101",
        "res-customer_congestion": "102",
    }
    statuses = sorted(d.status for d in result.of(DialEnded))
    assert statuses == ["BUSY", "CONGESTION"]


def test_outbound_answered_to_agent_2002(trace: Callable[[str], Any]) -> None:
    """A dialer call answered and connected to agent 2002; the caller is the number dialled."""
    result = replay(trace("outbound_answered"))
    (res,) = result.of(OriginateResult)
    assert res.success and res.reason_text == "answered"
    assert [a.agent for a in result.of(AgentLegAnswered)] == ["2002"]
    (ended,) = result.of(CallEnded)
    assert ended.caller == "5511988887777"
    assert ended.state_at_hangup == "talking"


def test_outbound_amd_result(trace: Callable[[str], Any]) -> None:
    """AMD() reports NOTSURE (Local channels carry no speech) with its cause."""
    result = replay(trace("outbound_amd"))
    (amd,) = result.of(AmdResult)
    assert amd.result == "NOTSURE"
    assert amd.cause == "TOOLONG-4820"
    call = result.tracker.call(SERVER, amd.linkedid)
    assert call is not None and call.amd_result == "NOTSURE"


def test_supervisor_spy_on_agent_2005(trace: Callable[[str], Any]) -> None:
    """A supervisor listens to agent 2005's channel: spy start, then spy stop."""
    result = replay(trace("supervisor_spy"))
    (start,) = result.of(SpyStarted)
    (stop,) = result.of(SpyStopped)
    assert start.spyee.startswith("Local/2005@agents-")
    assert start.spyer.startswith("Local/9001@caller-")
    assert (stop.spyer, stop.spyee) == (start.spyer, start.spyee)
    assert result.records.index(start) < result.records.index(stop)
    agents = [a for a in result.of(AgentLegAnswered) if a.linkedid == start.linkedid]
    assert [a.agent for a in agents] == ["2005"]


def test_supervisor_spy_marks_channels_while_listening(trace: Callable[[str], Any]) -> None:
    """While the spy runs, the agent's channel says who listens and the spyer says to whom."""
    rec = trace("supervisor_spy")
    parser, tracker = AmiParser(), CallTracker()
    seen = None
    for t, data in rec.recv_chunks:
        for msg in parser.feed(data):
            tracker.apply(SERVER, msg, EPOCH + t)
            if msg.get("Event") == "ChanSpyStart":
                agent = tracker.channel(SERVER, msg["SpyeeUniqueid"])
                spyer = tracker.channel(SERVER, msg["SpyerUniqueid"])
                assert agent is not None and spyer is not None
                seen = (set(agent.spied_by), spyer.spying_on)
                assert seen == ({spyer.uniqueid}, agent.uniqueid)
    assert seen is not None


def test_inbound_burst_20_calls_then_all_hung_up(trace: Callable[[str], Any]) -> None:
    """Twenty callers at once reach hold; a regex Hangup ends all of them."""
    rec = trace("inbound_burst_20")
    parser, tracker = AmiParser(), CallTracker()
    peak = 0
    records = []
    for t, data in rec.recv_chunks:
        for msg in parser.feed(data):
            records.extend(tracker.apply(SERVER, msg, EPOCH + t))
            peak = max(peak, len(tracker.live_calls_view()))
    assert peak == 20
    ended = [r for r in records if isinstance(r, CallEnded)]
    assert len(ended) == 20
    assert {e.caller for e in ended} == {f"55119000000{i:02d}" for i in range(20)}
    assert tracker.live_calls_view() == []


def test_status_setvar_variables(trace: Callable[[str], Any]) -> None:
    """Setvar ACD_QUEUE reaches the channel; Status with Variables returns both variables."""
    rec = trace("status_setvar")
    parser, tracker = AmiParser(), CallTracker()
    status_vars: dict[str, str] = {}
    held_vars: dict[str, str] = {}
    for t, data in rec.recv_chunks:
        for msg in parser.feed(data):
            tracker.apply(SERVER, msg, EPOCH + t)
            if msg.get("Event") == "Status" and msg.get("ActionID") == "st-2":
                status_vars = msg.variables()
                assert msg.getlist("Variable") == ["ACD_QUEUE=vendas", "ROUTE=queue:vendas"]
                ch = tracker.channel_by_name(SERVER, msg["Channel"])
                assert ch is not None
                held_vars = dict(ch.variables)
    assert status_vars == {"ACD_QUEUE": "vendas", "ROUTE": "queue:vendas"}
    assert held_vars["ACD_QUEUE"] == "vendas"
    assert held_vars["ROUTE"] == "queue:vendas"


def test_ivr_dtmf_digit_2(trace: Callable[[str], Any]) -> None:
    """The caller presses 2 during the IVR; the route becomes queue:suporte."""
    result = replay(trace("ivr_dtmf"))
    (dtmf,) = result.of(DtmfReceived)
    assert dtmf.digit == "2"
    call = result.tracker.call(SERVER, dtmf.linkedid)
    assert call is not None and call.dtmf == ["2"]
    assert collapse(result.states(dtmf.linkedid))[:3] == ["dialing", "ivr", "on_hold"]


def test_local_halves_grouped_in_one_call(trace: Callable[[str], Any]) -> None:
    """Both halves of the caller's Local channel and of the agent's are one call."""
    rec = trace("inbound_routed")
    parser, tracker = AmiParser(), CallTracker()
    names: list[str] = []
    for t, data in rec.recv_chunks:
        for msg in parser.feed(data):
            tracker.apply(SERVER, msg, EPOCH + t)
            if msg.get("Event") == "CoreShowChannelsComplete":
                (call,) = tracker.calls(SERVER)
                names = sorted(ch.name for ch in tracker.call_channels(call))
    assert names == [
        "Local/2001@agents-00000001;1",
        "Local/2001@agents-00000001;2",
        "Local/5511999990001@inbound-00000000;1",
        "Local/5511999990001@inbound-00000000;2",
    ]


def test_same_ids_on_two_servers_stay_apart(trace: Callable[[str], Any]) -> None:
    """The same uniqueids on two servers are two calls, each tagged with its server."""
    rec = trace("inbound_abandoned")
    tracker = CallTracker()
    parsers = {"pbx1": AmiParser(), "pbx2": AmiParser()}
    rows: list[dict[str, Any]] = []
    for t, data in rec.recv_chunks:
        for server, parser in parsers.items():
            for msg in parser.feed(data):
                tracker.apply(server, msg, EPOCH + t)
        if b"MusicOnHoldStart" in data:
            rows = tracker.live_calls_view()
    assert sorted((r["server"], r["state"]) for r in rows) == [
        ("pbx1", "on_hold"),
        ("pbx2", "on_hold"),
    ]
    assert rows[0]["linkedid"] == rows[1]["linkedid"]
    assert tracker.live_calls_view() == []


def test_recently_ended_calls_can_be_shown_as_hung_up(trace: Callable[[str], Any]) -> None:
    """Asked for calls ended in the last 5 s, the view lists the abandoned call as hung_up."""
    result = replay(trace("inbound_abandoned"))
    (ended,) = result.of(CallEnded)
    assert result.tracker.live_calls_view() == []
    (row,) = result.tracker.live_calls_view(now=ended.ended_at + 2, ended_within=5)
    assert (row["state"], row["caller"], row["channels"]) == ("hung_up", "5511999990002", 0)
    assert row["ended_at"] is not None
    assert result.tracker.live_calls_view(now=ended.ended_at + 6, ended_within=5) == []
