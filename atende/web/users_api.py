"""``/api/users``: an admin lists users, creates them, disables and enables them, resets their
passwords and sets their phones (admin only; every change audited, see ``atende.user_admin``).
"""

from __future__ import annotations

import functools
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from atende.auth import AuthError, Role
from atende.user_admin import (
    PHONE,
    UnknownUser,
    UserAdmin,
    UserChangeRefused,
)
from atende.web.errors import ApiError, invalid_request
from atende.web.openapi_ops import documented
from atende.web.security import USER_STORE, Handler, allow, principal
from atende.web.sessions import client_address

M = TypeVar("M", bound=BaseModel)
USER_ADMIN: web.AppKey[UserAdmin] = web.AppKey("user_admin", UserAdmin)
PHONE_FIELD = Field(
    None, max_length=255, pattern=PHONE.pattern, description="as Asterisk dials it: PJSIP/3001"
)


class UserOut(BaseModel):
    """A user as an admin sees him."""

    username: str
    role: str
    disabled: bool
    phone: str | None
    created_at: str


class UserList(BaseModel):
    """Every user, by name."""

    users: list[UserOut]


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=1024)
    role: Literal["agent", "supervisor", "campaign_manager", "admin"]
    phone: str | None = PHONE_FIELD


class UserPatch(BaseModel):
    """The user's phone (``null`` clears it)."""

    model_config = ConfigDict(extra="forbid")
    phone: str | None = PHONE_FIELD


class PasswordIn(BaseModel):
    """A new password (the user's tokens are revoked)."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=8, max_length=1024)


class PasswordReset(BaseModel):
    """How many of the user's tokens the new password revoked."""

    username: str
    tokens_revoked: int


async def _body(request: web.Request, model: type[M]) -> M:
    try:
        data = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "request body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_request(exc) from None


def _user_errors(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def call(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except UnknownUser as exc:
            raise ApiError(404, "user_not_found", str(exc)) from None
        except UserChangeRefused as exc:
            raise ApiError(409, exc.code, str(exc)) from None

    return call


def _who(request: web.Request) -> dict[str, Any]:
    return {"actor": principal(request).username, "address": client_address(request)}


@documented(response=UserList)
@allow()
async def list_users(request: web.Request) -> web.Response:
    """GET /api/users: every user with role, status and phone (admin)."""
    users = await request.app[USER_ADMIN].all_users()
    return web.json_response({"users": [u.as_dict() for u in users]})


@documented(body=UserIn, response=UserOut, refusals=(409,), ok=201)
@allow()
@_user_errors
async def create_user(request: web.Request) -> web.Response:
    """POST /api/users: a new user (admin); 409 ``user_exists``."""
    body = await _body(request, UserIn)
    admin = request.app[USER_ADMIN]
    try:
        await request.app[USER_STORE].create_user(body.username, body.password, Role(body.role))
    except AuthError as exc:
        raise ApiError(409, "user_exists", str(exc)) from None
    await admin.record_created(body.username, body.role, **_who(request))
    if body.phone is not None:
        await admin.set_phone(body.username, body.phone, **_who(request))
    user = await admin.get(body.username)
    return web.json_response(user.as_dict(), status=201)


@documented(response=UserOut)
@allow()
@_user_errors
async def get_user(request: web.Request) -> web.Response:
    """GET /api/users/{username}: one user (admin)."""
    user = await request.app[USER_ADMIN].get(request.match_info["username"])
    return web.json_response(user.as_dict())


@documented(body=UserPatch, response=UserOut)
@allow()
@_user_errors
async def patch_user(request: web.Request) -> web.Response:
    """PATCH /api/users/{username}: set or clear the user's phone (admin)."""
    body = await _body(request, UserPatch)
    username = request.match_info["username"]
    if "phone" not in body.model_fields_set:
        user = await request.app[USER_ADMIN].get(username)
    else:
        user = await request.app[USER_ADMIN].set_phone(username, body.phone, **_who(request))
    return web.json_response(user.as_dict())


@documented(response=UserOut, refusals=(409,))
@allow()
@_user_errors
async def disable_user(request: web.Request) -> web.Response:
    """POST /api/users/{username}/disable: no more sign-ins, every token revoked (admin);
    409 ``cannot_disable_self``."""
    admin = request.app[USER_ADMIN]
    user = await admin.set_disabled(request.match_info["username"], True, **_who(request))
    return web.json_response(user.as_dict())


@documented(response=UserOut)
@allow()
@_user_errors
async def enable_user(request: web.Request) -> web.Response:
    """POST /api/users/{username}/enable: the user may sign in again (admin)."""
    admin = request.app[USER_ADMIN]
    user = await admin.set_disabled(request.match_info["username"], False, **_who(request))
    return web.json_response(user.as_dict())


@documented(body=PasswordIn, response=PasswordReset)
@allow()
@_user_errors
async def reset_password(request: web.Request) -> web.Response:
    """POST /api/users/{username}/password: a new password; the user's tokens are revoked
    (admin)."""
    body = await _body(request, PasswordIn)
    username = request.match_info["username"]
    revoked = await request.app[USER_ADMIN].reset_password(username, body.password, **_who(request))
    return web.json_response({"username": username, "tokens_revoked": revoked})


def add_user_routes(app: web.Application) -> None:
    """Register ``/api/users...`` (the users are those of the app's user store)."""
    app[USER_ADMIN] = UserAdmin(app[USER_STORE])
    app.router.add_get("/api/users", list_users)
    app.router.add_post("/api/users", create_user)
    app.router.add_get("/api/users/{username}", get_user)
    app.router.add_patch("/api/users/{username}", patch_user)
    app.router.add_post("/api/users/{username}/disable", disable_user)
    app.router.add_post("/api/users/{username}/enable", enable_user)
    app.router.add_post("/api/users/{username}/password", reset_password)
