"""Database engine and migrations (SQLAlchemy 2 async; SQLite embedded, PostgreSQL served)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolResetState

MIGRATIONS = Path(__file__).parent / "migrations"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


#: pooled SQLite connections (each one is a thread): enough that a busy engine's reads and
#: writes never open and close connections call after call
SQLITE_BUSY_TIMEOUT = 30.0
SQLITE_POOL = 16


def make_engine(url: str) -> AsyncEngine:
    """Build the async engine; makes the folder of a SQLite file if needed.

    A served database (PostgreSQL) is pinged at each checkout, as it can restart under the
    engine. A SQLite file cannot drop a connection: no ping (four thread hops saved per
    checkout), and a pool large enough that connections are kept, not reopened."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True)
    if parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # a writer waits up to 30 s for another's transaction (sqlite's default is 5 s:
        # "database is locked" under a burst of writes from several connections)
        engine = create_async_engine(
            url,
            pool_size=SQLITE_POOL,
            max_overflow=SQLITE_POOL,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
            pool_reset_on_return=None,  # _rollback_if_open instead
        )
        event.listen(engine.sync_engine, "reset", _rollback_if_open)
        return engine
    return create_async_engine(url)


def _rollback_if_open(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
    """A SQLite connection back in the pool is rolled back only while a transaction is open
    on it (SQLite's own flag, read in place). The pool's usual reset rolls back every time,
    one hop to the connection's thread per checkout, for a ROLLBACK the driver then skips
    outside a transaction (a customer search, a committed write)."""
    if not state.asyncio_safe or state.transaction_was_reset:
        return  # as the pool's own reset: nothing awaited outside the event loop
    try:
        open_transaction = bool(record.driver_connection.in_transaction)
    except Exception:  # a closed connection: nothing to roll back
        return
    if open_transaction:
        dbapi_connection.rollback()


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and at ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Apply every migration of every context (all heads). Blocking: call from a thread."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "heads")
