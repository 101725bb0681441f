"""A text check finds links whose host is written in another script (IDN: Chinese, a Cyrillic
look-alike letter, punycode) and scores them with the link detectors, while Chinese text
written flush against an ASCII link still ends it, and ordinary Chinese sentences are never
read as hosts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import RunningServer


def _check_text(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text})
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict


IDN = [
    # (message, link as found, its registrable domain in punycode, a code it must raise)
    ("请登录 支付宝-安全.com 领取", "支付宝-安全.com", "xn----c06az5flyq2ct31e.com", "lookalike."),
    (
        "请看 https://支付宝-登录.top/x",
        "https://支付宝-登录.top/x",
        "xn----c06ap22b3vd53ig41a.top",
        "lookalike.",
    ),
    (
        "点击https://支付宝-登录.top/x领取奖励",
        "https://支付宝-登录.top/x",
        "xn----c06ap22b3vd53ig41a.top",
        "lookalike.",
    ),
    (
        "Verify at https://аpple.com/x today",
        "https://аpple.com/x",
        "xn--pple-43d.com",
        "lookalike.",
    ),
    ("Verify at аpple.com today", "аpple.com", "xn--pple-43d.com", "lookalike."),
    # A sentence's full stop after the host is not part of it (nor is "pple.com" a host).
    ("Verify your account at аpple.com.", "аpple.com", "xn--pple-43d.com", "lookalike."),
    ("验证 xn--80ak6aa92e.com 账户", "xn--80ak6aa92e.com", "xn--80ak6aa92e.com", "lookalike."),
]


@pytest.mark.parametrize(("text", "link", "registrable", "code"), IDN)
def test_an_idn_host_in_a_message_is_extracted_and_scored(
    server: RunningServer, text: str, link: str, registrable: str, code: str
) -> None:
    verdict = _check_text(server, text)
    assert verdict["extracted"]["links"] == [link]
    (summary,) = verdict["links"]
    assert summary["registrable_domain"] == registrable
    assert any(c.startswith(code) for c in summary["codes"]), summary
    assert verdict["verdict"] in ("suspicious", "likely_scam")


def test_www_idn_host_flush_against_chinese_keeps_its_path_and_drops_the_text(
    server: RunningServer,
) -> None:
    verdict = _check_text(server, "请登录www.支付宝.com/login领取奖励")
    assert verdict["extracted"]["links"] == ["www.支付宝.com/login"]


@pytest.mark.parametrize(
    ("text", "links"),
    [
        # Chinese text flush against an ASCII host ends (and starts) the link.
        ("请登录https://evil.info领取", ["https://evil.info"]),
        ("请登录evil.info领取", ["evil.info"]),
        ("访问https://x.cn，电话13812345678", ["https://x.cn"]),
        ("https://example.com:8080领取", ["https://example.com:8080"]),
        # Ordinary sentences, with full stops of either kind, name no host.
        ("今天天气很好。明天见。", []),
        ("我到家了.love you", []),
        ("谢谢你.me", []),
        ("https://领取奖励", []),
        # A scheme or www. alone names no site.
        ("看 http://www. 这里，或 https:// 那里", []),
    ],
)
def test_chinese_text_around_links_is_not_a_host(
    server: RunningServer, text: str, links: list[str]
) -> None:
    verdict = _check_text(server, text)
    assert verdict["extracted"]["links"] == links


def test_a_phone_after_a_link_flush_against_chinese_is_still_found(
    server: RunningServer,
) -> None:
    verdict = _check_text(server, "点击https://x.cn领取,电话13812345678")
    assert verdict["extracted"]["links"] == ["https://x.cn"]
    assert [p["digits"] for p in verdict["extracted"]["phones"]] == ["13812345678"]
