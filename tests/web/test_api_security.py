"""Every endpoint is authenticated and role-checked; errors carry stable codes."""

from __future__ import annotations

import aiohttp

from tests.web.conftest import PASSWORDS, WebServer


async def _login(session: aiohttp.ClientSession, url: str, user: str) -> str:
    async with session.post(
        f"{url}/api/login", json={"username": user, "password": PASSWORDS[user]}
    ) as resp:
        assert resp.status == 200
        token: str = (await resp.json())["token"]
        return token


async def test_no_token_is_401(web_server: WebServer) -> None:
    """The live calls API refuses a caller without a token, with code unauthenticated."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{web_server.url}/api/calls") as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["code"] == "unauthenticated"
        async with session.get(
            f"{web_server.url}/api/calls", headers={"Authorization": "Bearer nonsense"}
        ) as resp:
            assert resp.status == 401


async def test_wrong_password(web_server: WebServer) -> None:
    """A wrong password gives 401 bad_credentials and no token."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{web_server.url}/api/login", json={"username": "agent", "password": "nope-nope"}
        ) as resp:
            assert resp.status == 401
            body = await resp.json()
            assert body["error"]["code"] == "bad_credentials"
            assert "token" not in body


async def test_roles(web_server: WebServer) -> None:
    """Supervisors and admins see live calls; an agent is refused with 403 forbidden."""
    web_server.calls.append({"linkedid": "1.0", "server": "pbx1", "state": "on_hold"})
    async with aiohttp.ClientSession() as session:
        for user, status in [("agent", 403), ("supervisor", 200), ("admin", 200)]:
            token = await _login(session, web_server.url, user)
            headers = {"Authorization": f"Bearer {token}"}
            async with session.get(f"{web_server.url}/api/calls", headers=headers) as resp:
                assert resp.status == status, user
                body = await resp.json()
                if status == 200:
                    assert body["calls"][0]["linkedid"] == "1.0"
                else:
                    assert body["error"]["code"] == "forbidden"


async def test_bad_json_is_400(web_server: WebServer) -> None:
    """A login body that is not JSON (or only blanks, as the fuzzer found) is a 400 with code
    invalid_json."""
    async with aiohttp.ClientSession() as session:
        for body in (b"{not json", b"\n", b"  "):
            headers = {"Content-Type": "application/json"}
            url = f"{web_server.url}/api/login"
            async with session.post(url, data=body, headers=headers) as resp:
                assert resp.status == 400, body
                assert (await resp.json())["error"]["code"] == "invalid_json"


async def test_unknown_path_is_404(web_server: WebServer) -> None:
    """An unknown API path is a 404 with a JSON error body."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{web_server.url}/api/nope/deeper") as resp:
            assert resp.status == 404
            assert (await resp.json())["error"]["code"] == "not_found"


async def test_openapi_lists_every_context(web_server: WebServer) -> None:
    """The published OpenAPI document describes ACD and ERP endpoints; it needs a token."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{web_server.url}/api/openapi.json") as resp:
            assert resp.status == 401
        token = await _login(session, web_server.url, "agent")
        async with session.get(
            f"{web_server.url}/api/openapi.json", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert resp.status == 200
            spec = await resp.json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/acd/queues", "/api/erp/orders", "/api/calls/{call_id}/disposition"):
        assert path in spec["paths"], path
