"""The ERP's order and ticket lists for the customer view.

:class:`EmbeddedRecords` reads them from the embedded ERP in one snapshot; :class:`NoRecords`
answers None for an ERP with no standard REST for them (Protheus), so the view says "not
available" instead of showing an empty list.
"""

from __future__ import annotations

from crm_sync.domain.view import OpenTicket, OrderRow, RecentOrder, money
from erp_bridge.domain import entities as e
from erp_bridge.domain.money import ZERO
from erp_bridge.domain.orders import order_status
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.embedded.store import C


class EmbeddedRecords:
    """:class:`crm_sync.port.CustomerRecords` on the embedded ERP."""

    def __init__(self, erp: EmbeddedErp) -> None:
        self._erp = erp

    async def recent_orders(self, code: str, store: str, limit: int) -> list[RecentOrder] | None:
        """The last ``limit`` orders (by number), their status and release rows."""
        o, i, r = C[e.SalesOrder], C[e.OrderItem], C[e.ReleaseRow]
        async with self._erp.read() as uow:
            orders = await uow.load(
                e.SalesOrder, o.customer_code == code, o.customer_store == store
            )
            recent = sorted(orders, key=lambda x: (x.issued, x.number), reverse=True)[:limit]
            numbers = [x.number for x in recent]
            items = await uow.load(e.OrderItem, i.order.in_(numbers))
            rows = await uow.load(e.ReleaseRow, r.order.in_(numbers))
        out = []
        for order in recent:
            its = [x for x in items if x.order == order.number]
            rws = sorted(
                (x for x in rows if x.order == order.number), key=lambda x: (x.item, x.sequence)
            )
            out.append(
                RecentOrder(
                    number=order.number,
                    issued=order.issued,
                    status=order_status(its, rws) if its else order.status,
                    total=money(sum((x.value for x in its), ZERO)),
                    rows=[
                        OrderRow(
                            item=x.item,
                            product=x.product,
                            quantity=str(x.quantity.normalize()),
                            value=money(x.value),
                            credit_block=x.credit_block,
                            stock_block=x.stock_block,
                        )
                        for x in rws
                    ],
                )
            )
        return out

    async def open_tickets(self, code: str, store: str) -> list[OpenTicket] | None:
        """Tickets of the customer not closed, oldest first."""
        t = C[e.ServiceTicket]
        async with self._erp.read() as uow:
            found = await uow.load(
                e.ServiceTicket, t.customer_code == code, t.customer_store == store
            )
        return [
            OpenTicket(
                number=x.number,
                opened_on=x.opened_on,
                product=x.product,
                serial=x.serial,
                description=x.description,
                status=x.status,
                work_order=x.work_order,
            )
            for x in sorted(found, key=lambda x: (x.opened_on, x.number))
            if x.status != "closed"
        ]


class NoRecords:
    """An ERP that cannot list orders and tickets per customer."""

    async def recent_orders(self, code: str, store: str, limit: int) -> list[RecentOrder] | None:
        """Not available."""
        return None

    async def open_tickets(self, code: str, store: str) -> list[OpenTicket] | None:
        """Not available."""
        return None
