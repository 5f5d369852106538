"""The crm Alembic branch creates exactly the table the interactions adapter uses."""

from __future__ import annotations

import sqlalchemy as sa

from atende.db import make_engine
from crm_sync.adapters.sql_interactions import crm_metadata


async def test_migrated_schema_matches_the_interactions_table(database_url: str) -> None:
    """After ``upgrade heads`` on SQLite and PostgreSQL, ``crm_interactions`` has the columns
    and the customer index the code declares."""

    def inspect(conn: sa.Connection) -> tuple[set[str], list[list[str | None]]]:
        insp = sa.inspect(conn)
        columns = {c["name"] for c in insp.get_columns("crm_interactions")}
        indexes = [i["column_names"] for i in insp.get_indexes("crm_interactions")]
        return columns, indexes

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            columns, indexes = await conn.run_sync(inspect)
    finally:
        await engine.dispose()
    table = crm_metadata.tables["crm_interactions"]
    assert columns == {c.name for c in table.columns}
    assert ["customer_code", "customer_store", "started_at"] in indexes
