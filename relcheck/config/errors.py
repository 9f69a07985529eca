"""Plain-language messages for JSON Schema validation errors (config, rule files, custom rules)."""

from __future__ import annotations

import json
from typing import Any


def schema_problem(error) -> str:
    """One short sentence for a jsonschema ValidationError."""
    expected = error.schema.get("type") if error.validator == "type" else None
    if expected:
        kinds = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(article(kind) for kind in kinds if kind != "null")
        instance = error.instance
        got = "nothing (null)" if instance is None else f"{json_type(instance)} {json.dumps(instance)}"
        return f"expected {wanted}, got {got}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in error.instance if k not in allowed)
        return f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(repr(k) for k in extra)}"
    if error.validator == "pattern":
        return f"{json.dumps(error.instance)} does not have the expected form"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return f"{json.dumps(error.instance)} is not one of: {choices}"
    if error.validator == "minimum":
        return f"must be at least {error.validator_value}"
    return error.message


def article(kind: str) -> str:
    names = {"array": "a list", "object": "a mapping", "integer": "an integer", "string": "a string"}
    return names.get(kind, f"a {kind}")


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "null"
