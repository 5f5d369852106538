"""The database engine: a SQLite connection back in the pool is rolled back only when a
transaction is open on it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from atende.db import make_engine


async def test_a_pooled_sqlite_connection_rolls_back_only_an_open_transaction(
    tmp_path: Path,
) -> None:
    """A write left uncommitted on a connection is rolled back when it returns to the pool
    (the next checkout sees no open transaction and no row); a committed write stays."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("create table t (x integer)"))
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.execute("insert into t values (1)")
            assert raw.in_transaction
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None and not raw.in_transaction
            assert list(await raw.execute_fetchall("select count(*) from t", [])) == [(0,)]
        async with engine.begin() as conn:
            await conn.execute(sa.text("insert into t values (2)"))
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("select x from t"))).all() == [(2,)]
    finally:
        await engine.dispose()
