"""The embedded ERP behind the port, on SQLAlchemy async (SQLite and PostgreSQL).

Each write runs in one transaction: lock the customer rows (all stores when credit scope is
``all``), then stock rows, then document sequences, always in that order and in key order, so
concurrent calls on PostgreSQL queue instead of deadlocking; on SQLite writes are serialized.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from erp_bridge import sqlite_reads
from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.phones import normalize_phone
from erp_bridge.domain.position import CustomerPosition, customer_position
from erp_bridge.domain.taxid import normalize_tax_id
from erp_bridge.embedded.master import MasterDesk
from erp_bridge.embedded.reanalysis import ReanalysisDesk
from erp_bridge.embedded.service import ServiceDesk
from erp_bridge.embedded.settings import SettingsDesk
from erp_bridge.embedded.store import C, as_utc, eq_where
from erp_bridge.embedded.tables import changes
from erp_bridge.port import (
    Change,
    CustomerRef,
    ErpPort,
    ProductStock,
)


def _customer_search(where: Any) -> Any:
    """The customers (as :class:`CustomerRef` fields) matching ``where``."""
    c = C[e.Customer]
    columns = (c.code, c.store, c.name, c.tax_id, c.phone, c.risk, c.blocked)
    return sa.select(*columns).where(where)


# built once (the statement's cache key too); the number or tax id is the ``key`` parameter
_CONTACT = C[e.CustomerContact]
_BY_PHONE = _customer_search(
    sa.or_(
        C[e.Customer].phone == sa.bindparam("key"),
        C[e.Customer].phone2 == sa.bindparam("key"),
        sa.tuple_(C[e.Customer].code, C[e.Customer].store).in_(
            sa.select(_CONTACT.customer_code, _CONTACT.customer_store).where(
                _CONTACT.phone == sa.bindparam("key")
            )
        ),
    )
)
_BY_TAX_ID = _customer_search(C[e.Customer].tax_id == sa.bindparam("key"))
# the change feed's read (polled every second), built once
_CHANGES = (
    sa.select(
        changes.c.seq,
        changes.c.kind,
        changes.c.customer_code,
        changes.c.customer_store,
        changes.c.ref,
        changes.c.at,
    )
    .where(changes.c.seq > sa.bindparam("after", type_=sa.Integer))
    .order_by(changes.c.seq)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)


class EmbeddedErp(ReanalysisDesk, ServiceDesk, SettingsDesk, MasterDesk):
    """Implements :class:`erp_bridge.port.ErpPort` on the engine's database."""

    # -- customers and products ---------------------------------------------------------------

    async def find_customers(
        self, *, phone: str | None = None, tax_id: str | None = None
    ) -> list[CustomerRef]:
        """Customers by phone (E.164 after parsing with Brazil as default) or by CPF/CNPJ."""
        if tax_id:
            query, key = _BY_TAX_ID, normalize_tax_id(tax_id)
        elif phone:
            query, key = _BY_PHONE, normalize_phone(phone)
        else:
            raise ErpError("search_empty", "give a phone or a tax id")
        async with self.connect() as conn:
            rows = await sqlite_reads.rows(conn, query, {"key": key})
        return [
            CustomerRef(code, store, name, tax_id, phone, risk, bool(blocked))
            for code, store, name, tax_id, phone, risk, blocked in sorted(
                rows, key=lambda r: (r[0], r[1])
            )
        ]

    async def contacts(self, code: str, store: str) -> list[e.CustomerContact]:
        """The contacts of a customer store, by name."""
        k = C[e.CustomerContact]
        async with self.read() as uow:
            found = await uow.load(
                e.CustomerContact, k.customer_code == code, k.customer_store == store
            )
        return sorted(found, key=lambda x: x.name)

    async def customer_position(self, code: str, store: str) -> CustomerPosition:
        """The customer position, read in one snapshot."""
        async with self.read() as uow:
            cust = {"customer_code": code, "customer_store": store}
            await uow.load(e.Customer, C[e.Customer].code == code, C[e.Customer].store == store)
            await uow.load(e.Receivable, *eq_where(e.Receivable, cust))
            orders = await uow.load(e.SalesOrder, *eq_where(e.SalesOrder, cust))
            numbers = [o.number for o in orders]
            await uow.load(e.OrderItem, C[e.OrderItem].order.in_(numbers))
            await uow.load(e.Invoice, *eq_where(e.Invoice, cust))
            return customer_position(
                uow.books, code, store, self.today(), self._policy.daily_interest
            )

    async def products(
        self, codes: Sequence[str] | None = None, *, warehouse: str = "01", search: str = ""
    ) -> list[ProductStock]:
        """Products with stock in ``warehouse``."""
        p, s = C[e.Product], C[e.Stock]
        where: list[Any] = []
        if codes is not None:
            where.append(p.code.in_(list(codes)))
        if search:
            where.append(sa.or_(p.code.ilike(f"%{search}%"), p.description.ilike(f"%{search}%")))
        async with self.read() as uow:
            products = await uow.load(e.Product, *where)
            await uow.load(
                e.Stock, s.warehouse == warehouse, s.product.in_([x.code for x in products])
            )
            out = []
            for prod in sorted(products, key=lambda x: x.code):
                st = uow.books.get(e.Stock, prod.code, warehouse) or e.Stock(prod.code, warehouse)
                out.append(
                    ProductStock(
                        prod.code,
                        prod.description,
                        prod.kind,
                        prod.unit,
                        prod.list_price,
                        warehouse,
                        st.on_hand,
                        st.available(),
                        st.incoming,
                    )
                )
            return out

    # -- change feed and audit ----------------------------------------------------------------

    async def changes(self, after: int = 0, limit: int = 500) -> list[Change]:
        """Change feed entries after ``after``."""
        async with self._engine.connect() as conn:
            rows = await sqlite_reads.rows(conn, _CHANGES, {"after": after, "limit": limit})
        return [
            Change(seq, kind, code, store, ref, as_utc(at))
            for seq, kind, code, store, ref, at in rows
        ]


def _conforms(erp: EmbeddedErp) -> ErpPort:
    return erp  # mypy checks the embedded ERP against the port
