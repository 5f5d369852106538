"""The HTTP access log and the sign-in log lines, over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog

from tests.web.conftest import PASSWORDS, WebServer


def _requests(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == "http_request"]


async def test_each_request_is_logged_with_its_user_status_and_id(web_server: WebServer) -> None:
    """A signed-in call, a refused one and a page each give one ``http_request`` event with
    method, path, route, status, duration, user and the request id of the response."""
    async with aiohttp.ClientSession() as http:
        with structlog.testing.capture_logs() as logs:
            async with http.post(
                web_server.url + "/api/login",
                json={"username": "supervisor", "password": PASSWORDS["supervisor"]},
            ) as resp:
                token = (await resp.json())["token"]
                login_id = resp.headers["X-Request-Id"]
            async with http.get(
                web_server.url + "/api/me", headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                me_id = resp.headers["X-Request-Id"]
            async with http.get(web_server.url + "/api/calls") as resp:
                assert resp.status == 401
            async with http.get(web_server.url + "/index.html") as resp:
                assert resp.status == 200
    events = _requests(logs)
    assert [(e["method"], e["path"], e["status"], e["user"]) for e in events] == [
        ("POST", "/api/login", 200, None),
        ("GET", "/api/me", 200, "supervisor"),
        ("GET", "/api/calls", 401, None),
        ("GET", "/index.html", 200, None),
    ]
    assert [e["request_id"] for e in events[:2]] == [login_id, me_id]
    assert events[1]["route"] == "/api/me" and events[3]["route"] == "/{name}"
    assert all(isinstance(e["duration_ms"], float) and e["duration_ms"] >= 0 for e in events)
    assert events[0]["address"] == "127.0.0.1"


async def test_secrets_never_reach_the_log(web_server: WebServer) -> None:
    """Passwords (good or bad), bearer tokens and query values (a token, a customer's phone)
    appear in no event: the query keeps only plain parameters' values (interval) and masks
    the others."""
    async with aiohttp.ClientSession() as http:
        with structlog.testing.capture_logs() as logs:
            async with http.post(
                web_server.url + "/api/login",
                json={"username": "admin", "password": PASSWORDS["admin"]},
            ) as resp:
                token = (await resp.json())["token"]
            async with http.post(
                web_server.url + "/api/login",
                json={"username": "admin", "password": "wrong-Secret-77"},
            ) as resp:
                assert resp.status == 401
            async with http.get(
                web_server.url + "/api/me?access_token=qs-Secret-99&interval=15&q=5511999990001",
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                assert resp.status == 200
    text = repr(logs)
    for secret in (PASSWORDS["admin"], "wrong-Secret-77", token, "qs-Secret-99", "5511999990001"):
        assert secret not in text
    me = [e for e in _requests(logs) if e["route"] == "/api/me"]
    assert me[0]["path"] == "/api/me?access_token=***&interval=15&q=***"


async def test_sign_ins_are_logged_failed_ones_too(web_server: WebServer) -> None:
    """A failed sign-in logs ``login_failed`` (who, from where, why); a good one
    ``login_succeeded`` with the role."""
    async with aiohttp.ClientSession() as http:
        with structlog.testing.capture_logs() as logs:
            for password in ("not-the-password", PASSWORDS["agent"]):
                async with http.post(
                    web_server.url + "/api/login",
                    json={"username": "agent", "password": password},
                ):
                    pass
    signs = [e for e in logs if e["event"].startswith("login_")]
    assert [(e["event"], e["username"], e["address"]) for e in signs] == [
        ("login_failed", "agent", "127.0.0.1"),
        ("login_succeeded", "agent", "127.0.0.1"),
    ]
    assert signs[0]["reason"] == "wrong username or password"
    assert signs[1]["role"] == "agent"


async def test_the_access_log_can_be_turned_off(database_url: str) -> None:
    """``build_app(access_log=False)`` (``ATENDE_HTTP_ACCESS_LOG=false``) logs no requests;
    the default setting is on."""
    from aiohttp import web

    from atende.auth import UserStore
    from atende.db import make_engine
    from atende.settings import load_settings
    from atende.web.app import build_app

    assert load_settings().http_access_log is True
    engine = make_engine(database_url)
    runner = web.AppRunner(build_app(UserStore(engine), list, access_log=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with aiohttp.ClientSession() as http:
            with structlog.testing.capture_logs() as logs:
                async with http.get(f"http://127.0.0.1:{runner.addresses[0][1]}/healthz"):
                    pass
    finally:
        await runner.cleanup()
        await engine.dispose()
    assert _requests(logs) == []
