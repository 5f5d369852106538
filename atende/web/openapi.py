"""``GET /api/openapi.json``: one OpenAPI 3.1 document for every endpoint of the engine."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from atende.auth import Role
from atende.web.acd_api import OPENAPI as ACD_OPENAPI
from atende.web.openapi_erp import ERROR_SCHEMA, erp_paths
from atende.web.security import allow


def document() -> dict[str, Any]:
    """The ACD and ERP paths with their shared components."""
    components = dict(ACD_OPENAPI["components"])
    components["schemas"] = {**components["schemas"], "Error": ERROR_SCHEMA}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Atende API", "version": "1"},
        "components": components,
        "paths": {**ACD_OPENAPI["paths"], **erp_paths()},
    }


@allow(Role.AGENT, Role.SUPERVISOR, Role.CAMPAIGN_MANAGER)
async def openapi(request: web.Request) -> web.Response:
    """GET /api/openapi.json: the API description (authenticated like every endpoint)."""
    return web.json_response(document())
