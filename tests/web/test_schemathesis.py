"""schemathesis against the running engine's own ``/api/openapi.json``: generated requests (valid
and invalid) to every operation, bounded in time, find no 5xx and no answer off its schema."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from atende.auth import Role
from atende.wiring import Engine
from tests.integration.acd_stack import acd_settings, four_queues, product_twin, seed_acd

ST = Path(sys.executable).with_name("st")
BUDGET_SECONDS = 20


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Engine]:
    """The whole engine (ACD, ERP, web) on ``database_url``, attached to an Asterisk twin
    running the product dialplan, with four queues and two agents."""
    await seed_acd(database_url, four_queues(), {"2001": {"sales": 3}, "2002": {"support": 2}})
    twin = product_twin(0.05)
    port = await twin.start()
    running = Engine(acd_settings(port, database_url, acd_login_on_start=False))
    await running.start()
    twin.pbx.agi_address = ("127.0.0.1", running.agi.port)
    try:
        assert running.acd is not None
        await running.acd.wait_ready(60.0)  # state restored from Asterisk
        yield running
    finally:
        await running.stop()
        await twin.stop()


# the production database; the same routes run on SQLite in the rest of the suite
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_generated_requests_find_no_5xx_and_no_answer_off_schema(
    engine: Engine, tmp_path: Path
) -> None:
    """schemathesis (examples, coverage and fuzzing phases, about 20 s) as an admin: every
    answer is below 500 and matches the schema the document gives for its status. Sign-out is
    left out (it would revoke the token the run uses)."""
    users = engine.users
    uid = await users.create_user("fuzzer", "fuzzer-pass-1", Role.ADMIN)
    token = await users.issue_token(uid, "schemathesis", None)
    base = f"http://127.0.0.1:{engine.http_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS")}
    run = await asyncio.create_subprocess_exec(
        str(ST),
        "run",
        f"{base}/api/openapi.json",
        "--url",
        base,
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-time",
        str(BUDGET_SECONDS),
        "--max-examples",
        "30",
        "--exclude-path",
        "/api/logout",
        "--workers",
        "1",  # hypothesis describes strategies with ast.parse, which Python 3.11 breaks in threads
        "--seed",
        "12",
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await run.communicate()
    text = output.decode(errors="replace")
    assert run.returncode == 0, text[:6000]
    generated = re.search(r"(\d+) generated, (\d+) passed", text)
    assert generated is not None, text[-2000:]
    assert int(generated[1]) > 0 and generated[1] == generated[2], generated[0]
