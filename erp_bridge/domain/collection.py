"""Telecobrança: payments, promises to pay (kept or broken) and the overdue work list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.entities import Payment, Promise, PromiseTitle, Receivable
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import ZERO, cents
from erp_bridge.domain.policy import CollectionBracket

TitleKey = tuple[str, str, str]


def title(books: Books, key: TitleKey) -> Receivable:
    """The receivable ``(prefix, number, installment)`` or ``title_unknown``."""
    return books.must(Receivable, *key, what="title")


def interest(balance: Decimal, days_late: int, daily_rate: Decimal) -> Decimal:
    """Simple interest on a late balance, in cents."""
    return cents(balance * daily_rate * max(days_late, 0))


def pay_title(books: Books, key: TitleKey, amount: Decimal, today: date) -> Payment:
    """Receive ``amount`` on a title; a fully paid title enters the days-late average."""
    rec = title(books, key)
    customer = books.customer(rec.customer_code, rec.customer_store)
    if amount <= 0 or amount != cents(amount):
        raise ErpError("amount_invalid", "a payment is a positive amount in cents")
    if rec.status != "open" or amount > rec.balance:
        raise ErpError("overpayment", f"title {rec.ref} has balance {rec.balance}")
    payment = books.add(Payment(books.new_id(), *key, paid_on=today, amount=amount))
    rec.balance -= amount
    customer.open_receivables -= amount
    if rec.balance == 0:
        rec.status = "paid"
        late = Decimal(max((today - rec.due).days, 0))
        n = customer.paid_titles
        customer.average_days_late = cents((customer.average_days_late * n + late) / (n + 1))
        customer.paid_titles = n + 1
        customer.largest_delay = max(customer.largest_delay, int(late))
    settle_promises(books, today, customer.code, customer.store)
    return payment


def promise_titles(books: Books, promise: Promise) -> list[Receivable]:
    """The titles a promise covers."""
    return [
        title(books, (pt.prefix, pt.number, pt.installment))
        for pt in books.where(PromiseTitle, promise=promise.id)
    ]


def register_promise(
    books: Books,
    code: str,
    store: str,
    keys: Sequence[TitleKey],
    promised_on: date,
    amount: Decimal,
    today: date,
    operator: str = "",
    max_days: int | None = None,
) -> Promise:
    """A negotiated promise to pay ``amount`` by ``promised_on`` on the customer's open titles
    (at most ``max_days`` ahead when the negotiation rules bound it)."""
    books.customer(code, store)
    if not keys:
        raise ErpError("promise_without_titles", "a promise names at least one title")
    titles = [title(books, k) for k in keys]
    for rec in titles:
        if (rec.customer_code, rec.customer_store) != (code, store):
            raise ErpError("title_not_of_customer", f"title {rec.ref} is not of {code}/{store}")
        if rec.status != "open":
            raise ErpError("title_not_open", f"title {rec.ref} is already paid")
    if promised_on < today:
        raise ErpError("promise_date_past", f"promised date {promised_on} is before today")
    if max_days is not None and (promised_on - today).days > max_days:
        raise ErpError("promise_too_far", f"a promise can be at most {max_days} days ahead")
    open_total = sum((t.balance for t in titles), ZERO)
    if amount <= 0 or amount != cents(amount) or amount > open_total:
        raise ErpError("promise_amount_invalid", f"amount must be between 0.01 and {open_total}")
    promise = books.add(
        Promise(books.new_id(), code, store, today, promised_on, amount, operator=operator)
    )
    for rec in titles:
        books.add(PromiseTitle(promise.id, rec.prefix, rec.number, rec.installment))
    return promise


def _paid_since(books: Books, promise: Promise) -> Decimal:
    keys = {(t.prefix, t.number, t.installment) for t in promise_titles(books, promise)}
    return sum(
        (
            p.amount
            for p in books.all(Payment)
            if (p.prefix, p.number, p.installment) in keys and p.paid_on >= promise.made_on
        ),
        ZERO,
    )


def settle_promises(
    books: Books, today: date, code: str | None = None, store: str | None = None
) -> list[Promise]:
    """Mark open promises kept (paid in full since made) or broken (date passed, not paid);
    returns the promises whose status changed."""
    changed: list[Promise] = []
    for promise in books.where(Promise, status="open"):
        if code is not None and (promise.customer_code, promise.customer_store) != (code, store):
            continue
        if _paid_since(books, promise) >= promise.amount:
            promise.status = "kept"
        elif promise.promised_on < today:
            promise.status = "broken"
        else:
            continue
        changed.append(promise)
    return changed


@dataclass(frozen=True)
class CollectionItem:
    """An overdue title for the collection work list."""

    customer_code: str
    customer_store: str
    prefix: str
    number: str
    installment: str
    due: date
    days_late: int
    balance: Decimal
    interest: Decimal
    broken_promise: bool


def overdue_titles(
    books: Books, today: date, daily_rate: Decimal, min_days: int = 1
) -> list[CollectionItem]:
    """Open titles overdue by at least ``min_days``, except those under an open promise;
    titles of a broken promise come back flagged. Most late first."""
    covered: set[TitleKey] = set()
    broken: set[TitleKey] = set()
    for promise in books.all(Promise):
        if promise.status == "kept":
            continue
        lapsed = promise.status == "broken" or promise.promised_on < today
        target = broken if lapsed else covered
        for pt in books.where(PromiseTitle, promise=promise.id):
            target.add((pt.prefix, pt.number, pt.installment))
    items = []
    for rec in books.where(Receivable, status="open"):
        key = (rec.prefix, rec.number, rec.installment)
        late = (today - rec.due).days
        if late < min_days or key in covered:
            continue
        items.append(
            CollectionItem(
                rec.customer_code,
                rec.customer_store,
                *key,
                due=rec.due,
                days_late=late,
                balance=rec.balance,
                interest=interest(rec.balance, late, daily_rate),
                broken_promise=key in broken,
            )
        )
    return sorted(items, key=lambda i: (-i.days_late, i.customer_code, i.number))


def assign_brackets(
    items: Sequence[CollectionItem], brackets: Sequence[CollectionBracket]
) -> dict[str, list[CollectionItem]]:
    """Collection work per operator group: each title goes to the first bracket its days
    overdue fall in; titles no bracket takes are left out."""
    work: dict[str, list[CollectionItem]] = {b.group: [] for b in brackets}
    for item in items:
        for bracket in brackets:
            if item.days_late >= bracket.min_days and (
                bracket.max_days is None or item.days_late <= bracket.max_days
            ):
                work[bracket.group].append(item)
                break
    return work
