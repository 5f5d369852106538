"""Who may call which ERP endpoint, and how malformed requests are answered."""

from __future__ import annotations

from atende.auth import Role
from atende.web.erp_routes import ROUTES
from atende.web.openapi_erp import erp_openapi
from tests.erp_api.conftest import ErpServer


async def test_roles_and_missing_token(erp_server: ErpServer) -> None:
    """Without a token every ERP endpoint answers 401; agents may not release or reject
    credit, invoice, or see the outbox; campaign managers may read the collection list but
    not enter orders; admin may do what supervisors do."""
    s = erp_server
    for method, path, _handler, _ok in ROUTES:
        concrete = path.format(
            code="000001", store="01", number="1", id="x", call_id="c", kind="customers"
        )
        status, body = await s.call(method, concrete, None, json={})
        assert (status, body["error"]["code"]) == (401, "unauthenticated"), path
    for method, path in [
        ("GET", "/api/erp/credit/blocked"),
        ("POST", "/api/erp/credit/orders/000001/release"),
        ("POST", "/api/erp/credit/orders/000001/reject"),
        ("POST", "/api/erp/credit/customers/000001/01/reject"),
        ("POST", "/api/erp/orders/000001/invoice"),
        ("GET", "/api/erp/outbox"),
    ]:
        status, body = await s.call(method, path, Role.AGENT, json={})
        assert (status, body["error"]["code"]) == (403, "forbidden"), path
    status, _ = await s.call("GET", "/api/erp/collection", Role.CAMPAIGN_MANAGER)
    assert status == 200
    status, body = await s.call("POST", "/api/erp/orders", Role.CAMPAIGN_MANAGER, json={})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await s.call("GET", "/api/erp/outbox", Role.ADMIN)
    assert status == 200 and body["counts"]["delivered"] == 0


async def test_validation_errors_have_stable_codes(erp_server: ErpServer) -> None:
    """A CPF with wrong check digits is ``tax_id_invalid``; a search without phone or tax id
    ``search_empty``; a zero quantity ``quantity_invalid``; a non-number quantity or a
    missing field ``invalid_request`` naming the field; a body that is not JSON
    ``invalid_json``; unknown customers, products, orders and outcomes are 404 (an unknown
    customer is 403 ``not_your_customer`` to an agent, as any customer not of his calls)."""
    s = erp_server
    status, body = await s.call("GET", "/api/erp/customers?tax_id=123.456.789-00")
    assert (status, body["error"]["code"]) == (422, "tax_id_invalid")
    status, body = await s.call("GET", "/api/erp/customers?phone=12")
    assert (status, body["error"]["code"]) == (422, "phone_invalid")
    status, body = await s.call("GET", "/api/erp/customers")
    assert (status, body["error"]["code"]) == (422, "search_empty")
    status, body = await s.call("GET", "/api/erp/customers?tax_id=529.982.247-25")
    assert (status, body) == (200, {"customers": []})

    order = {"customer_code": "000001", "customer_store": "01"}
    status, body = await s.call(
        "POST", "/api/erp/orders", json={**order, "lines": [{"product": "P1", "quantity": "0"}]}
    )
    assert (status, body["error"]["code"]) == (422, "quantity_invalid")
    status, body = await s.call(
        "POST", "/api/erp/orders", json={**order, "lines": [{"product": "P1", "quantity": "lots"}]}
    )
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    assert body["error"]["fields"][0]["field"] == "lines.0.quantity"
    status, body = await s.call("POST", "/api/erp/orders", json={"customer_code": "000001"})
    assert (status, body["error"]["code"]) == (422, "invalid_request")
    status, body = await s.call("POST", "/api/erp/orders", data=b"{not json")
    assert (status, body["error"]["code"]) == (400, "invalid_json")
    status, body = await s.call(
        "POST", "/api/erp/orders", json={**order, "lines": [{"product": "NOPE", "quantity": "1"}]}
    )
    assert (status, body["error"]["code"]) == (404, "product_unknown")
    unknown = {**order, "customer_code": "999999", "lines": [{"product": "P1", "quantity": "1"}]}
    status, body = await s.call("POST", "/api/erp/orders", Role.SUPERVISOR, json=unknown)
    assert (status, body["error"]["code"]) == (404, "customer_unknown")
    # to an agent a customer none of his calls was about is not his, known or not
    status, body = await s.call("POST", "/api/erp/orders", json=unknown)
    assert (status, body["error"]["code"]) == (403, "not_your_customer")

    path = "/api/erp/customers/999999/01/position"
    status, body = await s.call("GET", path, Role.SUPERVISOR)
    assert (status, body["error"]["code"]) == (404, "customer_unknown")
    status, body = await s.call("GET", "/api/erp/orders/999999", Role.SUPERVISOR)
    assert (status, body["error"]["code"]) == (404, "order_unknown")
    status, body = await s.call("GET", "/api/erp/orders/999999")  # no customer of his
    assert (status, body["error"]["code"]) == (403, "not_your_customer")
    status, body = await s.call("GET", "/api/erp/outcomes/nope")
    assert (status, body["error"]["code"]) == (404, "outcome_unknown")
    status, body = await s.call("GET", "/api/erp/collection?min_days=-1")
    assert (status, body["error"]["code"]) == (422, "min_days_invalid")
    status, body = await s.call("GET", "/api/erp/outbox?status=lost", Role.SUPERVISOR)
    assert (status, body["error"]["code"]) == (422, "status_invalid")


def test_openapi_document_lists_every_erp_route_with_its_roles() -> None:
    """Every ERP route is in the OpenAPI paths with its method, success status and roles;
    the credit release names supervisor and admin only."""
    doc = erp_openapi()
    for method, path, handler, ok in ROUTES:
        op = doc["paths"][path][method.lower()]
        assert op["operationId"] == handler.__name__
        assert str(ok) in op["responses"]
        assert "admin" in op["x-roles"]
    release = doc["paths"]["/api/erp/credit/customers/{code}/{store}/release"]["post"]
    assert release["x-roles"] == ["admin", "supervisor"]
    assert [p["name"] for p in release["parameters"]] == ["code", "store"]
