"""Readers in Taiwan and Hong Kong get the server's sentences in Traditional characters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.i18n import chinese_script, negotiate
from tests.support.server import RunningServer

SCAM = "https%3A%2F%2Fpolkadot-dot.info%2Fclaim"
POLICE_SCRIPT = "您好，我是公安局的民警，您的账户涉嫌洗钱，请立即把资金转到安全账户配合调查。"


@pytest.mark.parametrize(
    ("query", "accept", "script"),
    [
        ("zh-TW", None, "tw"),
        ("zh-Hant", None, "tw"),
        ("zh-Hant-HK", None, "hk"),
        ("zh_HK", None, "hk"),
        ("zh-MO", None, "hk"),
        (None, "zh-TW,zh;q=0.9,en;q=0.8", "tw"),
        (None, "en-US,zh-HK;q=0.5", None),  # English wins, no Chinese at all
        ("zh-Hans-TW", None, None),  # asked for Simplified explicitly
        ("zh-CN", None, None),
        ("zh", None, None),
        ("klingon", "zh-HK", "hk"),  # an unknown ?lang= falls through to the header
        (None, None, None),
    ],
)
def test_which_tags_ask_for_traditional_characters(
    query: str | None, accept: str | None, script: str | None
) -> None:
    assert chinese_script(query, accept) == script
    if script is not None:
        assert negotiate(query, accept) == "zh"


def _get(server: RunningServer, path: str, **headers: str) -> tuple[dict[str, Any], str]:
    response = server.request("GET", path, headers=headers)
    assert response.status == 200, response.body
    return response.json(), response.headers.get("Content-Language", "")


def test_a_link_verdict_in_taiwan_reads_traditional_and_in_china_simplified(
    server: RunningServer,
) -> None:
    taiwan, language = _get(server, f"/v1/check/link?url={SCAM}&lang=zh-TW")
    assert language == "zh-TW"
    assert taiwan["summary"].startswith("很可能是詐騙")
    assert "不要輸入密碼、驗證碼或付款資訊" in taiwan["summary"]  # Taiwan's word for 信息
    assert all("诈骗" not in r["message"] for r in taiwan["reasons"])

    china, language = _get(server, f"/v1/check/link?url={SCAM}&lang=zh-CN")
    assert language == "zh-CN"
    assert china["summary"].startswith("很可能是诈骗")
    assert china["verdict"] == taiwan["verdict"]
    assert [r["code"] for r in china["reasons"]] == [r["code"] for r in taiwan["reasons"]]


def test_hong_kong_comes_from_accept_language_and_keeps_hong_kong_words(
    server: RunningServer,
) -> None:
    hk, language = _get(server, f"/v1/check/link?url={SCAM}", **{"Accept-Language": "zh-HK"})
    assert language == "zh-HK"
    assert "不要輸入密碼、驗證碼或付款信息" in hk["summary"]  # 信息 stays in Hong Kong


def test_the_evidence_is_quoted_as_it_was_sent_only_the_sentences_change(
    server: RunningServer,
) -> None:
    response = server.request(
        "POST", "/v1/check/text?lang=zh-TW", json_body={"text": POLICE_SCRIPT}
    )
    assert response.status == 200, response.body
    verdict = response.json()
    safe_account = next(r for r in verdict["reasons"] if r["details"].get("pattern"))
    assert "安全账户" in json.dumps(safe_account["details"], ensure_ascii=False)
    message = safe_account["message"]
    assert "账户" not in message and ("賬戶" in message or "帳戶" in message)


def test_a_batch_of_links_is_converted_in_every_result(server: RunningServer) -> None:
    urls = [f"https://polkadot-dot.info/claim/{i}" for i in range(100)]
    response = server.request(
        "POST",
        "/v1/check/links",
        json_body={"urls": urls},
        headers={"Accept-Language": "zh-Hant"},
    )
    assert response.status == 200, response.body
    results = response.json()["results"]
    assert [r["url"] for r in results] == urls
    assert all(r["summary"].startswith("很可能是詐騙") for r in results)


def test_why_a_link_cannot_be_read_is_said_in_traditional_too(server: RunningServer) -> None:
    response = server.request(
        "POST", "/v1/check/links?lang=zh-TW", json_body={"urls": ["not a link at all"]}
    )
    assert response.status == 200, response.body
    taiwan = response.json()["results"][0]
    assert taiwan["verdict"] == "unknown"
    assert taiwan["error"]["message"] == "這不是我們能識別的網址。"
    assert "网" not in taiwan["summary"]


def test_the_bots_body_lang_asks_for_traditional_too(server: RunningServer) -> None:
    response = server.request(
        "POST",
        "/v1/check/links",
        json_body={"urls": ["https://polkadot-dot.info/claim"], "lang": "zh-Hant"},
    )
    assert response.status == 200, response.body
    assert response.json()["results"][0]["summary"].startswith("很可能是詐騙")


def test_a_chinese_domain_quoted_in_a_sentence_keeps_its_characters(
    fresh_server: RunningServer,
) -> None:
    domain = "中国银行-网上银行.com"
    added = fresh_server.request(
        "POST", "/v1/lists/entries", json_body={"value": domain, "action": "block"}
    )
    assert added.status in (200, 201), added.body
    response = fresh_server.request(
        "POST",
        "/v1/check/links?lang=zh-TW",
        json_body={"urls": [f"https://{domain}/login"]},
    )
    assert response.status == 200, response.body
    verdict = response.json()["results"][0]
    assert verdict["verdict"] == "likely_scam"
    blocked = next(r for r in verdict["reasons"] if r["code"] == "lists.blocked_domain")
    assert domain in blocked["message"] and "黑名單" in blocked["message"]
    assert domain in verdict["summary"] and "詐騙" in verdict["summary"]


def test_taiwan_reads_its_own_word_where_the_phrase_table_picks_the_wrong_sense() -> None:
    from server.traditional import to_traditional

    # A moderator's review, a person impersonated, a picture: not an audit, an object, a misprint.
    assert to_traditional("已被举报，审核中", "tw") == "已被舉報，審核中"
    assert to_traditional("冒充对象：{who}。", "tw") == "冒充對象：{who}。"
    assert to_traditional("AI图像生成工具", "tw") == "AI影像生成工具"
    # A bank account is 帳戶 in Taiwan (the table writes 賬戶); Hong Kong keeps its 賬户.
    assert to_traditional("请转入安全账户，账号和账单", "tw") == "請轉入安全帳戶，帳號和帳單"
    assert to_traditional("安全账户", "hk") == "安全賬户"
    # Taiwan's other words still come from the table, and Hong Kong keeps its own.
    assert to_traditional("审核员密钥", "tw") == "審核員金鑰"
    assert to_traditional("审核员密钥", "hk") == "審核員密鑰"


def test_every_verdict_says_its_language(server: RunningServer) -> None:
    _, english = _get(server, f"/v1/check/link?url={SCAM}&lang=en")
    _, chinese = _get(server, f"/v1/check/link?url={SCAM}", **{"Accept-Language": "zh"})
    text = server.request("POST", "/v1/check/text", json_body={"text": "hi", "lang": "zh"})
    assert (english, chinese, text.headers.get("Content-Language")) == ("en", "zh-CN", "zh-CN")
