"""The bodies of the engine's own endpoints (sign-in, who am I, live calls), for validation
and for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LoginIn(BaseModel):
    """A sign-in."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    session: Literal["token", "cookie"] = Field(
        "token",
        description="token: a bearer token in the answer (scripts); cookie: an HttpOnly "
        "SameSite=Strict session cookie and no token in the answer (the pages)",
    )

    @field_validator("username", "password")
    @classmethod
    def _storable(cls, text: str) -> str:
        """Valid Unicode without NUL: what a database can hold and compare."""
        if "\x00" in text:
            raise ValueError("must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a JSON "\ud800"
            raise ValueError("must be valid Unicode") from None
        return text


class LoginOut(BaseModel):
    """A bearer token for the API (``Authorization: Bearer <token>``); none for a cookie
    session."""

    token: str | None = None
    role: str
    username: str


class SignedOut(BaseModel):
    """The token of the request is revoked (and the session cookie cleared)."""

    signed_out: bool


class Me(BaseModel):
    """The user a token belongs to."""

    username: str
    role: str


class LiveCalls(BaseModel):
    """The calls the engine tracks on every Asterisk server."""

    calls: list[dict[str, Any]]
