"""A local fake of Protheus REST (aiohttp) following the documented shapes, for adapter tests."""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, message: str, detail: str = "") -> web.Response:
    """The Protheus error body."""
    body = {
        "code": code,
        "message": message,
        "detailedMessage": detail,
        "helpUrl": "",
        "details": [],
    }
    return web.json_response(body, status=status)


class FakeProtheus:
    """State and handlers. ``token_ttl`` seconds for access tokens; ``fail_next`` 5xx answers."""

    def __init__(
        self, customers: list[dict[str, Any]], *, user: str = "admin", password: str = "s3cret"
    ) -> None:
        self.customers = customers
        self.user, self.password = user, password
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.token_ttl = 3600
        self.fail_next = 0
        self.seen = Counter[str]()
        self.grants = Counter[str]()
        self.tenants: set[str] = set()
        self.orders: dict[str, dict[str, Any]] = {}
        self.products = {"CAF001", "CAF002"}
        self.credit: dict[str, dict[str, Any]] = {}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.router.add_post("/rest/api/oauth2/v1/token", self.token)
        app.router.add_get("/rest/api/crm/v1/customerVendor", self.list_customers)
        app.router.add_get("/rest/api/crm/v1/customerVendor/{type}/{id}", self.get_customer)
        app.router.add_get("/rest/api/fat/v1/CustomerCreditLimit/{id}", self.credit_limit)
        app.router.add_post("/rest/api/pc/v1/salesorders", self.create_order)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.seen[request.path] += 1
        if self.fail_next > 0:
            self.fail_next -= 1
            return error(500, "500", "Internal error")
        tenant = request.headers.get("tenantId", "")
        if "," not in tenant:
            return error(400, "400", "tenantId header missing")
        self.tenants.add(tenant)
        if request.path.endswith("/token"):
            return await handler(request)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pwd = base64.b64decode(auth[6:]).decode().partition(":")
            if (user, pwd) != (self.user, self.password):
                return error(401, "401", "Unauthorized")
        elif auth.removeprefix("Bearer ") not in self.access:
            return error(401, "401", "Invalid token")
        return await handler(request)

    def _issue(self) -> web.Response:
        access, refresh = secrets.token_hex(8), secrets.token_hex(8)
        self.access.add(access)
        self.refresh.add(refresh)
        return web.json_response(
            {"access_token": access, "refresh_token": refresh, "scope": "default",
             "token_type": "Bearer", "expires_in": self.token_ttl}
        )  # fmt: skip

    async def token(self, request: web.Request) -> web.Response:
        grant = request.query.get("grant_type", "")
        self.grants[grant] += 1
        if grant == "password":
            if (request.query.get("username"), request.query.get("password")) != (
                self.user,
                self.password,
            ):
                return error(401, "401", "Invalid credentials")
            return self._issue()
        if grant == "refresh_token" and request.query.get("refresh_token") in self.refresh:
            self.refresh.discard(request.query["refresh_token"])
            return self._issue()
        return error(401, "401", "Invalid refresh token")

    def expire_tokens(self, *, refresh_too: bool = False) -> None:
        """Server-side expiry of every access token (and refresh tokens)."""
        self.access.clear()
        if refresh_too:
            self.refresh.clear()

    async def list_customers(self, request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        size = int(request.query.get("pageSize", "10"))
        term = request.query.get("search", "")
        found = [c for c in self.customers if not term or term in json.dumps(c)]
        chunk = found[(page - 1) * size : page * size]
        return web.json_response({"hasNext": page * size < len(found), "items": chunk})

    async def get_customer(self, request: web.Request) -> web.Response:
        for c in self.customers:
            if c["code"] + c["storeId"] == request.match_info["id"]:
                return web.json_response(c)
        return error(404, "404", "Cliente nao encontrado")

    async def credit_limit(self, request: web.Request) -> web.Response:
        found = self.credit.get(request.match_info["id"])
        if found is None:
            return error(404, "404", "Cliente nao encontrado")
        return web.Response(text=json.dumps(found, default=str), content_type="application/json")

    async def create_order(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = request.headers.get("Idempotency-Key", "")
        if key and key in self.orders:
            return web.json_response(self.orders[key])
        for item in body["items"]:
            if item["productCode"] not in self.products:
                return error(
                    400, "PRODUTO", "Produto inexistente", f"{item['productCode']} nao cadastrado"
                )
        number = f"{len(self.orders) + 1:06d}"
        answer = {
            "orderNumber": number,
            "status": "released",
            "items": [
                {"item": i["item"], "productCode": i["productCode"], "quantity": i["quantity"],
                 "value": str(Decimal(i["quantity"]) * Decimal(i["unitPrice"] or "10")),
                 "creditBlock": "  ", "stockBlock": "  "}
                for i in body["items"]
            ],
        }  # fmt: skip
        self.orders[key or number] = answer
        return web.json_response(answer)
