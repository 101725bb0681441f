"""A text that warns about a scam is not the scam (review 30 #5), and a warning word never
makes a scam read clean (review 31 #1): in a text that reads as a warning about scams and asks
for no action, the patterns it quotes count only as SUPPORTING cues (at most ``suspicious``);
with a link, a phone, 加微信… they keep full strength. Denials ("不是诈骗", "we are not
scammers") are not warnings. The warnings below are written for this test, not taken from data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.scoring.evidence import Role
from server.scoring.resources import bundled_data_dir
from server.text.patterns import Pattern, PatternFileError, PatternSet, prepare
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
#: What scam scripts say about themselves: reassurance, not a warning.
DENIALS = [
    "刷单返利，日结佣金，点赞做任务，正规平台，绝对不是诈骗",
    "刷单返利，日结佣金，点赞做任务，正规平台，不是骗局",
    "刷单返利，日结佣金，正规平台，我们不是骗子",
    "【警方提醒】您的身份证涉嫌洗钱案件，请立即将资金转入安全账户配合调查",
    "You are being investigated for money laundering by the police; transfer funds to a safe "
    "account. We are not scammers.",
    "Transfer your savings to a safe account now, this is not a scam",
]
SUFFIXES = ["。谨防诈骗", " Beware of scammers."]
EXAMPLES = [(p, text) for p in PATTERNS.patterns for text in p.match_examples]


def _ids(matches: list[Any]) -> set[str]:
    return {m.pattern.id for m in matches}


@pytest.mark.parametrize("text", WARNINGS)
def test_a_warning_quoting_a_script_counts_it_only_as_a_cue(text: str) -> None:
    search = PATTERNS.read(text)
    assert search.found == [], text
    # Each warning does quote a script: it is demoted, not cancelled.
    assert search.demoted, text
    assert search.warning is not None and search.warning == PATTERNS.warning(text)
    assert search.ask is None


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    ("pattern", "text"), EXAMPLES, ids=[f"{p.id}-{i}" for i, (p, _) in enumerate(EXAMPLES)]
)
def test_a_warning_pasted_under_a_script_never_hides_it(
    pattern: Pattern, text: str, suffix: str
) -> None:
    plain = PATTERNS.read(text)
    search = PATTERNS.read(text + suffix)
    assert PATTERNS.warning(text + suffix) is not None
    if pattern.id in _ids(plain.found) and (search.ask is not None or not pattern.heeds_warnings):
        assert pattern.id in _ids(search.found), (text, search)
    else:
        assert pattern.id in _ids(search.found + search.demoted), (text, search)


def test_an_action_asked_keeps_a_script_whole_despite_a_warning() -> None:
    for text, ask in [
        ("刷单返利，日结300元，加微信详聊。谨防诈骗", "加微信"),
        ("请立即将资金转入安全账户配合调查，谨防诈骗 https://bit.ly/3abc", "https://bit.ly/3abc"),
        ("Send 0.5 ETH and get 1 ETH back, DM me. Beware of scammers.", "dm me"),
    ]:
        search = PATTERNS.read(text)
        assert search.ask == ask and search.demoted == [] and search.found, text


@pytest.mark.parametrize("text", DENIALS)
def test_denials_and_police_openers_are_not_warnings(text: str) -> None:
    assert PATTERNS.warning(text) is None, text
    search = PATTERNS.read(text)
    assert search.found and search.demoted == [], text


def test_scam_scripts_that_borrow_warning_vocabulary_still_fire() -> None:
    # Scripts call themselves the anti-fraud centre, deny being scammers, demand secrecy.
    search = PATTERNS.read("我这里是市公安局反诈中心，您的账户涉嫌洗钱，请配合调查，不得告诉他人")
    assert "impersonating_authorities" in _ids(search.found)
    assert "safe_account" in _ids(PATTERNS.read("我们不是骗子，请立即把资金转入安全账户").found)


def test_a_pattern_that_opts_out_keeps_its_strength_in_warning_sounding_text() -> None:
    [recovery] = [p for p in PATTERNS.patterns if p.id == "fund_recovery"]
    assert not recovery.heeds_warnings
    search = PATTERNS.read("Lost money to scammers? We recover stolen crypto in 48h")
    assert "fund_recovery" in _ids(search.found)
    assert all(p.heeds_warnings for p in PATTERNS.patterns if p.id != "fund_recovery")


def test_warnings_and_asks_must_be_lists_of_regexes_and_the_opt_out_apply_or_ignore(
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
    path.write_text("asks: 'x'\npatterns:\n" + body, encoding="utf-8")
    with pytest.raises(PatternFileError, match="asks must be a list"):
        PatternSet.load(path)
    path.write_text("warnings: []\npatterns:\n" + body + "    warnings: maybe\n", "utf-8")
    with pytest.raises(PatternFileError, match="one: warnings must be apply"):
        PatternSet.load(path)


def test_prepare_is_what_search_reads() -> None:
    text = "刷单返利都是诈骗"
    assert PATTERNS.search(prepare(text), text) == PATTERNS.read(text)


# --- over HTTP ------------------------------------------------------------------------------


def _check(server: RunningServer, text: str, lang: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": lang})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def test_the_hand_written_warnings_are_at_most_suspicious_and_say_why(
    server: RunningServer,
) -> None:
    for text in WARNINGS:
        verdict = _check(server, text, "zh")
        assert verdict["verdict"] in {"no_known_signals", "suspicious"}, (text, verdict)
        codes = {r["code"] for r in verdict["reasons"]}
        assert "text_patterns.match" not in codes and "scam_text.classifier" not in codes
        assert "text_patterns.match_in_warning" in codes, text


def test_the_police_warning_names_its_warning_phrase_in_both_languages(
    server: RunningServer,
) -> None:
    text = "【反诈提醒】刷单返利都是诈骗！公安机关不会要求转入安全账户。"
    reasons = [
        r
        for r in _check(server, text, "zh")["reasons"]
        if r["code"] == "text_patterns.match_in_warning"
    ]
    assert {r["details"]["pattern"] for r in reasons} >= {"safe_account", "task_rebate"}
    assert all(r["role"] == Role.SUPPORTING.value for r in reasons if "role" in r)
    assert any("防诈骗提醒" in r["message"] and "安全账户" in r["message"] for r in reasons)
    english = _check(server, text, "en")["reasons"]
    assert any("reads like a warning about scams (“反诈提醒”)" in r["message"] for r in english)


def test_a_script_with_a_warning_pasted_under_it_is_judged_like_the_script(
    server: RunningServer,
) -> None:
    script = "您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查"
    assert _check(server, script + "。谨防诈骗", "zh")["verdict"] == "suspicious"
    linked = "刷单返利，日结300元！资金需转入安全账户。下载APP：https://bit.ly/3fzapp"
    for text in (linked, linked + "。谨防诈骗"):
        verdict = _check(server, text, "zh")
        assert verdict["verdict"] == "likely_scam", text
        assert {r["details"].get("pattern") for r in verdict["reasons"]} >= {"safe_account"}
    # The link keeps the patterns whole (the English suffix moves the classifier's score,
    # which is the model's business, not the warning rule's).
    reasons = _check(server, linked + " Beware of scammers.", "en")["reasons"]
    matched = {r["details"]["pattern"] for r in reasons if r["code"] == "text_patterns.match"}
    assert matched >= {"safe_account", "task_rebate"}
    assert "text_patterns.match_in_warning" not in {r["code"] for r in reasons}
    for text in DENIALS:
        assert _check(server, text, "en")["verdict"] != "no_known_signals", text
