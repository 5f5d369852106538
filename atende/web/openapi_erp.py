"""The ERP endpoints as OpenAPI operations, from their route table.

A handler that declares its types with :func:`atende.web.openapi_ops.documented` gets them in
the document; the others are described with a JSON object body.
"""

from __future__ import annotations

from typing import Any

from atende.web.erp_routes import ROUTES
from atende.web.openapi_ops import Operation, document, operation_of

ANY_OBJECT = dict[str, Any]


def erp_operations() -> list[Operation]:
    """One operation per ERP route (404, 409 and 422 are the ERP's refusals)."""
    ops = []
    for method, path, handler, ok in ROUTES:
        op = operation_of(method, path, handler, ok, tags=("erp",))
        body = (
            op.body
            if op.body is not None
            else (ANY_OBJECT if method in ("POST", "PATCH", "PUT") else None)
        )
        refusals = tuple(sorted({*op.refusals, 404, 409, 422, 503}))
        ops.append(
            Operation(
                op.method,
                op.path,
                op.handler,
                op.ok,
                body=body,
                response=op.response,
                refusals=refusals,
                tags=op.tags,
            )
        )
    return ops


def erp_openapi() -> dict[str, Any]:
    """A standalone document of the ERP endpoints."""
    return document(erp_operations(), title="Atende ERP API")
