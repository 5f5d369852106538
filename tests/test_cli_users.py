"""``atende user list|disable|enable|password|phone`` on real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from atende.audit import AuditLog
from atende.auth import AuthError, Role, UserStore
from atende.cli import main
from atende.db import make_engine
from tests.test_auth import restore_logging  # noqa: F401  (fixture)


async def _seed(url: str) -> str:
    engine = make_engine(url)
    store = UserStore(engine)
    await store.create_user("carla", "carla-pass-1", Role.SUPERVISOR)
    await store.create_user("davi", "davi-pass-1", Role.AGENT)
    token = await store.issue_token(await store.user_id("davi"), "cli", None)
    store.close()
    await engine.dispose()
    return token


async def _can_login(url: str, user: str, password: str) -> bool:
    engine = make_engine(url)
    store = UserStore(engine)
    try:
        await store.login(user, password, timedelta(hours=1))
        return True
    except AuthError:
        return False
    finally:
        store.close()
        await engine.dispose()


async def _token_works(url: str, token: str) -> bool:
    engine = make_engine(url)
    store = UserStore(engine)
    try:
        await store.authenticate(token)
        return True
    except AuthError:
        return False
    finally:
        store.close()
        await engine.dispose()


async def _audit(url: str) -> list[tuple[str, str, str]]:
    engine = make_engine(url)
    try:
        return [(e.actor, e.action, e.target) for e in await AuditLog(engine).entries()]
    finally:
        await engine.dispose()


@pytest.mark.usefixtures("restore_logging")
def test_cli_manages_users(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI lists users, disables one (his token stops working, he cannot sign in),
    enables him, resets his password and sets a supervisor's phone; each change is audited
    as ``cli``; refusals (unknown user, bad phone, short password) exit 1."""
    monkeypatch.setenv("ATENDE_DATABASE_URL", database_url)
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    token = asyncio.run(_seed(database_url))

    assert main(["user", "disable", "davi"]) == 0
    assert "user davi disabled" in capsys.readouterr().out
    assert not asyncio.run(_token_works(database_url, token))
    assert not asyncio.run(_can_login(database_url, "davi", "davi-pass-1"))
    assert main(["user", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert [line.split() for line in listing] == [
        ["carla", "supervisor", "active", "-"],
        ["davi", "agent", "disabled", "-"],
    ]
    assert main(["user", "enable", "davi"]) == 0
    assert asyncio.run(_can_login(database_url, "davi", "davi-pass-1"))

    monkeypatch.setenv("ATENDE_PASSWORD", "davi-new-pass-2")
    assert main(["user", "password", "davi"]) == 0
    assert "password of davi reset" in capsys.readouterr().out
    assert not asyncio.run(_can_login(database_url, "davi", "davi-pass-1"))
    assert asyncio.run(_can_login(database_url, "davi", "davi-new-pass-2"))
    monkeypatch.setenv("ATENDE_PASSWORD", "short")
    assert main(["user", "password", "davi"]) == 1

    assert main(["user", "phone", "carla", "PJSIP/3001"]) == 0
    assert "phone of carla: PJSIP/3001" in capsys.readouterr().out
    assert main(["user", "phone", "carla", "not a phone"]) == 1
    assert main(["user", "disable", "nobody"]) == 1
    assert main(["user", "phone", "carla", "--clear"]) == 0
    assert "phone of carla: -" in capsys.readouterr().out

    assert asyncio.run(_audit(database_url)) == [
        ("cli", "user_disabled", "davi"),
        ("cli", "user_enabled", "davi"),
        ("cli", "password_reset", "davi"),
        ("cli", "user_phone_set", "carla"),
        ("cli", "user_phone_set", "carla"),
    ]


async def test_demo_gives_the_supervisor_a_phone_once(tmp_path: object) -> None:
    """The demo seed gives the demo supervisor the twin's phone Local/3001@agents (so he can
    listen to calls) once: an admin's later change is kept on the next start."""
    from atende.demo import DEMO_SUPERVISOR_PHONE, seed
    from atende.settings import load_settings
    from atende.user_admin import UserAdmin

    url = f"sqlite+aiosqlite:///{tmp_path}/demo.db"
    settings = load_settings(database_url=url, erp_demo_customers=5)
    await seed(settings)
    engine = make_engine(url)
    store = UserStore(engine)
    try:
        admin = UserAdmin(store)
        assert (await admin.get("supervisor")).phone == DEMO_SUPERVISOR_PHONE
        await admin.set_phone("supervisor", "PJSIP/3009", actor="admin")
        await seed(settings)
        assert (await admin.get("supervisor")).phone == "PJSIP/3009"
    finally:
        store.close()
        await engine.dispose()
