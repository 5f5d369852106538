"""The customer view: one document per customer store for the agent's screen-pop.

Assembled from the ERP's customer position, the customer's recent orders and open service
tickets, and this contact center's last interactions. Money is a string with cents ("1234.50")
so the document travels through Redis and JSON without losing a cent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, Field

from erp_bridge.domain.money import cents
from erp_bridge.domain.position import CustomerPosition, TitleLine

Money = str


def money(value: Decimal) -> Money:
    """``value`` as a string with cents, rounded half up."""
    return str(cents(value))


class Registration(BaseModel):
    """Who the customer is (SA1)."""

    code: str
    store: str
    name: str
    tax_id: str
    phones: list[str]
    seller: str
    blocked: bool


class CreditPosition(BaseModel):
    """Risk and credit: limit, what uses it, what is overdue and how late the customer pays."""

    risk: str
    size_class: str
    credit_limit: Money
    credit_limit_expiry: date | None
    open_receivables: Money
    open_orders: Money
    released_orders: Money
    limit_balance: Money
    overdue_amount: Money
    largest_delay_days: int
    average_days_late: str
    largest_purchase: Money
    largest_title: Money
    protested_titles: int
    returned_cheques: int
    last_purchase: date | None


class Title(BaseModel):
    """An open receivable; ``overdue`` when its due date has passed."""

    prefix: str
    number: str
    installment: str
    due: date
    value: Money
    balance: Money
    days_late: int
    interest: Money
    overdue: bool


class OrderRow(BaseModel):
    """One release row of an order: item, product, value and its two block codes."""

    item: str
    product: str
    quantity: str
    value: Money
    credit_block: str
    stock_block: str


class RecentOrder(BaseModel):
    """A recent sales order with its release status and block codes."""

    number: str
    issued: date
    status: str
    total: Money
    rows: list[OrderRow]


class OpenTicket(BaseModel):
    """An open service ticket (field service)."""

    number: str
    opened_on: date
    product: str
    serial: str
    description: str
    status: str
    work_order: str


class InteractionLine(BaseModel):
    """One of this contact center's calls with the customer."""

    call_id: str
    agent: str
    queue: str
    started_at: datetime
    ended_at: datetime | None
    disposition: str
    outcome_ref: str


class CustomerView(BaseModel):
    """The screen-pop document. ``stale`` is set when the ERP did not answer and this is the
    last copy read (``age_seconds`` old)."""

    registration: Registration
    credit: CreditPosition
    open_titles: list[Title]
    overdue_titles: list[Title]
    recent_orders: list[RecentOrder]
    orders_available: bool = True
    open_tickets: list[OpenTicket]
    tickets_available: bool = True
    interactions: list[InteractionLine]
    as_of: datetime
    stale: bool = False
    age_seconds: float = 0.0


class Candidate(BaseModel):
    """A customer store matching a phone number or a tax id."""

    code: str
    store: str
    name: str
    tax_id: str
    risk: str
    blocked: bool


class Lookup(BaseModel):
    """Every customer matching one number or tax id (the agent picks one)."""

    key: str
    candidates: list[Candidate]
    stale: bool = False
    age_seconds: float = 0.0


class CallView(BaseModel):
    """What the desktop shows for a call: how the caller was identified and the views of the
    candidates (one when the call's customer is known)."""

    call_id: str
    identified_by: str  # "phone", "tax_id" or "" (not identified)
    key: str
    views: list[CustomerView] = Field(default_factory=list)


def _title(t: TitleLine) -> Title:
    return Title(
        prefix=t.prefix,
        number=t.number,
        installment=t.installment,
        due=t.due,
        value=money(t.value),
        balance=money(t.balance),
        days_late=t.days_late,
        interest=money(t.interest),
        overdue=t.days_late > 0,
    )


def assemble_view(
    position: CustomerPosition,
    *,
    orders: list[RecentOrder] | None,
    tickets: list[OpenTicket] | None,
    interactions: list[InteractionLine],
    as_of: datetime,
) -> CustomerView:
    """The view of one customer store; ``orders``/``tickets`` None when the ERP cannot list
    them (the view says so instead of showing an empty list)."""
    titles = [_title(t) for t in position.open_titles]
    historic_delay = int(getattr(position, "largest_delay", 0) or 0)
    largest_delay = max([historic_delay, *(t.days_late for t in titles)])
    p = position
    return CustomerView(
        registration=Registration(
            code=p.code,
            store=p.store,
            name=p.name,
            tax_id=p.tax_id,
            phones=list(p.phones),
            seller=p.seller,
            blocked=p.blocked,
        ),
        credit=CreditPosition(
            risk=p.risk,
            size_class=p.size_class,
            credit_limit=money(p.credit_limit),
            credit_limit_expiry=p.credit_limit_expiry,
            open_receivables=money(p.open_receivables),
            open_orders=money(p.open_orders),
            released_orders=money(p.released_orders),
            limit_balance=money(p.limit_balance),
            overdue_amount=money(p.overdue_amount),
            largest_delay_days=largest_delay,
            average_days_late=str(p.average_days_late.quantize(Decimal("0.1"), ROUND_HALF_UP)),
            largest_purchase=money(p.largest_purchase),
            largest_title=money(p.largest_title),
            protested_titles=p.protested_titles,
            returned_cheques=p.returned_cheques,
            last_purchase=p.last_purchase,
        ),
        open_titles=titles,
        overdue_titles=[t for t in titles if t.overdue],
        recent_orders=orders or [],
        orders_available=orders is not None,
        open_tickets=tickets or [],
        tickets_available=tickets is not None,
        interactions=interactions,
        as_of=as_of,
    )


def marked_stale(view: CustomerView, now: datetime) -> CustomerView:
    """The last copy, marked stale with its age at ``now``."""
    age = max((now - view.as_of).total_seconds(), 0.0)
    return view.model_copy(update={"stale": True, "age_seconds": round(age, 3)})
