"""The site's credit parameters through the API: one sheet, changed by an admin, logged, and
used by the next analysis."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from atende.auth import Role
from tests.erp_api.conftest import NOW, RISK_C, ErpServer


def _order(qty: str) -> dict[str, Any]:
    return {
        "customer_code": RISK_C[0],
        "customer_store": RISK_C[1],
        "lines": [{"product": "P1", "quantity": qty}],
    }


async def test_parameters_are_shown_changed_by_admin_logged_and_applied(
    erp_server: ErpServer,
) -> None:
    """The sheet lists every MV_ parameter with its default; a supervisor may read but not
    change it; an admin turns credit analysis off (MV_BLOQUEI F) and the next over-limit
    order passes credit; turned back on with a small-order threshold (MV_LIMINCR) the limit
    is skipped for a small order but not for a big one; bad values and unknown names are
    refused and nothing is changed; every change is logged with who, when, old and new."""
    s = erp_server
    status, sheet = await s.call("GET", "/api/erp/parameters", Role.SUPERVISOR)
    assert status == 200
    names = [p["name"] for p in sheet["parameters"]]
    for name in ("MV_BLOQUEI", "MV_CREDCLI", "MV_RISCOB", "MV_LIMINCR", "MV_PERMAX", "MV_PEDIDOC"):
        assert name in names
    by_name = {p["name"]: p for p in sheet["parameters"]}
    assert (by_name["MV_RISCOC"]["current"], by_name["MV_BLOQUEI"]["current"]) == ("15", "T")
    assert sheet["changes"] == []

    status, body = await s.call(
        "PATCH", "/api/erp/parameters", Role.SUPERVISOR, json={"values": {"MV_BLOQUEI": "F"}}
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")

    status, placed = await s.call("POST", "/api/erp/orders", json=_order("101"))
    assert status == 201 and placed["code"] == "credit_blocked"  # 1010.00 over 1000.00

    status, changed = await s.call(
        "PATCH", "/api/erp/parameters", Role.ADMIN, json={"values": {"MV_BLOQUEI": ".F."}}
    )
    assert status == 200, changed
    [change] = changed["changes"]
    assert (change["name"], change["old"], change["new"], change["by"]) == (
        "MV_BLOQUEI",
        "T",
        "F",
        "admin1",
    )
    assert datetime.fromisoformat(change["at"]) == NOW
    status, placed = await s.call("POST", "/api/erp/orders", json=_order("5"))
    assert status == 201 and placed["code"] == "released", placed
    assert placed["credit_reason"] == "credit analysis off (MV_BLOQUEI)"

    for values, code in [
        ({"MV_BLOQUEI": "T", "MV_RISCOC": "quinze"}, "parameter_invalid"),
        ({"MV_BLOQUEI": "T", "MV_LIMINCR": "10.001"}, "parameter_invalid"),
        ({"MV_BLOQUEI": "T", "MV_CREDCLI": "X"}, "parameter_invalid"),
        ({"MV_BLOQUEI": "T", "MV_NOPE": "1"}, "parameter_unknown"),
    ]:
        status, body = await s.call(
            "PATCH", "/api/erp/parameters", Role.ADMIN, json={"values": values}
        )
        assert status in (404, 422) and body["error"]["code"] == code, values
    status, sheet = await s.call("GET", "/api/erp/parameters", Role.ADMIN)
    assert {p["name"]: p["current"] for p in sheet["parameters"]}["MV_BLOQUEI"] == "F"

    status, changed = await s.call(
        "PATCH",
        "/api/erp/parameters",
        Role.ADMIN,
        json={"values": {"MV_BLOQUEI": True, "MV_LIMINCR": 100}},
    )
    assert status == 200 and len(changed["changes"]) == 2
    status, small = await s.call("POST", "/api/erp/orders", json=_order("9"))
    assert small["code"] == "released" and small["credit_reason"] == "within limit"
    status, big = await s.call("POST", "/api/erp/orders", json=_order("90"))
    assert big["code"] == "credit_blocked" and "over limit 1000.00" in big["reason"]

    status, sheet = await s.call("GET", "/api/erp/parameters", Role.SUPERVISOR)
    log = [(c["name"], c["old"], c["new"]) for c in sheet["changes"]]
    assert log == [
        ("MV_LIMINCR", "0", "100.00"),
        ("MV_BLOQUEI", "F", "T"),
        ("MV_BLOQUEI", "T", "F"),
    ]
    assert {p["name"]: p["stored"] for p in sheet["parameters"]}["MV_LIMINCR"] is True
