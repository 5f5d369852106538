"""The campaigns Alembic branch creates exactly the tables and columns the list store uses."""

from __future__ import annotations

import sqlalchemy as sa

from atende.db import make_engine
from campaigns.sql.tables import campaign_metadata


async def test_migrated_schema_matches_tables(database_url: str) -> None:
    """Every campaign_ table and column of the code exists after ``upgrade heads``, no more."""

    def inspect(conn: sa.Connection) -> dict[str, set[str]]:
        insp = sa.inspect(conn)
        return {
            t: {c["name"] for c in insp.get_columns(t)}
            for t in insp.get_table_names()
            if t.startswith("campaign_")
        }

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(inspect)
    finally:
        await engine.dispose()
    wanted = {name: {c.name for c in t.columns} for name, t in campaign_metadata.tables.items()}
    assert found == wanted
