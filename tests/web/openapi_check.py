"""Checking an answer against the engine's OpenAPI document."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


def conforms(spec: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """Raise unless ``body`` matches the document's schema of that answer."""
    response = spec["paths"][path][method]["responses"][str(status)]
    schema = {**response["content"]["application/json"]["schema"], **spec}
    Draft202012Validator(schema).validate(body)
