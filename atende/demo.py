"""``atende demo``: migrate, seed, run the engine with the Asterisk twin on embedded defaults.

The twin runs as its own process (``atende twin --traffic``), as Asterisk would, and the engine
connects to it over AMI and serves its FastAGI sessions.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from atende.auth import Role, UserStore
from atende.db import make_engine, upgrade
from atende.settings import Settings
from atende.wiring import run_engine
from erp_bridge.domain.errors import ErpError
from erp_bridge.embedded.seed import seed_demo

log = structlog.get_logger("atende.demo")

DEMO_ERP_SEED = 42
DEMO_USERS = {
    "admin": ("admin-demo-1", Role.ADMIN),
    "supervisor": ("supervisor123", Role.SUPERVISOR),
    "manager": ("manager123", Role.CAMPAIGN_MANAGER),
    "agent2001": ("agent2001pw", Role.AGENT),
}


async def seed(settings: Settings) -> None:
    """Create the demo users and seed the demo ERP (both idempotent)."""
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        users = UserStore(engine)
        for name, (password, role) in DEMO_USERS.items():
            await users.ensure_user(name, password, role)
        if settings.erp_adapter == "embedded":
            await seed_erp(engine, settings.erp_demo_customers)
    finally:
        await engine.dispose()


async def seed_erp(engine: AsyncEngine, customers: int) -> bool:
    """Seed the demo ERP once; ``False`` when it already has customers."""
    try:
        summary = await seed_demo(engine, DEMO_ERP_SEED, customers=customers)
    except ErpError as err:
        if err.code != "already_seeded":
            raise
        log.info("demo_erp_already_seeded")
        return False
    log.info("demo_erp_seeded", customers=summary.customers, orders=summary.orders)
    return True


async def _start_twin(settings: Settings) -> asyncio.subprocess.Process:
    env = dict(os.environ, ATENDE_TWIN_AMI_PORT=str(settings.twin_ami_port))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "atende.cli", "twin", "--traffic", env=env
    )
    await asyncio.sleep(1.0)
    if proc.returncode is not None:
        raise SystemExit(f"atende demo: the Asterisk twin exited with {proc.returncode}")
    return proc


async def run_demo(settings: Settings) -> int:
    """Run the demo until interrupted."""
    await seed(settings)
    twin = await _start_twin(settings)
    url = f"http://{settings.http_host}:{settings.http_port}/"
    print(f"\nAtende demo: open {url} and sign in with one of the demo users:")
    for name, (password, role) in DEMO_USERS.items():
        print(f"  {name:<12} {password:<16} ({role.value})")
    print("Stop with Ctrl-C.\n", flush=True)
    log.info("demo_ready", web=url, twin_ami_port=settings.twin_ami_port)
    try:
        return await run_engine(settings)
    finally:
        if twin.returncode is None:
            twin.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(twin.wait(), 5)
            except TimeoutError:
                twin.kill()
                await twin.wait()
