"""Health, metrics, the OpenAPI document and the detector catalogue: no key needed."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources as importlib_resources
from typing import Any

import yaml
from aiohttp import web

from server import __version__
from server.api.body import dumps
from server.api.metrics import CONTENT_TYPE
from server.api.state import ENGINE, METRICS
from server.scoring.detector import ContentKind

routes = web.RouteTableDef()


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The hand-written OpenAPI 3.1 spec shipped in ``server/api/openapi.yaml``."""
    text = (importlib_resources.files("server.api") / "openapi.yaml").read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    document["info"]["version"] = __version__
    return document


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response(
        {
            "ok": True,
            "version": __version__,
            "lists_version": engine.lists_version,
            "list_entries": engine.resources.lists.current.size,
            "detectors": engine.versions(*ContentKind),  # every kind's, not only links
        },
        dumps=dumps,
    )


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    metrics.list_entries.set(request.app[ENGINE].resources.lists.current.size)
    return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(), dumps=dumps)


@routes.get("/v1/detectors")
async def detectors(request: web.Request) -> web.Response:
    """Every detector with its version, the content it reads and the codes it can emit."""
    engine = request.app[ENGINE]
    return web.json_response(
        {
            "detectors": [
                {
                    "name": d.name,
                    "version": d.version,
                    "kinds": sorted(str(k) for k in d.kinds),
                    "codes": sorted(d.messages),
                }
                for d in engine.detectors
            ]
        },
        dumps=dumps,
    )
