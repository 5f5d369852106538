"""The ERP endpoints under ``/api/erp``: one table gives both the routes and their OpenAPI
description (roles and summaries come from the handlers themselves)."""

from __future__ import annotations

from aiohttp import web

from atende.web import disposition_api as disp
from atende.web import erp_api as fat
from atende.web import erp_master_api as master
from atende.web import erp_production_api as prod
from atende.web import erp_service_api as svc
from atende.web import erp_settings_api as settings
from atende.web.erp_support import ERP_API, ErpApi
from atende.web.security import Handler

# method, path, handler, status of a success
ROUTES: tuple[tuple[str, str, Handler, int], ...] = (
    ("GET", "/api/erp/customers", fat.search_customers, 200),
    ("GET", "/api/erp/customers/{code}/{store}/position", fat.get_position, 200),
    ("GET", "/api/erp/products", fat.list_products, 200),
    ("POST", "/api/erp/orders", fat.enter_order, 201),
    ("GET", "/api/erp/orders/{number}", fat.get_order, 200),
    ("POST", "/api/erp/orders/{number}/invoice", fat.invoice, 201),
    ("GET", "/api/erp/credit/blocked", fat.list_blocked, 200),
    ("POST", "/api/erp/credit/orders/{number}/release", fat.release_one, 200),
    ("POST", "/api/erp/credit/orders/{number}/reject", fat.reject_one, 200),
    ("POST", "/api/erp/credit/orders/{number}/reverse", fat.reverse_one, 200),
    ("POST", "/api/erp/stock/orders/{number}/hold", fat.hold_stock_one, 200),
    ("POST", "/api/erp/stock/orders/{number}/release", fat.release_stock_one, 200),
    ("POST", "/api/erp/credit/customers/{code}/{store}/release", fat.release_by_customer, 200),
    ("POST", "/api/erp/credit/customers/{code}/{store}/reject", fat.reject_by_customer, 200),
    ("GET", "/api/erp/customers/{code}/{store}/contacts", master.get_contacts, 200),
    ("PUT", "/api/erp/master/{kind}", master.put_rows, 200),
    ("POST", "/api/erp/master/{kind}/import", master.import_file, 200),
    ("GET", "/api/erp/production", prod.list_production, 200),
    ("POST", "/api/erp/production/run", prod.run_production, 201),
    ("POST", "/api/erp/production/{number}/complete", prod.complete, 200),
    ("POST", "/api/erp/payments", prod.pay, 201),
    ("GET", "/api/erp/parameters", settings.get_parameters, 200),
    ("PATCH", "/api/erp/parameters", settings.change_parameters, 200),
    ("GET", "/api/erp/collection", svc.overdue, 200),
    ("POST", "/api/erp/promises", svc.promise, 201),
    ("POST", "/api/erp/tickets", svc.open_ticket, 201),
    ("PATCH", "/api/erp/tickets/{number}", svc.update_ticket, 200),
    ("POST", "/api/erp/outcomes", svc.record_outcome, 202),
    ("GET", "/api/erp/outcomes/{id}", svc.get_outcome, 200),
    ("GET", "/api/erp/calls/{call_id}/outcomes", svc.call_outcomes, 200),
    ("GET", "/api/erp/outbox", svc.outbox_status, 200),
    ("POST", "/api/erp/outbox/{id}/retry", svc.retry, 200),
    ("POST", "/api/calls/{call_id}/disposition", disp.set_disposition, 201),
    ("GET", "/api/calls/{call_id}/disposition", disp.get_dispositions, 200),
    ("PUT", "/api/calls/{call_id}/disposition", disp.correct, 200),
)


def register_erp(app: web.Application, api: ErpApi) -> None:
    """Add the ERP endpoints to ``app``, served by ``api``."""
    app[ERP_API] = api
    for method, path, handler, _ok in ROUTES:
        app.router.add_route(method, path, handler)
