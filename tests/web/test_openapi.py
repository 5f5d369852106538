"""The OpenAPI document: valid for a validator, complete (every route of the app, path
parameters, error statuses, sign-in), and built from the models that read the requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from acd.app.models import AgentIn, QueuePatch, QueueReplace
from acd.live.sql import AcdConfigStore
from atende.auth import Role, UserStore
from atende.db import make_engine
from atende.web.app import build_app
from atende.web.erp_support import ErpApi
from atende.web.openapi import document_all, document_for
from atende.web.openapi_erp import erp_openapi
from atende.web.security import allow
from tests.web.openapi_check import conforms

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The engine's whole document."""
    return document_all()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_passes_the_validator(spec: dict[str, Any]) -> None:
    """openapi-spec-validator accepts the engine's document and the ERP's own one."""
    validate(spec)
    validate(erp_openapi())


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    """Every ``$ref`` names a schema present in components (Strategy, WhenNoAgents...)."""
    schemas = spec["components"]["schemas"]
    refs = set(_refs(spec))
    assert refs, "the document uses references"
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in schemas, ref
    assert {"Strategy", "WhenNoAgents", "EscalationStep", "ErrorBody"} <= set(schemas)


def _app() -> web.Application:
    db = make_engine("sqlite+aiosqlite:///:memory:")  # never connected: routes only
    erp = ErpApi(port=cast(Any, None), engine=db)
    return build_app(UserStore(db), list, erp, acd=None, acd_config=AcdConfigStore(db))


def _served(app: web.Application) -> set[tuple[str, str]]:
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    }


def test_every_route_of_the_app_is_described(spec: dict[str, Any]) -> None:
    """The served document lists every API route the application serves (login and me too)
    and nothing else than what the route tables describe; it is valid."""
    app = _app()
    served = _served(app)
    doc = document_for(app)
    validate(doc)
    tabled = {(method, path) for path, method, _ in _operations(spec)}
    assert {(method, path) for path, method, _ in _operations(doc)} == served | tabled
    assert tabled <= served
    assert ("post", "/api/login") in served and ("get", "/api/me") in served
    queue = doc["paths"]["/api/acd/queues/{queue}"]["put"]
    assert queue == spec["paths"]["/api/acd/queues/{queue}"]["put"]


def test_a_route_in_no_table_is_still_described() -> None:
    """A route added to the app without a table entry is described from its handler."""
    app = _app()

    @allow(Role.SUPERVISOR)
    async def extra_report(request: web.Request) -> web.Response:
        """GET /api/extra/{day}: an example report. Longer text."""
        return web.json_response({})

    app.router.add_get("/api/extra/{day}", extra_report)
    doc = document_for(app)
    validate(doc)
    op = doc["paths"]["/api/extra/{day}"]["get"]
    assert (op["summary"], op["x-roles"]) == ("an example report", ["admin", "supervisor"])
    assert [p["name"] for p in op["parameters"]] == ["day"]
    assert {"401", "403", "404"} <= set(op["responses"])


def test_operations_declare_parameters_and_errors(spec: dict[str, Any]) -> None:
    """Each path parameter is declared; 401/403 on authenticated operations, 400/422 with a
    body, 404 with a path parameter, all with the one error body; ids are unique."""
    ids = []
    for path, method, op in _operations(spec):
        ids.append(op["operationId"])
        names = re.findall(r"{(\w+)}", path)
        declared = [p["name"] for p in op["parameters"] if p["in"] == "path"]
        assert declared == names, (method, path)
        statuses = set(op["responses"])
        if op["security"]:
            assert {"401", "403"} <= statuses, (method, path)
        if "requestBody" in op:
            assert {"400", "422"} <= statuses, (method, path)
        if names:
            assert "404" in statuses, (method, path)
        for status, response in op["responses"].items():
            if status.startswith("4") or status.startswith("5"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    assert len(ids) == len(set(ids))
    login = spec["paths"]["/api/login"]["post"]
    assert login["security"] == [] and {"401", "429"} <= set(login["responses"])
    agents = spec["paths"]["/api/acd/agents"]["post"]
    assert "409" in agents["responses"]


def test_request_bodies_are_the_models_that_read_them(spec: dict[str, Any]) -> None:
    """The ACD bodies point at the pydantic models the handlers validate with; PUT says it
    is a full replace."""
    paths = spec["paths"]

    def body(path: str, method: str) -> str:
        ref = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        return str(ref["$ref"]).rsplit("/", 1)[1]

    assert body("/api/acd/agents", "post") == AgentIn.__name__
    assert body("/api/acd/queues/{queue}", "put") == QueueReplace.__name__
    assert body("/api/acd/queues/{queue}", "patch") == QueuePatch.__name__
    assert body("/api/login", "post") == "LoginIn"
    assert "full replace" in paths["/api/acd/queues/{queue}"]["put"]["description"]
    schemas = spec["components"]["schemas"]
    skills = schemas["AgentIn"]["properties"]["skills"]
    assert [level["maximum"] for level in skills["patternProperties"].values()] == [5]
    assert skills["additionalProperties"] is False
    assert set(schemas["QueueReplace"]["properties"]) >= {"escalation", "strategy", "name"}
    assert "name" not in schemas["QueueReplace"].get("required", [])


def test_error_bodies_match_the_error_schema(spec: dict[str, Any]) -> None:
    """An invalid_request with fields and a plain refusal both fit the documented body; a
    body with the old ``errors`` list would not."""
    conforms(
        spec,
        "/api/acd/agents",
        "post",
        422,
        {
            "error": {
                "code": "invalid_request",
                "message": "bad",
                "fields": [{"field": "skills.sales", "problem": "too high"}],
            }
        },
    )
    conforms(spec, "/api/acd/agents", "post", 409, {"error": {"code": "x", "message": "y"}})
    with pytest.raises(Exception, match="field"):
        conforms(
            spec,
            "/api/acd/agents",
            "post",
            422,
            {"error": {"code": "c", "message": "m", "fields": [{"message": "old shape"}]}},
        )
