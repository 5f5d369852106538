"""``SqlListStore``: the list port on SQLAlchemy 2 async (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from campaigns.domain.leads import Lead, Problem
from campaigns.port import CollectionSync, DialList, ListSummary, Upload, UploadCounts
from campaigns.sql.tables import do_not_call, leads, lists, phones, upload_problems, uploads

_CHUNK = 900  # parameters per IN (...) lookup, under SQLite's and asyncpg's limits


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


@dataclass(frozen=True)
class Same:
    """One value for every row of an insert (bound once, not per row)."""

    value: Any


@dataclass(frozen=True)
class Encoded:
    """Values of a column already in the driver's form (no bind processor run on them)."""

    values: Sequence[Any]


_json_text = json.JSONEncoder().encode  # what the JSON type's bind processor makes of a value


async def _insert_many(
    conn: AsyncConnection, table: sa.Table, count: int, columns: Mapping[str, Any]
) -> None:
    """Insert ``count`` rows given column by column (a sequence per column, :class:`Same` or
    :class:`Encoded`) with one driver ``executemany`` (``COPY`` on PostgreSQL).

    The statement is compiled once for the connection's dialect and the values pass through
    each column type's own bind processor, which is what SQLAlchemy's executemany does per
    row; doing it here, column by column and once for a value all rows share, keeps a
    1,000,000-row upload from spending its time building parameter dictionaries.
    """
    dialect = conn.dialect
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(columns))
    order = list(compiled.positiontup or columns)
    values: list[Iterable[Any]] = []
    for key in order:
        proc = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        given = columns[key]
        if isinstance(given, Same):
            values.append(repeat(given.value if proc is None else proc(given.value), count))
        elif isinstance(given, Encoded):
            values.append(given.values)
        else:
            values.append(given if proc is None else [proc(v) for v in given])
    params = list(zip(*values, strict=False))
    if dialect.name == "postgresql":  # COPY: the fastest way in, inside the transaction
        raw = await conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=params, columns=order
        )
        return
    await conn.exec_driver_sql(str(compiled), params)


# PostgreSQL: each lookup one statement built once, its values one array parameter. (An
# array literal built per call leaves a reference cycle holding the batch's values, which
# only the garbage collector's rare full walks free.)
_VALUES = sa.bindparam("values", type_=ARRAY(sa.String))
_PG_KNOWN_KEYS = sa.select(leads.c.lead_key).where(
    leads.c.scope == sa.bindparam("scope"), leads.c.lead_key == sa.any_(_VALUES)
)
_PG_KNOWN_PHONES = sa.select(phones.c.number).where(
    phones.c.scope == sa.bindparam("scope"), phones.c.number == sa.any_(_VALUES)
)
_PG_DO_NOT_CALL = (
    sa.select(do_not_call.c.number, do_not_call.c.register)
    .where(do_not_call.c.number == sa.any_(_VALUES))
    .order_by(do_not_call.c.number, do_not_call.c.register)
)

_SQLITE_KNOWN_KEYS = (
    "SELECT lead_key FROM campaign_leads WHERE scope = ? "
    "AND lead_key IN (SELECT value FROM json_each(?))"
)
_SQLITE_KNOWN_PHONES = (
    "SELECT number FROM campaign_lead_phones WHERE scope = ? "
    "AND number IN (SELECT value FROM json_each(?))"
)
_SQLITE_DO_NOT_CALL = (
    "SELECT number, register FROM campaign_do_not_call "
    "WHERE number IN (SELECT value FROM json_each(?)) ORDER BY number, register"
)


async def _known_sqlite(
    conn: AsyncConnection, scope: str, key_list: list[str], phone_list: list[str]
) -> tuple[set[str], set[str], dict[str, str]]:
    """``known`` on SQLite: each lookup one statement with the values as one JSON array."""
    found_keys: set[str] = set()
    found_phones: set[str] = set()
    registers: dict[str, str] = {}
    if key_list:
        rows = await conn.exec_driver_sql(_SQLITE_KNOWN_KEYS, (scope, json.dumps(key_list)))
        found_keys.update(key for (key,) in rows)
    if phone_list:
        numbers = json.dumps(phone_list)
        rows = await conn.exec_driver_sql(_SQLITE_KNOWN_PHONES, (scope, numbers))
        found_phones.update(number for (number,) in rows)
        hits: Any = await conn.exec_driver_sql(_SQLITE_DO_NOT_CALL, (numbers,))
        for number, register in hits:
            registers.setdefault(number, register)
    return found_keys, found_phones, registers


def _upload(row: Any) -> Upload:
    return Upload(
        id=row.id,
        list_id=row.list_id,
        file_name=row.file_name,
        file_hash=row.file_hash,
        status=row.status,
        counts=UploadCounts(row.rows_read, row.leads_added, row.rows_rejected, row.problems),
        reasons=dict(row.reasons or {}),
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
    )


class SqlListStore:
    """Lists, leads, phones, do-not-call registers and upload reports in ``campaign_*``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._added = 0  # leads this store added since it last refreshed PostgreSQL's statistics
        self._next_analyze = 1

    async def _refresh_statistics(self, conn: AsyncConnection, added: int) -> None:
        """On PostgreSQL, ``ANALYZE`` the lead tables after the first batch and whenever the
        leads added have doubled: the duplicate lookups of a growing list then keep using both
        columns of the (scope, key) indexes instead of scanning the whole scope."""
        if conn.dialect.name != "postgresql":
            return
        self._added += added
        if self._added >= self._next_analyze:
            await conn.exec_driver_sql("ANALYZE campaign_leads, campaign_lead_phones")
            self._next_analyze = max(2 * self._added, 10_000)

    async def ensure_list(self, name: str, campaign: str | None, now: datetime) -> DialList:
        """The list named ``name`` (created with ``campaign`` when new)."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(sa.select(lists).where(lists.c.name == name))).first()
            if row is None:
                scope = f"campaign:{campaign}" if campaign else f"list:{name}"
                await conn.execute(
                    lists.insert().values(name=name, campaign=campaign, scope=scope, created_at=now)
                )
                row = (await conn.execute(sa.select(lists).where(lists.c.name == name))).one()
        return DialList(row.id, row.name, row.campaign, row.scope)

    async def lists(self, ids: Iterable[int] | None = None) -> list[ListSummary]:
        """Every list (or those of ``ids``) with its leads in all and still to call."""
        to_call = leads.c.status.in_(("new", "retry"))  # never dialled, or due again
        remaining = sa.func.sum(sa.case((to_call, 1), else_=0))
        query = (
            sa.select(lists, sa.func.count(leads.c.id).label("n"), remaining.label("left"))
            .select_from(lists.outerjoin(leads, leads.c.list_id == lists.c.id))
            .group_by(*lists.c)
            .order_by(lists.c.name)
        )
        if ids is not None:
            query = query.where(lists.c.id.in_(list(ids)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [ListSummary(r.id, r.name, r.campaign, int(r.n), int(r.left or 0)) for r in rows]

    async def lead_statuses(self, list_ids: Iterable[int]) -> dict[str, int]:
        """Leads of the lists by status."""
        query = (
            sa.select(leads.c.status, sa.func.count())
            .where(leads.c.list_id.in_(list(list_ids)))
            .group_by(leads.c.status)
        )
        async with self._engine.connect() as conn:
            return {status: int(n) for status, n in (await conn.execute(query)).all()}

    async def find_upload(self, list_id: int, file_hash: str) -> Upload | None:
        """A finished upload of the same bytes to the same list, if any."""
        query = sa.select(uploads).where(
            uploads.c.list_id == list_id,
            uploads.c.file_hash == file_hash,
            uploads.c.status == "done",
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query.order_by(uploads.c.id))).first()
        return None if row is None else _upload(row)

    async def get_upload(self, upload_id: int) -> Upload | None:
        """An upload by id."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(uploads).where(uploads.c.id == upload_id))).first()
        return None if row is None else _upload(row)

    async def start_upload(
        self, dial_list: DialList, file_name: str, file_hash: str, now: datetime
    ) -> int:
        """Record a running upload; returns its id."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                uploads.insert()
                .values(
                    list_id=dial_list.id,
                    file_name=file_name[:255],
                    file_hash=file_hash,
                    status="running",
                    reasons={},
                    started_at=now,
                )
                .returning(uploads.c.id)
            )
            return int(result.scalar_one())

    async def known(
        self, scope: str, keys: Iterable[str], phones_: Iterable[str]
    ) -> tuple[set[str], set[str], dict[str, str]]:
        """Keys and phones already in ``scope``; phones on a do-not-call register.

        One statement per lookup whatever the batch's size, its values passed as one
        parameter: an array on PostgreSQL (``= ANY``), a JSON array on SQLite
        (``IN (SELECT value FROM json_each(?))``, which walks the same unique indexes).
        """
        key_list, phone_list = sorted(set(keys)), sorted(set(phones_))
        found_keys: set[str] = set()
        found_phones: set[str] = set()
        registers: dict[str, str] = {}
        async with self._engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                return await _known_sqlite(conn, scope, key_list, phone_list)
            if key_list:
                rows = await conn.execute(_PG_KNOWN_KEYS, {"scope": scope, "values": key_list})
                found_keys.update(rows.scalars())
            if phone_list:
                values = {"scope": scope, "values": phone_list}
                found_phones.update((await conn.execute(_PG_KNOWN_PHONES, values)).scalars())
                hits = await conn.execute(_PG_DO_NOT_CALL, {"values": phone_list})
                for number, register in hits.all():
                    registers.setdefault(number, register)
        return found_keys, found_phones, registers

    async def add_batch(
        self,
        upload_id: int,
        dial_list: DialList,
        batch: Sequence[Lead],
        problems: Sequence[Problem],
        counts: UploadCounts,
        now: datetime,
    ) -> None:
        """Store leads, their phones, the problems and the running counts in one transaction."""
        scope = Same(dial_list.scope)
        lead_columns = {
            "scope": scope,
            "lead_key": [lead.key for lead in batch],
            "list_id": Same(dial_list.id),
            "upload_id": Same(upload_id),
            "line": [lead.line for lead in batch],
            "external_id": [lead.external_id for lead in batch],
            "name": [lead.name for lead in batch],
            "tax_id": [lead.tax_id for lead in batch],
            "email": [lead.email for lead in batch],
            "state": [lead.state for lead in batch],
            "city": [lead.city for lead in batch],
            "timezone": [lead.timezone for lead in batch],
            "custom": Encoded([_json_text(lead.custom) if lead.custom else "{}" for lead in batch]),
            "status": Same("new"),
            "created_at": Same(now),
        }
        numbers, keys, positions, zones = [], [], [], []
        for lead in batch:
            for position, phone in enumerate(lead.phones, start=1):
                numbers.append(phone.number)
                keys.append(lead.key)
                positions.append(position)
                zones.append(",".join(phone.zones)[:255])
        phone_columns = {
            "scope": scope, "number": numbers, "lead_key": keys, "position": positions,
            "zones": zones,
        }  # fmt: skip
        problem_columns = {
            "upload_id": Same(upload_id),
            "line": [p.line for p in problems],
            "field": [p.field[:255] for p in problems],
            "reason": [p.reason for p in problems],
            "message": [p.message[:512] for p in problems],
            "value": [p.value[:128] for p in problems],
            "loaded": [p.loaded for p in problems],
        }
        async with self._engine.begin() as conn:
            await conn.execute(  # first: it opens the transaction the COPY then runs in
                uploads.update()
                .where(uploads.c.id == upload_id)
                .values(
                    rows_read=counts.rows_read,
                    leads_added=counts.leads_added,
                    rows_rejected=counts.rows_rejected,
                    problems=counts.problems,
                )
            )
            if batch:
                await _insert_many(conn, leads, len(batch), lead_columns)
                await _insert_many(conn, phones, len(numbers), phone_columns)
                await self._refresh_statistics(conn, len(batch))
            if problems:
                await _insert_many(conn, upload_problems, len(problems), problem_columns)

    async def finish_upload(
        self, upload_id: int, status: str, reasons: Mapping[str, int], now: datetime, error: str
    ) -> None:
        """Mark the upload done (or failed) with its counts by reason."""
        async with self._engine.begin() as conn:
            await conn.execute(
                uploads.update()
                .where(uploads.c.id == upload_id)
                .values(status=status, reasons=dict(reasons), finished_at=now, error=error)
            )

    async def problems(self, upload_id: int) -> AsyncIterator[Problem]:
        """Every problem of an upload in file order, read in pages."""
        last = (-1, -1)
        while True:
            query = (
                sa.select(upload_problems)
                .where(
                    upload_problems.c.upload_id == upload_id,
                    sa.tuple_(upload_problems.c.line, upload_problems.c.id) > sa.tuple_(*last),
                )
                .order_by(upload_problems.c.line, upload_problems.c.id)
                .limit(2000)
            )
            async with self._engine.connect() as conn:
                page = (await conn.execute(query)).all()
            for row in page:
                yield Problem(row.line, row.field, row.reason, row.message, row.value, row.loaded)
            if len(page) < 2000:
                return
            last = (page[-1].line, page[-1].id)

    async def add_do_not_call(self, numbers: Iterable[str], register: str, now: datetime) -> int:
        """Add numbers to a register; returns how many were new."""
        wanted = sorted(set(numbers))
        added = 0
        async with self._engine.begin() as conn:
            for part in _chunks(wanted):
                q = sa.select(do_not_call.c.number).where(
                    do_not_call.c.register == register, do_not_call.c.number.in_(part)
                )
                have = set((await conn.execute(q)).scalars())
                rows = [
                    {"number": n, "register": register, "added_at": now}
                    for n in part
                    if n not in have
                ]
                if rows:
                    await conn.execute(do_not_call.insert(), rows)
                    added += len(rows)
        return added

    async def sync_collection(
        self, dial_list: DialList, batch: Sequence[Lead], now: datetime
    ) -> CollectionSync:
        """Make the list's leads the selection ``batch`` (see ``collection_sync``)."""
        from campaigns.sql.collection_sync import sync_collection

        upload_id = await self.start_upload(dial_list, "erp:overdue-receivables", "erp", now)
        async with self._engine.begin() as conn:
            return await sync_collection(conn, dial_list, batch, upload_id, now)
