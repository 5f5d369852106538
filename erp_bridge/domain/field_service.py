"""Field service: installed base, service tickets, work orders and technician visits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from erp_bridge.domain.books import Books
from erp_bridge.domain.catalog import SALE, SERVICE
from erp_bridge.domain.entities import (
    InstalledBase,
    Product,
    ServiceTicket,
    Visit,
    WorkOrder,
    WorkOrderLine,
)
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.money import cents
from erp_bridge.domain.orders import OrderLine, OrderRequest, ReleaseResult
from erp_bridge.domain.policy import ReleasePolicy
from erp_bridge.domain.release import place_order


@dataclass(frozen=True)
class TicketRequest:
    """A service call as the agent opens it."""

    customer_code: str
    customer_store: str
    product: str
    serial: str
    description: str


def open_ticket(books: Books, req: TicketRequest, today: date) -> ServiceTicket:
    """Open a service call; an unknown serial joins the customer's installed base."""
    books.customer(req.customer_code, req.customer_store)
    books.must(Product, req.product, what="product")
    if not req.description.strip():
        raise ErpError("description_required", "say what is wrong")
    base = books.get(InstalledBase, req.product, req.serial) if req.serial else None
    if base is None and req.serial:
        books.add(InstalledBase(req.product, req.serial, req.customer_code, req.customer_store))
    elif base is not None and (base.customer_code, base.customer_store) != (
        req.customer_code,
        req.customer_store,
    ):
        raise ErpError("serial_of_other_customer", f"serial {req.serial} is installed elsewhere")
    return books.add(
        ServiceTicket(
            number=books.next_number("ticket"),
            customer_code=req.customer_code,
            customer_store=req.customer_store,
            product=req.product,
            serial=req.serial,
            description=req.description.strip(),
            opened_on=today,
        )
    )


def _ticket(books: Books, number: str) -> ServiceTicket:
    return books.must(ServiceTicket, number, what="ticket")


def add_note(books: Books, number: str, note: str) -> ServiceTicket:
    """Append a note to an open ticket."""
    ticket = _ticket(books, number)
    ticket.notes = f"{ticket.notes}\n{note}".strip()
    return ticket


def close_ticket(books: Books, number: str, today: date) -> ServiceTicket:
    """Close a ticket (its work order, if any, must be closed first)."""
    ticket = _ticket(books, number)
    if ticket.work_order:
        wo = books.must(WorkOrder, ticket.work_order, what="work_order")
        if wo.status != "closed":
            raise ErpError("work_order_open", f"work order {wo.number} is still {wo.status}")
    ticket.status, ticket.closed_on = "closed", today
    return ticket


@dataclass(frozen=True)
class WorkLine:
    """A part or service to put on a work order."""

    kind: str
    product: str
    quantity: Decimal
    unit_price: Decimal


def make_work_order(books: Books, number: str, lines: Sequence[WorkLine], today: date) -> WorkOrder:
    """Turn an open ticket into a work order with parts and services."""
    ticket = _ticket(books, number)
    if ticket.status != "open" or ticket.work_order:
        raise ErpError("ticket_not_open", f"ticket {number} is {ticket.status}")
    wo = books.add(
        WorkOrder(
            books.next_number("work_order"),
            ticket.number,
            ticket.customer_code,
            ticket.customer_store,
            today,
        )
    )
    for n, ln in enumerate(lines, 1):
        if ln.kind not in ("part", "service"):
            raise ErpError("line_kind_invalid", "a work order line is a part or a service")
        books.must(Product, ln.product, what="product")
        books.add(
            WorkOrderLine(
                wo.number, f"{n:02d}", ln.kind, ln.product, ln.quantity, cents(ln.unit_price)
            )
        )
    ticket.work_order = wo.number
    return wo


def record_visit(
    books: Books,
    work_order: str,
    technician: str,
    started_at: datetime,
    ended_at: datetime | None,
    closed: bool,
) -> Visit:
    """A technician's visit; a closing visit marks the work order attended."""
    wo = books.must(WorkOrder, work_order, what="work_order")
    if wo.status == "closed":
        raise ErpError("work_order_closed", f"work order {work_order} is closed")
    if ended_at is not None and ended_at < started_at:
        raise ErpError("visit_times_invalid", "a visit ends after it starts")
    visit = books.add(Visit(books.new_id(), work_order, technician, started_at, ended_at, closed))
    if closed:
        wo.status = "attended"
    return visit


def close_work_order(books: Books, work_order: str) -> WorkOrder:
    """Close an attended work order."""
    wo = books.must(WorkOrder, work_order, what="work_order")
    if wo.status != "attended":
        raise ErpError("work_order_not_attended", f"work order {work_order} is {wo.status}")
    wo.status = "closed"
    return wo


def work_order_request(
    books: Books, work_order: str, part_operation: str = SALE, service_operation: str = SERVICE
) -> OrderRequest:
    """The sales order a work order's parts (selling stock) and services (no stock) turn into."""
    wo = books.must(WorkOrder, work_order, what="work_order")
    lines = tuple(
        OrderLine(
            ln.product,
            ln.quantity,
            part_operation if ln.kind == "part" else service_operation,
            ln.unit_price,
        )
        for ln in books.where(WorkOrderLine, work_order=work_order)
    )
    return OrderRequest(wo.customer_code, wo.customer_store, lines, origin="field_service")


def order_from_work_order(
    books: Books, work_order: str, today: date, policy: ReleasePolicy
) -> ReleaseResult:
    """Turn the work order's parts and services into a sales order (then Faturamento rules)."""
    wo = books.must(WorkOrder, work_order, what="work_order")
    if wo.sales_order:
        raise ErpError("work_order_ordered", f"work order {work_order} is order {wo.sales_order}")
    result = place_order(books, work_order_request(books, work_order), today, policy)
    wo.sales_order = result.order
    return result
