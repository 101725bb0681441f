"""``POST /v1/check/text``: a message → the verdict object.

The text goes through the TEXT detectors (scam patterns, the scam-text classifier…); the
links found in it go through the LINK detectors; both parts merge and combine once, so a
flagged link inside a scam script corroborates it. Phone numbers and wallet addresses are
reported under ``extracted`` (facts, not judgements).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from server.api.body import dumps, json_object, query_params, string_field
from server.api.checks import _lang
from server.api.state import AUTH, CPU, ENGINE, SETTINGS
from server.api.traditional import CHINESE_SCRIPT
from server.engine import Engine
from server.keys import KeyRole
from server.links.url import InvalidUrl, Link
from server.scoring.detector import ContentKind
from server.scoring.pipeline import Scored
from server.text.extract import Extracted, extract
from server.text.script import is_traditional, language_of
from server.web.urls import text_verdict_url

routes = web.RouteTableDef()


@routes.post("/v1/check/text")
async def check_text(request: web.Request) -> web.Response:
    """``{"text": …, "lang"?: response language}`` → the verdict object with ``extracted``
    (links, phones, wallets) and ``links`` (each link found and the codes it raised).

    Without ``lang``, ``?lang=`` or ``Accept-Language`` the answer is in the message's own
    language, judged from its script (Chinese text gets Chinese sentences)."""
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    settings = request.app[SETTINGS]
    query_params(request, ("lang",))
    body = await json_object(request, allowed=("text", "lang"), required=("text",))
    text = string_field(body["text"], "text", max_length=settings.max_text_chars)
    lang = _lang(request, body["lang"]) if "lang" in body else _lang(request)
    if _no_language_given(request, body):
        lang = _lang_from_script(request, text, lang)
    engine = request.app[ENGINE]
    cpu = request.app[CPU]
    loop = asyncio.get_running_loop()
    extracted, links = await loop.run_in_executor(cpu, _extract_links, engine, text)
    [text_scored] = await engine.pipeline.score(ContentKind.TEXT, [text], cpu)
    link_scored = await engine.pipeline.score(ContentKind.LINK, [link for _, link in links], cpu)
    scored = text_scored.merge(*link_scored)
    kinds = (ContentKind.TEXT, ContentKind.LINK) if links else (ContentKind.TEXT,)
    extra = {
        "extracted": extracted.as_details(),
        "links": [
            _link_summary(raw, link, s) for (raw, link), s in zip(links, link_scored, strict=True)
        ],
    }
    verdict = engine.render(scored, lang, kinds, extra)
    verdict["verdict_url"] = text_verdict_url(request, text)
    return web.json_response(verdict, dumps=dumps)


def _no_language_given(request: web.Request, body: dict[str, Any]) -> bool:
    return (
        "lang" not in body
        and not request.query.get("lang")
        and not request.headers.get("Accept-Language", "").strip()
    )


def _lang_from_script(request: web.Request, text: str, default: str) -> str:
    """The client named no language: answer in the message's own (``server/text/script.py``),
    Traditional characters for a Traditional message."""
    lang = language_of(text) or default
    if lang == "zh":
        request[CHINESE_SCRIPT] = "tw" if is_traditional(text) else None
    return lang


def _extract_links(engine: Engine, text: str) -> tuple[Extracted, list[tuple[str, Link]]]:
    """Extraction and URL parsing (CPU work, run in the executor); unreadable links are
    listed under ``extracted`` but not scored."""
    extracted = extract(text, engine.resources.parser.suffixes.is_suffix)
    links = []
    for raw in extracted.links:
        try:
            links.append((raw, engine.resources.parser.parse(raw)))
        except InvalidUrl:
            continue
    return extracted, links


def _link_summary(raw: str, link: Link, scored: Scored) -> dict[str, Any]:
    return {
        "url": raw,
        "registrable_domain": link.host.registrable,
        "codes": sorted({e.code for e in scored.evidence}),
    }
