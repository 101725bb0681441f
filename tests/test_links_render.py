"""Link verdicts rendered to bytes for the check endpoints equal the verdict object itself."""

from __future__ import annotations

import asyncio

import orjson

from server.engine import Engine

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
