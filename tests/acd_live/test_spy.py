"""Listen, whisper and barge through the engine's API on the twin over TCP (the product's
[spy] and the ChanSpy events of product_spy_*), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from atende.audit import AuditLog
from tests.acd_live.conftest import SPY_PHONE as PHONE
from tests.acd_live.conftest import Api
from tests.acd_live.conftest import agent_on_a_call as _agent_on_a_call
from tests.integration.conftest import eventually
from tests.web.openapi_check import conforms


async def _spy(api: Api) -> dict[str, Any]:
    status, body = await api.call("GET", "/api/supervisor/spy", "supervisor")
    assert status == 200
    return body["spy"]  # type: ignore[no-any-return]


async def _audit(api: Api) -> list[tuple[str, str, str, str]]:
    entries = await AuditLog(api.engine.db).entries()
    return [(e.actor, e.action, e.outcome, e.target) for e in entries if "spy" in e.action]


async def test_listen_then_whisper_barge_and_stop(api: Api) -> None:
    """The supervisor's phone rings into the agent's call and ChanSpy spies on the agent's
    leg; whisper and barge switch the mode on the same session (no new ring); stop hangs his
    phone up; each action is in the audit log."""
    leg = await _agent_on_a_call(api)
    status, body = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "2001", "phone": PHONE}
    )
    assert status == 202, body
    assert (body["status"], body["spy"]["mode"], body["spy"]["target"]) == (
        "accepted",
        "listen",
        leg,
    )
    _, spec = await api.call("GET", "/api/openapi.json", "supervisor")
    conforms(spec, "/api/supervisor/spy", "post", 202, body)
    spy_id = body["spy"]["spy_id"]
    await eventually(lambda: [(s.spyee, s.mode) for s in api.twin.spies()] == [(leg, "listen")])
    spying = await _spy(api)
    assert spying["state"] == "spying" and spying["spying_at"] is not None
    spyers = [s.spyer for s in api.twin.spies()]
    assert spyers[0].startswith("Local/3001@agents-")
    for mode in ("whisper", "barge"):
        status, body = await api.call(
            "POST",
            "/api/supervisor/spy",
            "supervisor",
            {"agent": "2001", "mode": mode, "phone": PHONE},
        )
        assert (status, body["spy"]["spy_id"], body["spy"]["mode"]) == (202, spy_id, mode)
        await eventually(lambda mode=mode: [s.mode for s in api.twin.spies()] == [mode])
    assert [s.spyer for s in api.twin.spies()] == spyers  # the same phone call throughout
    status, body = await api.call("POST", "/api/supervisor/spy/stop", "supervisor")
    assert (status, body["spy"]["state"], body["spy"]["ended_reason"]) == (202, "ended", "stopped")
    await eventually(lambda: not any(c.name == spyers[0] for c in api.twin.channels()))
    assert (await api.call("POST", "/api/supervisor/spy/stop", "supervisor"))[1]["error"][
        "code"
    ] == "no_spy"
    assert await _audit(api) == [
        ("supervisor", "spy_started", "accepted", "2001"),
        ("supervisor", "spy_mode_changed", "accepted", "2001"),
        ("supervisor", "spy_mode_changed", "accepted", "2001"),
        ("supervisor", "spy_stopped", "accepted", "2001"),
        ("supervisor", "spy_stopped", "no_spy", ""),
    ]


async def test_an_agent_without_a_call_is_refused(api: Api) -> None:
    """No call on the agent's phone: 409 ``no_call`` and nothing rings (unlike the
    product_spy_idle_agent recording, where ChanSpy waited forever); an unknown agent is 404,
    no phone at all 409 ``no_phone``; agents may not spy."""
    status, body = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "2002", "phone": PHONE}
    )
    assert (status, body["error"]["code"]) == (409, "no_call")
    status, body = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "9999", "phone": PHONE}
    )
    assert (status, body["error"]["code"]) == (404, "agent_not_found")
    status, body = await api.call("POST", "/api/supervisor/spy", "supervisor", {"agent": "2002"})
    assert (status, body["error"]["code"]) == (409, "no_phone")
    status, body = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "2002", "mode": "shout"}
    )
    assert (status, body["error"]["fields"][0]["field"]) == (422, "mode")
    status, body = await api.call(
        "POST", "/api/supervisor/spy", "agent", {"agent": "2002", "phone": PHONE}
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert not [c for c in api.twin.channels() if c.context == "spy"]
    assert [(a, o) for _, a, o, _ in await _audit(api)] == [
        ("spy_started", "no_call"),
        ("spy_started", "agent_not_found"),
        ("spy_started", "no_phone"),
    ]


async def test_the_phone_on_the_user_and_the_call_ending(api: Api) -> None:
    """Without a phone in the body the supervisor's own (set by an admin) rings; when the
    agent's call ends, ChanSpy ends with it and the session says ``call_ended``."""
    status, _ = await api.call("PATCH", "/api/users/supervisor", "admin", {"phone": PHONE})
    assert status == 200
    leg = await _agent_on_a_call(api)
    status, body = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "2001", "mode": "whisper"}
    )
    assert (status, body["spy"]["phone"]) == (202, PHONE)
    await eventually(lambda: [(s.spyee, s.mode) for s in api.twin.spies()] == [(leg, "whisper")])
    assert api.twin.hangup(leg)
    spy = api.engine.spy
    await eventually(lambda: spy.last("supervisor").state == "ended")  # type: ignore[union-attr]
    body = await _spy(api)
    assert (body["state"], body["ended_reason"]) == ("ended", "call_ended")
    assert not [c for c in api.twin.channels() if c.context == "spy"]


async def test_a_leg_gone_before_the_spy_began_hangs_up(api: Api) -> None:
    """A target that no longer exists when ChanSpy looks (the call ended as the phone rang):
    [spy] gives up at once (S), the session ends ``target_gone`` and no phone stays in
    ChanSpy."""
    spy = api.engine.spy
    await spy.start("supervisor", "2001", "Local/2001@agents-000000ff;1", "listen", PHONE)
    await eventually(lambda: spy.last("supervisor").state == "ended")  # type: ignore[union-attr]
    assert spy.last("supervisor").ended_reason == "target_gone"  # type: ignore[union-attr]
    await eventually(lambda: not [c for c in api.twin.channels() if c.context == "spy"])


async def test_stopped_while_ringing_and_not_answered(api: Api) -> None:
    """Stopped while the supervisor's phone still rings: the ringing call is hung up and the
    session stays ``stopped``; a phone that never answers ends the session ``no_answer``."""
    await _agent_on_a_call(api)
    api.twin.set_agent_phone(PHONE, answer=True, delay=600)
    status, _ = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "2001", "phone": PHONE}
    )
    assert status == 202

    def ringing() -> list[str]:
        return [c.name for c in api.twin.channels() if c.name.startswith("Local/3001@agents-")]

    await eventually(lambda: len(ringing()) == 2)
    tracker = api.engine.link.tracker
    # the engine has seen the ringing phone (its ATENDE_SPY variable)
    await eventually(lambda: any("ATENDE_SPY" in c.variables for c in tracker.channels("pbx1")))
    status, body = await api.call("POST", "/api/supervisor/spy/stop", "supervisor")
    assert (status, body["spy"]["ended_reason"]) == (202, "stopped")
    await eventually(lambda: ringing() == [])
    assert (await _spy(api))["ended_reason"] == "stopped"
    assert api.twin.spies() == []

    api.twin.set_agent_phone(PHONE, answer=False)
    status, _ = await api.call(
        "POST", "/api/supervisor/spy", "supervisor", {"agent": "2001", "phone": PHONE}
    )
    assert status == 202
    spy = api.engine.spy
    await eventually(lambda: spy.last("supervisor").state == "ended", timeout=15)  # type: ignore[union-attr]
    assert spy.last("supervisor").ended_reason == "no_answer"  # type: ignore[union-attr]


async def test_two_quick_clicks_ring_the_phone_once(api: Api) -> None:
    """Two listen requests sent together (a double click): one session, one call to the
    supervisor's phone, one ChanSpy; the second is audited ``unchanged``."""
    leg = await _agent_on_a_call(api)
    body = {"agent": "2001", "phone": PHONE}
    answers = await asyncio.gather(
        *(api.call("POST", "/api/supervisor/spy", "supervisor", body) for _ in range(2))
    )
    assert [status for status, _ in answers] == [202, 202]
    assert len({out["spy"]["spy_id"] for _, out in answers}) == 1
    await eventually(lambda: [(s.spyee, s.mode) for s in api.twin.spies()] == [(leg, "listen")])
    phones = {c.name.split(";")[0] for c in api.twin.channels() if c.name.startswith(PHONE)}
    assert len(phones) == 1, phones
    status, _ = await api.call("POST", "/api/supervisor/spy/stop", "supervisor")
    assert status == 202
    audited = [(a, o) for _, a, o, _ in await _audit(api)]
    # the two requests' rows may be written in either order
    assert sorted(audited[:2]) == [("spy_started", "accepted"), ("spy_started", "unchanged")]
    assert audited[2:] == [("spy_stopped", "accepted")]
