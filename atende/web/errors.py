"""API errors with stable codes: one body for every 4xx/5xx of the API.

``{"error": {"code": "<stable_code>", "message": "...", "fields": [{"field", "problem"}]}}``;
``fields`` only for 422 ``invalid_request`` (a request whose fields are malformed). Errors of the
ACD (:class:`acd.domain.AcdError`) keep their own code and get the status of their kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from acd.domain import AcdError, ErrorKind

STATUS_OF_KIND: dict[ErrorKind, int] = {"not_found": 404, "invalid": 422, "conflict": 409}


class FieldProblem(BaseModel):
    """One bad field of a request (dotted path, e.g. ``skills.sales``)."""

    field: str
    problem: str


class ErrorDetail(BaseModel):
    """What went wrong: a stable ``code`` for programs, a ``message`` for people."""

    code: str
    message: str
    fields: list[FieldProblem] | None = None
    request_id: str | None = None


class ErrorBody(BaseModel):
    """The body of every error answer of the API."""

    error: ErrorDetail


class ApiError(Exception):
    """An error the API reports to its caller with a stable ``code``.

    ``fields`` lists the bad fields of an ``invalid_request``; ``extra`` adds keys to the error
    object (e.g. ``request_id`` of a 500).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: Sequence[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields) if fields is not None else None
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields is not None:
            error["fields"] = self.fields
        error.update(self.extra)
        return {"error": error}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status)


def field_problems(exc: ValidationError) -> list[dict[str, str]]:
    """``[{"field": "skills.sales", "problem": "..."}]`` of a pydantic validation error."""
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "problem": err["msg"]}
        for err in exc.errors()
    ]


def invalid_request(
    exc: ValidationError, message: str = "the request has bad fields", prefix: str = ""
) -> ApiError:
    """422 ``invalid_request`` naming each bad field (``prefix`` for nested bodies)."""
    fields = field_problems(exc)
    if prefix:
        fields = [{**f, "field": f"{prefix}.{f['field']}"} for f in fields]
    return ApiError(422, "invalid_request", message, fields=fields)


def acd_error(exc: AcdError) -> ApiError:
    """An ACD refusal with its own code: 404 not found, 422 invalid, 409 refused by the state."""
    return ApiError(STATUS_OF_KIND[exc.kind], exc.code, exc.message)
