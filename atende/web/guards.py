"""What stands around every handler: request ids, the catch-all 500, JSON body limits and the
security headers of every response.

* Every request gets an id (``X-Request-Id`` on the response, ``request_id`` on its log lines).
* An unexpected exception becomes ``500 internal_error`` with that id and nothing of the
  exception in the body; it is logged once, with the exception's type and stack but not its
  message (which may carry the caller's data).
* A request body is read (at most ``client_max_size`` bytes, else 413) and checked to be JSON
  nested no deeper than :data:`MAX_JSON_DEPTH` before any handler parses it, so no handler can
  meet a ``RecursionError``.
"""

from __future__ import annotations

import json
import re
import traceback
import uuid
from typing import Any

import structlog
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from atende.web.errors import ApiError
from atende.web.security import Handler

log = structlog.get_logger("atende.web")

REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
MAX_JSON_DEPTH = 32
MAX_BODY = 1024 * 1024

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# a JSON string literal (escapes included), written so the regex engine never backtracks
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def json_depth(raw: bytes, limit: int) -> int:
    """How deep ``raw`` nests arrays and objects (counting stops once past ``limit``)."""
    depth = deepest = 0
    for byte in _STRING.sub(b"", raw).translate(None, _NOT_BRACKET):
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def check_json_body(raw: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise 400 ``invalid_json`` unless ``raw`` is JSON nested at most ``limit`` deep."""
    if json_depth(raw, limit) > limit:
        raise ApiError(400, "invalid_json", f"request body nests deeper than {limit} levels")
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "request body is not JSON") from None


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id; turn anything unexpected into a logged, bare 500."""
    request_id = uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    with structlog.contextvars.bound_contextvars(request_id=request_id):
        try:
            return await handler(request)
        except (web.HTTPException, ApiError):
            raise
        except IntegrityError:
            # a concurrent or repeated write met a unique key: the caller's data conflicts
            log.info("request_conflict", method=request.method, route=_route(request))
            return ApiError(409, "conflict", "the request conflicts with stored data").response()
        except Exception as exc:
            log.error(
                "request_failed",
                request_id=request_id,
                method=request.method,
                route=_route(request),
                error=type(exc).__name__,
                stack="".join(traceback.format_tb(exc.__traceback__)),
            )
            return ApiError(
                500,
                "internal_error",
                "internal error; quote the request id when reporting it",
                request_id=request_id,
            ).response()


def _route(request: web.Request) -> str:
    """The route's template (``/api/calls/{call_id}``), never the caller's path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def raw_body(handler: Handler) -> Handler:
    """Mark a handler that reads a body other than JSON (an upload): its body is only
    size-limited, the handler checks it."""
    handler.raw_body = True  # type: ignore[attr-defined]
    return handler


@web.middleware
async def json_body_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read and check the body (size, JSON, depth) before the handler sees it."""
    target: Any = request.match_info.handler
    upload = getattr(target, "raw_body", False) or getattr(
        getattr(target, "__wrapped__", None), "raw_body", False
    )
    if request.can_read_body and not upload:
        raw = await request.read()  # over client_max_size: 413
        if raw.strip():
            check_json_body(raw)
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the same protective headers on every response."""
    headers = response.headers
    headers["Server"] = "Atende"
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        headers.setdefault("X-Request-Id", request_id)
