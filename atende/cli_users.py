"""``atende token-revoke``: revoke a user's bearer tokens from the command line (audited)."""

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

    engine = make_engine(settings.database_url)
    users = UserStore(engine)
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
