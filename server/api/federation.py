"""``GET /v1/federation/feed?since=V``: this instance's confirmed items as a signed page of
changes; ``GET /v1/federation/key``: the public key peers pin. Both public: confirmed items
are already public through the verdict pages."""

from __future__ import annotations

from aiohttp import web

from server.api.body import dumps, int_param, query_params
from server.api.state import DB, SETTINGS
from server.federation import feed

routes = web.RouteTableDef()


def _instance(request: web.Request) -> str:
    return request.app[SETTINGS].public_url or f"{request.scheme}://{request.host}"


@routes.get("/v1/federation/feed")
async def federation_feed(request: web.Request) -> web.Response:
    params = query_params(request, ("since",))
    since = int_param(params.get("since"), "since", default=0, low=0, high=2**62)
    instance = _instance(request)
    signed = await request.app[DB].write(lambda db: feed.envelope(db, since, instance))
    return web.json_response(signed, dumps=dumps)


@routes.get("/v1/federation/key")
async def federation_key(request: web.Request) -> web.Response:
    query_params(request, ())
    key = await request.app[DB].write(lambda db: feed.public_key_b64(feed.private_key(db)))
    return web.json_response({"public_key": key, "format": feed.FORMAT}, dumps=dumps)
