"""Reading requests at the edge: JSON bodies and query strings become validated values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from server.api.middleware import BODY_LANG
from server.api.state import SETTINGS
from server.errors import (
    THE_BODY,
    InvalidJson,
    PayloadTooLarge,
    Said,
    UnsupportedMediaType,
    ValidationFailed,
    Words,
    said,
)


async def json_object(
    request: web.Request, allowed: Iterable[str], required: Iterable[str] = ()
) -> dict[str, Any]:
    """The body as a JSON object with only ``allowed`` keys and every ``required`` one."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType(said("send_json"))
    limit = request.app[SETTINGS].max_body_bytes
    too_large = PayloadTooLarge(said("body_too_large", limit=limit))
    # The app accepts media-sized bodies (client_max_size); JSON stays at max_body_bytes.
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    if len(raw) > limit:
        raise too_large
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise ValidationFailed(said("body_not_object"))
    allowed_set = set(allowed)
    if "lang" in allowed_set and isinstance(value.get("lang"), str):
        # The verdict honours a body's lang: so does an error about the rest of this body.
        request[BODY_LANG] = value["lang"][:64]
    unknown = sorted(set(value) - allowed_set)
    if unknown:
        raise ValidationFailed(
            said(
                "unknown_fields",
                unknown=", ".join(unknown[:5]),
                allowed=", ".join(sorted(allowed_set)),
            ),
            field=unknown[0][:64],
        )
    for name in required:
        if name not in value:
            raise ValidationFailed(said("field_required", field=name), field=name)
    return value


#: A ``\uD800``-``\uDFFF`` escape: JSON may spell a lone surrogate, which is no character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_json(raw: bytes, what: str | Words = THE_BODY) -> Any:
    """``raw`` (UTF-8 JSON from a request) as a value; ``InvalidJson`` for anything the parser
    refuses. Every JSON read from a request goes through here: besides syntax errors, the
    parser raises a plain ``ValueError`` for an integer of more than 4,300 digits (Python's
    int/str conversion limit) and ``RecursionError`` for deep nesting (``[`` * 50,000); both
    are the client's malformed input, not a server error. A lone surrogate (``"\ud800"``)
    parses, but no UTF-8 writer (SQLite, a log line, a response) can encode it: refused here
    too, looked for only when the body spells a surrogate escape at all."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise InvalidJson(said("json_too_deep", what=what)) from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, the int digits limit
        raise InvalidJson(said("json_invalid", what=what, error=_short(exc))) from None
    if _SURROGATE_ESCAPE.search(raw) and not _encodable(value):
        raise InvalidJson(said("json_surrogate", what=what))
    return value


def _encodable(value: Any) -> bool:
    """Every string (and key) in a parsed JSON value encodes as UTF-8; iterative, as the
    value may nest as deep as the parser allows."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


async def read_capped(request: web.Request, limit: int, too_large: str | Said) -> bytes:
    """The whole body, refused with ``PayloadTooLarge(too_large)`` above ``limit`` bytes.

    ``request.content.read(n)`` returns only what has arrived so far (a 300 KB body may come
    back as 223 KB), so read until the end or one byte past the limit."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(too_large)
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise PayloadTooLarge(too_large)
    return b"".join(chunks)


def query_params(request: web.Request, allowed: Iterable[str]) -> Mapping[str, str]:
    allowed_set = set(allowed)
    unknown = sorted(set(request.query) - allowed_set)
    if unknown:
        raise ValidationFailed(
            said(
                "unknown_query",
                unknown=", ".join(u[:32] for u in unknown[:5]),
                allowed=", ".join(sorted(allowed_set)),
            )
        )
    for name in request.query:
        if len(request.query.getall(name)) > 1:
            raise ValidationFailed(said("query_repeated", field=name), field=name)
    return request.query


def string_field(value: Any, name: str, *, max_length: int, min_length: int = 1) -> str:
    if not isinstance(value, str):
        raise ValidationFailed(said("field_not_string", field=name), field=name)
    if not min_length <= len(value) <= max_length:
        raise ValidationFailed(
            said("field_length", field=name, low=min_length, high=max_length), field=name
        )
    return value


def int_param(raw: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    if not raw.isascii() or not raw.lstrip("-").isdigit():
        raise ValidationFailed(said("field_not_whole_number", field=name), field=name)
    value = int(raw)
    if not low <= value <= high:
        raise ValidationFailed(
            said("field_out_of_range", field=name, low=low, high=high), field=name
        )
    return value


def _short(exc: Exception) -> str:
    return str(exc)[:120]


def dumps(value: object) -> str:
    """Compact JSON that keeps Chinese readable (no ``\\uXXXX`` escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
