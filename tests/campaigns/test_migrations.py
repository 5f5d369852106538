"""The campaigns Alembic branch creates exactly the tables and columns the list store uses."""

from __future__ import annotations

from campaigns.sql.tables import campaign_metadata
from tests.conftest import migrated_columns


async def test_migrated_schema_matches_tables(database_url: str) -> None:
    """Every campaign_ table and column of the code exists after ``upgrade heads``, no more."""
    found = await migrated_columns(database_url, "campaign_")
    wanted = {name: {c.name for c in t.columns} for name, t in campaign_metadata.tables.items()}
    assert found == wanted
