"""HTTP client for Protheus REST: Basic or OAuth2 (password grant, refresh token), the
``tenantId`` header, ``page``/``pageSize`` paging with ``hasNext``, and the error body
``{code, message, detailedMessage, helpUrl, details}``."""

from __future__ import annotations

import asyncio
import base64
import json as jsonlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
import structlog

from erp_bridge.domain.errors import ErpError

log = structlog.get_logger("erp_bridge.protheus")
TOKEN_PATH = "/api/oauth2/v1/token"


class ProtheusUnavailable(Exception):
    """Protheus could not be reached or failed (5xx): worth retrying later."""


@dataclass(frozen=True)
class ProtheusConfig:
    """Where and how to reach Protheus; ``order_path`` is the site's custom order endpoint."""

    base_url: str  # http(s)://host:port/rest
    tenant_id: str  # "<company>,<branch>"
    username: str
    password: str = field(repr=False)
    auth: str = "basic"  # basic / oauth2
    order_path: str = "/api/pc/v1/salesorders"
    customer_search_param: str = "search"
    page_size: int = 50
    timeout: float = 15.0


class ProtheusClient:
    """One aiohttp session; call :meth:`close` when done."""

    def __init__(self, config: ProtheusConfig, *, clock: Callable[[], float] | None = None) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0
        self._clock = clock or (lambda: asyncio.get_running_loop().time())
        self._token_lock = asyncio.Lock()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout)
            )
        return self._session

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _token(self, *, force: bool = False) -> str:
        """A bearer token: cached, refreshed with the refresh token, else a new sign-in."""
        async with self._token_lock:
            if not force and self._access and self._clock() < self._expires_at:
                return self._access
            body: dict[str, Any] = {}
            if self._refresh:
                grant = {"grant_type": "refresh_token", "refresh_token": self._refresh}
                body = await self._raw("POST", TOKEN_PATH, params=grant, auth=False)
            if "access_token" not in body:
                grant = {
                    "grant_type": "password",
                    "username": self.config.username,
                    "password": self.config.password,
                }
                body = await self._raw("POST", TOKEN_PATH, params=grant, auth=False)
            self._store(body)
            return self._access or ""

    def _store(self, body: dict[str, Any]) -> None:
        if "access_token" not in body:
            raise ErpError("erp_auth_failed", "Protheus refused the credentials")
        self._access = str(body["access_token"])
        self._refresh = body.get("refresh_token") or self._refresh
        self._expires_at = self._clock() + float(body.get("expires_in", 3600)) - 30

    async def _headers(self, *, force: bool = False) -> dict[str, str]:
        headers = {"tenantId": self.config.tenant_id, "Accept": "application/json"}
        if self.config.auth == "oauth2":
            headers["Authorization"] = f"Bearer {await self._token(force=force)}"
        return headers

    async def _raw(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        auth: bool = True,
        extra: dict[str, str] | None = None,
        retried: bool = False,
    ) -> dict[str, Any]:
        url = self.config.base_url.rstrip("/") + path
        headers = {"tenantId": self.config.tenant_id, **(extra or {})}
        if auth and self.config.auth == "basic":
            pair = f"{self.config.username}:{self.config.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif auth:
            headers.update(await self._headers())
        try:
            async with self._http().request(
                method, url, params=params, json=json, headers=headers
            ) as resp:
                text = await resp.text()
                if resp.status == 401 and auth and self.config.auth == "oauth2":
                    await self._token(force=True)
                    return await self._raw(
                        method, path, params=params, json=json, auth=auth, extra=extra
                    )
                return self._answer(resp.status, text, method, path)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ProtheusUnavailable(f"{method} {path}: {type(err).__name__}: {err}") from err

    def _answer(self, status: int, text: str, method: str, path: str) -> dict[str, Any]:
        try:
            body = jsonlib.loads(text, parse_float=Decimal) if text else {}
        except ValueError:
            body = {"message": text[:200]}
        if status >= 500:
            raise ProtheusUnavailable(f"{method} {path}: HTTP {status}: {body.get('message', '')}")
        if status >= 400:
            if path.endswith("/token"):
                return {}
            code = str(body.get("code") or status)
            message = str(body.get("message") or "")
            detail = str(body.get("detailedMessage") or "")
            log.info("protheus_refused", path=path, status=status, code=code)
            raise ErpError(_stable_code(status, code, message), f"{message} {detail}".strip())
        return body if isinstance(body, dict) else {"items": body}

    async def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET one resource."""
        return await self._raw("GET", path, params=params)

    async def post(
        self, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """POST a JSON body."""
        return await self._raw("POST", path, json=body, extra=headers)

    async def items(
        self, path: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list, page after page while ``hasNext``."""
        page = 1
        while True:
            query = {**(params or {}), "page": page, "pageSize": self.config.page_size}
            body = await self.get(path, query)
            for item in body.get("items", []):
                yield item
            if not body.get("hasNext"):
                return
            page += 1


def _stable_code(status: int, code: str, message: str) -> str:
    """Map a Protheus refusal to our stable codes where the meaning is clear."""
    text = f"{code} {message}".lower()
    if status == 404:
        return "not_found"
    for needle, stable in (
        ("bloque", "customer_blocked"),
        ("blocked", "customer_blocked"),
        ("produto", "product_unknown"),
        ("product", "product_unknown"),
        ("cliente", "customer_unknown"),
    ):
        if needle in text:
            return stable
    return "erp_refused"
