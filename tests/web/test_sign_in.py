"""Sign-in under attack: password checks off the event loop, throttling with growing delays,
the audit log, sign-out and token revocation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from atende.audit import AuditLog
from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.login_throttle import ThrottlePolicy
from atende.passwords import PasswordPool
from atende.web.app import build_app
from atende.web.sessions import SignInPolicy

PASSWORD = "the-right-password"
FLOOD = 24  # wrong passwords sent at once


@dataclass
class Site:
    """A running web app with a fake monotonic clock for its throttle."""

    url: str
    users: UserStore
    audit: AuditLog
    now: list[float]

    async def login(
        self, http: aiohttp.ClientSession, username: str, password: str
    ) -> tuple[int, dict[str, object], str | None]:
        """POST /api/login; returns status, body and Retry-After."""
        async with http.post(
            self.url + "/api/login", json={"username": username, "password": password}
        ) as resp:
            return resp.status, await resp.json(), resp.headers.get("Retry-After")


@contextlib.asynccontextmanager
async def _site(
    database_url: str,
    throttle: ThrottlePolicy,
    pool: PasswordPool,
    proxies: frozenset[str] = frozenset(),
) -> AsyncIterator[Site]:
    engine = make_engine(database_url)
    users = UserStore(engine, pool)
    for role in (Role.SUPERVISOR, Role.AGENT):
        await users.create_user(role.value, PASSWORD, role)
    now = [1000.0]
    policy = SignInPolicy(throttle=throttle, monotonic=lambda: now[0], trusted_proxies=proxies)
    runner = web.AppRunner(build_app(users, list, sign_in=policy))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Site(f"http://127.0.0.1:{runner.addresses[0][1]}", users, AuditLog(engine), now)
    finally:
        await runner.cleanup()
        await engine.dispose()


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    """The web app with the default throttle and password pool."""
    async with _site(database_url, ThrottlePolicy(), PasswordPool()) as s:
        yield s


@pytest.fixture
async def open_site(database_url: str) -> AsyncIterator[Site]:
    """The web app with throttling out of the way, room for 200 queued checks and passwords
    of the standard cost (about a fifth of a second of CPU each check)."""
    throttle = ThrottlePolicy(free_per_user=10_000, free_per_address=10_000)
    pool = PasswordPool(workers=2, max_waiting=200, cost="standard")
    async with _site(database_url, throttle, pool) as s:
        yield s


# the flood is about the event loop, not the database: one kind is enough
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_live_view_answers_while_a_login_flood_runs(open_site: Site) -> None:
    """While 24 wrong passwords are being checked (two threads, each check about a fifth of a
    second of CPU), a supervisor's /api/me answers before the flood ends: the password checks
    do not hold the event loop."""
    s = open_site
    token = await s.users.issue_token(await s.users.user_id("supervisor"), "t", None)
    finished: list[int] = []
    first_done = asyncio.Event()

    async def wrong(http: aiohttp.ClientSession, n: int) -> None:
        status, _, _ = await s.login(http, f"nobody{n}", "wrong-password")
        finished.append(status)
        first_done.set()

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as flood_http:
        flood = [asyncio.create_task(wrong(flood_http, n)) for n in range(FLOOD)]
        await first_done.wait()  # the flood is being worked on
        async with (
            aiohttp.ClientSession() as http,
            http.get(s.url + "/api/me", headers={"Authorization": f"Bearer {token}"}) as resp,
        ):
            assert resp.status == 200
            assert (await resp.json())["username"] == "supervisor"
            finished_when_answered = len(finished)
        await asyncio.gather(*flood)
    assert finished_when_answered < FLOOD
    assert finished == [401] * FLOOD  # every password was really checked


async def test_wrong_passwords_then_the_right_one_wait_for_the_delay(site: Site) -> None:
    """After 100 wrong passwords the right one gets 429 too_many_attempts with Retry-After,
    until that delay has passed; then it signs in. Delays grow with each further failure."""
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(100):
            status, body, retry = await site.login(http, "supervisor", "wrong-password")
            statuses.append(status)
        assert statuses[:6] == [401] * 6  # five free failures, the sixth starts a delay
        assert set(statuses[6:]) == {429}
        status, body, retry = await site.login(http, "supervisor", PASSWORD)
        assert status == 429
        assert body["error"]["code"] == "too_many_attempts"  # type: ignore[index]
        assert retry == "1"
        site.now[0] += 1.0  # the delay passes
        status, _, _ = await site.login(http, "supervisor", "wrong-again")
        assert status == 401
        status, _, retry = await site.login(http, "supervisor", PASSWORD)
        assert (status, retry) == (429, "2")  # the next delay is twice as long
        site.now[0] += 2.0
        status, body, _ = await site.login(http, "supervisor", PASSWORD)
        assert status == 200 and body["token"]
    entries = [(e.actor, e.outcome, e.address) for e in await site.audit.entries("login")]
    assert entries == [("supervisor", "failed", "127.0.0.1")] * 7 + [
        ("supervisor", "success", "127.0.0.1")
    ]


async def test_concurrent_guesses_do_not_slip_past_the_throttle(site: Site) -> None:
    """100 concurrent wrong passwords for one user: only the free ones and the one starting the
    delay are checked, the others get 429 at once."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        results = await asyncio.gather(
            *(site.login(http, "agent", "wrong-password") for _ in range(100))
        )
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [401] * 6 + [429] * 94
    assert all(retry is not None for status, _, retry in results if status == 429)


async def test_one_address_guessing_many_users_is_throttled(database_url: str) -> None:
    """Guesses spread over many usernames from one address are throttled per address too."""
    async with _site(database_url, ThrottlePolicy(free_per_address=3), PasswordPool()) as s:
        async with aiohttp.ClientSession() as http:
            statuses = [(await s.login(http, f"user{n}", "wrong-password"))[0] for n in range(6)]
            assert statuses == [401, 401, 401, 401, 429, 429]
            status, _, retry = await s.login(http, "agent", PASSWORD)
            assert (status, retry) == (429, "1")


async def test_sign_out_revokes_the_token(site: Site) -> None:
    """POST /api/logout revokes the token used; it no longer authenticates; both the sign-in
    and the sign-out are in the audit log. The token response is never cached."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            site.url + "/api/login", json={"username": "agent", "password": PASSWORD}
        ) as resp:
            assert resp.status == 200
            assert resp.headers["Cache-Control"] == "no-store"
            token = (await resp.json())["token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(site.url + "/api/logout", headers=headers) as resp:
            assert resp.status == 200
        async with http.get(site.url + "/api/me", headers=headers) as resp:
            assert resp.status == 401
    actions = [(e.actor, e.action, e.outcome) for e in await site.audit.entries()]
    assert actions == [("agent", "login", "success"), ("agent", "logout", "success")]


async def test_cookie_session_needs_the_page_header_to_change_anything(site: Site) -> None:
    """A page sign-in sets an HttpOnly SameSite=Strict cookie and returns no token; with the
    cookie, reads work, but a state-changing request without X-Requested-With, or from another
    Origin, is refused with 403."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            site.url + "/api/login",
            json={"username": "agent", "password": PASSWORD, "session": "cookie"},
        ) as resp:
            assert resp.status == 200
            assert "token" not in await resp.json()
            cookie = resp.cookies["atende_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with http.get(site.url + "/api/me") as resp:
            assert (await resp.json())["username"] == "agent"
        async with http.post(site.url + "/api/logout") as resp:
            assert (resp.status, (await resp.json())["error"]["code"]) == (403, "csrf")
        page = {"X-Requested-With": "atende"}
        async with http.post(
            site.url + "/api/logout", headers={**page, "Origin": "https://evil.example"}
        ) as resp:
            assert (resp.status, (await resp.json())["error"]["code"]) == (403, "cross_origin")
        async with http.post(
            site.url + "/api/logout", headers={**page, "Origin": site.url}
        ) as resp:
            assert resp.status == 200
        async with http.get(site.url + "/api/me") as resp:
            assert resp.status == 401


async def test_more_sign_ins_than_the_pool_queues_get_429(database_url: str) -> None:
    """With room for 4 password checks in flight (of the standard cost), 40 concurrent sign-ins
    (different users) do not pile up: the excess is answered 429 too_many_attempts at once with
    Retry-After, the others are checked (401)."""
    throttle = ThrottlePolicy(free_per_user=10_000, free_per_address=10_000)
    pool = PasswordPool(workers=1, max_waiting=4, cost="standard")
    async with (
        _site(database_url, throttle, pool) as s,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        results = await asyncio.gather(
            *(s.login(http, f"nobody{n}", "wrong-password") for n in range(40))
        )
    statuses = [status for status, _, _ in results]
    assert set(statuses) == {401, 429}
    assert 4 <= statuses.count(401) < 40
    busy = [(body, retry) for status, body, retry in results if status == 429]
    assert all(b["error"]["code"] == "too_many_attempts" and r for b, r in busy)  # type: ignore[index]


async def test_client_address_behind_a_trusted_proxy(database_url: str) -> None:
    """Behind a trusted reverse proxy the audit log and the per-address throttle use the
    X-Forwarded-For address."""
    throttle = ThrottlePolicy(free_per_address=1)
    async with (
        _site(database_url, throttle, PasswordPool(), frozenset({"127.0.0.1"})) as s,
        aiohttp.ClientSession() as http,
    ):
        for n, client in enumerate(["203.0.113.7", "203.0.113.8"]):
            async with http.post(
                s.url + "/api/login",
                json={"username": f"user{n}", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"{client}, 127.0.0.1"},
            ) as resp:
                assert resp.status == 401  # one failure each: no address is held yet
        entries = await s.audit.entries("login")
        assert [e.address for e in entries] == ["203.0.113.7", "203.0.113.8"]


async def test_an_untrusted_client_cannot_choose_its_address(site: Site) -> None:
    """Without a trusted proxy, X-Forwarded-For is ignored: the TCP peer is the address."""
    async with aiohttp.ClientSession() as http:
        s = site
        async with http.post(
            s.url + "/api/login",
            json={"username": "agent", "password": "wrong-password"},
            headers={"X-Forwarded-For": "198.51.100.1"},
        ) as resp:
            assert resp.status == 401
        assert [e.address for e in await s.audit.entries("login")][-1] == "127.0.0.1"
