"""Signing in and out: ``POST /api/login``, ``POST /api/logout``, ``GET /api/me``.

A sign-in is throttled per username and per client address (429 ``too_many_attempts`` with
``Retry-After``), its password checked in the password pool (never on the event loop), and its
outcome written to the audit log. Scripts get a bearer token in the body; the pages ask for
``"session": "cookie"`` and get an HttpOnly SameSite=Strict cookie instead (no token in the body).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiohttp import web
from pydantic import ValidationError

from atende.audit import AuditEntry, AuditLog
from atende.auth import AuthError, Role, UserDisabled
from atende.login_throttle import LoginThrottle, ThrottlePolicy
from atende.passwords import PasswordPoolBusy
from atende.settings import Settings
from atende.web.errors import ApiError, invalid_request
from atende.web.openapi_core import LoginIn
from atende.web.security import (
    SESSION_COOKIE,
    TOKEN,
    USER_STORE,
    allow,
    check_same_origin,
    principal,
    public,
)

log = structlog.get_logger("atende.web.sessions")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignInPolicy:
    """How long a sign-in lasts and how failed ones are throttled."""

    login_ttl: timedelta = timedelta(hours=12)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    # reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    trusted_proxies: frozenset[str] = frozenset()
    monotonic: Callable[[], float] = time.monotonic
    clock: Callable[[], datetime] = _utcnow


@dataclass
class SignIn:
    """What the sign-in endpoints share (one per application)."""

    policy: SignInPolicy
    audit: AuditLog
    throttle: LoginThrottle


SIGN_IN: web.AppKey[SignIn] = web.AppKey("sign_in", SignIn)


def sign_in_policy(settings: Settings) -> SignInPolicy:
    """The sign-in policy the settings ask for."""
    return SignInPolicy(
        login_ttl=timedelta(hours=settings.login_token_hours),
        throttle=ThrottlePolicy(
            free_per_user=settings.login_free_attempts_per_user,
            free_per_address=settings.login_free_attempts_per_address,
            max_delay=settings.login_max_delay,
        ),
        trusted_proxies=frozenset(settings.http_trusted_proxies),
    )


def client_address(request: web.Request) -> str:
    """The address the request came from: the TCP peer, or, when the peer is a trusted
    reverse proxy, the nearest address in ``X-Forwarded-For`` that is not a trusted proxy."""
    peer = request.remote or "unknown"
    trusted = request.app[SIGN_IN].policy.trusted_proxies if SIGN_IN in request.app else ()
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if hop not in trusted:
            return hop[:64]
    return peer


def _https(request: web.Request) -> bool:
    if request.secure:
        return True
    trusted = request.app[SIGN_IN].policy.trusted_proxies
    proto = request.headers.get("X-Forwarded-Proto", "")
    return request.remote in trusted and proto.split(",")[0].strip() == "https"


def too_many(wait: float, message: str) -> web.Response:
    """429 ``too_many_attempts`` with ``Retry-After`` in whole seconds."""
    seconds = max(1, math.ceil(wait))
    response = ApiError(429, "too_many_attempts", f"{message}; try again in {seconds} s").response()
    response.headers["Retry-After"] = str(seconds)
    return response


async def _credentials(request: web.Request) -> LoginIn:
    try:
        body: Any = await request.json() if request.body_exists else None
    except ValueError:  # a body of blanks only, or not JSON
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return LoginIn.model_validate(body)
    except ValidationError as exc:
        raise invalid_request(exc, "username and password are required") from None


@public
async def login(request: web.Request) -> web.StreamResponse:
    """POST /api/login {username, password[, session]} -> {token, role, username}."""
    credentials = await _credentials(request)
    username, password = credentials.username, credentials.password
    cookie = credentials.session == "cookie"
    if cookie:
        check_same_origin(request)
    ctx = request.app[SIGN_IN]
    address = client_address(request)
    wait = ctx.throttle.attempt(username, address, ctx.policy.monotonic())
    if wait > 0:
        log.warning("login_throttled", username=username, address=address, wait=round(wait, 1))
        return too_many(wait, "too many failed sign-ins")
    try:
        token, who = await request.app[USER_STORE].login(username, password, ctx.policy.login_ttl)
    except PasswordPoolBusy:
        ctx.throttle.withdrawn(username, address, ctx.policy.monotonic())
        return too_many(1, "too many sign-ins at once")
    except UserDisabled as exc:
        log.warning("login_failed", username=username, address=address, reason=str(exc))
        await ctx.audit.record(
            AuditEntry(ctx.policy.clock(), username, "login", "disabled", address)
        )
        raise ApiError(403, "user_disabled", str(exc)) from None
    except AuthError as exc:
        log.warning("login_failed", username=username, address=address, reason=str(exc))
        await ctx.audit.record(AuditEntry(ctx.policy.clock(), username, "login", "failed", address))
        raise ApiError(401, "bad_credentials", str(exc)) from None
    ctx.throttle.succeeded(username, address, ctx.policy.monotonic())
    log.info("login_succeeded", username=who.username, role=who.role.value, address=address)
    await ctx.audit.record(AuditEntry(ctx.policy.clock(), username, "login", "success", address))
    body: dict[str, Any] = {"role": who.role.value, "username": who.username}
    if not cookie:
        body["token"] = token
    response = web.json_response(body)
    response.headers["Cache-Control"] = "no-store"
    if cookie:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(ctx.policy.login_ttl.total_seconds()),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=_https(request),
        )
    return response


@allow(Role.AGENT, Role.SUPERVISOR, Role.CAMPAIGN_MANAGER)
async def logout(request: web.Request) -> web.Response:
    """POST /api/logout: revoke the token of this request (cookie or bearer)."""
    who = principal(request)
    ctx = request.app[SIGN_IN]
    await request.app[USER_STORE].revoke(request[TOKEN])
    await ctx.audit.record(
        AuditEntry(ctx.policy.clock(), who.username, "logout", "success", client_address(request))
    )
    response = web.json_response({"signed_out": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@allow(Role.AGENT, Role.SUPERVISOR, Role.CAMPAIGN_MANAGER)
async def me(request: web.Request) -> web.Response:
    """GET /api/me: who the token belongs to."""
    who = principal(request)
    return web.json_response({"username": who.username, "role": who.role.value})


def add_routes(app: web.Application, ctx: SignIn) -> None:
    """Register the sign-in endpoints on ``app``."""
    app[SIGN_IN] = ctx
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
