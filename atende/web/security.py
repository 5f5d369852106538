"""Authentication (bearer token or session cookie) and role checks for every endpoint.

A handler declares who may call it with :func:`allow`; a handler without a declaration is
refused (fail closed). Only endpoints marked :func:`public` (login, static pages) skip it.

Scripts send ``Authorization: Bearer <token>``. The pages hold their session in the
``atende_session`` cookie (HttpOnly, SameSite=Strict); a cookie-authenticated request that
changes something must also carry ``X-Requested-With: atende`` (which another site cannot send
without a CORS preflight the engine never grants) and, when the browser names an ``Origin``,
come from the engine's own origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from atende.auth import AuthError, Principal, Role, UserStore
from atende.web.errors import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

USER_STORE: web.AppKey[UserStore] = web.AppKey("user_store", UserStore)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)
TOKEN: web.RequestKey[str] = web.RequestKey("token", str)
SESSION_COOKIE = "atende_session"
CSRF_HEADER = "X-Requested-With"
CSRF_VALUE = "atende"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def allow(*roles: Role) -> Callable[[Handler], Handler]:
    """Admit callers whose role is among ``roles`` (admin is always admitted)."""

    def mark(handler: Handler) -> Handler:
        handler.allowed_roles = frozenset(roles) | {Role.ADMIN}  # type: ignore[attr-defined]
        return handler

    return mark


def public(handler: Handler) -> Handler:
    """Mark a handler as open to unauthenticated callers."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


def principal(request: web.Request) -> Principal:
    """The authenticated caller of ``request``."""
    return request[PRINCIPAL]


def check_same_origin(request: web.Request) -> None:
    """Refuse (403) a request whose ``Origin`` names another host than the one it was sent to
    (the scheme is not compared: behind a TLS proxy the engine itself sees plain HTTP)."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise ApiError(403, "cross_origin", "request from another site refused")


def _credentials(request: web.Request) -> tuple[str, bool]:
    """The caller's token and whether it came from the session cookie."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthenticated", "missing bearer token")
        return token.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise ApiError(401, "unauthenticated", "missing bearer token")
    if request.method not in SAFE_METHODS:
        check_same_origin(request)
        if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            raise ApiError(403, "csrf", f"a signed-in page must send {CSRF_HEADER}: {CSRF_VALUE}")
    return cookie, True


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, check the role, and turn :class:`ApiError` into its JSON body."""
    try:
        target: Any = getattr(handler, "__wrapped__", handler)
        if request.match_info.http_exception is not None:
            raise request.match_info.http_exception
        if not (getattr(handler, "public", False) or getattr(target, "public", False)):
            roles = getattr(handler, "allowed_roles", None) or getattr(
                target, "allowed_roles", None
            )
            if roles is None:
                raise ApiError(403, "forbidden", "endpoint has no role policy")
            token, _ = _credentials(request)
            try:
                who = await request.app[USER_STORE].authenticate(token)
            except AuthError as exc:
                raise ApiError(401, "unauthenticated", str(exc)) from None
            if who.role not in roles:
                raise ApiError(403, "forbidden", f"role {who.role.value} may not do this")
            request[PRINCIPAL] = who
            request[TOKEN] = token
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = HTTP_CODES.get(exc.status, "http_error")
            return ApiError(exc.status, code, exc.reason).response()
        raise
