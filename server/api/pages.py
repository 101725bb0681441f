"""``GET /r/{id}``: the shareable verdict page (see ``server/web/urls.py`` for the id forms)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from server.api.body import query_params
from server.api.state import CPU, DB, ENGINE, SETTINGS
from server.community import store
from server.community.items import link_key
from server.community.runtime import COMMUNITY
from server.errors import ValidationFailed
from server.i18n import negotiate
from server.web import verdict_page
from server.web.urls import MAX_PAGE_ID, case_path, decode_link

routes = web.RouteTableDef()

_CASE = re.compile(r"c([0-9]{1,18})")
_ITEM = re.compile(r"i([0-9a-f]{64})")
_LINK = re.compile(r"l([A-Za-z0-9_\-]{1,8000})")

#: Pages change when a case is decided; a short cache keeps a viral link cheap to serve.
CACHE_CONTROL = "public, max-age=60"


def _html(text: str, status: int = 200) -> web.Response:
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@routes.get("/r/{id}")
async def verdict(request: web.Request) -> web.Response:
    params = query_params(request, ("lang",))
    lang = negotiate(params.get("lang"), request.headers.get("Accept-Language"))
    page_id = request.match_info["id"]
    path = f"/r/{page_id}"
    db = request.app[DB]
    if len(page_id) > MAX_PAGE_ID:
        return _html(verdict_page.not_found(lang, "/r/"), 404)
    if found := _CASE.fullmatch(page_id):
        case_id = int(found.group(1))
        case = await db.read(lambda conn: store.case_row(conn, case_id))
        if case is None:
            return _html(verdict_page.not_found(lang, path), 404)
        if case["merged_into"] is not None:
            raise web.HTTPFound(case_path(int(case["merged_into"])) + f"?lang={lang}")
        auto = await _link_verdict(request, case, lang)
        return _html(verdict_page.page(lang, path, case=case, verdict=auto))
    if found := _ITEM.fullmatch(page_id):
        key_hash = found.group(1)
        case = await db.read(lambda conn: store.case_by_hash(conn, key_hash))
        return _html(verdict_page.page(lang, path, case=case, verdict=None))
    if (found := _LINK.fullmatch(page_id)) and (url := decode_link(found.group(1))):
        return await _link_page(request, url, lang, path)
    return _html(verdict_page.not_found(lang, path), 404)


async def _link_verdict(
    request: web.Request, case: dict[str, Any], lang: str
) -> dict[str, Any] | None:
    if case["kind"] != "link":
        return None
    engine = request.app[ENGINE]
    url = ("http://" if "/" in case["key"] else "https://") + case["key"]
    results = await engine.check_links([url], request.app[CPU])
    return engine.render_links(results, lang)[0]


async def _link_page(request: web.Request, url: str, lang: str, path: str) -> web.Response:
    engine = request.app[ENGINE]
    if len(url) > request.app[SETTINGS].max_url_length:
        return _html(verdict_page.not_found(lang, path), 404)
    results = await engine.check_links([url], request.app[CPU])
    if results[0].error is not None:
        return _html(verdict_page.not_found(lang, path), 404)
    rendered = engine.render_links(results, lang)[0]
    try:
        key = link_key(engine.resources.parser, url, request.app[COMMUNITY].popular)
    except ValidationFailed:
        key = None
    case = None
    if key is not None:
        key_hash = key.hash
        case = await request.app[DB].read(lambda conn: store.case_by_hash(conn, key_hash))
    shown = rendered.get("normalized", {}).get("url", url)
    return _html(verdict_page.page(lang, path, case=case, verdict=rendered, item=shown))
