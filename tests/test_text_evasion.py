"""Hangul fillers, control characters, look-alike letters from more scripts, and spaces or dots
between Chinese characters hide no script (review 31 #5): every ``match:`` example of
``text_patterns.yaml`` still fires with them between all its characters, and the invisible
ones raise the hidden-characters cue."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from server.detectors.text_patterns import HIDDEN_INSIDE_WORDS
from server.scoring.resources import bundled_data_dir
from server.text.features import hashed
from server.text.normalise import clean, fold_confusables, hidden_inside_words, strip_hidden
from server.text.patterns import PatternSet, prepare
from tests.support.server import RunningServer

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")
#: Default ignorable letters (Hangul fillers, U+FFF0) and C0/C1 controls a chat shows as nothing.
INVISIBLES = ["\u115f", "\u1160", "\u3164", "\uffa0", "\ufff0", "\x00", "\x1f", "\x7f", "\x85"]
EXAMPLES = [(p.id, text) for p in PATTERNS.patterns for text in p.match_examples]


def _fired(text: str) -> set[str]:
    return {m.pattern.id for m in PATTERNS.match(text)}


def _between_cjk(text: str, sep: str) -> str:
    out = text[:1]
    for before, after in itertools.pairwise(text):
        cjk = "\u4e00" <= before <= "\u9fff" and "\u4e00" <= after <= "\u9fff"
        out += (sep if cjk else "") + after
    return out


@pytest.mark.parametrize("char", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
def test_every_example_fires_through_invisible_characters_and_raises_the_cue(char: str) -> None:
    for pid, text in EXAMPLES:
        padded = char.join(text)
        assert pid in _fired(padded), (pid, padded)
        assert strip_hidden(padded)[1] >= len(text) - 1
        assert hidden_inside_words(padded) >= HIDDEN_INSIDE_WORDS, padded


@pytest.mark.parametrize(
    "sep", [" ", ".", "·", "\u3000", "\u2800", "\u2005", "\u1680", "\u200b \u200b"]
)
def test_every_chinese_example_fires_with_spaces_or_dots_between_its_characters(sep: str) -> None:
    chinese = [(pid, text) for pid, text in EXAMPLES if _between_cjk(text, "|") != text]
    assert len(chinese) >= 10
    for pid, text in chinese:
        assert pid in _fired(_between_cjk(text, sep)), (pid, _between_cjk(text, sep))


def test_only_gaps_between_two_cjk_characters_close_and_only_for_the_patterns() -> None:
    assert prepare("安 全 账户 a b, 好 的") == "安全账户 a b, 好的"
    assert prepare("转入 安全账户。 现在") == "转入安全账户。 现在"
    # The classifier's features read the text as sent (golden outputs must not move).
    assert clean("安 全 账 户") == "安 全 账 户"
    spaced, plain = hashed("安 全 账 户"), hashed("安全账户")
    assert spaced[0].tolist() != plain[0].tolist()


def test_controls_are_dropped_but_tab_and_newlines_stay() -> None:
    assert strip_hidden("a\x00b\x1fc\x7fd\x85e") == ("abcde", 4)
    assert strip_hidden("line\tone\r\nline two") == ("line\tone\r\nline two", 0)


def test_look_alike_letters_of_more_scripts_fold_in_latin_words() -> None:
    # Armenian o and u, Latin alpha, Greek rho, Cyrillic ghe.
    for spoof in ["accօunt", "аccoսnt", "sɑfe", "ρay", "гeset"]:
        assert fold_confusables(spoof).isascii(), spoof
    assert "safe_account" in _fired("Transfer your savings to a safe accօunt now")
    assert "safe_account" in _fired("Transfer your savings to a sɑfe account now")
    assert fold_confusables("ρυκ αβγ") == "ρυκ αβγ"  # a Greek word stays Greek


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "en"})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def test_a_script_split_by_hangul_fillers_is_judged_and_flagged_over_http(
    server: RunningServer,
) -> None:
    script = "您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查"
    for char in ("\u3164", "\x00"):
        verdict = _check(server, char.join(script))
        codes = {r["code"] for r in verdict["reasons"]}
        assert {"text_patterns.match", "text_patterns.hidden_characters"} <= codes
        assert verdict["verdict"] in {"suspicious", "likely_scam"}
