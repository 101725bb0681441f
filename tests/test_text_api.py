"""POST /v1/check/text over HTTP: patterns, the classifier and the links inside, one verdict."""

from __future__ import annotations

from typing import Any

from tests.support.server import RunningServer


def check(server: RunningServer, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body=body)
    assert response.status == status, response.body
    result: dict[str, Any] = response.json()
    return result


def _by_code(verdict: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for reason in verdict["reasons"]:
        found.setdefault(reason["code"], []).append(reason)
    return found


def test_a_police_safe_account_script_is_likely_scam_with_each_reason_explained(
    server: RunningServer,
) -> None:
    verdict = check(
        server,
        {
            "text": "您好，我是公安局民警，您的银行账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不得告诉他人",
            "lang": "zh",
        },
    )
    assert verdict["verdict"] == "likely_scam"
    reasons = _by_code(verdict)
    patterns = {r["details"]["pattern"] for r in reasons["text_patterns.match"]}
    assert {"safe_account", "impersonating_authorities"} <= patterns
    [model] = reasons["scam_text.classifier"]
    assert model["details"]["p_scam"] >= model["details"]["threshold"]
    assert "安全账户" in " ".join(r["message"] for r in reasons["text_patterns.match"])
    assert set(verdict["detectors"]) >= {"text_patterns", "scam_text"}


def test_the_classifier_alone_makes_a_message_suspicious_never_more(server: RunningServer) -> None:
    verdict = check(server, {"text": "Claim your free $PEPE airdrop now, limited spots"})
    assert [r["code"] for r in verdict["reasons"]] == ["scam_text.classifier"]
    assert verdict["verdict"] == "suspicious"


def test_a_blocklisted_link_inside_a_message_is_scored_and_named(server: RunningServer) -> None:
    verdict = check(
        server,
        {"text": "Polkadot airdrop is live! Connect at https://polkadot-dot.info/claim today"},
    )
    assert verdict["verdict"] == "likely_scam"
    assert "lists.blocked_domain" in _by_code(verdict)
    assert verdict["extracted"]["links"] == ["https://polkadot-dot.info/claim"]
    [link] = verdict["links"]
    assert link["registrable_domain"] == "polkadot-dot.info"
    assert "lists.blocked_domain" in link["codes"]


def test_phones_and_wallets_are_reported_as_facts_not_reasons(server: RunningServer) -> None:
    verdict = check(
        server,
        {
            "text": "Dinner money: send it to 0x52908400098527886E0F7030069857D2E4169EE7 "
            "or call me on +44 20 7946 0958"
        },
    )
    assert verdict["extracted"]["wallets"] == [
        {"chain": "evm", "address": "0x52908400098527886E0F7030069857D2E4169EE7"}
    ]
    assert verdict["extracted"]["phones"] == [
        {"text": "+44 20 7946 0958", "digits": "+442079460958"}
    ]
    assert verdict["links"] == []


def test_an_ordinary_message_has_no_known_signals(server: RunningServer) -> None:
    verdict = check(server, {"text": "明天下午三点在车站见面，记得带伞"})
    assert verdict["verdict"] == "no_known_signals"
    assert verdict["reasons"] == []


def test_bad_bodies_get_a_clear_error(server: RunningServer) -> None:
    too_long = check(server, {"text": "x" * 10_001}, status=400)
    assert too_long["code"] == "validation_failed" and "10000" in too_long["error"]
    assert check(server, {"text": 42}, status=400)["code"] == "validation_failed"
    assert check(server, {"text": ""}, status=400)["code"] == "validation_failed"
    assert check(server, {"message": "hi"}, status=400)["code"] == "validation_failed"


def test_pathological_texts_are_judged_whole_not_timed_out(server: RunningServer) -> None:
    # Long runs of digits, dots and hyphens once made regexes quadratic; a detector that
    # overran would make the verdict partial.
    for text in ("1" * 10_000, "a." * 5_000, "a-" * 5_000, "send " * 2_000):
        verdict = check(server, {"text": text})
        assert verdict["partial"] is False, verdict.get("failed_detectors")
        assert verdict["verdict"] in {"no_known_signals", "suspicious", "likely_scam"}


def _has_han(sentence: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in sentence)


def test_a_chinese_message_without_a_language_is_answered_in_chinese(
    server: RunningServer,
) -> None:
    text = "您好，我是公安局民警，您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查"
    verdict = check(server, {"text": text})
    assert _has_han(verdict["summary"]), verdict["summary"]
    assert all(_has_han(r["message"]) for r in verdict["reasons"])
    # A client that names a language still gets it.
    english = server.request(
        "POST", "/v1/check/text", json_body={"text": text}, headers={"Accept-Language": "en"}
    ).json()
    assert not _has_han(english["summary"])
    assert not _has_han(check(server, {"text": text, "lang": "en"})["summary"])


def test_a_traditional_chinese_message_without_a_language_gets_traditional_sentences(
    server: RunningServer,
) -> None:
    verdict = check(
        server, {"text": "您被騙的資金可以追回，請加賴聯繫技術員協助操作，先支付保證金"}
    )
    sentences = verdict["summary"] + "".join(r["message"] for r in verdict["reasons"])
    assert _has_han(sentences)
    # 这/们/诈骗 are Simplified; a Traditional reader gets 這/們/詐騙.
    assert not set("这们诈骗个说") & set(sentences), sentences


def test_an_english_message_without_a_language_is_answered_in_english(
    server: RunningServer,
) -> None:
    verdict = check(server, {"text": "Claim your free $PEPE airdrop now, limited spots"})
    assert not _has_han(verdict["summary"])


def test_a_bare_domain_glued_to_chinese_text_is_found_and_scored(server: RunningServer) -> None:
    verdict = check(server, {"text": "张医生推荐的特效药，请到官网zwh.shop购买，限时优惠"})
    assert verdict["extracted"]["links"] == ["zwh.shop"]
    [link] = verdict["links"]
    assert link["registrable_domain"] == "zwh.shop"


def test_a_weak_sign_alone_is_named_in_the_summary_not_contradicted_by_it(
    server: RunningServer,
) -> None:
    text = "Congratulations! You have won a $1000 gift card. Click here to claim now."
    for lang, opening in (
        ("en", "No strong warning signs, but note: "),
        ("zh", "未发现明显风险信号"),
    ):
        verdict = check(server, {"text": text, "lang": lang})
        assert verdict["verdict"] == "no_known_signals"
        weak = [r for r in verdict["reasons"] if r["role"] == "supporting"]
        assert weak and verdict["summary"].startswith(opening)
        assert weak[0]["message"] in verdict["summary"]
    plain = check(server, {"text": "See you at lunch tomorrow?", "lang": "en"})
    assert plain["summary"] == "No known warning signs. That is not a guarantee of safety."
