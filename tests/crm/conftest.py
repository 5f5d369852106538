"""Fixtures of the customer view tests: a small ERP world on a real database, real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from atende.db import make_engine
from crm_sync.adapters.erp_records import EmbeddedRecords
from crm_sync.adapters.memory_cache import MemoryViewCache
from crm_sync.adapters.redis_cache import RedisViewCache
from crm_sync.adapters.sql_interactions import SqlInteractions
from crm_sync.app.customer_views import CustomerViews
from crm_sync.port import ViewCache
from erp_bridge.domain import entities as e
from erp_bridge.domain.catalog import standard_operations, standard_terms
from erp_bridge.domain.taxid import cnpj_check_digits, cpf_check_digits
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.seed import add_records
from telephony.twin import Twin
from tests.conftest import REDIS_URL, migrated_sqlite

ERP_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SHARED_PHONE = "+5511987654321"  # the bakery's two stores answer on one number
OTHER_PHONE = "+5521991234567"
BAKERY_CNPJ = "112223330001" + cnpj_check_digits("112223330001")
PERSON_CPF = "123456789" + cpf_check_digits("123456789")
BAKERY_BRANCH_CNPJ = "112223330002" + cnpj_check_digits("112223330002")


def world() -> list[Any]:
    """Customers 000001/01 and /02 (one phone), 000002/01 (a person), coffee in stock, an
    overdue title and an open service ticket for 000001/01."""
    return [
        *standard_operations(),
        *standard_terms(),
        e.Product("P1", "Cafe 500g", "bought", list_price=Decimal("10.00")),
        e.Stock("P1", "01", on_hand=Decimal(100)),
        e.Customer(
            "000001",
            "01",
            "Padaria Boa Vista Ltda",
            BAKERY_CNPJ,
            phone=SHARED_PHONE,
            risk="C",
            credit_limit=Decimal("1000.00"),
            open_receivables=Decimal("250.50"),
            average_days_late=Decimal("3.25"),
        ),
        e.Customer(
            "000001",
            "02",
            "Padaria Boa Vista Filial",
            BAKERY_BRANCH_CNPJ,
            phone=SHARED_PHONE,
            risk="C",
        ),
        e.Customer("000002", "01", "Maria Souza", PERSON_CPF, phone=OTHER_PHONE, risk="B"),
        e.Receivable(
            "NF",
            "000100",
            "A",
            "000001",
            "01",
            date(2026, 10, 1),
            date(2026, 11, 7),
            Decimal("250.50"),
            Decimal("250.50"),
        ),
        e.ServiceTicket(
            "T00001", "000001", "01", "P1", "SN-1", "Moedor travando", date(2026, 11, 20)
        ),
    ]


class Clock:
    """A wall clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def seeded_erp(url: str) -> EmbeddedErp:
    """The embedded ERP on ``url`` (migrated) with :func:`world` loaded."""
    engine = make_engine(url)
    await add_records(engine, world())
    return EmbeddedErp(engine, clock=lambda: ERP_NOW)


@pytest.fixture
async def erp(database_url: str) -> AsyncIterator[EmbeddedErp]:
    """The small world on SQLite and on PostgreSQL."""
    found = await seeded_erp(database_url)
    yield found
    await found._engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh migrated SQLite file (a copy of the test process's template)."""
    return migrated_sqlite(tmp_path / "crm.db")


@pytest.fixture
async def sqlite_erp(sqlite_url: str) -> AsyncIterator[EmbeddedErp]:
    """The small world on a SQLite file (for tests about the cache, not the SQL)."""
    found = await seeded_erp(sqlite_url)
    yield found
    await found._engine.dispose()


@pytest.fixture(params=["redis", "memory"])
async def cache(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[ViewCache]:
    """The real Redis cache (unique prefix) and the in-process one, TTL 60 s."""
    made: ViewCache = (
        RedisViewCache(REDIS_URL, redis_prefix, ttl=60)
        if request.param == "redis"
        else MemoryViewCache(ttl=60)
    )
    yield made
    await made.close()


@pytest.fixture
async def redis_cache(redis_prefix: str) -> AsyncIterator[RedisViewCache]:
    """The real Redis cache only."""
    made = RedisViewCache(REDIS_URL, redis_prefix, ttl=60)
    yield made
    await made.close()


def views_on(erp: Any, cache: ViewCache, clock: Clock | None = None) -> CustomerViews:
    """Customer views over ``erp`` (any port), the embedded ERP's records, ``cache``."""
    embedded = erp if isinstance(erp, EmbeddedErp) else erp.inner
    return CustomerViews(
        erp,
        EmbeddedRecords(embedded),
        cache,
        SqlInteractions(embedded._engine),
        clock=clock or Clock(ERP_NOW),
    )


class WatchedErp:
    """The real embedded ERP behind the port, counting the reads and able to go down (every
    call then fails as an unreachable server does)."""

    def __init__(self, inner: EmbeddedErp) -> None:
        self.inner = inner
        self.reads = 0
        self.down = False

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise ConnectionRefusedError(111, "Connection refused")
            if name in ("find_customers", "customer_position"):
                self.reads += 1
            return await target(*args, **kwargs)

        return call


TAX_ID_PROMPT = "beep"  # a core sound the twin has: the IVR's CPF/CNPJ prompt in the tests


def typing_on_prompt(twin: Twin, typed: dict[str, str]) -> None:
    """Callers of the twin type on the keypad: when the IVR starts ``GET DATA`` of the tax
    id's prompt on the call of a number in ``typed``, that caller presses its keys (once)."""

    def listener(message: list[tuple[str, str]]) -> None:
        fields = dict(message)
        command = fields.get("Command", "")
        if fields.get("Event") != "AGIExecStart" or not command.startswith(
            f"GET DATA {TAX_ID_PROMPT} "
        ):
            return
        keys = typed.pop(fields.get("CallerIDNum", ""), None)
        channel = twin.pbx.find(fields.get("Channel", ""))
        if keys is None or channel is None:
            return
        for key in keys:
            channel.dtmf.put_nowait(key)

    twin.pbx.listeners.append(listener)
