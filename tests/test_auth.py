"""Users, password hashes and bearer tokens on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import structlog

from atende.audit import AuditLog
from atende.auth import AuthError, Role, UserStore, api_tokens, users
from atende.cli import main
from atende.db import make_engine


async def test_login_and_token(database_url: str) -> None:
    """A user logs in with the right password; the token names the user and role."""
    engine = make_engine(database_url)
    try:
        store = UserStore(engine)
        await store.create_user("ana", "correct horse", Role.SUPERVISOR)
        token, who = await store.login("ana", "correct horse", timedelta(hours=1))
        assert who.role is Role.SUPERVISOR
        assert (await store.authenticate(token)).username == "ana"
        with pytest.raises(AuthError):
            await store.login("ana", "wrong password", timedelta(hours=1))
        with pytest.raises(AuthError):
            await store.authenticate(token + "x")
        async with engine.connect() as conn:
            stored = await conn.scalar(sa.select(users.c.password_hash))
        assert stored is not None and "correct horse" not in stored
        assert stored.startswith("$argon2")
    finally:
        await engine.dispose()


async def test_expired_token_is_refused(database_url: str) -> None:
    """A token past its expiry no longer authenticates."""
    engine = make_engine(database_url)
    try:
        store = UserStore(engine)
        uid = await store.create_user("bia", "longenough", Role.AGENT)
        token = await store.issue_token(uid, "test", timedelta(seconds=-1))
        with pytest.raises(AuthError, match="expired"):
            await store.authenticate(token)
    finally:
        await engine.dispose()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``main`` configures logging onto the captured stderr; put the previous setup back."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_cli_tokens_expire_and_can_be_revoked(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``atende token`` issues tokens valid ATENDE_CLI_TOKEN_DAYS (30 by default, not a year);
    ``atende token-revoke`` revokes them (all, or one label), writes the audit log, and an
    unknown user is exit 1."""
    monkeypatch.setenv("ATENDE_DATABASE_URL", database_url)
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")

    async def setup() -> None:
        engine = make_engine(database_url)
        store = UserStore(engine)
        await store.create_user("script", "longenough", Role.SUPERVISOR)
        store.close()
        await engine.dispose()

    asyncio.run(setup())
    assert main(["token", "script"]) == 0
    default = capsys.readouterr().out.strip()
    assert main(["token", "script", "--label", "nightly"]) == 0
    nightly = capsys.readouterr().out.strip()
    monkeypatch.setenv("ATENDE_CLI_TOKEN_DAYS", "2")
    assert main(["token", "script"]) == 0
    short = capsys.readouterr().out.strip()

    async def expiries() -> dict[str, timedelta]:
        engine = make_engine(database_url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.select(api_tokens))).all()
        finally:
            await engine.dispose()
        return {r.label + str(i): r.expires_at - r.created_at for i, r in enumerate(rows)}

    lifetimes = sorted(asyncio.run(expiries()).values())
    assert lifetimes == [timedelta(days=2), timedelta(days=30), timedelta(days=30)]

    assert main(["token-revoke", "script", "--label", "nightly"]) == 0
    assert "1 token(s) of script revoked" in capsys.readouterr().out

    async def still_valid() -> list[bool]:
        engine = make_engine(database_url)
        store = UserStore(engine)
        valid = []
        for token in (default, nightly, short):
            try:
                await store.authenticate(token)
                valid.append(True)
            except AuthError:
                valid.append(False)
        store.close()
        await engine.dispose()
        return valid

    assert asyncio.run(still_valid()) == [True, False, True]
    assert main(["token-revoke", "script"]) == 0
    assert "2 token(s) of script revoked" in capsys.readouterr().out
    assert asyncio.run(still_valid()) == [False, False, False]
    assert main(["token-revoke", "nobody"]) == 1

    async def audited() -> list[tuple[str, str, dict[str, object] | None]]:
        engine = make_engine(database_url)
        try:
            return [(e.actor, e.target, e.details) for e in await AuditLog(engine).entries()]
        finally:
            await engine.dispose()

    assert asyncio.run(audited()) == [
        ("cli", "script", {"count": 1, "label": "nightly"}),
        ("cli", "script", {"count": 2, "label": None}),
    ]
