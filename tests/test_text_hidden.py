"""Invisible characters hide nothing (review 30 #2): every text reader drops them before it
cuts or searches, ordinary text reads exactly as before, and hiding words is itself a cue."""

from __future__ import annotations

import sys
import unicodedata
from typing import Any

import numpy as np
import pytest

from server.scoring.resources import bundled_data_dir
from server.text.extract import extract
from server.text.features import hashed, normalize
from server.text.normalise import clean, fold_confusables, hidden_inside_words, strip_hidden
from server.text.patterns import PatternSet
from server.text.script import is_traditional, language_of
from tests.support.server import RunningServer

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")
ZWSP = "\u200b"
#: One of each kind a chat shows as nothing.
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u180e",
              "\ufe0f", "\U000e0041", "\u034f"]  # fmt: skip
SCRIPT = (
    "您好，我是公安局民警，您的银行账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不得告诉他人"
)


def _interleave(text: str, sep: str) -> str:
    return sep.join(text)


def _fired(text: str) -> set[str]:
    return {m.pattern.id for m in PATTERNS.match(text)}


def test_every_format_character_of_this_python_is_dropped() -> None:
    format_chars = [
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
    ]
    kept = [f"U+{ord(c):04X}" for c in format_chars if strip_hidden(f"a{c}b")[0] != "ab"]
    assert kept == []


@pytest.mark.parametrize("char", INVISIBLES, ids=lambda c: f"U+{ord(c):04X}")
def test_a_word_split_by_any_invisible_character_reads_whole(char: str) -> None:
    assert clean(_interleave("安全账户", char)) == "安全账户"
    assert clean(_interleave("safe account", char)) == "safe account"


def test_emoji_keep_their_joiners_and_selectors_so_ordinary_messages_do_not_change() -> None:
    for text in ["🦸\u200d♂️ analysis", "❤️\u200d🔥 love it", "1️⃣ first", "⛅️ morning"]:
        assert strip_hidden(text) == (text, 0)


def test_hangul_fillers_are_dropped_and_only_the_braille_blank_becomes_a_space() -> None:
    assert clean("hi\u3164there\u2800now") == "hithere now"
    assert strip_hidden("安\u115f全\u1160账\uffa0户\ufff0") == ("安全账户", 4)


def test_cleaning_happens_before_the_cut() -> None:
    assert clean(ZWSP * 9000 + "安全账户", 10) == "安全账户"


def test_features_of_ordinary_text_are_exactly_what_the_model_was_trained_on() -> None:
    # The pre-fix rule, kept here: NFKC of the first 2000 characters.
    ordinary = ["Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３ and emoji ⛅️🦸\u200d♂️", "日结300元 " * 400]
    for text in ordinary:
        assert unicodedata.normalize("NFKC", text[:2000]) == clean(text, 2000)
    hidden = ZWSP * 2500 + "刷单返利，日结300元"
    assert normalize(hidden) == normalize("刷单返利，日结300元")
    assert np.array_equal(hashed(hidden)[1], hashed("刷单返利，日结300元")[1])


def test_look_alike_letters_in_latin_words_fold_but_other_scripts_stay() -> None:
    assert fold_confusables("sаfe аccount") == "safe account"  # Cyrillic а
    assert fold_confusables("привет мир") == "привет мир"


@pytest.mark.parametrize("pattern", PATTERNS.patterns, ids=lambda p: p.id)
def test_every_pattern_still_fires_through_zero_width_spaces_and_padding(pattern) -> None:  # type: ignore[no-untyped-def]
    for text in pattern.match_examples:
        assert pattern.id in _fired(_interleave(text, ZWSP)), text
        assert pattern.id in _fired(ZWSP * 9000 + text), text
        assert pattern.id in _fired(_interleave(text, "\u00ad")), text


def test_a_link_split_by_invisible_characters_is_extracted_whole() -> None:
    found = extract(f"领取请点 https://bit{ZWSP}.ly/3x{ZWSP}yz 立即", None)
    assert found.links == ("https://bit.ly/3xyz",)


def test_hidden_characters_inside_words_are_counted_blank_lines_and_emoji_are_not() -> None:
    assert hidden_inside_words(_interleave("安全账户", ZWSP)) == 3
    assert hidden_inside_words("line one\u2063\n\u2063\nline two") == 0
    assert hidden_inside_words("\ufeffhello 🦸\u200d♂️") == 0


# --- over HTTP: the review's repros get the verdict of the clean text -------------------------


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "en"})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def _codes(verdict: dict[str, Any]) -> set[str]:
    return {r["code"] for r in verdict["reasons"]}


def test_a_script_with_zero_width_spaces_between_its_characters_is_judged_like_the_clean_one(
    server: RunningServer,
) -> None:
    plain = "您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查"
    clean_verdict = _check(server, plain)
    assert clean_verdict["verdict"] == "suspicious"
    for sep in (ZWSP, "\u00ad", "\u2060"):
        hidden = _check(server, _interleave(plain, sep))
        assert hidden["verdict"] == clean_verdict["verdict"]
        assert _codes(hidden) - {"text_patterns.hidden_characters"} == _codes(clean_verdict)
        [cue] = [r for r in hidden["reasons"] if r["code"] == "text_patterns.hidden_characters"]
        # every gap but the two beside the comma
        assert cue["details"]["inside_words"] == len(plain) - 1 - 2 * plain.count("，")
        assert "invisible characters" in cue["message"]


def test_eight_thousand_invisible_characters_in_front_no_longer_hide_the_script(
    server: RunningServer,
) -> None:
    script = SCRIPT + "，详情 https://bit.ly/3fzq9x"
    clean_verdict = _check(server, script)
    padded = _check(server, ZWSP * 8000 + script)
    assert clean_verdict["verdict"] == padded["verdict"] == "likely_scam"
    assert {"text_patterns.match", "scam_text.classifier"} <= _codes(padded)
    [cue] = [r for r in padded["reasons"] if r["code"] == "text_patterns.hidden_characters"]
    assert cue["details"]["hidden"] == 8000
    assert padded["extracted"]["links"] == ["https://bit.ly/3fzq9x"]


def test_an_ordinary_message_with_emoji_raises_no_hidden_character_cue(
    server: RunningServer,
) -> None:
    verdict = _check(server, "Good morning ⛅️ see you at lunch 🦸\u200d♂️")
    assert verdict["verdict"] == "no_known_signals"
    assert "text_patterns.hidden_characters" not in _codes(verdict)


def test_the_language_of_a_padded_message_is_read_past_the_padding() -> None:
    assert language_of(ZWSP * 3000 + SCRIPT) == "zh"
    assert is_traditional("\u2060" * 3000 + "您的帳戶涉嫌詐騙，請立即轉帳")
