"""The ACD's configuration (agents, queues) and its queue log, in SQL (tables ``acd_*``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from acd.domain import AgentConfig, QueueConfig, QueueEvent, QueueLogRecord

_meta = sa.MetaData()

acd_queues = sa.Table(
    "acd_queues",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
acd_agents = sa.Table(
    "acd_agents",
    _meta,
    sa.Column("agent_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("interface", sa.String(255), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("username", sa.String(64), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
acd_queue_log = sa.Table(
    "acd_queue_log",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("call_id", sa.String(64), nullable=False),
    sa.Column("queue", sa.String(64), nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    # the reports read by time range (migration acd_0001)
    sa.Index("ix_acd_queue_log_time", "time"),
)


# the queue log's insert, built once; its SQL for SQLite compiled once (columns in order)
_LOG_COLUMNS = ("time", "call_id", "queue", "agent", "event", "data")
_LOG_INSERT = acd_queue_log.insert()


@functools.lru_cache(maxsize=4)
def _sqlite_log_insert(dialect: Any) -> str:
    values: dict[str, Any] = {name: sa.bindparam(name) for name in _LOG_COLUMNS}
    compiled = acd_queue_log.insert().values(values).compile(dialect=dialect)
    assert tuple(compiled.positiontup or ()) == _LOG_COLUMNS  # the rows' order
    return compiled.string


class AcdConfigStore:
    """Agents and queues as configured, and every queue-log record, in the database."""

    def __init__(self, db: AsyncEngine) -> None:
        self.db = db

    # ---------------------------------------------------------------- queues
    async def queues(self) -> list[QueueConfig]:
        async with self.db.connect() as conn:
            rows = (await conn.execute(sa.select(acd_queues).order_by(acd_queues.c.name))).all()
        return [QueueConfig.model_validate(row.config) for row in rows]

    async def queue(self, name: str) -> QueueConfig | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(acd_queues).where(acd_queues.c.name == name))
            ).first()
        return None if row is None else QueueConfig.model_validate(row.config)

    async def save_queue(self, config: QueueConfig) -> bool:
        """Insert or replace; True when the queue is new."""
        data = config.model_dump(mode="json")
        now = datetime.now(UTC)
        async with self.db.begin() as conn:
            exists = (
                await conn.execute(
                    sa.select(acd_queues.c.name).where(acd_queues.c.name == config.name)
                )
            ).first()
            if exists:
                await conn.execute(
                    acd_queues.update()
                    .where(acd_queues.c.name == config.name)
                    .values(config=data, updated_at=now)
                )
                return False
            await conn.execute(
                acd_queues.insert().values(name=config.name, config=data, updated_at=now)
            )
            return True

    # ---------------------------------------------------------------- agents
    async def agents(self) -> list[dict[str, Any]]:
        async with self.db.connect() as conn:
            rows = (await conn.execute(sa.select(acd_agents).order_by(acd_agents.c.agent_id))).all()
        return [_agent_row(row) for row in rows]

    async def agent(self, agent_id: str) -> dict[str, Any] | None:
        async with self.db.connect() as conn:
            row = (
                await conn.execute(sa.select(acd_agents).where(acd_agents.c.agent_id == agent_id))
            ).first()
        return None if row is None else _agent_row(row)

    async def save_agent(
        self,
        agent_id: str,
        *,
        interface: str | None = None,
        skills: dict[str, int] | None = None,
        name: str | None = None,
        username: str | None = None,
    ) -> bool:
        """Create (``interface`` required) or update the given fields; True when new."""
        now = datetime.now(UTC)
        async with self.db.begin() as conn:
            exists = (
                await conn.execute(
                    sa.select(acd_agents.c.agent_id).where(acd_agents.c.agent_id == agent_id)
                )
            ).first()
            values: dict[str, Any] = {"updated_at": now}
            for key, value in (
                ("interface", interface),
                ("skills", skills),
                ("name", name),
                ("username", username),
            ):
                if value is not None:
                    values[key] = value
            if exists:
                await conn.execute(
                    acd_agents.update().where(acd_agents.c.agent_id == agent_id).values(**values)
                )
                return False
            values.setdefault("skills", {})
            values.setdefault("name", "")
            await conn.execute(acd_agents.insert().values(agent_id=agent_id, **values))
            return True

    # ---------------------------------------------------------------- queue log
    async def append_log(self, records: Sequence[QueueLogRecord]) -> None:
        """Append a batch in one transaction. On SQLite the insert, compiled once, runs on
        the driver's connection (executemany and commit: two hops to its thread, where
        SQLAlchemy's execution made five); elsewhere through SQLAlchemy."""
        if not records:
            return
        rows = [
            (r.time, r.call_id, r.queue, r.agent, str(r.event), "|".join(r.data)) for r in records
        ]
        if self.db.dialect.name != "sqlite":
            async with self.db.begin() as conn:
                await conn.execute(
                    _LOG_INSERT, [dict(zip(_LOG_COLUMNS, row, strict=True)) for row in rows]
                )
            return
        async with self.db.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None  # a checked-out connection
            await driver.executemany(_sqlite_log_insert(conn.dialect), rows)
            await driver.commit()  # a failed batch's transaction is rolled back by the pool

    async def entered(self, call_ids: Sequence[str], since: float) -> set[str]:
        """Which of ``call_ids`` have an ENTERQUEUE at or after ``since`` (written by any
        engine sharing this database)."""
        if not call_ids:
            return set()
        query = sa.select(acd_queue_log.c.call_id).where(
            acd_queue_log.c.event == str(QueueEvent.ENTERQUEUE),
            acd_queue_log.c.time >= since,
            acd_queue_log.c.call_id.in_(list(call_ids)),
        )
        async with self.db.connect() as conn:
            return set((await conn.execute(query)).scalars())

    async def queue_log(self, since: float | None = None) -> list[QueueLogRecord]:
        """Every record (or those at or after ``since``), in the order they were written."""
        query = sa.select(acd_queue_log).order_by(acd_queue_log.c.id)
        if since is not None:
            query = query.where(acd_queue_log.c.time >= since)
        async with self.db.connect() as conn:
            rows = (await conn.execute(query)).all()
        out = []
        for row in rows:
            line = "|".join([repr(row.time), row.call_id, row.queue, row.agent, row.event])
            out.append(QueueLogRecord.from_line(line + ("|" + row.data if row.data else "")))
        return out


def _agent_row(row: Any) -> dict[str, Any]:
    return {
        "agent": row.agent_id,
        "name": row.name,
        "interface": row.interface,
        "skills": dict(row.skills),
        "username": row.username,
    }


def agent_config(row: dict[str, Any]) -> AgentConfig:
    """The routing view of a stored agent."""
    return AgentConfig(row["agent"], row["interface"], dict(row["skills"]))
