"""The agent desktop end to end: cookie sign-in, the WebSocket, a twin call offered with the
customer's view before the agent's phone answers, wrap-up held until the disposition, the
disposition's rules, pause after the call, and customers scoped to the agent's calls."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.desk.conftest import BAKERY, MARIA, SALES_DID, Desk
from tests.web.openapi_check import conforms


def _state(wanted: str) -> Any:
    return lambda m: m["type"] == "state" and m["state"] == wanted


async def test_screen_pop_before_the_answer_then_disposition_rules(desk: Desk) -> None:
    """Ana signs in and becomes available; Maria calls sales: the socket gets the offer with
    her view (from the warmed cache) while the call is not answered yet; then the answer, the
    view again; the caller's end puts Ana in wrap-up, which she cannot leave without a
    disposition; a code of another list, another agent's disposition and a second one are
    refused; the good one makes her available and shows in the customer's last interactions.
    Bia (another agent) cannot read Maria; a supervisor cannot use the agent API."""
    ana, bia, sup = await desk.sign_in("ana"), await desk.sign_in("bia"), await desk.sign_in("sup")
    socket = await desk.socket(ana)
    first = await socket.until(lambda m: m["type"] == "state")
    assert (first["agent_id"], first["state"], first["call"]) == ("2001", "logged_out", None)
    status, me = await ana.call("POST", "/api/agent/login")
    assert (status, me["state"]) == (200, "available")
    assert {"lunch", "break"} <= {r["code"] for r in me["pause_reasons"]}
    await socket.until(_state("available"))
    status, out = await ana.call("POST", "/api/agent/pause-after-call", {"reason": "lunch"})
    assert (status, out["error"]["code"]) == (409, "no_call")

    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=60, talk_time=40)
    caller = await desk.twin.place_inbound_call(SALES_DID, MARIA, "Maria")
    assert caller is not None
    offer = await socket.until(lambda m: m["type"] == "offer")
    acd = desk.engine.acd
    assert acd is not None
    assert acd.calls[offer["call"]["call_id"]].answered_at is None  # popped before the answer
    call_id = offer["call"]["call_id"]
    assert call_id == caller.linkedid
    assert offer["view"]["registration"]["name"] == "Maria Souza"
    assert offer["candidates"] == [
        {"customer_id": "000002-01", "store": "01", "name": "Maria Souza"}
    ]
    assert offer["call"]["queue"] == "vendas" and offer["call"]["state"] in ("offered", "ringing")
    assert [d["code"] for d in offer["call"]["dispositions"]] == ["sale", "no_interest"]
    await socket.until(_state("on_call"))
    seen_view = await socket.until(lambda m: m["type"] == "view")
    assert seen_view["customer_id"] == "000002-01"
    status, me = await ana.call("GET", "/api/agent/me")
    _, spec = await ana.call("GET", "/api/openapi.json")
    conforms(spec, "/api/agent/me", "get", 200, me)
    assert me["call"]["state"] == "connected"
    assert me["call"]["customers"][0]["name"] == "Maria Souza"

    status, view = await ana.call("GET", "/api/agent/customers/000002-01/view")
    assert status == 200 and view["registration"]["code"] == "000002"
    status, out = await bia.call("GET", "/api/agent/customers/000002-01/view")
    assert (status, out["error"]["code"]) == (403, "not_your_customer")
    status, out = await ana.call("GET", "/api/agent/customers/000001-01/view")
    assert (status, out["error"]["code"]) == (403, "not_your_customer")
    status, out = await sup.call("GET", "/api/agent/me")
    assert (status, out["error"]["code"]) == (403, "forbidden")

    wrap = await socket.until(_state("wrap_up"))
    assert wrap["call"]["state"] == "ended" and wrap["wrap_up_ends_at"] is not None
    status, out = await ana.call("POST", "/api/agent/available")
    assert (status, out["error"]["code"]) == (409, "disposition_required")
    status, out = await ana.call("POST", "/api/agent/pause", {"reason": "lunch"})
    assert (status, out["error"]["code"]) == (409, "disposition_required")
    body = {"call_id": call_id, "code": "resolved"}
    status, out = await ana.call("POST", "/api/agent/call/disposition", body)
    assert (status, out["error"]["code"]) == (409, "unknown_disposition")
    body = {"call_id": call_id, "code": "sale", "note": "2 cafes"}
    status, out = await bia.call("POST", "/api/agent/call/disposition", body)
    assert (status, out["error"]["code"]) == (403, "not_your_call")
    status, out = await ana.call("POST", "/api/agent/call/disposition", body)
    assert status == 201, out
    conforms(spec, "/api/agent/call/disposition", "post", 201, out)
    assert (out["code"], out["agent"]["state"], out["agent"]["call"]) == ("sale", "available", None)
    status, out = await ana.call("POST", "/api/agent/call/disposition", body)
    assert (status, out["error"]["code"]) == (409, "disposition_taken")
    conforms(spec, "/api/agent/call/disposition", "post", 409, out)
    await socket.until(_state("available"))

    status, view = await ana.call("GET", "/api/agent/customers/000002-01/view")
    lines = [(i["call_id"], i["agent"], i["disposition"]) for i in view["interactions"]]
    assert lines[0] == (call_id, "2001", "sale")
    await socket.ws.send_json({"type": "ping"})
    await socket.until(lambda m: m["type"] == "pong")
    await socket.ws.close()


async def test_candidates_pause_after_call_and_wrap_up_timer(desk: Desk) -> None:
    """The bakery's shared number: the offer has no view and both stores as candidates; Ana
    opens the second store (her pick); she asks for a pause after the call, extends her
    wrap-up, and her disposition pauses her with that reason. The call is written on the
    picked store's interactions. Bia's socket got none of Ana's events."""
    ana, bia = await desk.sign_in("ana"), await desk.sign_in("bia")
    socket, other = await desk.socket(ana), await desk.socket(bia)
    await ana.call("POST", "/api/agent/login")
    await bia.call("POST", "/api/agent/login")
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=40, talk_time=60)
    caller = await desk.twin.place_inbound_call(SALES_DID, BAKERY, "Padaria")
    assert caller is not None
    offer = await socket.until(lambda m: m["type"] == "offer")
    assert offer["view"] is None
    assert [c["customer_id"] for c in offer["candidates"]] == ["000001-01", "000001-02"]
    status, view = await ana.call("GET", "/api/agent/customers/000001-02/view")
    assert status == 200 and view["registration"]["name"] == "Padaria Boa Vista Filial"
    status, me = await ana.call("POST", "/api/agent/pause-after-call", {"reason": "lunch"})
    assert (status, me["pause_after_call"]) == (200, "lunch")
    status, me = await ana.call("POST", "/api/agent/pause-after-call", {"reason": None})
    assert me["pause_after_call"] is None
    await ana.call("POST", "/api/agent/pause-after-call", {"reason": "lunch"})
    status, out = await ana.call("POST", "/api/agent/wrap-up/extend", {"seconds": 10})
    assert (status, out["error"]["code"]) == (409, "no_call")

    wrap = await socket.until(_state("wrap_up"))
    status, out = await ana.call("POST", "/api/agent/wrap-up/extend", {"seconds": 60})
    assert status == 200 and out["wrap_up_ends_at"] >= wrap["wrap_up_ends_at"] + 60
    status, out = await ana.call("POST", "/api/agent/wrap-up/extend", {"seconds": 0})
    assert (status, out["error"]["code"]) == (422, "invalid_request")
    status, out = await ana.call("POST", "/api/agent/wrap-up/end")
    assert (status, out["error"]["code"]) == (409, "disposition_required")
    body = {"call_id": caller.linkedid, "code": "no_interest"}
    status, out = await ana.call("POST", "/api/agent/call/disposition", body)
    assert status == 201
    assert (out["agent"]["state"], out["agent"]["pause_reason"]) == ("paused", "lunch")
    await socket.until(lambda m: m["type"] == "state" and m["pause_reason"] == "lunch")

    views = desk.engine.crm.views
    calls = await views.interactions.for_customer("000001", "02")
    assert [(c.call_id, c.disposition) for c in calls] == [(caller.linkedid, "no_interest")]
    assert await views.interactions.for_customer("000001", "01") == []
    await other.ws.send_json({"type": "ping"})
    await other.until(lambda m: m["type"] == "pong")  # everything sent to Bia before is seen
    states = [m for m in other.seen if m["type"] == "state"]
    assert states and {m["agent_id"] for m in states} == {"2002"}
    assert {m["type"] for m in other.seen} == {"state", "pong"}
    await other.ws.close()
    await socket.ws.close()


async def test_a_supervisor_closes_an_agents_call_and_corrects_it(desk: Desk) -> None:
    """Through the calls' disposition route: a supervisor's code must be one of the queue's
    too; his disposition ends the agent's held wrap-up; his correction still works (PUT)."""
    ana, sup = await desk.sign_in("ana"), await desk.sign_in("sup")
    socket = await desk.socket(ana)
    await ana.call("POST", "/api/agent/login")
    desk.twin.set_agent_phone("Local/2001@agents", answer=True, delay=10, talk_time=20)
    caller = await desk.twin.place_inbound_call(SALES_DID, MARIA, "Maria")
    assert caller is not None
    await socket.until(_state("wrap_up"))
    path = f"/api/calls/{caller.linkedid}/disposition"
    status, out = await sup.call("POST", path, {"code": "bogus"})
    for _ in range(200):  # the queue log is written by its own task: wait until it has the call
        if out["error"]["code"] != "call_unknown":
            break
        await asyncio.sleep(0.1)
        status, out = await sup.call("POST", path, {"code": "bogus"})
    assert (status, out["error"]["code"]) == (409, "unknown_disposition")
    status, out = await sup.call("POST", path, {"code": "sale"})
    assert status == 201, out
    await socket.until(_state("available"))
    status, out = await sup.call(
        "PUT", path, {"code": "no_interest", "notes": "", "reason": "wrong code"}
    )
    assert (status, out["code"]) == (200, "no_interest")
    status, out = await ana.call("POST", "/api/agent/call/disposition", {
        "call_id": caller.linkedid, "code": "sale"})  # fmt: skip
    assert (status, out["error"]["code"]) == (409, "disposition_taken")
