"""API errors with stable codes: every 4xx/5xx body is ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class ApiError(Exception):
    """An error the API reports to its caller with a stable ``code``."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return web.json_response({"error": body}, status=self.status)
