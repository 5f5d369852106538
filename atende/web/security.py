"""Bearer-token authentication and role checks for every endpoint.

A handler declares who may call it with :func:`allow`; a handler without a declaration is
refused (fail closed). Only endpoints marked :func:`public` (login, static pages) skip it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from atende.auth import AuthError, Principal, Role, UserStore
from atende.web.errors import ApiError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

USER_STORE: web.AppKey[UserStore] = web.AppKey("user_store", UserStore)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)


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
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise ApiError(401, "unauthenticated", "missing bearer token")
            try:
                who = await request.app[USER_STORE].authenticate(token.strip())
            except AuthError as exc:
                raise ApiError(401, "unauthenticated", str(exc)) from None
            if who.role not in roles:
                raise ApiError(403, "forbidden", f"role {who.role.value} may not do this")
            request[PRINCIPAL] = who
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status >= 400:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
            return ApiError(exc.status, code, exc.reason).response()
        raise
