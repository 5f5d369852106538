"""OpenAPI 3.1 ``paths`` of the ERP endpoints, built from the route table (the summary is the
handler's docstring, the roles its ``allow`` list), for merging into the API's document."""

from __future__ import annotations

import re
from typing import Any

from atende.web.erp_routes import ROUTES

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "problem": {"type": "string"},
                        },
                    },
                },
            },
            "required": ["code", "message"],
        }
    },
}


def erp_paths() -> dict[str, Any]:
    """The ``paths`` object of the ERP endpoints."""
    paths: dict[str, Any] = {}
    for method, path, handler, ok in ROUTES:
        doc = " ".join((handler.__doc__ or "").split())
        roles = sorted(r.value for r in getattr(handler, "allowed_roles", ()))
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", path)
        ]
        op: dict[str, Any] = {
            "operationId": handler.__name__,
            "summary": doc.split(". ")[0].rstrip("."),
            "description": f"{doc}\n\nRoles: {', '.join(roles)}.",
            "tags": ["erp"],
            "security": [{"bearer": []}],
            "x-roles": roles,
            "parameters": params,
            "responses": {
                str(ok): {"description": "OK"},
                "401": {"description": "no or bad token", "content": _json(ERROR)},
                "403": {"description": "role may not do this", "content": _json(ERROR)},
                "404": {"description": "unknown record (code *_unknown)", "content": _json(ERROR)},
                "409": {"description": "refused by the ERP's rules", "content": _json(ERROR)},
                "422": {"description": "malformed input", "content": _json(ERROR)},
            },
        }
        if method in ("POST", "PATCH", "PUT"):
            op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
        paths.setdefault(path, {})[method.lower()] = op
    return paths


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def erp_openapi() -> dict[str, Any]:
    """A standalone document of the ERP endpoints (the lead may merge ``erp_paths()``)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Atende ERP API", "version": "1"},
        "paths": erp_paths(),
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
