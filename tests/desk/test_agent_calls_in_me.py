"""What ``GET /api/agent/me`` shows as the agent's call beyond a plain inbound call: the call
he transferred away (he still wraps it up and gives its disposition), and the click-to-call he
placed from the customer's view (its state, number and customer). Engine and product twin over
TCP, real Redis."""

from __future__ import annotations

from typing import Any

from tests.desk.conftest import MARIA, SALES_DID, Desk, Person
from tests.web.openapi_check import conforms


async def _ana_talks_to_maria(desk: Desk, ana: Person, bia: Person) -> Any:
    """Ana and Bia logged in to the queues (phones answering after a while, long talks);
    Maria calls sales and talks to Ana. Maria's call as the twin placed it."""
    await ana.call("POST", "/api/agent/login")
    await bia.call("POST", "/api/agent/login")
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=10, talk_time=600)
    desk.twin.set_agent_phone("Local/2002@agents", answer=True, delay=10, talk_time=600)
    caller = await desk.twin.place_inbound_call(SALES_DID, MARIA, "Maria")
    assert caller is not None
    await ana.me_until(lambda me: (me["call"] or {}).get("state") == "connected")
    return caller


async def test_transferred_call_stays_the_agents_call_then_click_to_call(desk: Desk) -> None:
    """Ana talks to Maria (sales, codes required) and blind-transfers her to suporte, where
    Bia takes her: Ana, in wrap-up, still sees the call (ended, Maria, the sales codes) and
    gives it its disposition, which makes her available; Bia's offer of the same call is hers.
    Then Ana calls Maria back from the view: ``me.call`` is her click-to-call with Maria's
    number and customer, ringing her phone, then dialing or connected; her hang-up ends it."""
    ana, bia = await desk.sign_in("ana"), await desk.sign_in("bia")
    caller = await _ana_talks_to_maria(desk, ana, bia)

    target = {"type": "queue", "value": "suporte"}
    status, out = await ana.call(
        "POST", "/api/agent/call/transfer", {"mode": "blind", "target": target}
    )
    assert status == 202, out
    me = await ana.me_until(lambda me: me["state"] == "wrap_up")
    _, spec = await ana.call("GET", "/api/openapi.json")
    conforms(spec, "/api/agent/me", "get", 200, me)
    call = me["call"]
    assert call is not None, "the call he transferred is the call he wraps up"
    assert (call["call_id"], call["state"], call["queue"]) == (caller.linkedid, "ended", "vendas")
    assert [c["name"] for c in call["customers"]] == ["Maria Souza"]
    assert [d["code"] for d in call["dispositions"]] == ["sale", "no_interest"]
    bia_me = await bia.me_until(lambda me: me["call"] is not None)
    assert (bia_me["call"]["call_id"], bia_me["call"]["queue"]) == (caller.linkedid, "suporte")
    status, out = await ana.call("POST", "/api/agent/available")
    assert (status, out["error"]["code"]) == (409, "disposition_required")

    body = {"call_id": caller.linkedid, "code": "no_interest", "note": "quer suporte"}
    status, out = await ana.call("POST", "/api/agent/call/disposition", body)
    assert status == 201, out
    assert (out["agent"]["state"], out["agent"]["call"]) == ("available", None)

    desk.twin.set_customer(MARIA, "human", delay=1)
    status, view = await ana.call("GET", "/api/agent/customers/000002-01/view")
    assert (status, view["registration"]["name"]) == (200, "Maria Souza")
    body = {"number": MARIA, "customer_id": "000002-01"}
    status, out = await ana.call("POST", "/api/agent/call/originate", body)
    assert status == 202, out
    me = await ana.me_until(lambda me: me["call"] is not None)
    conforms(spec, "/api/agent/me", "get", 200, me)
    call = me["call"]
    assert (call["click_to_call"], call["direction"], call["caller"]) == (True, "outbound", MARIA)
    assert call["customers"] == [{"customer_id": "000002-01", "store": "01", "name": "Maria Souza"}]
    assert call["state"] in ("ringing", "dialing", "connected")
    me = await ana.me_until(lambda me: (me["call"] or {}).get("state") == "connected")
    assert me["call"]["call_id"] and me["call"]["answered_at"] is not None
    status, out = await ana.call("POST", "/api/agent/call/hangup")
    assert status == 202, out
    me = await ana.me_until(lambda me: me["call"] is None)
    assert me["state"] == "available"


async def test_agent_given_a_transferred_call_leaves_its_wrap_up(desk: Desk) -> None:
    """Ana (sales) blind-transfers Maria to Bia (given sales by the supervisor) and gives the
    call its one disposition; when Maria hangs up, Bia's wrap-up of that vendas call (codes
    required) is not stuck: her disposition is refused as taken, and she becomes available."""
    ana, bia, sup = await desk.sign_in("ana"), await desk.sign_in("bia"), await desk.sign_in("sup")
    status, out = await sup.call(
        "POST", "/api/acd/agents/2002/skills", {"skills": {"support": 3, "sales": 1}}
    )
    assert status == 200, out
    caller = await _ana_talks_to_maria(desk, ana, bia)
    target = {"type": "agent", "value": "2002"}
    status, out = await ana.call(
        "POST", "/api/agent/call/transfer", {"mode": "blind", "target": target}
    )
    assert status == 202, out
    await ana.me_until(lambda me: me["state"] == "wrap_up")
    body = {"call_id": caller.linkedid, "code": "sale", "note": ""}
    status, out = await ana.call("POST", "/api/agent/call/disposition", body)
    assert status == 201, out
    await bia.me_until(lambda me: (me["call"] or {}).get("state") == "connected")
    for channel in desk.twin.channels():  # Maria hangs up
        if channel.uniqueid == caller.linkedid:
            desk.twin.hangup(channel.name)
    me = await bia.me_until(lambda me: me["state"] == "wrap_up")
    assert me["call"]["call_id"] == caller.linkedid
    status, out = await bia.call("POST", "/api/agent/call/disposition", body)
    assert (status, out["error"]["code"]) == (409, "disposition_taken")
    me = await bia.me_until(lambda me: me["state"] != "wrap_up")
    assert me["state"] == "available"


async def test_state_documents_say_which_is_newer(desk: Desk) -> None:
    """The desk gets Ana's state from answers, polls and her socket, which may arrive out of
    order: each document carries ``seq``, larger for one built later, so the page shows the
    newest. The socket's first document (logged out) is older than her login's answer
    (available), which is older than the socket's push of that login and any later poll."""
    ana = await desk.sign_in("ana")
    socket = await desk.socket(ana)
    first = await socket.until(lambda m: m.get("type") == "state")
    assert first["state"] == "logged_out"
    status, answer = await ana.call("POST", "/api/agent/login")
    assert status == 200 and answer["state"] == "available"
    pushed = await socket.until(lambda m: m.get("type") == "state" and m["state"] == "available")
    _, polled = await ana.call("GET", "/api/agent/me")
    assert first["seq"] < answer["seq"] < polled["seq"]
    assert first["seq"] < pushed["seq"] < polled["seq"]
    await socket.ws.close()
