"""Link verdicts rendered to bytes for the check endpoints equal the verdict object itself."""

from __future__ import annotations

import asyncio

import orjson

from server.engine import Engine
from server.scoring.pipeline import LinkResult
from server.web.urls import link_path

URLS = [
    "https://paypa1.com/signin",
    "https://paypa1.com/other-page",  # same host, nothing new in the path: a shared outcome
    "https://eth-giveaway-claim.top/claim?x=1",
    "https://www.google.com/url?q=https://example.org/",
    "http://paypal.com@evil.example/",
    "https://polkadot-dot.info/claim",
    "javascript:alert(1)",
    "https://例子。中国/路径",
]


def test_rendered_bytes_equal_the_verdict_object_in_every_language(engine: Engine) -> None:
    versions = engine.versions()
    state = engine.lists_version
    for lang in ("en", "zh", "en", "zh-TW"):  # twice: the second pass reuses rendered parts
        results = asyncio.run(engine.check_links(URLS, None, state))
        rendered = engine.link_json(results, lang, state)
        for result, (body, normalized) in zip(results, rendered, strict=True):
            assert body == orjson.dumps(engine.renderer.link_result(result, lang, versions))
            assert normalized == (result.link.url if result.link else None)


def test_pages_of_one_host_share_the_rendered_verdict_but_keep_their_own_url(
    engine: Engine,
) -> None:
    state = engine.lists_version
    results = asyncio.run(engine.check_links(URLS[:2], None, state))
    assert results[0].outcome is results[1].outcome
    first, second = (orjson.loads(body) for body, _ in engine.link_json(results, "en", state))
    assert first["url"] != second["url"] and first["reasons"] == second["reasons"]


def _item_the_long_way(engine: Engine, result: LinkResult, lang: str, origin: str) -> bytes:
    """The verdict object plus ``verdict_url``, serialised whole (what the endpoints sent
    before their answers were assembled from cached pieces)."""
    verdict = engine.renderer.link_result(result, lang, engine.versions())
    normalized = result.link.url if result.link else None
    verdict["verdict_url"] = origin + link_path(normalized) if normalized else None
    return orjson.dumps(verdict)


def test_check_answers_assembled_from_cached_pieces_equal_the_verdict_serialised_whole(
    engine: Engine,
) -> None:
    urls = [*URLS, *(case.value for d in engine.detectors for case in d.examples())]
    urls += [
        "http://user:secret@paypa1.com:8443/login",
        "https://t.co/abc?1",
        "HTTPS://WWW.EXAMPLE.COM./Giveaway",
        "example.org/返利/中奖?id=3",
        "http://3232235777/",
        "https://раypal.com/",
        "",
        "ht!tp://x/%%%",
    ]
    state = engine.lists_version
    for origin in ("http://127.0.0.1:8080", 'https://odd"host\\name'):
        for lang in ("en", "zh", "en"):  # the second English pass reads the caches
            results = asyncio.run(engine.check_links(urls, None, state))
            whole = b"".join(engine.link_pieces(results, lang, state, origin))
            items = [_item_the_long_way(engine, result, lang, origin) for result in results]
            assert whole == b",".join(items)
            for result in results[:3]:
                alone = b"".join(engine.link_pieces([result], lang, state, origin))
                assert alone == _item_the_long_way(engine, result, lang, origin)
