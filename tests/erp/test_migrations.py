"""The erp Alembic branch creates exactly the tables and columns the embedded ERP uses."""

from __future__ import annotations

import sqlalchemy as sa

from atende.db import make_engine
from erp_bridge.embedded.tables import erp_metadata


async def test_migrated_schema_matches_tables(database_url: str) -> None:
    """Every erp_ table and column of the code exists after ``upgrade heads``, and no more."""

    def inspect(conn: sa.Connection) -> dict[str, set[str]]:
        insp = sa.inspect(conn)
        return {
            t: {c["name"] for c in insp.get_columns(t)}
            for t in insp.get_table_names()
            if t.startswith("erp_")
        }

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(inspect)
    finally:
        await engine.dispose()
    wanted = {name: {c.name for c in t.columns} for name, t in erp_metadata.tables.items()}
    assert {k: v for k, v in found.items() if k in wanted} == wanted
    assert set(found) - set(wanted) <= {"erp_outbox"}
