"""Hash-prefix lists for private page checks: the versioned set (or a diff) and full-hash lookup.

See ``server/prefixes.py`` for the design. Both routes take a client key, or none when checks
are open, like the check endpoints: they reveal nothing a link check would not.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from server.api.body import dumps, int_param, json_object, query_params
from server.api.checks import _lang
from server.api.state import AUTH, CPU, ENGINE
from server.errors import ValidationFailed, said
from server.keys import KeyRole
from server.lists import EntryKind
from server.prefixes import (
    MAX_LOOKUP_MATCHES,
    MAX_LOOKUP_PREFIXES,
    PrefixPublisher,
    full_hash,
    lookup_url,
    parse_prefix,
    prefix_hex,
)

PUBLISHER = web.AppKey("prefix_publisher", PrefixPublisher)
#: Versions are ``lists_version`` values; anything above this is not a version we issued.
MAX_VERSION = 10**15

routes = web.RouteTableDef()


def install(app: web.Application) -> None:
    """Routes plus the publisher that remembers recent versions for diffs."""
    app[PUBLISHER] = PrefixPublisher()
    app.add_routes(routes)


@routes.get("/v1/lists/prefixes")
async def list_prefixes(request: web.Request) -> web.Response:
    """The prefix set at the current lists version: a diff from ``?since=V`` when the server
    still has V, else the whole set (``full: true``). Clients verify ``checksum`` after
    applying it and fetch the full set on a mismatch."""
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    params = query_params(request, ("since",))
    since_raw = params.get("since")
    since = (
        int_param(since_raw, "since", default=0, low=0, high=MAX_VERSION)
        if since_raw is not None
        else None
    )
    index = request.app[ENGINE].resources.lists.current
    publisher = request.app[PUBLISHER]
    loop = asyncio.get_running_loop()
    body = await loop.run_in_executor(request.app[CPU], publisher.update, index, since)
    response = web.json_response(body, dumps=dumps, headers={"Cache-Control": "no-cache"})
    if body["add"]["count"] > 1000:
        # base64 costs a third; gzip wins most of it back on a full set (1.21 → 0.92 MB at 500k)
        response.enable_compression()
    return response


@routes.post("/v1/lists/lookup")
async def lookup(request: web.Request) -> web.Response:
    """``{"prefixes": ["1a2b3c4d", …], "lang"?}`` → every listed value behind those prefixes
    as its full SHA-256 and the verdict the server gives it (the client keeps the ones whose
    full hash it computed itself; the rest were collisions)."""
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    query_params(request, ("lang",))
    body = await json_object(request, allowed=("prefixes", "lang"), required=("prefixes",))
    raw = body["prefixes"]
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(said("field_string_list", field="prefixes"), field="prefixes")
    if len(raw) > MAX_LOOKUP_PREFIXES:
        raise ValidationFailed(
            said("too_many_prefixes", limit=MAX_LOOKUP_PREFIXES),
            field="prefixes",
        )
    prefixes: list[int] = []
    for position, item in enumerate(raw):
        parsed = parse_prefix(item)
        if parsed is None:
            raise ValidationFailed(
                said("prefix_hex", position=position),
                field="prefixes",
            )
        prefixes.append(parsed)
    lang = _lang(request, body["lang"]) if "lang" in body else _lang(request)
    engine = request.app[ENGINE]
    index = engine.resources.lists.current
    cpu = request.app[CPU]
    loop = asyncio.get_running_loop()
    current = await loop.run_in_executor(cpu, request.app[PUBLISHER].current, index)
    found: list[tuple[int, str, EntryKind]] = []
    for prefix in dict.fromkeys(prefixes):
        for value, kind in current.matches(prefix):
            found.append((prefix, value, kind))
    found = found[:MAX_LOOKUP_MATCHES]
    matches: list[dict[str, Any]] = []
    if found:
        results = await engine.check_links([lookup_url(v, k) for _, v, k in found], cpu)
        rendered = engine.render_links(results, lang)
        for (prefix, value, kind), verdict in zip(found, rendered, strict=True):
            matches.append(
                {
                    "prefix": prefix_hex(prefix),
                    "hash": full_hash(value).hex(),
                    "kind": kind.value,
                    **verdict,
                }
            )
    return web.json_response({"version": current.version, "matches": matches}, dumps=dumps)
