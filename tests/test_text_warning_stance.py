"""A warning must take a stance against a scam, and a script's own demands are asks (review 34
#6). Scripts close with their own phrases ("切勿告诉家人", "谨防假冒，认准官方", "do not share this
with anyone", "TG: name"): none of them may demote the script. An advisory that cites a
government page or a news site asks nothing of its reader: its quoted script stays a cue, and
a cue weighs half, so the advisory alone is no verdict."""

from __future__ import annotations

from typing import Any

import pytest

from server.scoring.resources import bundled_data_dir
from server.text.patterns import PatternSet
from tests.support.server import RunningServer

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")
#: What scam scripts say about themselves, appended to every pattern's match examples.
SCRIPT_PHRASES = [
    "，切勿告诉家人",
    "，千万不要告诉任何人",
    "，谨防假冒，认准官方",
    "。警惕骗子冒充我们！",
    ". Do not share this with anyone.",
    ". Beware of fake accounts, only this one is real.",
]
#: Contact handles and demands a script ends with: each is an ask.
ASKS = [
    "加薇 abc12345",
    "+V：abc12345",
    "➕vx abc12345",
    "威信：abc12345",
    "扣扣：12345678",
    "飞机 @giveaway_eth",
    "电报@giveaway_eth",
    "TG: eth_giveaway",
    "请立即将资金转入指定账户",
    "转入1个比特币",
    "Send 0.5 ETH to the address above",
]
EXAMPLES = [(p, text) for p in PATTERNS.patterns for text in p.match_examples]
#: Warnings that are one sentence of advice, no action asked, in both languages.
ADVISORIES = [
    "【反诈提醒】刷单返利都是诈骗！公安机关不会要求转入安全账户。",
    "民警提醒：公检法不会要求您把钱转入安全账户，接到这类电话请直接挂断",
    "中国建设银行提醒：我行绝不会要求您将资金转入安全账户，谨防诈骗。",
    "Warning from the police: never transfer money to a safe account.",
]
REFERENCES = [
    "https://www.gov.cn/x",
    "https://www.mps.gov.cn/n2254314/index.html",
    "https://www.bbc.co.uk/news/uk-123",
]


def _ids(matches: list[Any]) -> set[str]:
    return {m.pattern.id for m in matches}


@pytest.mark.parametrize("phrase", SCRIPT_PHRASES)
def test_a_script_s_own_closing_phrase_is_not_a_warning(phrase: str) -> None:
    for pattern, text in EXAMPLES:
        plain = PATTERNS.read(text)
        if pattern.id not in _ids(plain.found):
            continue  # the example is itself a warning-sounding one: not this test's business
        search = PATTERNS.read(text + phrase)
        assert pattern.id in _ids(search.found), (text + phrase, search.warning)


@pytest.mark.parametrize("ask", ASKS)
def test_handles_and_payment_demands_are_asks(ask: str) -> None:
    search = PATTERNS.read("刷单返利都是诈骗。" + ask)
    assert search.ask is not None, ask
    assert "task_rebate" in _ids(search.found), ask


@pytest.mark.parametrize("link", REFERENCES)
def test_an_advisory_citing_an_official_or_news_page_stays_a_cue(
    server: RunningServer, link: str
) -> None:
    for text in ADVISORIES:
        verdict = _check(server, f"{text} 详情 {link}")
        codes = {r["code"] for r in verdict["reasons"]}
        assert "text_patterns.match" not in codes, (text, link, verdict["reasons"])
        assert "text_patterns.match_in_warning" in codes
        assert verdict["verdict"] == "no_known_signals", (text, link, verdict["reasons"])


def test_an_advisory_with_a_link_elsewhere_keeps_the_script_whole(server: RunningServer) -> None:
    for link in ("https://bit.ly/3abc", "https://t.me/safe_account_help", "http://mps-gov.top/"):
        verdict = _check(server, f"{ADVISORIES[0]} 详情 {link}")
        assert "text_patterns.match" in {r["code"] for r in verdict["reasons"]}, link


def test_a_demoted_script_weighs_half_and_names_its_full_weight(server: RunningServer) -> None:
    [reason] = [
        r
        for r in _check(server, ADVISORIES[1])["reasons"]
        if r["code"] == "text_patterns.match_in_warning"
    ]
    assert reason["details"]["pattern"] == "safe_account"
    assert reason["weight"] == reason["details"]["weight_without_warning"] / 2


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "zh"})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result
