"""Refreshing a telecobrança list in place: the selection of the day against the list's leads
(one transaction; the refresh is recorded as an upload so the list's history shows it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from campaigns.domain.leads import Lead
from campaigns.port import CollectionSync, DialList
from campaigns.sql.tables import leads, phones, uploads

CALLABLE = "new"
SETTLED = "settled"


async def _taken_phones(conn: AsyncConnection, scope: str, numbers: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(numbers), 900):
        part = numbers[start : start + 900]
        q = sa.select(phones.c.number).where(phones.c.scope == scope, phones.c.number.in_(part))
        taken.update((await conn.execute(q)).scalars())
    return taken


async def sync_collection(
    conn: AsyncConnection, dial_list: DialList, batch: Sequence[Lead], upload_id: int,
    now: datetime,
) -> CollectionSync:  # fmt: skip
    """Apply the selection ``batch`` to the list on ``conn`` (see ``ListStore``)."""
    rows = (
        await conn.execute(
            sa.select(leads.c.id, leads.c.lead_key, leads.c.list_id, leads.c.status).where(
                leads.c.scope == dial_list.scope
            )
        )
    ).all()
    mine = {r.lead_key: r for r in rows if r.list_id == dial_list.id}
    elsewhere = {r.lead_key for r in rows if r.list_id != dial_list.id}
    wanted = {lead.key for lead in batch}
    added = kept = reopened = skipped = 0
    new: list[Lead] = []
    for lead in batch:
        if lead.key in elsewhere:
            skipped += 1
            continue
        row = mine.get(lead.key)
        if row is None:
            new.append(lead)
            continue
        values: dict[str, object] = {"custom": lead.custom, "name": lead.name}
        if row.status == SETTLED:
            values["status"] = CALLABLE
            reopened += 1
        else:
            kept += 1
        await conn.execute(leads.update().where(leads.c.id == row.id).values(**values))
    settle = [
        r.id for key, r in mine.items() if key not in wanted and r.status in (CALLABLE, "retry")
    ]
    for start in range(0, len(settle), 900):
        await conn.execute(
            leads.update().where(leads.c.id.in_(settle[start : start + 900])).values(status=SETTLED)
        )
    if new:
        await conn.execute(
            leads.insert(),
            [
                {
                    "scope": dial_list.scope, "lead_key": lead.key, "list_id": dial_list.id,
                    "upload_id": upload_id, "line": lead.line, "external_id": lead.external_id,
                    "name": lead.name, "tax_id": lead.tax_id, "email": lead.email,
                    "state": lead.state, "city": lead.city, "timezone": lead.timezone,
                    "custom": lead.custom, "status": CALLABLE, "created_at": now,
                }
                for lead in new
            ],
        )  # fmt: skip
        added = len(new)
        numbers = sorted({p.number for lead in new for p in lead.phones})
        taken = await _taken_phones(conn, dial_list.scope, numbers)
        phone_rows = []
        for lead in new:
            for position, phone in enumerate(lead.phones, start=1):
                if phone.number in taken:
                    continue
                taken.add(phone.number)
                phone_rows.append(
                    {"scope": dial_list.scope, "number": phone.number, "lead_key": lead.key,
                     "position": position, "zones": ",".join(phone.zones)[:255]}
                )  # fmt: skip
        if phone_rows:
            await conn.execute(phones.insert(), phone_rows)
    result = CollectionSync(upload_id, added, kept, reopened, len(settle), skipped)
    await conn.execute(
        uploads.update()
        .where(uploads.c.id == upload_id)
        .values(
            status="done", rows_read=len(batch), leads_added=added, finished_at=now,
            reasons={"kept": kept, "reopened": reopened, "settled": len(settle),
                     "skipped": skipped},
        )
    )  # fmt: skip
    return result
