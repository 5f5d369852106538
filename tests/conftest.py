"""Shared fixtures: real databases (SQLite and PostgreSQL), real Redis, trace files."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# no per-example deadline: the suite runs on shared, busy machines, and a test's assertions
# never depend on how fast the machine is (speed is measured by bench/, not by tests)
settings.register_profile("atende", deadline=None)
settings.load_profile("atende")

FIXTURES = Path(__file__).parent / "fixtures"
TRACES = FIXTURES / "asterisk-traces"

PG_ADMIN_URL = os.environ.get(
    "ATENDE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REDIS_URL = os.environ.get("ATENDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _pg_exec(sql: str) -> None:
    import asyncpg

    dsn = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_configure(config: pytest.Config) -> None:
    """Users made by the tests get argon2id hashes of minimal cost (the suite creates and signs in
    hundreds of them); the engines the tests start as processes inherit the setting. The sign-in
    flood test builds its own pool of standard cost."""
    from atende.passwords import set_default_cost

    set_default_cost("minimal")
    os.environ["ATENDE_PASSWORD_HASH_COST"] = "minimal"


_SQLITE_TEMPLATE: list[Path] = []  # one migrated file per test process, made on first use


def migrated_sqlite(path: Path) -> str:
    """The URL of a new SQLite file at ``path`` holding the migrated schema: a copy of a file
    migrated once per test process (the engine's own upgrade at start then finds nothing to
    do). Tests of the migrations on empty files build their URLs themselves."""
    from atende.db import upgrade

    if not _SQLITE_TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="atende-template-"))
        atexit.register(shutil.rmtree, folder, True)
        with ThreadPoolExecutor(1) as thread:  # Alembic runs its own event loop
            thread.submit(upgrade, f"sqlite+aiosqlite:///{folder / 'atende.db'}").result()
        _SQLITE_TEMPLATE.append(folder / "atende.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SQLITE_TEMPLATE[0], path)
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class Templates:
    """The migrated PostgreSQL database to copy, and the copies to drop off the tests' path."""

    postgresql_name: str
    dropper: ThreadPoolExecutor

    def drop_later(self, name: str) -> None:
        """Drop database ``name`` in the background (a drop waits for a checkpoint)."""
        self.dropper.submit(asyncio.run, _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated_templates() -> Iterator[Templates]:
    """One migrated PostgreSQL database per test process, made once: each test gets a copy
    (``CREATE DATABASE ... TEMPLATE``; SQLite files are copied by :func:`migrated_sqlite`), so
    the migrations run once per process instead of once per test."""
    from atende.db import upgrade

    name = f"atende_tpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
    try:
        upgrade(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
        yield Templates(name, dropper)
    finally:
        dropper.shutdown(wait=True)
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of each kind; dropped after the test."""
    if request.param == "sqlite":
        yield migrated_sqlite(tmp_path / "atende.db")
        return
    templates: Templates = request.getfixturevalue("migrated_templates")
    name = f"atende_t_{uuid.uuid4().hex[:12]}"
    template = templates.postgresql_name
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        templates.drop_later(name)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A unique key prefix on the real Redis; its keys are deleted after the test."""
    import redis.asyncio as aioredis

    prefix = f"atende-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def migrated_columns(database_url: str, prefix: str) -> dict[str, set[str]]:
    """The columns of every table named ``prefix...`` in the migrated database at
    ``database_url``, as the database reports them."""
    import sqlalchemy as sa

    from atende.db import make_engine

    def inspect(conn: sa.Connection) -> dict[str, set[str]]:
        insp = sa.inspect(conn)
        return {
            t: {c["name"] for c in insp.get_columns(t)}
            for t in insp.get_table_names()
            if t.startswith(prefix)
        }

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(inspect)
    finally:
        await engine.dispose()
