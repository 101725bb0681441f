"""Check endpoints: the verdict object for links (media and text arrive with their issues)."""

from __future__ import annotations

from aiohttp import web

from server.api.body import json_object, query_params, string_field
from server.api.state import AUTH, CPU, ENGINE, METRICS, SETTINGS
from server.api.traditional import CHINESE_SCRIPT, VERDICT_LANG
from server.errors import InvalidUrlError, ValidationFailed, said
from server.i18n import chinese_script, negotiate
from server.keys import KeyRole
from server.web.urls import absolute

routes = web.RouteTableDef()


_NO_BODY_LANG = object()


def _lang(request: web.Request, body_lang: object = _NO_BODY_LANG) -> str:
    """The response language: body ``lang``, then ``?lang=``, then Accept-Language."""
    query_lang = request.query.get("lang")
    if query_lang is not None:
        string_field(query_lang, "lang", max_length=MAX_LANG_LENGTH, min_length=0)
    if body_lang is not _NO_BODY_LANG:
        query_lang = string_field(body_lang, "lang", max_length=MAX_LANG_LENGTH, min_length=0)
    accept = request.headers.get("Accept-Language")
    request[CHINESE_SCRIPT] = chinese_script(query_lang, accept)  # a body lang counts too
    lang = negotiate(query_lang, accept)
    request[VERDICT_LANG] = lang
    return lang


#: Long enough for any BCP 47 tag a browser sends (``zh-Hans-CN-u-ca-chinese``).
MAX_LANG_LENGTH = 35
#: What a URL field may hold at all. ``FAKEWATCH_MAX_URL_LENGTH`` is the URL parser's limit,
#: not the transport's: a URL past it is answered ``url_too_long`` (one item ``unknown`` in a
#: batch) rather than refusing the request, so a person learns why that link was not judged.
MAX_URL_FIELD = 65536


@routes.get("/v1/check/link")
async def check_link(request: web.Request) -> web.Response:
    """One URL: ``?url=…`` → the verdict object (400 when the URL cannot be read)."""
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    params = query_params(request, ("url", "lang"))
    url = string_field(params.get("url"), "url", max_length=MAX_URL_FIELD)
    lang = _lang(request)
    engine = request.app[ENGINE]
    state = engine.lists_version
    results = await engine.check_links([url], request.app[CPU], state)
    result = results[0]
    if result.error is not None:
        raise InvalidUrlError(str(result.error), code=result.error.code)
    request.app[METRICS].observe_links(results)
    return _json(b"".join(engine.link_pieces(results, lang, state, absolute(request, ""))))


@routes.post("/v1/check/links")
async def check_links(request: web.Request) -> web.Response:
    """Up to ``max_urls_per_request`` URLs → one verdict each, in order.

    An item that is a string but not a readable http(s) URL gets verdict ``unknown`` with an
    ``error``; a batch that is not a list of strings is refused whole.
    """
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    settings = request.app[SETTINGS]
    query_params(request, ("lang",))
    body = await json_object(request, allowed=("urls", "lang"), required=("urls",))
    urls = body["urls"]
    if not isinstance(urls, list) or not urls:
        raise ValidationFailed(said("urls_not_list"), field="urls")
    if len(urls) > settings.max_urls_per_request:
        raise ValidationFailed(
            said("too_many_urls", limit=settings.max_urls_per_request), field="urls"
        )
    if not all(type(url) is str and 0 < len(url) <= MAX_URL_FIELD for url in urls):
        for index, url in enumerate(urls):  # say which one is wrong, and how
            string_field(url, f"urls[{index}]", max_length=MAX_URL_FIELD)
    lang = _lang(request, body["lang"]) if "lang" in body else _lang(request)
    engine = request.app[ENGINE]
    state = engine.lists_version
    results = await engine.check_links(urls, request.app[CPU], state)
    request.app[METRICS].observe_links(results)
    pieces = engine.link_pieces(results, lang, state, absolute(request, ""))
    return _json(b"".join([b'{"results":[', *pieces, b"]}"]))


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json", charset="utf-8")
