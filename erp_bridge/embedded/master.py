"""Master data on the embedded ERP: records added or replaced by key (re-loading the same
rows changes nothing), references checked per row, and the ERP's own balances kept: a
customer's balances and history stay, a stock count keeps what orders hold, an input document
adds to stock once, legacy titles reset the customer's open receivables to its open titles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from erp_bridge.domain import entities as e
from erp_bridge.domain.books import key_of
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.master import RowOutcome, Touched
from erp_bridge.domain.money import MAX_AMOUNT, MAX_QUANTITY, ZERO
from erp_bridge.embedded.seed import load_keys
from erp_bridge.embedded.store import C, ErpStore, log
from erp_bridge.embedded.uow import UnitOfWork

# what a customer row may change: registration and credit data, not balances or history
CUSTOMER_FIELDS = (
    "name",
    "tax_id",
    "phone",
    "phone2",
    "seller",
    "risk",
    "size_class",
    "credit_limit",
    "credit_limit_expiry",
    "secondary_limit",
    "limit_currency",
    "blocked",
    "payment_terms",
    "price_table",
)
CREDIT_FIELDS = ("risk", "credit_limit", "credit_limit_expiry", "secondary_limit", "blocked")

# kind -> the references each record needs: (record type, fields giving its key, what)
REFERENCES: dict[type, tuple[tuple[type, tuple[str, ...], str], ...]] = {
    e.Customer: ((e.PaymentTerms, ("payment_terms",), "payment_terms"),),
    e.CustomerContact: ((e.Customer, ("customer_code", "customer_store"), "customer"),),
    e.BomLine: (
        (e.Product, ("product",), "product"),
        (e.Product, ("component",), "component"),
    ),
    e.Stock: ((e.Product, ("product",), "product"),),
    e.StockEntry: ((e.Product, ("product",), "product"),),
    e.PriceTableItem: (
        (e.PriceTable, ("table",), "price_table"),
        (e.Product, ("product",), "product"),
    ),
    e.Receivable: ((e.Customer, ("customer_code", "customer_store"), "customer"),),
}


# A file's batches look their keys up by one statement, prepared once per connection; after
# a few runs PostgreSQL keeps a generic plan for it, made while the table was small (a scan
# of the whole table) and not made again as the file fills it (until an analyze of the
# table, whenever autovacuum gets to it): each batch of a large first load read every row
# loaded so far. Planned for each batch instead, the lookup uses the key's index.
_CUSTOM_PLANS = sa.text("SET LOCAL plan_cache_mode = force_custom_plan")


class MasterDesk(ErpStore):
    """Master data of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`."""

    async def load_master(
        self, records: Sequence[tuple[int, Any]], *, touched: Touched | None = None
    ) -> list[RowOutcome]:
        """Add or replace ``records`` (each with its file line) of one type in one
        transaction; answers one outcome per record."""
        if not records:
            return []
        cls = type(records[0][1])
        touched = touched if touched is not None else Touched()
        async with self.write() as uow:
            if self._pg:  # see _CUSTOM_PLANS
                await uow.conn.execute(_CUSTOM_PLANS)
            refused = await self._check_references(uow, cls, records)
            good = [(n, r) for n, r in records if n not in refused]
            keys = list(dict.fromkeys(key_of(r) for _, r in good))
            stored = {key_of(x): x for x in await load_keys(uow, cls, keys, lock=True)}
            before = {k: dataclasses.asdict(x) for k, x in stored.items()}
            outcomes = [refused[n] for n, _ in records if n in refused]
            if cls is e.StockEntry:
                pairs = sorted({(r.product, r.warehouse) for _, r in good})
                await load_keys(uow, e.Stock, pairs, lock=True)
            for line, record in good:
                outcomes.append(self._apply(uow, line, record, stored, before, touched))
            if cls is e.Receivable:
                owners = {(r.customer_code, r.customer_store) for _, r in good}
                await self._reset_receivables(uow, owners)
            log.info(
                "erp_master_loaded", kind=cls.__name__, rows=len(records), refused=len(refused)
            )
        return sorted(outcomes, key=lambda o: o.line)

    async def _check_references(
        self, uow: UnitOfWork, cls: type, records: Sequence[tuple[int, Any]]
    ) -> dict[int, RowOutcome]:
        refused: dict[int, RowOutcome] = {}
        for ref_cls, fields, what in REFERENCES.get(cls, ()):
            wanted = {tuple(getattr(r, f) for f in fields) for _, r in records}
            wanted = {k for k in wanted if all(k)}
            have = {key_of(x) for x in await load_keys(uow, ref_cls, sorted(wanted))}
            for line, record in records:
                key = tuple(getattr(record, f) for f in fields)
                if all(key) and key not in have and line not in refused:
                    said = f"no {what.replace('_', ' ')} {'/'.join(key)}"
                    refused[line] = RowOutcome(line, "refused", fields[-1], said)
        if cls is e.Customer:
            tables = sorted({(r.price_table,) for _, r in records if r.price_table})
            have_tables = {key_of(x)[0] for x in await load_keys(uow, e.PriceTable, tables)}
            for line, record in records:
                table = record.price_table
                if table and table not in have_tables and line not in refused:
                    refused[line] = RowOutcome(
                        line, "refused", "price_table", f"no price table {table}"
                    )
        return refused

    def _apply(
        self,
        uow: UnitOfWork,
        line: int,
        record: Any,
        stored: dict[tuple[Any, ...], Any],
        before: dict[tuple[Any, ...], dict[str, Any]],
        touched: Touched,
    ) -> RowOutcome:
        key = key_of(record)
        old = stored.get(key)
        prior = before.get(key, {})  # empty: the record came earlier in this batch
        if isinstance(record, e.StockEntry):
            return self._enter_stock(uow, line, record, old, touched)
        if old is None:
            if isinstance(record, e.Customer):
                touched.credit.add(key)
            if isinstance(record, e.Stock):
                touched.stock.add(key)
            stored[key] = uow.books.add(record)
            return RowOutcome(line, "added")
        if isinstance(record, e.Customer):
            for name in CUSTOMER_FIELDS:
                setattr(old, name, getattr(record, name))
            if any(prior.get(n) != getattr(old, n) for n in CREDIT_FIELDS):
                touched.credit.add(key)
        elif isinstance(record, e.Stock):
            held = old.reserved + old.allocated
            if record.on_hand < held:
                return RowOutcome(
                    line, "refused", "on_hand", f"orders and reservations hold {held}"
                )
            if record.on_hand > old.on_hand:
                touched.stock.add(key)
            old.on_hand = record.on_hand
        elif isinstance(record, e.Receivable):
            if record.balance < old.balance:  # paid in the legacy books
                touched.credit.add((old.customer_code, old.customer_store))
            for name in ("issued", "due", "value", "balance", "status"):
                setattr(old, name, getattr(record, name))
        else:
            for f in dataclasses.fields(record):
                setattr(old, f.name, getattr(record, f.name))
        now = dataclasses.asdict(old)
        return RowOutcome(line, "unchanged" if now == prior else "changed")

    def _enter_stock(
        self, uow: UnitOfWork, line: int, entry: e.StockEntry, old: Any, touched: Touched
    ) -> RowOutcome:
        if old is not None:
            return RowOutcome(line, "unchanged")
        stock = uow.books.get(e.Stock, entry.product, entry.warehouse)
        if (stock.on_hand if stock else ZERO) + entry.quantity > MAX_QUANTITY:
            said = f"stock of {entry.product} would pass {MAX_QUANTITY}"
            return RowOutcome(line, "refused", "quantity", said)
        uow.books.add(entry)
        if stock is None:
            stock = uow.books.add(e.Stock(entry.product, entry.warehouse))
        stock.on_hand += entry.quantity
        touched.stock.add((entry.product, entry.warehouse))
        return RowOutcome(line, "added")

    async def _reset_receivables(self, uow: UnitOfWork, customers: set[tuple[str, str]]) -> None:
        """Each customer's open receivables and largest title from its titles."""
        keys = sorted(customers)
        found = await load_keys(uow, e.Customer, keys, lock=True)
        t = C[e.Receivable]
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            await uow.load(
                e.Receivable,
                t.customer_code.in_({c for c, _ in chunk}),
                t.customer_store.in_({s for _, s in chunk}),
            )
        for customer in found:  # stored titles and the ones just added
            mine = uow.books.where(
                e.Receivable, customer_code=customer.code, customer_store=customer.store
            )
            customer.open_receivables = sum((x.balance for x in mine if x.status == "open"), ZERO)
            if customer.open_receivables > MAX_AMOUNT:
                raise ErpError(
                    "amount_too_large",
                    f"the open titles of {customer.code}/{customer.store} would pass "
                    f"{MAX_AMOUNT}; nothing of this batch was loaded",
                )
            customer.largest_title = max([customer.largest_title, *(x.value for x in mine)])
