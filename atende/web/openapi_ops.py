"""OpenAPI 3.1 from route tables: one :class:`Operation` per endpoint gives both the aiohttp
route and its description, with bodies and responses described by the same pydantic types
that validate them (models, dataclasses, ``TypedDict``: anything ``TypeAdapter`` reads).

Handlers whose route table carries no types (the ERP's) can declare them on the handler with
:func:`documented`; :func:`operation_of` reads that declaration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from atende.web.errors import ErrorBody
from atende.web.security import Handler

REF = "#/components/schemas/{model}"
Status = Literal[400, 401, 403, 404, 409, 422, 429, 501, 502, 503]
DESCRIPTIONS: dict[int, str] = {
    400: "the body is not a JSON object (`invalid_json`)",
    401: "no token, or a bad or expired one (`unauthenticated`); at sign-in, wrong credentials"
    " (`bad_credentials`)",
    403: "the caller's role may not do this (`forbidden`)",
    404: "the path names nothing that exists (`*_not_found`, `*_unknown`)",
    409: "the current state refuses the request (`*_exists`, `illegal_transition`, ...)",
    422: "malformed fields (`invalid_request` with `fields`) or values the rules refuse",
    429: "too many attempts; try again later",
    501: "not supported by this ERP (`not_supported`)",
    502: "the ERP refused the engine's credentials",
    503: "a dependency is not ready or not reachable (`acd_not_ready`, `erp_unavailable`)",
}


@dataclass(frozen=True)
class Operation:
    """One endpoint: its route and what it accepts and answers."""

    method: str
    path: str
    handler: Handler
    ok: int = 200
    body: Any = None  # the type the request body is read into
    response: Any = None  # the type of the success body
    params: Mapping[str, Any] = field(default_factory=dict)  # path parameter -> type (str)
    refusals: tuple[Status, ...] = ()  # statuses besides 400/401/403/404/422 (409, 503...)
    tags: tuple[str, ...] = ()
    summary: str | None = None  # default: the handler's docstring, first sentence
    description: str | None = None

    def route(self, app: web.Application) -> None:
        """Add the aiohttp route."""
        app.router.add_route(self.method, self.path, self.handler)


def documented(
    body: Any = None, response: Any = None, refusals: tuple[Status, ...] = (), ok: int = 200
) -> Callable[[Handler], Handler]:
    """Declare on a handler the type its body is read into and the type it answers with.

    ``@documented(body=OrderBody, response=OrderView)`` above ``@allow(...)``; a route table
    builds its operations with :func:`operation_of`.
    """

    def mark(handler: Handler) -> Handler:
        target: Any = handler
        target.openapi_body = body
        target.openapi_response = response
        target.openapi_refusals = refusals
        target.openapi_ok = ok
        return handler

    return mark


def operation_of(
    method: str, path: str, handler: Handler, ok: int = 200, tags: tuple[str, ...] = ()
) -> Operation:
    """The operation of a route whose handler may carry :func:`documented` types."""
    target: Any = getattr(handler, "__wrapped__", handler)
    declared = getattr(handler, "openapi_ok", getattr(target, "openapi_ok", None))
    return Operation(
        method,
        path,
        handler,
        declared if declared is not None and ok == 200 else ok,
        body=getattr(handler, "openapi_body", getattr(target, "openapi_body", None)),
        response=getattr(handler, "openapi_response", getattr(target, "openapi_response", None)),
        refusals=getattr(handler, "openapi_refusals", getattr(target, "openapi_refusals", ())),
        tags=tags,
    )


def _attr(handler: Handler, name: str) -> Any:
    target: Any = getattr(handler, "__wrapped__", handler)
    return getattr(handler, name, getattr(target, name, None))


def _summary(op: Operation) -> tuple[str, str]:
    doc = " ".join((_attr(op.handler, "__doc__") or "").split())
    # "GET /api/x: what it does. More." -> "what it does. More."
    doc = re.sub(r"^(GET|POST|PUT|PATCH|DELETE) \S+:?\s*", "", doc)
    first = doc.split(". ")[0].rstrip(".")
    return op.summary or first or op.path, op.description or doc


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def document(
    operations: Iterable[Operation],
    *,
    title: str = "Atende API",
    version: str = "1",
    description: str = "",
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations``; every ``$ref`` points into ``components``."""
    ops = list(operations)
    keyed: list[tuple[tuple[int, str], JsonSchemaMode, TypeAdapter[Any]]] = [
        ((-1, "error"), "serialization", TypeAdapter(ErrorBody))
    ]
    for n, op in enumerate(ops):
        if op.body is not None:
            keyed.append(((n, "body"), "validation", TypeAdapter(op.body)))
        if op.response is not None:
            keyed.append(((n, "response"), "serialization", TypeAdapter(op.response)))
    schemas, defs = TypeAdapter.json_schemas(keyed, ref_template=REF)
    error = schemas[((-1, "error"), "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for n, op in enumerate(ops):
        summary, description = _summary(op)
        allowed = _attr(op.handler, "allowed_roles") or ()
        roles = sorted(str(getattr(r, "value", r)) for r in allowed)
        public = bool(_attr(op.handler, "public"))
        names = re.findall(r"{(\w+)}", op.path)
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _inline(op.params.get(name, str)),
            }
            for name in names
        ]
        ok: dict[str, Any] = {"description": "OK"}
        if op.response is not None:
            ok["content"] = _json(schemas[((n, "response"), "serialization")])
        statuses: set[int] = set(op.refusals)
        if op.body is not None:
            statuses |= {400, 422}
        if names:
            statuses.add(404)
        if not public:
            statuses |= {401, 403}
        responses: dict[str, Any] = {str(op.ok): ok}
        for status in sorted(statuses):
            responses[str(status)] = {"description": DESCRIPTIONS[status], "content": _json(error)}
        entry: dict[str, Any] = {
            "operationId": _attr(op.handler, "__name__"),
            "summary": summary,
            "description": description + (f"\n\nRoles: {', '.join(roles)}." if roles else ""),
            "tags": list(op.tags),
            "security": [] if public else [{"bearer": []}],
            "parameters": params,
            "responses": responses,
        }
        if roles:
            entry["x-roles"] = roles
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": _json(schemas[((n, "body"), "validation")]),
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _inline(kind: Any) -> dict[str, Any]:
    schema = TypeAdapter(kind).json_schema(ref_template=REF)
    return schema if "$defs" not in schema else {"type": "string"}
