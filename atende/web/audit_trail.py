"""Supervisor actions in the audit log: who did what to which agent or call, and how it ended.

``@audited("agent_pause", "agent")`` on a handler (inside ``@allow``) writes one row per
request: outcome ``success``, or the refusal's error code (``illegal_transition``...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web

from atende.audit import AuditEntry, AuditLog
from atende.web.errors import ApiError
from atende.web.security import Handler, principal
from atende.web.sessions import client_address

AUDIT: web.AppKey[AuditLog] = web.AppKey("audit", AuditLog)


def audited(action: str, target: str) -> Callable[[Handler], Handler]:
    """Record ``action`` on the path parameter ``target`` for every call of the handler."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def call(request: web.Request) -> web.StreamResponse:
            outcome, details = "success", {}
            try:
                return await handler(request)
            except ApiError as exc:
                outcome, details = "refused", {"code": exc.code}
                raise
            finally:
                audit = request.app.get(AUDIT)
                if audit is not None:
                    who = principal(request)
                    await audit.record(
                        AuditEntry(
                            datetime.now(UTC),
                            who.username,
                            action,
                            outcome,
                            client_address(request),
                            request.match_info.get(target, ""),
                            {"role": who.role.value, **details, **request.get(DETAILS, {})},
                        )
                    )

        return call

    return wrap


DETAILS: web.RequestKey[dict[str, object]] = web.RequestKey("audit_details", dict)


def note(request: web.Request, **details: object) -> None:
    """Add ``details`` (the pause reason, the new skills...) to the request's audit row."""
    request.setdefault(DETAILS, {}).update(details)
