"""What an admin does to users: list them, disable and enable them, reset their passwords and
set their phones. The web API (``/api/users``) and the CLI (``atende user ...``) both come
here, and every change is written to the audit log with who made it.

Disabling a user revokes his tokens (and :meth:`atende.auth.UserStore.authenticate` refuses
any left for a disabled user); a new password revokes the tokens issued with the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from atende.audit import AuditEntry, write_audit
from atende.auth import AuthError, Role, UserStore, api_tokens, users

MIN_PASSWORD = 8
#: a phone as Asterisk dials it: ``PJSIP/3001``, ``SIP/trunk/3001``, ``Local/2999@supervisors``
PHONE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.@/+#*-]{1,200}$")


class UnknownUser(AuthError):
    """No user of that name."""


class UserChangeRefused(AuthError):
    """The change is not allowed (disabling oneself, a short password, a bad phone)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class UserRecord:
    """A user as an admin sees him (never his password hash)."""

    username: str
    role: Role
    disabled: bool
    phone: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``/api/users``."""
        return {
            "username": self.username,
            "role": self.role.value,
            "disabled": self.disabled,
            "phone": self.phone,
            "created_at": self.created_at.isoformat(),
        }


def check_phone(phone: str) -> str:
    """``phone`` if it reads as an Asterisk dial string, else :class:`UserChangeRefused`."""
    if not PHONE.fullmatch(phone):
        raise UserChangeRefused(
            "invalid_phone", "a phone is TECH/resource as Asterisk dials it, e.g. PJSIP/3001"
        )
    return phone


def _record(row: Any) -> UserRecord:
    created = row.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return UserRecord(row.username, Role(row.role), bool(row.disabled), row.phone, created)


class UserAdmin:
    """The admin's operations on users, each audited under ``actor`` (``cli`` from the CLI)."""

    def __init__(self, store: UserStore) -> None:
        self._store = store
        self._db = store.engine

    async def all_users(self) -> list[UserRecord]:
        """Every user, by name."""
        async with self._db.connect() as conn:
            rows = (await conn.execute(sa.select(users).order_by(users.c.username))).all()
        return [_record(r) for r in rows]

    async def get(self, username: str) -> UserRecord:
        """One user, or :class:`UnknownUser`."""
        async with self._db.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.username == username))).first()
        if row is None:
            raise UnknownUser(f"no user {username!r}")
        return _record(row)

    async def record_created(
        self, username: str, role: str, *, actor: str, address: str = ""
    ) -> None:
        """Audit the creation of ``username`` (made by :meth:`UserStore.create_user`)."""
        async with self._db.begin() as conn:
            await self._audit(conn, actor, "user_created", username, address, {"role": role})

    async def set_disabled(
        self, username: str, disabled: bool, *, actor: str, address: str = ""
    ) -> UserRecord:
        """Disable (revoking every token) or enable ``username``; an admin cannot disable
        himself."""
        if disabled and username == actor:
            raise UserChangeRefused("cannot_disable_self", "an admin cannot disable himself")
        action = "user_disabled" if disabled else "user_enabled"
        async with self._db.begin() as conn:
            uid = await self._id(conn, username)
            await conn.execute(users.update().where(users.c.id == uid).values(disabled=disabled))
            revoked = 0
            if disabled:
                result = await conn.execute(api_tokens.delete().where(api_tokens.c.user_id == uid))
                revoked = int(result.rowcount)
            await self._audit(conn, actor, action, username, address, {"tokens_revoked": revoked})
        return await self.get(username)

    async def reset_password(
        self, username: str, password: str, *, actor: str, address: str = ""
    ) -> int:
        """Give ``username`` a new password and revoke his tokens; returns how many."""
        if len(password) < MIN_PASSWORD:
            raise UserChangeRefused(
                "weak_password", f"a password has at least {MIN_PASSWORD} characters"
            )
        password_hash = await self._store.passwords.hash(password)
        async with self._db.begin() as conn:
            uid = await self._id(conn, username)
            await conn.execute(
                users.update().where(users.c.id == uid).values(password_hash=password_hash)
            )
            result = await conn.execute(api_tokens.delete().where(api_tokens.c.user_id == uid))
            revoked = int(result.rowcount)
            await self._audit(
                conn, actor, "password_reset", username, address, {"tokens_revoked": revoked}
            )
        return revoked

    async def set_phone(
        self, username: str, phone: str | None, *, actor: str, address: str = ""
    ) -> UserRecord:
        """Set (or clear, with ``None``) the phone of ``username``."""
        if phone is not None:
            check_phone(phone)
        async with self._db.begin() as conn:
            uid = await self._id(conn, username)
            await conn.execute(users.update().where(users.c.id == uid).values(phone=phone))
            await self._audit(conn, actor, "user_phone_set", username, address, {"phone": phone})
        return await self.get(username)

    async def _id(self, conn: Any, username: str) -> int:
        found = await conn.scalar(sa.select(users.c.id).where(users.c.username == username))
        if found is None:
            raise UnknownUser(f"no user {username!r}")
        return int(found)

    async def _audit(
        self,
        conn: Any,
        actor: str,
        action: str,
        target: str,
        address: str,
        details: dict[str, Any],
    ) -> None:
        entry = AuditEntry(datetime.now(UTC), actor, action, "success", address, target, details)
        await write_audit(conn, entry)
