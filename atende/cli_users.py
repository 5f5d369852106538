"""``atende token-revoke`` and ``atende user list|disable|enable|password|phone``: users and
their tokens from the command line (every change audited, actor ``cli``)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from atende.settings import Settings


def add_token_parsers(sub: Any) -> None:
    """Add ``token-revoke`` to the ``atende`` command."""
    revoke = sub.add_parser(
        "token-revoke", help="revoke a user's bearer tokens (all, or those with --label)"
    )
    revoke.add_argument("username")
    revoke.add_argument("--label", default=None, help="only the tokens issued with this label")


async def _revoke(settings: Settings, username: str, label: str | None) -> int:
    from atende.audit import AuditEntry, AuditLog
    from atende.auth import UserStore
    from atende.db import make_engine
    from atende.passwords import PasswordPool

    engine = make_engine(settings.database_url)
    users = UserStore(engine, PasswordPool(cost=settings.password_hash_cost))
    try:
        count = await users.revoke_all(username, label)
        await AuditLog(engine).record(
            AuditEntry(
                datetime.now(UTC),
                "cli",
                "token_revoked",
                "success",
                target=username,
                details={"count": count, "label": label},
            )
        )
    finally:
        users.close()
        await engine.dispose()
    return count


def run_token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    """Revoke the tokens and say how many; exit 0 (1 for an unknown user, via AuthError)."""
    count = asyncio.run(_revoke(settings, args.username, args.label))
    print(f"{count} token(s) of {args.username} revoked")
    return 0


def add_user_admin_parsers(user_sub: Any) -> None:
    """Add ``list``, ``disable``, ``enable``, ``password`` and ``phone`` to ``atende user``."""
    user_sub.add_parser("list", help="list users: name, role, status, phone")
    for name, text in (
        ("disable", "disable a user: no more sign-ins, tokens revoked"),
        ("enable", "let a disabled user sign in again"),
        ("password", "reset a user's password (from ATENDE_PASSWORD or asked); tokens revoked"),
    ):
        user_sub.add_parser(name, help=text).add_argument("username")
    phone = user_sub.add_parser("phone", help="set a user's phone (a supervisor's, to listen)")
    phone.add_argument("username")
    group = phone.add_mutually_exclusive_group(required=True)
    group.add_argument("phone", nargs="?", help="as Asterisk dials it, e.g. PJSIP/3001")
    group.add_argument("--clear", action="store_true", help="remove the phone")


def _new_password(username: str) -> str:
    import getpass
    import os

    return os.environ.get("ATENDE_PASSWORD") or getpass.getpass(f"new password for {username}: ")


async def _user_admin(settings: Settings, args: argparse.Namespace) -> str:
    from atende.auth import UserStore
    from atende.db import make_engine
    from atende.passwords import PasswordPool
    from atende.user_admin import UserAdmin

    engine = make_engine(settings.database_url)
    store = UserStore(engine, PasswordPool(cost=settings.password_hash_cost))
    admin = UserAdmin(store)
    command = args.user_command
    try:
        if command == "list":
            rows = [
                f"{u.username:<24} {u.role.value:<17} "
                f"{'disabled' if u.disabled else 'active':<9} {u.phone or '-'}"
                for u in await admin.all_users()
            ]
            return "\n".join(rows) if rows else "no users"
        if command in ("disable", "enable"):
            user = await admin.set_disabled(args.username, command == "disable", actor="cli")
            return f"user {user.username} {'disabled' if user.disabled else 'enabled'}"
        if command == "password":
            revoked = await admin.reset_password(
                args.username, _new_password(args.username), actor="cli"
            )
            return f"password of {args.username} reset; {revoked} token(s) revoked"
        phone = None if args.clear else args.phone
        user = await admin.set_phone(args.username, phone, actor="cli")
        return f"phone of {user.username}: {user.phone or '-'}"
    finally:
        store.close()
        await engine.dispose()


def run_user_admin(settings: Settings, args: argparse.Namespace) -> int:
    """Run ``atende user list|disable|enable|password|phone``; exit 1 on a refusal
    (unknown user, short password, bad phone: via AuthError)."""
    print(asyncio.run(_user_admin(settings, args)))
    return 0
