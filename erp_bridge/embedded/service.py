"""Field service on the embedded ERP: tickets, work orders, visits, work orders to orders."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from erp_bridge.domain import entities as e
from erp_bridge.domain import field_service
from erp_bridge.domain.errors import ErpError, not_found
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.embedded.store import C, ErpStore
from erp_bridge.embedded.uow import UnitOfWork
from erp_bridge.port import (
    TicketResult,
    TicketUpdate,
)


class ServiceDesk(ErpStore):
    """Field-service operations of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`."""

    async def open_service_ticket(
        self, req: TicketRequest, *, idempotency_key: str | None = None
    ) -> TicketResult:
        """Open a service call."""

        async def work(uow: UnitOfWork) -> TicketResult:
            await self._lock_customers(uow, req.customer_code, req.customer_store)
            await uow.load(e.Product, C[e.Product].code == req.product)
            b = C[e.InstalledBase]
            await uow.load(e.InstalledBase, b.product == req.product, b.serial == req.serial)
            await self._sequence(uow, "ticket")
            ticket = field_service.open_ticket(uow.books, req, self.today())
            uow.touch("service_ticket", req.customer_code, req.customer_store, ticket.number)
            return _ticket_result(uow, ticket)

        return await self._once(idempotency_key, "service_ticket", TicketResult, work)

    async def update_service_ticket(self, number: str, update: TicketUpdate) -> TicketResult:
        """Note, work order, visit or close."""
        async with self.write() as uow:
            t = C[e.ServiceTicket]
            head = (
                await uow.conn.execute(
                    sa.select(t.customer_code, t.customer_store).where(t.number == number)
                )
            ).first()
            if head is None:
                raise not_found("ticket", number)
            await self._lock_customers(uow, head.customer_code, head.customer_store)
            (ticket,) = await uow.load(e.ServiceTicket, t.number == number, lock=True)
            if ticket.work_order:
                await uow.load(e.WorkOrder, C[e.WorkOrder].number == ticket.work_order)
            today = self.today()
            if update.note:
                field_service.add_note(uow.books, number, update.note)
            if update.work_lines:
                await uow.load(
                    e.Product, C[e.Product].code.in_([w.product for w in update.work_lines])
                )
                await self._sequence(uow, "work_order")
                field_service.make_work_order(uow.books, number, update.work_lines, today)
            if update.visit is not None:
                if not ticket.work_order:
                    raise ErpError("work_order_missing", f"ticket {number} has no work order")
                v = update.visit
                field_service.record_visit(
                    uow.books, ticket.work_order, v.technician, v.started_at, v.ended_at, v.closed
                )
            order = None
            if update.sales_order:
                if not ticket.work_order:
                    raise ErpError("work_order_missing", f"ticket {number} has no work order")
                lines = await uow.load(
                    e.WorkOrderLine, C[e.WorkOrderLine].work_order == ticket.work_order
                )
                await self._reference(uow)
                await uow.load(e.Product, C[e.Product].code.in_([ln.product for ln in lines]))
                await self._stock(uow, ((ln.product, "01") for ln in lines if ln.kind == "part"))
                await self._draw(uow, "order")
                order = field_service.order_from_work_order(
                    uow.books, ticket.work_order, today, uow.policy
                )
                uow.touch("sales_order", ticket.customer_code, ticket.customer_store, order.order)
            if update.close_work_order:
                field_service.close_work_order(uow.books, ticket.work_order)
            if update.close:
                field_service.close_ticket(uow.books, number, today)
            uow.touch("service_ticket", ticket.customer_code, ticket.customer_store, number)
            result = _ticket_result(uow, ticket)
            if order is not None:
                result = dataclasses.replace(
                    result, sales_order=order.order, order_status=order.status
                )
            return result


def _ticket_result(uow: UnitOfWork, ticket: e.ServiceTicket) -> TicketResult:
    wo = uow.books.get(e.WorkOrder, ticket.work_order) if ticket.work_order else None
    return TicketResult(
        ticket.number,
        ticket.customer_code,
        ticket.customer_store,
        ticket.status,
        ticket.work_order,
        wo.status if wo else "",
        wo.sales_order if wo else "",
    )
