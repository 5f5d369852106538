"""``/api/users``: an admin lists, creates, disables, enables users, resets passwords and sets
phones, over real HTTP on SQLite and PostgreSQL; every change lands in the audit log."""

from __future__ import annotations

from typing import Any

import aiohttp

from atende.audit import AuditLog
from tests.web.conftest import PASSWORDS, WebServer


async def _login(http: aiohttp.ClientSession, url: str, user: str, password: str) -> Any:
    async with http.post(url + "/api/login", json={"username": user, "password": password}) as r:
        return r.status, await r.json()


async def _call(
    http: aiohttp.ClientSession, url: str, method: str, path: str, token: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.request(method, url + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_admin_disables_and_enables_a_user(web_server: WebServer) -> None:
    """A disabled user's token stops working at once, he cannot sign in (403
    ``user_disabled``); enabled again he signs in; the audit log names the admin each time."""
    url = web_server.url
    async with aiohttp.ClientSession() as http:
        _, admin = await _login(http, url, "admin", PASSWORDS["admin"])
        _, agent = await _login(http, url, "agent", PASSWORDS["agent"])
        assert (await _call(http, url, "GET", "/api/me", agent["token"]))[0] == 200
        status, body = await _call(http, url, "POST", "/api/users/agent/disable", admin["token"])
        assert (status, body["disabled"]) == (200, True)
        status, body = await _call(http, url, "GET", "/api/me", agent["token"])
        assert (status, body["error"]["code"]) == (401, "unauthenticated")
        status, body = await _login(http, url, "agent", PASSWORDS["agent"])
        assert (status, body["error"]["code"]) == (403, "user_disabled")
        status, body = await _login(http, url, "agent", "a-wrong-password")
        assert (status, body["error"]["code"]) == (401, "bad_credentials")  # nothing revealed
        status, body = await _call(http, url, "POST", "/api/users/agent/enable", admin["token"])
        assert (status, body["disabled"]) == (200, False)
        status, _ = await _login(http, url, "agent", PASSWORDS["agent"])
        assert status == 200
        status, body = await _call(http, url, "POST", "/api/users/admin/disable", admin["token"])
        assert (status, body["error"]["code"]) == (409, "cannot_disable_self")
        status, body = await _call(http, url, "POST", "/api/users/nobody/disable", admin["token"])
        assert (status, body["error"]["code"]) == (404, "user_not_found")
    audit = AuditLog(web_server.users.engine)
    changes = [
        (e.actor, e.action, e.target, e.address)
        for e in await audit.entries()
        if e.action.startswith("user_")
    ]
    assert changes == [
        ("admin", "user_disabled", "agent", "127.0.0.1"),
        ("admin", "user_enabled", "agent", "127.0.0.1"),
    ]
    logins = [(e.actor, e.outcome) for e in await audit.entries("login")]
    assert ("agent", "disabled") in logins


async def test_admin_lists_users_and_resets_a_password(web_server: WebServer) -> None:
    """The list shows each user's role, status and phone (never a hash); a reset password
    revokes the user's tokens, the old password fails and the new one works."""
    url = web_server.url
    async with aiohttp.ClientSession() as http:
        _, admin = await _login(http, url, "admin", PASSWORDS["admin"])
        _, sup = await _login(http, url, "supervisor", PASSWORDS["supervisor"])
        status, body = await _call(http, url, "GET", "/api/users", admin["token"])
        assert status == 200
        assert [(u["username"], u["role"], u["disabled"], u["phone"]) for u in body["users"]] == [
            ("admin", "admin", False, None),
            ("agent", "agent", False, None),
            ("campaign_manager", "campaign_manager", False, None),
            ("supervisor", "supervisor", False, None),
        ]
        assert "hash" not in repr(body)
        status, body = await _call(
            http, url, "POST", "/api/users/supervisor/password", admin["token"], {"password": "x"}
        )
        assert (status, body["error"]["fields"][0]["field"]) == (422, "password")
        status, body = await _call(
            http,
            url,
            "POST",
            "/api/users/supervisor/password",
            admin["token"],
            {"password": "brand-new-pass-2"},
        )
        assert (status, body) == (200, {"username": "supervisor", "tokens_revoked": 1})
        assert (await _call(http, url, "GET", "/api/me", sup["token"]))[0] == 401
        assert (await _login(http, url, "supervisor", PASSWORDS["supervisor"]))[0] == 401
        assert (await _login(http, url, "supervisor", "brand-new-pass-2"))[0] == 200
    entries = await AuditLog(web_server.users.engine).entries("password_reset")
    assert [(e.actor, e.target, e.details) for e in entries] == [
        ("admin", "supervisor", {"tokens_revoked": 1})
    ]


async def test_phones_and_new_users(web_server: WebServer) -> None:
    """An admin creates a supervisor with a phone, changes and clears it; a phone that is not a
    dial string (or would smuggle an AMI line) is refused with the field named."""
    url = web_server.url
    async with aiohttp.ClientSession() as http:
        _, admin = await _login(http, url, "admin", PASSWORDS["admin"])
        token = admin["token"]
        new = {"username": "bia", "password": "bia-pass-123", "role": "supervisor"}
        status, body = await _call(
            http, url, "POST", "/api/users", token, {**new, "phone": "PJSIP/3001"}
        )
        assert (status, body["phone"], body["role"]) == (201, "PJSIP/3001", "supervisor")
        status, body = await _call(http, url, "POST", "/api/users", token, new)
        assert (status, body["error"]["code"]) == (409, "user_exists")
        status, body = await _call(
            http, url, "PATCH", "/api/users/bia", token, {"phone": "Local/2999@supervisors"}
        )
        assert (status, body["phone"]) == (200, "Local/2999@supervisors")
        status, body = await _call(
            http, url, "PATCH", "/api/users/bia", token, {"phone": "PJSIP/1\r\nAction: Hangup"}
        )
        assert (status, body["error"]["fields"][0]["field"]) == (422, "phone")
        status, body = await _call(http, url, "PATCH", "/api/users/bia", token, {"phone": None})
        assert (status, body["phone"]) == (200, None)
        assert (await _login(http, url, "bia", "bia-pass-123"))[0] == 200
    actions = [
        (e.action, e.target, e.details)
        for e in await AuditLog(web_server.users.engine).entries()
        if e.action.startswith("user_")
    ]
    assert actions == [
        ("user_created", "bia", {"role": "supervisor"}),
        ("user_phone_set", "bia", {"phone": "PJSIP/3001"}),
        ("user_phone_set", "bia", {"phone": "Local/2999@supervisors"}),
        ("user_phone_set", "bia", {"phone": None}),
    ]


async def test_only_admins_manage_users(web_server: WebServer) -> None:
    """Supervisors, agents and campaign managers get 403 on every ``/api/users`` route."""
    url = web_server.url
    async with aiohttp.ClientSession() as http:
        for role in ("agent", "supervisor", "campaign_manager"):
            _, who = await _login(http, url, role, PASSWORDS[role])
            for method, path, body in (
                ("GET", "/api/users", None),
                ("GET", "/api/users/agent", None),
                ("POST", "/api/users/agent/disable", None),
                ("POST", "/api/users/agent/enable", None),
                ("POST", "/api/users/agent/password", {"password": "whatever-123"}),
                ("PATCH", "/api/users/agent", {"phone": "PJSIP/1"}),
                ("POST", "/api/users", {"username": "x", "password": "y" * 9, "role": "admin"}),
            ):
                status, answer = await _call(http, url, method, path, who["token"], body)
                assert (status, answer["error"]["code"]) == (403, "forbidden"), (role, path)
