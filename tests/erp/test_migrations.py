"""The erp Alembic branch creates exactly the tables and columns the embedded ERP uses."""

from __future__ import annotations

from erp_bridge.embedded.tables import erp_metadata
from tests.conftest import migrated_columns


async def test_migrated_schema_matches_tables(database_url: str) -> None:
    """Every erp_ table and column of the code exists after ``upgrade heads``, and no more."""
    found = await migrated_columns(database_url, "erp_")
    wanted = {name: {c.name for c in t.columns} for name, t in erp_metadata.tables.items()}
    assert {k: v for k, v in found.items() if k in wanted} == wanted
    assert set(found) - set(wanted) <= {"erp_outbox"}
