"""A long message is read whole (review 34 #5): a benign preamble as long as the API accepts
does not hide the scam script after it. Patterns search the whole cleaned text; the classifier
reads its first and its last 2,000 characters and names the window it judged."""

from __future__ import annotations

from typing import Any

import pytest

from server.engine import Engine
from server.scoring.detector import Detector
from server.settings import Settings
from server.text.features import MAX_CHARS
from tests.support.server import RunningServer

LIMIT = Settings().max_text_chars
DIARY = {
    "zh": "今天天气很好，我们一家人去公园散步，孩子们在草地上玩得很开心，晚上一起包了饺子。",
    "en": "We spent the weekend at the lake with the kids and had a picnic by the water. ",
}
#: The classifier's tail window is 2,000 characters: a short English script at the end of one
#: is diluted by the preamble in the same window (a model limit, in its card); the patterns and
#: the Chinese police script below are not.
TEXT_DETECTORS = ("text_patterns",)


def _padded(text: str) -> str:
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    room = LIMIT - len(text) - 1
    return (DIARY[lang] * (room // len(DIARY[lang]) + 1))[:room] + "\n" + text


def _cases() -> list[tuple[str, str, frozenset[str]]]:
    from server.scoring.registry import DETECTORS

    return [
        (factory.name, case.value, case.expect)
        for factory in DETECTORS
        if factory.name in TEXT_DETECTORS
        for case in factory.examples()
        if case.expect
    ]


@pytest.mark.parametrize(("name", "text", "expect"), _cases())
def test_an_example_after_a_benign_preamble_as_long_as_the_api_allows_still_fires(
    engine: Engine, name: str, text: str, expect: frozenset[str]
) -> None:
    detector: Detector = next(d for d in engine.detectors if d.name == name)
    padded = _padded(text)
    assert len(padded) == LIMIT
    codes = {e.code for e in detector.score(padded)}
    assert expect <= codes, (name, text, codes)


def test_the_classifier_names_the_window_it_read(engine: Engine) -> None:
    [detector] = [d for d in engine.detectors if d.name == "scam_text"]
    script = (
        "您好，我是公安局民警，您的银行账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不得告诉他人"
    )
    [short] = detector.score(script)
    assert short.details["window"] == "whole"
    [late] = detector.score(_padded(script))
    assert late.details["window"] == "tail"
    # Scam first, preamble after: the head window holds it.
    trailer = (DIARY["zh"] * LIMIT)[: LIMIT - len(script)]
    [early] = detector.score(script + trailer)
    assert early.details["window"] == "head"
    assert len(_padded(script)) > 2 * MAX_CHARS


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "en"})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def test_over_http_a_script_at_the_end_of_the_longest_message_is_judged_as_alone(
    server: RunningServer,
) -> None:
    script = (
        "您好，我是公安局民警，您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不得告诉他人"
    )
    alone = _check(server, script)
    late = _check(server, _padded(script))
    assert alone["verdict"] == late["verdict"] == "likely_scam"
    assert {r["code"] for r in late["reasons"]} == {r["code"] for r in alone["reasons"]}
    english = "Your bank account is compromised, transfer your savings to a safe account now"
    assert _check(server, _padded(english))["verdict"] != "no_known_signals"
