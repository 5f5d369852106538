"""Engines as real processes (``python -m atende.cli serve``) for the ACD tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

from atende.auth import Role, UserStore
from atende.db import make_engine
from tests.conftest import REDIS_URL
from tests.integration.acd_stack import DID_QUEUES

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def engine_process(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    out = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "atende.cli", "serve", env=env, stdout=out, stderr=out, cwd=REPO
        )
    finally:
        out.close()


async def live_state(http: aiohttp.ClientSession, base: str, token: str) -> dict[str, Any] | None:
    try:
        async with http.get(
            base + "/api/acd/live", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            if resp.status != 200:
                return None
            body: dict[str, Any] = await resp.json()
            return body
    except aiohttp.ClientError:
        return None


async def wait_live(
    http: aiohttp.ClientSession,
    base: str,
    token: str,
    check: Any,
    timeout: float = 60,  # noqa: ASYNC109
) -> dict[str, Any]:
    """The engine's live view once ``check`` holds; the default wait covers an engine process
    starting (its imports and migrations) on a loaded 2-core machine."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        live = await live_state(http, base, token)
        if live is not None and check(live):
            return live
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"engine state not reached; last: {json.dumps(live)}")
        await asyncio.sleep(0.1)


def engine_env(
    url: str, twin_port: int, agi_port: int, http_port: int, redis_prefix: str
) -> dict[str, str]:
    """The environment of an engine process on a twin, a shared Redis, its own ports."""
    env = dict(
        os.environ,
        ATENDE_DATABASE_URL=url,
        ATENDE_REDIS_URL=REDIS_URL,
        ATENDE_REDIS_KEY_PREFIX=redis_prefix,
        ATENDE_AMI_SERVERS=f"ami://atende:atende@127.0.0.1:{twin_port}/pbx1",
        ATENDE_AGI_PORT=str(agi_port),
        ATENDE_HTTP_PORT=str(http_port),
        ATENDE_IVR_DID_QUEUES=json.dumps(DID_QUEUES),
        ATENDE_ACD_LOGIN_ON_START="true",
        ATENDE_ACD_TICK_INTERVAL="0.2",
        ATENDE_ACD_NO_ANSWER_PAUSE="1",
        ATENDE_LOG_FORMAT="json",
        ATENDE_AMI_RECONNECT_MAX_DELAY="0.5",
    )
    env.pop("ATENDE_CONFIG", None)
    return env


async def supervisor_token(url: str) -> str:
    """A supervisor's bearer token in the database at ``url``."""
    db = make_engine(url)
    try:
        users = UserStore(db)
        await users.create_user("boss", "a-long-password-1", Role.SUPERVISOR)
        return await users.issue_token(await users.user_id("boss"), "t", None)
    finally:
        await db.dispose()


async def terminate(proc: asyncio.subprocess.Process | None) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if proc is None or proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 10)
    except TimeoutError:
        proc.kill()
        await proc.wait()
