"""Requests a careless or hostile client sends: deep JSON, NUL bytes and long paths, a handler
that breaks, a username already in use. None gives a 500 with internals; all carry the
security headers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.exc import IntegrityError
from structlog.testing import capture_logs
from yarl import URL

from acd.live.sql import AcdConfigStore
from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.web.guards import raw_body
from atende.web.security import allow

PASSWORD = "hostile-pass-1"
SECRET = "customer-cpf-12345678900"


@allow(Role.AGENT)
async def broken(request: web.Request) -> web.Response:
    """A handler with a bug: its exception message carries the caller's data."""
    raise RuntimeError(f"cannot handle {request.query.get('q')}")


@allow(Role.AGENT)
async def racing(request: web.Request) -> web.Response:
    """A write that lost a race against a unique key (the database refuses it)."""
    raise IntegrityError("INSERT ...", {"username": SECRET}, Exception("UNIQUE constraint"))


@raw_body
@allow(Role.AGENT)
async def upload(request: web.Request) -> web.Response:
    """An upload of a CSV list: its body is not JSON."""
    return web.json_response({"lines": len((await request.text()).splitlines())})


@dataclass
class Site:
    """The web app (with the ACD configuration endpoints and one broken route)."""

    url: str
    tokens: dict[str, str]

    def auth(self, user: str = "supervisor") -> dict[str, str]:
        """Bearer header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    """A running app on SQLite and PostgreSQL with a supervisor and an agent."""
    engine = make_engine(database_url)
    users = UserStore(engine)
    tokens = {}
    for role in (Role.SUPERVISOR, Role.AGENT):
        uid = await users.create_user(role.value, PASSWORD, role)
        tokens[role.value] = await users.issue_token(uid, "t", None)
    app = build_app(users, list, acd_config=AcdConfigStore(engine))
    app.router.add_get("/api/test/broken", broken)
    app.router.add_post("/api/test/racing", racing)
    app.router.add_post("/api/test/upload", upload)
    runner = web.AppRunner(app, access_log=None)  # as the engine runs it
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Site(f"http://127.0.0.1:{runner.addresses[0][1]}", tokens)
    finally:
        await runner.cleanup()
        await engine.dispose()


def _assert_protected(headers: aiohttp.typedefs.LooseHeaders) -> None:
    h = dict(headers)  # type: ignore[arg-type]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "aiohttp" not in h.get("Server", "").lower()


async def test_deeply_nested_json_is_400(site: Site) -> None:
    """200,000 nested '[' is 400 invalid_json on the public login and on an authenticated
    endpoint, never a 500 (RecursionError)."""
    deep = b"[" * 200_000 + b"]" * 200_000
    async with aiohttp.ClientSession() as http:
        for path, headers in [("/api/login", {}), ("/api/acd/agents", site.auth())]:
            async with http.post(site.url + path, data=deep, headers=headers) as resp:
                assert resp.status == 400, path
                assert (await resp.json())["error"]["code"] == "invalid_json"
        # brackets inside strings do not count: the handler checks the password
        body = {"username": "[[[[" * 10, "password": "{" * 50}
        async with http.post(site.url + "/api/login", data=json.dumps(body)) as resp:
            assert resp.status == 401
        # nesting under the limit reaches the handler, which names the unknown field
        body = {"username": "a", "password": "b", "x": json.loads("[" * 20 + "]" * 20)}
        async with http.post(site.url + "/api/login", data=json.dumps(body)) as resp:
            assert resp.status == 422
            assert (await resp.json())["error"]["fields"][0]["field"] == "x"


async def test_sign_in_with_nul_or_broken_unicode_is_422(site: Site) -> None:
    """A username or password holding a NUL or a lone surrogate (valid JSON, not storable
    text) is a 422 naming the field, on SQLite and PostgreSQL alike, never a 500."""
    async with aiohttp.ClientSession() as http:
        for raw, field in [
            ('{"username": "agent\\u0000", "password": "x"}', "username"),
            ('{"username": "\\ud800", "password": "x"}', "username"),
            ('{"username": "agent", "password": "\\udfff\\u0000"}', "password"),
        ]:
            async with http.post(site.url + "/api/login", data=raw) as resp:
                assert resp.status == 422, raw
                error = (await resp.json())["error"]
                assert (error["code"], error["fields"][0]["field"]) == ("invalid_request", field)


async def test_an_upload_handler_reads_its_own_body(site: Site) -> None:
    """A handler marked as reading a non-JSON body (a CSV list) gets it; JSON handlers would
    answer 400 for the same body."""
    csv = b"phone,name\n5511999990001,Ana\n5511999990002,Bia\n"
    async with aiohttp.ClientSession() as http:
        async with http.post(
            site.url + "/api/test/upload", data=csv, headers=site.auth("agent")
        ) as resp:
            assert (resp.status, await resp.json()) == (200, {"lines": 3})
        async with http.post(site.url + "/api/login", data=csv) as resp:
            assert resp.status == 400


async def test_oversized_body_is_413(site: Site) -> None:
    """A 2 MB body is refused with 413 payload_too_large in the API's error shape."""
    async with aiohttp.ClientSession() as http:
        body = b'{"a": "' + b"x" * 2_000_000 + b'"}'
        async with http.post(site.url + "/api/login", data=body) as resp:
            assert resp.status == 413
            assert (await resp.json())["error"]["code"] == "payload_too_large"


async def test_nul_and_long_paths_are_404(site: Site) -> None:
    """GET /%00 and GET / + 300 'A' are 404 not_found (not 500), with the security headers;
    the real pages are still served."""
    async with aiohttp.ClientSession() as http:
        for path in ["/%00", "/" + "A" * 300, "/..%2f..%2fetc%2fpasswd", "/%2e%2e"]:
            async with http.get(URL(site.url + path, encoded=True)) as resp:
                assert resp.status == 404, path
                assert (await resp.json())["error"]["code"] == "not_found"
                _assert_protected(resp.headers)
        async with http.get(site.url + "/") as resp:
            assert resp.status == 200
            assert "<title>Atende - Ao vivo</title>" in await resp.text()
            _assert_protected(resp.headers)
        async with http.get(site.url + "/atende.js") as resp:
            assert resp.status == 200


async def test_unexpected_error_is_a_bare_500_logged_once(site: Site) -> None:
    """A handler's bug answers 500 internal_error with a request id and nothing else; it is
    logged once with that id, and the caller's data in the exception is not in the log."""
    with capture_logs() as logs:
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                site.url + "/api/test/broken", params={"q": SECRET}, headers=site.auth("agent")
            ) as resp,
        ):
            assert resp.status == 500
            body = await resp.json()
            text = json.dumps(body)
    error = body["error"]
    assert error["code"] == "internal_error" and error["request_id"]
    assert resp.headers["X-Request-Id"] == error["request_id"]
    assert SECRET not in text and "RuntimeError" not in text and "Traceback" not in text
    failed = [line for line in logs if line["event"] == "request_failed"]
    assert len(failed) == 1
    assert failed[0]["request_id"] == error["request_id"]
    assert failed[0]["error"] == "RuntimeError"
    assert failed[0]["route"] == "/api/test/broken"
    assert "broken" in failed[0]["stack"]  # where it broke, for the developer
    assert SECRET not in repr(logs)


async def test_username_in_use_is_409(site: Site) -> None:
    """Creating an agent with a username another agent has is 409, not 500."""
    async with aiohttp.ClientSession() as http:
        first = {"agent": "2001", "interface": "PJSIP/2001", "username": "agent"}
        async with http.post(site.url + "/api/acd/agents", json=first, headers=site.auth()) as r:
            assert r.status == 201
        second = {"agent": "2002", "interface": "PJSIP/2002", "username": "agent"}
        async with http.post(site.url + "/api/acd/agents", json=second, headers=site.auth()) as r:
            assert r.status == 409
            assert (await r.json())["error"]["code"] == "username_in_use"
        async with http.get(site.url + "/api/acd/agents", headers=site.auth()) as r:
            assert [a["agent"] for a in (await r.json())["agents"]] == ["2001"]


async def test_a_write_refused_by_a_unique_key_is_409(site: Site) -> None:
    """Whatever handler meets a unique-key refusal (two requests racing), the caller gets 409
    conflict without the statement or its values."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(site.url + "/api/test/racing", headers=site.auth("agent")) as resp,
    ):
        assert resp.status == 409
        body = await resp.json()
    assert body["error"]["code"] == "conflict"
    assert SECRET not in json.dumps(body) and "INSERT" not in json.dumps(body)


async def test_every_response_carries_the_security_headers(site: Site) -> None:
    """API answers (200, 401, 404) and pages all carry CSP, frame, sniffing and referrer
    headers; API answers are not cached; no Server header names aiohttp."""
    async with aiohttp.ClientSession() as http:
        for path, headers in [
            ("/api/me", site.auth()),
            ("/api/me", {}),
            ("/api/nope", {}),
        ]:
            async with http.get(site.url + path, headers=headers) as resp:
                _assert_protected(resp.headers)
                assert resp.headers["Cache-Control"] == "no-store"
