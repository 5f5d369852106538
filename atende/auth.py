"""Users, roles, password hashes (argon2) and bearer tokens, kept in the database."""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.db import metadata
from atende.passwords import PasswordPool


class Role(enum.StrEnum):
    """What a user may do; each HTTP endpoint names the roles it admits."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    CAMPAIGN_MANAGER = "campaign_manager"
    ADMIN = "admin"


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # a disabled user cannot sign in and his tokens are refused (migration core_0004)
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    # the user's phone as Asterisk dials it (PJSIP/3001): where a supervisor listens to calls
    sa.Column("phone", sa.String(255), nullable=True),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("label", sa.String(128), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
)


class AuthError(Exception):
    """Bad credentials or token; the message is safe to show."""


class UserDisabled(AuthError):
    """The credentials are right but an admin disabled the user."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of an API request."""

    user_id: int
    username: str
    role: Role


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    """Users and tokens on the engine's database.

    Password hashing and checking run in ``passwords`` (worker threads), never on the loop.
    """

    def __init__(self, engine: AsyncEngine, passwords: PasswordPool | None = None) -> None:
        self._engine = engine
        self.passwords = passwords or PasswordPool()

    @property
    def engine(self) -> AsyncEngine:
        """The database the users live in."""
        return self._engine

    def close(self) -> None:
        """Stop the password worker threads."""
        self.passwords.close()

    async def create_user(self, username: str, password: str, role: Role) -> int:
        """Create a user with an argon2 hash of ``password``; returns its id."""
        if len(password) < 8:
            raise AuthError("password must have at least 8 characters")
        password_hash = await self.passwords.hash(password)
        async with self._engine.begin() as conn:
            exists = await conn.scalar(sa.select(users.c.id).where(users.c.username == username))
            if exists is not None:
                raise AuthError(f"user {username!r} exists")
            result = await conn.execute(
                users.insert().values(
                    username=username,
                    password_hash=password_hash,
                    role=role.value,
                    created_at=datetime.now(UTC),
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def ensure_user(self, username: str, password: str, role: Role) -> None:
        """Create the user unless it exists (used by the demo seed)."""
        async with self._engine.connect() as conn:
            found = await conn.scalar(sa.select(users.c.id).where(users.c.username == username))
        if found is None:
            await self.create_user(username, password, role)

    async def login(self, username: str, password: str, ttl: timedelta) -> tuple[str, Principal]:
        """Check the password and issue a bearer token valid for ``ttl``.

        Raises :class:`~atende.passwords.PasswordPoolBusy` when too many checks are in flight.
        """
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.username == username))).first()
        if row is None:
            await self.passwords.hash(password)  # same cost whether or not the user exists
            raise AuthError("wrong username or password")
        if not await self.passwords.verify(row.password_hash, password):
            raise AuthError("wrong username or password")
        if row.disabled:
            raise UserDisabled("this user is disabled")
        principal = Principal(row.id, row.username, Role(row.role))
        token = await self.issue_token(principal.user_id, "login", ttl)
        return token, principal

    async def issue_token(self, user_id: int, label: str, ttl: timedelta | None) -> str:
        """A new random bearer token; only its SHA-256 is stored."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(
                api_tokens.insert().values(
                    token_hash=_token_hash(token),
                    user_id=user_id,
                    label=label,
                    created_at=now,
                    expires_at=None if ttl is None else now + ttl,
                )
            )
        return token

    async def user_id(self, username: str) -> int:
        """The id of ``username`` or :class:`AuthError`."""
        async with self._engine.connect() as conn:
            found = await conn.scalar(sa.select(users.c.id).where(users.c.username == username))
        if found is None:
            raise AuthError(f"no user {username!r}")
        return int(found)

    async def revoke(self, token: str) -> bool:
        """Revoke one bearer token; True when it existed."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                api_tokens.delete().where(api_tokens.c.token_hash == _token_hash(token))
            )
        return bool(result.rowcount)

    async def revoke_all(self, username: str, label: str | None = None) -> int:
        """Revoke every token of ``username`` (only those labelled ``label`` if given)."""
        uid = await self.user_id(username)
        query = api_tokens.delete().where(api_tokens.c.user_id == uid)
        if label is not None:
            query = query.where(api_tokens.c.label == label)
        async with self._engine.begin() as conn:
            result = await conn.execute(query)
        return int(result.rowcount)

    async def authenticate(self, token: str) -> Principal:
        """The principal behind a bearer token, or :class:`AuthError`."""
        query = (
            sa.select(users.c.id, users.c.username, users.c.role, users.c.disabled)
            .add_columns(api_tokens.c.expires_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _token_hash(token))
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise AuthError("invalid token")
        if row.disabled:
            raise UserDisabled("this user is disabled")
        expires = row.expires_at
        if expires is not None:
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            if expires < datetime.now(UTC):
                raise AuthError("token expired")
        return Principal(row.id, row.username, Role(row.role))
