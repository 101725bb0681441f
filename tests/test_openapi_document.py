"""The OpenAPI document parses into what its author meant: in a YAML flow mapping
(``{type: string, description: ...}``) an unquoted comma or ``: `` inside a description ends
the value there and turns the rest into extra keys with null values, which the served
``/openapi.json`` then shows as properties of the schema."""

from __future__ import annotations

from typing import Any

import yaml

from server.api.meta import openapi_document


def _defects(node: Any, where: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            at = f"{where}/{key}"
            if not isinstance(key, str):
                found.append(f"{at}: key {key!r} is a {type(key).__name__}, not a string")
            if value is None:
                found.append(f"{at}: null")
            found += _defects(value, at)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _defects(value, f"{where}[{i}]")
    return found


def test_no_mapping_in_the_document_has_a_null_value_or_a_key_that_is_not_a_string() -> None:
    # What GET /openapi.json serves: server/api/openapi.yaml, as the server loads it.
    assert _defects(openapi_document()) == []


def test_the_check_catches_a_description_split_by_a_comma() -> None:
    split = yaml.safe_load("p: {type: string, description: The URL, message text.}")
    assert _defects(split) == ["/p/message text.: null"]
    assert _defects(yaml.safe_load("200: {description: OK}")) == [
        "/200: key 200 is a int, not a string"
    ]
