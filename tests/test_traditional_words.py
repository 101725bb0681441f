"""Taiwan's and Hong Kong's words in the server's Traditional sentences (review 33 #16): OpenCC
converts characters; these are the words and marks a reader there would write differently."""

from __future__ import annotations

import pytest

from server.traditional import convert_verdicts, to_traditional


def test_taiwan_gets_its_own_words_for_police_transfers_channels_and_quotes() -> None:
    said = to_traditional("要求把钱转入所谓“安全账户”，公安和银行从不会这样要求", "tw")
    assert said == "要求把錢轉入所謂「安全帳戶」，警方和銀行從不會這樣要求"
    assert to_traditional("请通过您信任的渠道核实。", "tw") == "請透過您信任的管道核實。"
    assert to_traditional("立即转账", "tw") == "立即轉帳"


def test_hong_kong_gets_police_and_corner_brackets_but_keeps_its_own_characters() -> None:
    said = to_traditional("“安全账户”，公安局和公安机关从不转账", "hk")
    assert said == "「安全賬户」，警察局和警察機關從不轉賬"
    # 渠道 is Hong Kong's word too; the ministry keeps its name.
    assert to_traditional("渠道", "hk") == "渠道"
    assert to_traditional("公安部", "hk") == "公安部"
    assert to_traditional("本服务器不保存视频", "hk") == "本伺服器不保存影片"


@pytest.mark.parametrize("region", ["tw", "hk"])
def test_a_quoted_address_in_a_verdict_is_still_left_as_it_was(region: str) -> None:
    verdict = {
        "summary": "很可能是诈骗：“中国银行-网上银行.com”在黑名单中。",
        "reasons": [{"message": "公安提醒", "details": {"host": "中国银行-网上银行.com"}}],
    }
    converted = convert_verdicts(verdict, region)
    assert "「中国银行-网上银行.com」" in converted["summary"]
    assert converted["reasons"][0]["message"] == "警方提醒"
