"""``SqlCampaignStore``: stored campaigns in ``campaign_definitions`` (SQLite, PostgreSQL).

The columns searched on (name, kind, status, times) are columns; the other settings are one
JSON document read back through the :class:`Campaign` model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from campaigns.domain.campaign import Campaign
from campaigns.domain.errors import CampaignError
from campaigns.sql.tables import definitions

_COLUMNS = {"id", "name", "kind", "status", "created_at", "updated_at", "started_at"}


def _row(campaign: Campaign) -> dict[str, Any]:
    settings = campaign.model_dump(mode="json", exclude=_COLUMNS)
    return {
        "name": campaign.name,
        "kind": campaign.kind,
        "status": campaign.status,
        "settings": settings,
        "created_at": campaign.created_at,
        "updated_at": campaign.updated_at,
        "started_at": campaign.started_at,
    }


def _aware(value: Any) -> Any:
    """SQLite gives back naive times; they were stored in UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _campaign(row: Any) -> Campaign:
    columns = {k: _aware(getattr(row, k)) for k in _COLUMNS}
    return Campaign.model_validate({**row.settings, **columns})


def _exists(name: str) -> CampaignError:
    return CampaignError("campaign_exists", f"a campaign named {name!r} exists")


class SqlCampaignStore:
    """The campaign port on SQLAlchemy 2 async."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign; returns it with its id (``campaign_exists`` on a taken name)."""
        try:
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    sa.select(definitions.c.id).where(definitions.c.name == campaign.name)
                )
                if taken.first() is not None:
                    raise _exists(campaign.name)
                result = await conn.execute(
                    definitions.insert().values(**_row(campaign)).returning(definitions.c.id)
                )
                new_id = int(result.scalar_one())
        except IntegrityError:
            raise _exists(campaign.name) from None
        return campaign.model_copy(update={"id": new_id})

    async def get(self, campaign_id: int) -> Campaign | None:
        """A campaign by id."""
        query = sa.select(definitions).where(definitions.c.id == campaign_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _campaign(row)

    async def all(self) -> list[Campaign]:
        """Every campaign, by name."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(definitions).order_by(definitions.c.name))).all()
        return [_campaign(row) for row in rows]

    async def save(self, campaign: Campaign) -> None:
        """Replace the stored campaign of the same id."""
        try:
            async with self._engine.begin() as conn:
                taken = await conn.execute(
                    sa.select(definitions.c.id).where(
                        definitions.c.name == campaign.name, definitions.c.id != campaign.id
                    )
                )
                if taken.first() is not None:
                    raise _exists(campaign.name)
                await conn.execute(
                    definitions.update()
                    .where(definitions.c.id == campaign.id)
                    .values(**_row(campaign))
                )
        except IntegrityError:
            raise _exists(campaign.name) from None
