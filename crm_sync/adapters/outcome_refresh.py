"""The ERP port as the outbox (and the API) use it, refreshing the customer view after each
write this engine makes for a customer: a sales order, a promise to pay, a service ticket.

This covers ERPs without a change feed (Protheus): the engine's own outcomes still show at the
next screen-pop. Every other call goes straight to the wrapped port.
"""

from __future__ import annotations

from typing import Any, cast

import structlog
from redis.exceptions import RedisError

from crm_sync.app.customer_views import CustomerViews
from erp_bridge.domain.field_service import TicketRequest
from erp_bridge.domain.orders import OrderRequest, ReleaseResult
from erp_bridge.port import ErpPort, PromiseRequest, PromiseResult, TicketResult

log = structlog.get_logger("crm_sync.outcome_refresh")


class _RefreshingErp:
    def __init__(self, port: ErpPort, views: CustomerViews) -> None:
        self._port = port
        self._views = views

    def __getattr__(self, name: str) -> Any:
        return getattr(self._port, name)

    async def _refresh(self, code: str, store: str) -> None:
        try:
            await self._views.invalidate(code, store)
        except (RedisError, OSError) as err:  # the TTL still bounds how old the view gets
            log.warning("customer_view_refresh_failed", customer=code, error=type(err).__name__)

    async def create_sales_order(self, req: OrderRequest, **kw: Any) -> ReleaseResult:
        result = await self._port.create_sales_order(req, **kw)
        await self._refresh(req.customer_code, req.customer_store)
        return result

    async def register_promise(self, req: PromiseRequest, **kw: Any) -> PromiseResult:
        result = await self._port.register_promise(req, **kw)
        await self._refresh(req.customer_code, req.customer_store)
        return result

    async def open_service_ticket(self, req: TicketRequest, **kw: Any) -> TicketResult:
        result = await self._port.open_service_ticket(req, **kw)
        await self._refresh(req.customer_code, req.customer_store)
        return result


def refreshing_views(port: ErpPort, views: CustomerViews) -> ErpPort:
    """``port``, refreshing the customer's view after an order, promise or ticket."""
    return cast(ErpPort, _RefreshingErp(port, views))
