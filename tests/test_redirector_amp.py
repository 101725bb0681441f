"""A redirector whose wrapped value is itself a whole URL (with its scheme, percent-encoded, or
both) is unwrapped to that URL, never read as a host named ``https``.

``0101.systems`` is in the bundled MetaMask blocklist, so judging the destination gives
``lists.blocked_domain``; judging a host ``https`` (the old reading) gives nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import RunningServer

BLOCKED = "0101.systems"


def _check(server: RunningServer, *urls: str) -> list[dict[str, Any]]:
    response = server.request("POST", "/v1/check/links", json_body={"urls": list(urls)})
    assert response.status == 200, response.body
    results: list[dict[str, Any]] = response.json()["results"]
    return results


WRAPPED = [
    # Google's AMP viewer: /amp/s/<host>/<path> is https, /amp/<host>/<path> http, but a
    # whole URL after the prefix is what the viewer opens.
    f"https://www.google.com/amp/s/https://{BLOCKED}/login",
    f"https://www.google.com/amp/https://{BLOCKED}/login",
    f"https://www.google.com/amp/s/http://{BLOCKED}/login",
    f"https://www.google.co.uk/amp/s/HTTPS://{BLOCKED}/login",
    f"https://www.google.com/amp/s/http%3A%2F%2F{BLOCKED}%2Flogin",
    f"https://www.google.com/amp/s/https%253A%252F%252F{BLOCKED}%252Flogin",
    f"https://www.google.com/amp/s/https:%2F%2F{BLOCKED}/login",
    f"https://www.google.com/amp/s/{BLOCKED}%2Flogin",
    f"https://www.google.com/amp/s///{BLOCKED}/login",
    # The AMP cache has the same shape.
    f"https://cdn.ampproject.org/c/s/https://{BLOCKED}/login",
    f"https://cdn.ampproject.org/v/s/https%3A%2F%2F{BLOCKED}%2Flogin",
    # Query-carried targets encoded once more than the query itself, with or without scheme.
    f"https://www.google.com/url?q=https%253A%252F%252F{BLOCKED}%252Flogin",
    f"https://l.facebook.com/l.php?u={BLOCKED}%252Flogin",
    f"https://weixin110.qq.com/cgi-bin/mmspamsupport-bin/newredirectconfirmcgi?url={BLOCKED}%252Flogin",
    f"https://link.zhihu.com/?target=https%253A//{BLOCKED}/login",
]


@pytest.mark.parametrize("url", WRAPPED)
def test_a_wrapped_whole_url_is_judged_by_its_destination(server: RunningServer, url: str) -> None:
    (result,) = _check(server, url)
    assert result["normalized"]["host"] == BLOCKED, result["normalized"]
    assert result["normalized"]["unwrapped_from"], result["normalized"]
    assert result["verdict"] == "likely_scam"
    assert "lists.blocked_domain" in [reason["code"] for reason in result["reasons"]]


def test_ordinary_amp_links_still_unwrap_to_their_host(server: RunningServer) -> None:
    plain, idn, harmless = _check(
        server,
        f"https://www.google.com/amp/s/{BLOCKED}/login",
        "https://www.google.com/amp/s/支付宝-登录.top/x",
        "https://www.google.com/amp/s/www.bbc.co.uk/news/world",
    )
    assert plain["normalized"]["url"] == f"https://{BLOCKED}/login"
    assert plain["verdict"] == "likely_scam"
    assert idn["normalized"]["host_unicode"] == "支付宝-登录.top"
    assert harmless["normalized"]["url"] == "https://www.bbc.co.uk/news/world"
    assert harmless["verdict"] == "no_known_signals"
