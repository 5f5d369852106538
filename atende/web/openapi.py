"""``GET /api/openapi.json``: one OpenAPI 3.1 document for every endpoint of the engine."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from atende.auth import Role
from atende.web.acd_api import OPERATIONS as ACD_OPERATIONS
from atende.web.agent_api import OPERATIONS as AGENT_OPERATIONS
from atende.web.call_control_api import OPERATIONS as CALL_CONTROL_OPERATIONS
from atende.web.campaign_figures_stream import OPERATIONS as STREAM_OPERATIONS
from atende.web.campaign_leads_api import OPERATIONS as LEAD_OPERATIONS
from atende.web.campaign_uploads_api import OPERATIONS as UPLOAD_OPERATIONS
from atende.web.campaigns_api import OPERATIONS as CAMPAIGN_OPERATIONS
from atende.web.collection_lists_api import OPERATIONS as COLLECTION_OPERATIONS
from atende.web.crm_api import OPERATIONS as CRM_OPERATIONS
from atende.web.openapi_core import LiveCalls, LoginIn, LoginOut, Me, SignedOut
from atende.web.openapi_erp import erp_operations
from atende.web.openapi_ops import Operation, document, operation_of
from atende.web.preview_api import OPERATIONS as PREVIEW_OPERATIONS
from atende.web.security import allow

WITH_DOCS = ("GET", "POST", "PUT", "PATCH", "DELETE")

DESCRIPTION = (
    'Every error answers `{"error": {"code", "message", "fields"}}` with a stable `code`;'
    " `fields` lists the bad fields of a 422 `invalid_request`."
)


def core_operations() -> list[Operation]:
    """Sign-in, who am I, the live calls and this document."""
    from atende.web.app import live_calls  # app.py registers this module's handler
    from atende.web.sessions import login, logout, me

    return [
        Operation(
            "POST", "/api/login", login, body=LoginIn, response=LoginOut, refusals=(401, 429),
            tags=("auth",),
        ),
        Operation("POST", "/api/logout", logout, response=SignedOut, tags=("auth",)),
        Operation("GET", "/api/me", me, response=Me, tags=("auth",)),
        Operation("GET", "/api/calls", live_calls, response=LiveCalls, tags=("calls",)),
        Operation("GET", "/api/openapi.json", openapi, response=dict[str, Any], tags=("api",)),
    ]  # fmt: skip


TABLES = (*ACD_OPERATIONS, *AGENT_OPERATIONS, *CALL_CONTROL_OPERATIONS, *CRM_OPERATIONS,
          *CAMPAIGN_OPERATIONS, *LEAD_OPERATIONS, *STREAM_OPERATIONS, *UPLOAD_OPERATIONS,
          *COLLECTION_OPERATIONS, *PREVIEW_OPERATIONS)  # fmt: skip


def document_all() -> dict[str, Any]:
    """The engine's API as its route tables describe it: core, ACD, customer and ERP operations."""
    ops = [*core_operations(), *TABLES, *erp_operations()]
    return document(ops, title="Atende API", description=DESCRIPTION)


def document_for(app: web.Application) -> dict[str, Any]:
    """The route tables' operations and every other ``/api/`` route ``app`` serves, described
    from its handler (docstring, roles, path parameters, ``@documented`` types; a JSON object
    body for POST/PUT/PATCH)."""
    ops = [*core_operations(), *TABLES, *erp_operations()]
    described = {(op.method, op.path) for op in ops}
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method not in WITH_DOCS:
            continue
        path = resource.canonical
        if not path.startswith("/api/") or (route.method, path) in described:
            continue
        op = operation_of(route.method, path, route.handler, tags=("other",))
        if op.body is None and route.method in ("POST", "PUT", "PATCH"):
            op = replace(op, body=dict[str, Any])
        ops.append(op)
        described.add((route.method, path))
    return document(ops, title="Atende API", description=DESCRIPTION)


@allow(Role.AGENT, Role.SUPERVISOR, Role.CAMPAIGN_MANAGER)
async def openapi(request: web.Request) -> web.Response:
    """GET /api/openapi.json: the API description (authenticated like every endpoint)."""
    return web.json_response(document_for(request.app))
