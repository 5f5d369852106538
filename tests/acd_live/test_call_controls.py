"""The agent's call controls over HTTP, against the engine and the product twin over TCP.

Each control is checked by what the caller gets in the twin (channels, contexts, bridges) and
by the ACD's books (queue log, agents' states); each refusal by its code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from acd.domain import QueueEvent
from acd.live import InboundAcd
from atende.auth import Role
from atende.wiring import Engine
from telephony.twin import ChannelInfo, Twin
from telephony.twin.wire import get
from tests.conftest import migrated_sqlite
from tests.integration.acd_stack import acd_settings, four_queues, product_twin, seed_acd
from tests.integration.conftest import eventually

PASSWORD = "a-long-password-1"
AGENTS = {"2001": {"sales": 3}, "2002": {"support": 2}, "2003": {"billing": 2}}
USERS = {"2001": "ana", "2002": "bruno", "2003": "carla"}


@dataclass
class Desk:
    """The engine's API as the agents' desktops use it, and the twin behind it."""

    engine: Engine
    twin: Twin
    base: str
    tokens: dict[str, str]
    http: aiohttp.ClientSession

    @property
    def acd(self) -> InboundAcd:
        assert self.engine.acd is not None
        return self.engine.acd

    async def post(self, user: str, path: str, body: Any = None) -> tuple[int, Any]:
        """POST /api/agent/call<path> as ``user``: (status, JSON body)."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        url = f"{self.base}/api/agent/call{path}"
        async with self.http.post(url, json=body or {}, headers=headers) as resp:
            return resp.status, await resp.json()

    async def get(self, user: str, path: str) -> Any:
        """GET /api/agent/call<path> as ``user``: the JSON body of a 200."""
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        async with self.http.get(f"{self.base}/api/agent/call{path}", headers=headers) as resp:
            assert resp.status == 200
            return await resp.json()

    def agent(self, agent_id: str) -> dict[str, Any]:
        return next(a for a in self.acd.live_view()["agents"] if a["agent"] == agent_id)

    def log(self, call_id: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
        """(event, queue, agent, data) of the call's queue-log records, in order."""
        return [
            (r.event.value, r.queue, r.agent, r.data)
            for r in self.acd.log_book.history
            if r.call_id == call_id
        ]

    def channel(self, prefix: str) -> ChannelInfo | None:
        return next((c for c in self.twin.channels() if c.name.startswith(prefix)), None)

    def bridged_with(self, caller: str) -> set[str]:
        """Names of the channels sharing the caller's bridge (the caller excluded)."""
        me = next((c for c in self.twin.channels() if c.name == caller), None)
        if me is None or me.bridge is None:
            return set()
        return {c.name for c in self.twin.channels() if c.bridge == me.bridge} - {caller}

    async def answered_call(self, did: str, agent: str, number: str) -> ChannelInfo:
        """A caller on ``did`` talking to ``agent`` (the twin bridged them)."""
        caller = await self.twin.place_inbound_call(did, number, "Cliente")
        assert caller is not None

        def talking() -> bool:
            """the agent is on call and bridged with the caller"""
            joined = any(f"Local/{agent}@agents" in n for n in self.bridged_with(caller.name))
            return joined and self.agent(agent)["state"] == "on_call"

        await eventually(talking, timeout=20)
        return caller


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """Twin (product dialplan, atxfer feature code) + engine; agents 2001 (sales), 2002
    (support), 2003 (billing) logged in, signed in as ana, bruno and carla; queues with 60 s
    wrap-up."""
    url = migrated_sqlite(tmp_path / "acd.db")
    await seed_acd(url, four_queues(wrap_up_seconds=60), AGENTS)
    twin = product_twin(0.05)
    twin.pbx.features = {"atxfer": "*2"}
    port = await twin.start()
    engine = Engine(acd_settings(port, url))
    await engine.start()
    twin.pbx.agi_address = ("127.0.0.1", engine.agi.port)
    for ext in AGENTS:
        twin.set_agent_phone(f"Local/{ext}@agents", answer=True, delay=1)
    tokens = {}
    for agent_id, user in [*USERS.items(), ("", "super")]:
        role = Role.SUPERVISOR if user == "super" else Role.AGENT
        await engine.users.create_user(user, PASSWORD, role)
        tokens[user] = await engine.users.issue_token(await engine.users.user_id(user), "t", None)
        if agent_id:
            await engine.acd_config.save_agent(agent_id, username=user)
    http = aiohttp.ClientSession()
    try:
        assert engine.acd is not None
        await engine.acd.wait_ready()
        yield Desk(engine, twin, f"http://127.0.0.1:{engine.http_port}", tokens, http)
    finally:
        await http.close()
        await engine.stop()
        await twin.stop()


async def test_hang_up_ends_the_call_and_starts_wrap_up(desk: Desk) -> None:
    """The agent's hang-up ends both sides (Hangup of his leg); COMPLETEAGENT, then wrap-up."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990001")
    status, body = await desk.post("ana", "/hangup")
    assert status == 202 and body["status"] == "accepted" and body["call_id"] == caller.linkedid
    await eventually(lambda: desk.channel(caller.name.rsplit(";", 1)[0]) is None)
    await eventually(lambda: desk.agent("2001")["state"] == "wrap_up")
    events = [e for e, *_ in desk.log(caller.linkedid)]
    assert events == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    status, body = await desk.post("ana", "/hangup")
    assert (status, body["error"]["code"]) == (409, "no_call")


async def test_hold_keeps_both_legs_and_unhold_bridges_them_again(desk: Desk) -> None:
    """Hold: the caller hears music in [call-hold], the agent's leg waits in [agent-hold];
    while held, DTMF and transfers are refused; unhold bridges the same two channels."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990002")
    (agent_leg,) = desk.bridged_with(caller.name)
    assert (await desk.post("ana", "/hold"))[0] == 202

    def held() -> bool:
        """caller on music in call-hold, agent's leg waiting in agent-hold"""
        me, leg = desk.channel(caller.name), desk.channel(agent_leg)
        return (
            me is not None
            and leg is not None
            and (me.context, me.application, me.bridge) == ("call-hold", "MusicOnHold", None)
            and (leg.context, leg.application) == ("agent-hold", "Wait")
        )

    await eventually(held)
    view = await desk.get("ana", "/controls")
    assert view == {
        "call_id": caller.linkedid, "state": "connected", "held": True, "transfer": None,
        "outbound": None,
    }  # fmt: skip
    for path, body in [
        ("/hold", None),
        ("/dtmf", {"digits": "1"}),
        ("/transfer", {"mode": "blind", "target": {"type": "queue", "value": "suporte"}}),
    ]:
        status, answer = await desk.post("ana", path, body)
        assert (status, answer["error"]["code"]) == (409, "on_hold"), path
    assert desk.agent("2001")["state"] == "on_call"
    assert (await desk.post("ana", "/unhold"))[0] == 202
    await eventually(lambda: desk.bridged_with(caller.name) == {agent_leg})
    status, answer = await desk.post("ana", "/unhold")
    assert (status, answer["error"]["code"]) == (409, "not_on_hold")
    # after an unhold (Bridge action) the call can still be transferred
    target = {"type": "queue", "value": "suporte"}
    assert (await desk.post("ana", "/transfer", {"mode": "blind", "target": target}))[0] == 202
    await eventually(lambda: any("Local/2002@agents" in n for n in desk.bridged_with(caller.name)))


async def test_caller_hanging_up_on_hold_ends_the_agents_leg(desk: Desk) -> None:
    """A held caller who hangs up takes the waiting agent's leg with him; the call completes."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990003")
    (agent_leg,) = desk.bridged_with(caller.name)
    assert (await desk.post("ana", "/hold"))[0] == 202
    await eventually(lambda: getattr(desk.channel(agent_leg), "context", "") == "agent-hold")
    assert desk.twin.hangup(caller.name.replace(";2", ";1"))
    await eventually(lambda: desk.channel(agent_leg) is None)
    await eventually(lambda: desk.agent("2001")["state"] == "wrap_up")
    assert [e for e, *_ in desk.log(caller.linkedid)][-1] == "COMPLETECALLER"


async def test_blind_transfer_to_a_queue_routes_the_caller_again(desk: Desk) -> None:
    """BlindTransfer of the agent's leg: the caller is queued in suporte as a new entry and
    connected to its agent; the first agent gets TRANSFER and wrap-up."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990004")
    target = {"type": "queue", "value": "suporte"}
    status, body = await desk.post("ana", "/transfer", {"mode": "blind", "target": target})
    assert status == 202 and body["detail"]["target"] == target
    await eventually(lambda: any("Local/2002@agents" in n for n in desk.bridged_with(caller.name)))
    await eventually(lambda: desk.agent("2002")["state"] == "on_call")
    assert desk.agent("2001")["state"] == "wrap_up"
    log = desk.log(caller.linkedid)
    assert [(e, q, a) for e, q, a, _ in log] == [
        ("ENTERQUEUE", "vendas", "NONE"),
        ("CONNECT", "vendas", "2001"),
        ("TRANSFER", "vendas", "2001"),
        ("ENTERQUEUE", "suporte", "NONE"),
        ("CONNECT", "suporte", "2002"),
    ]
    assert log[2][3][:2] == ("suporte", "queue")
    transfers = [m for m in desk.twin.event_log if get(m, "Event") == "BlindTransfer"]
    assert [get(m, "TransfereeChannel") for m in transfers] == [caller.name]
    assert get(transfers[0], "TransfererChannel").startswith("Local/2001@agents-")
    stats = desk.acd.log_book.stats(desk.acd.router.configs, desk.acd.clock()).queues
    assert (stats["vendas"].answered, stats["vendas"].completed) == (1, 1)
    assert (stats["suporte"].offered, stats["suporte"].answered) == (1, 1)


async def test_blind_transfer_to_an_agent_offers_him_the_call(desk: Desk) -> None:
    """Setvar + BlindTransfer to [connect]: the named agent's phone rings and takes the call
    (a direct offer: RING, CONNECT in the call's queue); busy or unknown agents are refused."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990005")
    for value, code in [("9999", "unknown_target"), ("2001", "unknown_target")]:
        body = {"mode": "blind", "target": {"type": "agent", "value": value}}
        status, answer = await desk.post("ana", "/transfer", body)
        assert (status, answer["error"]["code"]) == (409, code), value
    await desk.acd.pause("2003", "lunch")
    body = {"mode": "blind", "target": {"type": "agent", "value": "2003"}}
    status, answer = await desk.post("ana", "/transfer", body)
    assert (status, answer["error"]["code"]) == (409, "agent_busy")
    body = {"mode": "blind", "target": {"type": "agent", "value": "2002"}}
    assert (await desk.post("ana", "/transfer", body))[0] == 202
    await eventually(lambda: any("Local/2002@agents" in n for n in desk.bridged_with(caller.name)))
    await eventually(lambda: desk.agent("2002")["state"] == "on_call")
    log = desk.log(caller.linkedid)
    assert [(e, a) for e, _, a, _ in log][-3:] == [
        ("TRANSFER", "2001"),
        ("ENTERQUEUE", "NONE"),
        ("CONNECT", "2002"),
    ]
    assert log[-3][3][:2] == ("2002", "agent")
    status, answer = await desk.post("ana", "/hangup")
    assert (status, answer["error"]["code"]) == (409, "no_call")  # not his call any more
    assert (await desk.post("bruno", "/hangup"))[0] == 202


async def test_blind_transfer_to_a_number_leaves_the_acd(desk: Desk) -> None:
    """BlindTransfer to [transfer-out]: the caller's channel dials the number through the
    trunk (the twin's customer answers); TRANSFER, and the ACD forgets the call."""
    desk.twin.set_customer("5511977770001", "human", delay=1)
    caller = await desk.answered_call("1133330001", "2001", "5511999990006")
    body = {"mode": "blind", "target": {"type": "number", "value": "5511977770001"}}
    assert (await desk.post("ana", "/transfer", body))[0] == 202
    await eventually(
        lambda: any("5511977770001@customers" in n for n in desk.bridged_with(caller.name))
    )
    assert getattr(desk.channel(caller.name), "context", "") == "transfer-out"
    assert desk.log(caller.linkedid)[-1][0] == QueueEvent.TRANSFER.value
    assert caller.linkedid not in desk.acd.calls
    assert desk.agent("2001")["state"] == "wrap_up"


async def test_refusals_without_a_connected_call(desk: Desk) -> None:
    """No call: no_call; a call still ringing: not_connected; bad bodies: 422; a supervisor
    and a user who is no agent are refused."""
    status, body = await desk.post("ana", "/hold")
    assert (status, body["error"]["code"]) == (409, "no_call")
    status, body = await desk.post("ana", "/transfer/complete")
    assert (status, body["error"]["code"]) == (409, "no_call")
    status, body = await desk.post("ana", "/dtmf", {"digits": "12a"})
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    status, body = await desk.post("ana", "/transfer", {"mode": "blind", "target": {}})
    assert status == 422
    status, body = await desk.post("super", "/hangup")
    assert status == 403
    desk.twin.set_agent_phone("Local/2001@agents", answer=False)
    caller = await desk.twin.place_inbound_call("1133330001", "5511999990007", "Cliente")
    assert caller is not None
    await eventually(lambda: desk.agent("2001")["state"] == "ringing")
    status, body = await desk.post("ana", "/hangup")
    assert (status, body["error"]["code"]) == (409, "not_connected")


async def test_dtmf_is_played_to_the_caller(desk: Desk) -> None:
    """PlayDTMF on the caller's channel: the caller's own side receives the digits."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990008")
    status, body = await desk.post("ana", "/dtmf", {"digits": "4#"})
    assert status == 202 and body["detail"]["digits"] == "4#"
    outside = caller.name.replace(";2", ";1")

    def heard() -> list[str]:
        return [
            get(m, "Digit")
            for m in desk.twin.event_log
            if get(m, "Event") == "DTMFEnd" and get(m, "Channel") == outside
        ]

    await eventually(lambda: heard() == ["4", "#"])


def _consulting(desk: Desk, exten: str) -> ChannelInfo | None:
    """The attended transfer's leg to ``exten`` (``Local/<exten>@agents-…;1``) once it is up."""
    return next(
        (
            c
            for c in desk.twin.channels()
            if c.name.startswith(f"Local/{exten}@agents-")
            and c.name.endswith(";1")
            and c.bridge is not None
            and c.state == "Up"
        ),
        None,
    )


async def test_attended_transfer_cancel_then_complete(desk: Desk) -> None:
    """Atxfer from the agent's leg: while consulting, a second transfer and a hold are refused
    and the target agent gets no offer; cancel hangs up the target's leg (the agent talks to
    his caller again); a second attempt completed by the agent's hang-up leaves caller and
    target talking, books TRANSFER, and the target's wrap-up follows the call's end."""
    caller = await desk.answered_call("1133330001", "2001", "5511999990009")
    (agent_leg,) = desk.bridged_with(caller.name)
    body = {"mode": "attended", "target": {"type": "queue", "value": "suporte"}}
    status, answer = await desk.post("ana", "/transfer", body)
    assert (status, answer["error"]["code"]) == (409, "unknown_target")
    body = {"mode": "attended", "target": {"type": "agent", "value": "2002"}}
    assert (await desk.post("ana", "/transfer", body))[0] == 202
    consulted = desk.agent("2002")  # kept busy: no offer reaches him
    assert (consulted["state"], consulted["pause_reason"]) == ("on_call", "on call")
    for path, code in [("/transfer", "transfer_in_progress"), ("/hold", "transfer_in_progress")]:
        status, answer = await desk.post("ana", path, body if path == "/transfer" else None)
        assert (status, answer["error"]["code"]) == (409, code)
    atxfer = [m for m in desk.twin.event_log if get(m, "Variable") == "TRANSFER_CONTEXT"]
    assert atxfer and get(atxfer[-1], "Value") == "agents"
    await eventually(lambda: _consulting(desk, "2002") is not None)
    assert getattr(desk.channel(caller.name), "bridge", None) is not None  # music, alone
    assert desk.bridged_with(caller.name) == set()
    assert (await desk.post("ana", "/transfer/cancel"))[0] == 202
    await eventually(lambda: desk.bridged_with(caller.name) == {agent_leg})
    await eventually(lambda: desk.agent("2002")["state"] == "available")
    status, answer = await desk.post("ana", "/transfer/complete")
    assert (status, answer["error"]["code"]) == (409, "no_transfer")

    assert (await desk.post("ana", "/transfer", body))[0] == 202
    await eventually(lambda: _consulting(desk, "2002") is not None)
    target = _consulting(desk, "2002")
    assert target is not None
    assert (await desk.post("ana", "/transfer/complete"))[0] == 202
    await eventually(lambda: desk.bridged_with(caller.name) == {target.name})
    await eventually(lambda: desk.agent("2001")["state"] == "wrap_up")
    assert desk.log(caller.linkedid)[-1][:3] == ("TRANSFER", "vendas", "2001")
    assert desk.log(caller.linkedid)[-1][3][:2] == ("2002", "agent")
    transfers = [m for m in desk.twin.event_log if get(m, "Event") == "AttendedTransfer"]
    assert [get(m, "TransfereeChannel") for m in transfers] == [caller.name]
    assert desk.agent("2002")["state"] == "on_call"
    assert desk.twin.hangup(target.name.replace(";1", ";2"))  # 2002 puts the phone down
    await eventually(lambda: desk.channel(caller.name) is None)
    await eventually(lambda: desk.agent("2002")["state"] == "wrap_up")


async def test_attended_transfer_refused_without_the_feature_code(desk: Desk) -> None:
    """Asterisk without an atxfer code refuses Atxfer: transfer_unavailable, the call goes on."""
    desk.twin.pbx.features = {}
    caller = await desk.answered_call("1133330001", "2001", "5511999990010")
    body = {"mode": "attended", "target": {"type": "number", "value": "5511977770002"}}
    status, answer = await desk.post("ana", "/transfer", body)
    assert (status, answer["error"]["code"]) == (409, "transfer_unavailable")
    assert desk.agent("2001")["state"] == "on_call" and desk.bridged_with(caller.name)


async def test_click_to_call_rings_the_agent_then_the_customer(desk: Desk) -> None:
    """Originate of the agent's phone into [outbound]: at his answer the customer is dialled
    and bridged; meanwhile no inbound offer reaches him and a second call is refused; his
    hang-up ends it and he is available again."""
    desk.twin.set_customer("5511988880001", "human", delay=1)
    body = {"number": "5511988880001", "customer_id": "000123"}
    status, answer = await desk.post("ana", "/originate", body)
    assert status == 202 and answer["detail"]["number"] == "5511988880001"
    placing = desk.agent("2001")
    assert (placing["state"], placing["pause_reason"]) == ("on_call", "outbound call")
    view = await desk.get("ana", "/controls")
    assert view["state"] == "outbound"
    placed = view["outbound"]
    assert (placed["number"], placed["customer_id"]) == ("5511988880001", "000123")
    assert placed["state"] in ("ringing", "dialing", "connected")

    def customer_bridged() -> bool:
        """the customer's leg shares a bridge with the agent's phone"""
        customer = desk.channel("Local/5511988880001@customers")
        agent = desk.channel("Local/2001@agents")
        return bool(customer and agent and customer.bridge and customer.bridge == agent.bridge)

    await eventually(customer_bridged, timeout=20)
    status, answer = await desk.post("ana", "/originate", body)
    assert (status, answer["error"]["code"]) == (409, "agent_busy")
    assert (await desk.post("ana", "/dtmf", {"digits": "9"}))[0] == 202
    assert (await desk.post("ana", "/hangup"))[0] == 202
    await eventually(lambda: desk.channel("Local/5511988880001@customers") is None)
    await eventually(lambda: desk.agent("2001")["state"] == "available")


async def test_click_to_call_refused_on_a_call(desk: Desk) -> None:
    """An agent on an inbound call cannot place another one."""
    await desk.answered_call("1133330001", "2001", "5511999990011")
    status, answer = await desk.post("ana", "/originate", {"number": "5511988880002"})
    assert (status, answer["error"]["code"]) == (409, "agent_busy")
