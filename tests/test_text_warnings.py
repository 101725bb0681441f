"""A text that warns about a scam is not the scam (review 30 #5): the shared warning words of
``text_patterns.yaml`` cancel every pattern unless it opts out, and the classifier's score in
a warning is only a cue. The warnings below are written for this test, not taken from data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.scoring.resources import bundled_data_dir
from server.text.patterns import PatternFileError, PatternSet, prepare
from tests.support.server import RunningServer

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")

WARNINGS = [
    "【反诈提醒】刷单返利都是诈骗！公安机关不会要求转入安全账户。",
    "刷单返利 是诈骗，请大家不要相信",
    "警方提示：凡是自称公安局民警、说你涉嫌洗钱要你配合调查的，都是诈骗",
    "谨防“客服退款”骗局：对方让你共享屏幕、提供验证码，立即挂断",
    "切勿相信“转一个比特币返还双倍”的活动，钱转出去就回不来了",
    "无抵押贷款要先交手续费的，一律是骗子，千万不要相信",
    "Warning from the police: never transfer money to a safe account.",
    "Beware: a 'customer service' call offering a refund that asks for a verification code",
    "Banks will never ask you to pay a fee urgently by gift card. Hang up.",
    "If someone texts 'hi mum, new number, can you pay a bill' it is a scam, call them first",
    "Fake airdrops ask you to connect your wallet and enter your seed phrase. Beware!",
]


def _fired(text: str) -> set[str]:
    return {m.pattern.id for m in PATTERNS.match(text)}


@pytest.mark.parametrize("text", WARNINGS)
def test_a_warning_quoting_a_script_fires_no_pattern(text: str) -> None:
    search = PATTERNS.search(prepare(text))
    assert search.found == [], text
    assert _fired(text) == set(), text
    # Each warning does quote a script: without its warning words a pattern would fire.
    assert search.cancelled, text
    assert search.warning is not None and search.warning == PATTERNS.warning(text)


def test_scam_scripts_that_borrow_warning_vocabulary_still_fire() -> None:
    # Scripts call themselves the anti-fraud centre, deny being scammers, demand secrecy.
    assert "impersonating_authorities" in _fired(
        "我这里是市公安局反诈中心，您的账户涉嫌洗钱，请配合调查，不得告诉他人"
    )
    assert "safe_account" in _fired("我们不是骗子，请立即把资金转入安全账户")


def test_a_pattern_that_opts_out_fires_in_warning_sounding_text() -> None:
    [recovery] = [p for p in PATTERNS.patterns if p.id == "fund_recovery"]
    assert not recovery.heeds_warnings
    assert "fund_recovery" in _fired("Lost money to scammers? We recover stolen crypto in 48h")
    assert all(p.heeds_warnings for p in PATTERNS.patterns if p.id != "fund_recovery")


def test_warnings_must_be_a_list_of_regexes_and_the_opt_out_apply_or_ignore(
    tmp_path: Path,
) -> None:
    body = (
        "  - id: one\n    role: supporting\n    weight: 0.3\n"
        "    name: {en: x, zh: x}\n    why: {en: y, zh: y}\n    all_of: [['a']]\n"
    )
    path = tmp_path / "patterns.yaml"
    path.write_text("warnings: ['(unclosed']\npatterns:\n" + body, encoding="utf-8")
    with pytest.raises(PatternFileError, match="warnings: bad regex"):
        PatternSet.load(path)
    path.write_text("warnings: []\npatterns:\n" + body + "    warnings: maybe\n", "utf-8")
    with pytest.raises(PatternFileError, match="one: warnings must be apply"):
        PatternSet.load(path)


# --- over HTTP ------------------------------------------------------------------------------


def _check(server: RunningServer, text: str, lang: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": lang})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def test_the_reviews_police_warning_is_no_longer_likely_scam_and_says_why(
    server: RunningServer,
) -> None:
    text = (
        "【反诈提醒】刷单返利都是诈骗！公安机关不会要求转入安全账户。"
        "下载国家反诈中心APP：https://bit.ly/3fzapp"
    )
    verdict = _check(server, text, "zh")
    assert verdict["verdict"] != "likely_scam"
    codes = {r["code"]: r for r in verdict["reasons"]}
    assert "text_patterns.match" not in codes
    context = codes["text_patterns.warning_context"]
    assert set(context["details"]["patterns_not_counted"]) >= {"safe_account", "task_rebate"}
    assert "防诈骗提醒" in context["message"] and "安全账户" in context["message"]
    if "scam_text.classifier_in_warning" in codes:
        assert codes["scam_text.classifier_in_warning"]["details"]["warning"]
    assert "scam_text.classifier" not in codes
    english = _check(server, text, "en")
    [context_en] = [r for r in english["reasons"] if r["code"] == "text_patterns.warning_context"]
    assert "reads as a warning about scams" in context_en["message"]


def test_the_same_script_without_the_warning_is_still_likely_scam(server: RunningServer) -> None:
    text = "刷单返利，日结300元！资金需转入安全账户。下载APP：https://bit.ly/3fzapp"
    verdict = _check(server, text, "zh")
    assert verdict["verdict"] == "likely_scam"
    assert {r["details"].get("pattern") for r in verdict["reasons"]} >= {"safe_account"}
