"""Database engine and migrations (SQLAlchemy 2 async; SQLite embedded, PostgreSQL served)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

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
        return create_async_engine(
            url,
            pool_size=SQLITE_POOL,
            max_overflow=SQLITE_POOL,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT},
        )
    return create_async_engine(url)


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
