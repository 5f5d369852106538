"""Users, password hashes and bearer tokens on real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from atende.auth import AuthError, Role, UserStore, users
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
