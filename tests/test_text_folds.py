"""The pattern reader's folds (review 34 #3, #4, #12, #15): Traditional characters, filler
between characters, runs of spaces, look-alike letters of every script; generated from the
patterns file, so a new pattern is checked against every evasion the day it is added."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from server.scoring.resources import bundled_data_dir
from server.text.normalise import (
    fold_interleaved,
    fold_traditional,
    hidden_counts,
)
from server.text.patterns import PatternSet, prepare, read_form

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CHINESE = [(p.id, t) for p in PATTERNS.patterns for t in p.match_examples if HAN.search(t)]
ENGLISH = [(p.id, t) for p in PATTERNS.patterns for t in p.match_examples if not HAN.search(t)]
MISSES = [(p.id, t) for p in PATTERNS.patterns for t in p.miss_examples]


def _fired(text: str) -> set[str]:
    return {m.pattern.id for m in PATTERNS.match(text)}


def _full_strength(text: str) -> set[str]:
    return {m.pattern.id for m in PATTERNS.read(text).found}


@functools.cache
def _opencc(config: str) -> Any:
    from opencc import OpenCC

    return OpenCC(config)


def test_the_file_has_examples_in_both_languages() -> None:
    assert len(CHINESE) >= 15 and len(ENGLISH) >= 15


@pytest.mark.parametrize("config", ["s2t", "s2hk", "s2twp"])
def test_every_chinese_example_fires_written_in_traditional_characters(config: str) -> None:
    for pid, text in CHINESE:
        traditional = _opencc(config).convert(text)
        assert pid in _fired(traditional), (pid, traditional)


@pytest.mark.parametrize("config", ["s2t", "s2hk", "s2twp"])
def test_no_near_miss_fires_at_full_strength_in_traditional_characters(config: str) -> None:
    for pid, text in MISSES:
        converted = _opencc(config).convert(text)
        assert pid not in _full_strength(converted), (pid, converted)


def test_the_traditional_fold_keeps_every_position() -> None:
    text = "【165反詐騙提醒】檢警不會要求民眾將資金轉入安全帳戶，香港叫安全賬戶"
    folded = fold_traditional(text)
    assert len(folded) == len(text)
    assert "安全账户" in folded and folded.count("账户") == 2
    assert fold_traditional("请立即将资金转入安全账户") == "请立即将资金转入安全账户"


def test_simplified_text_is_left_as_it_is() -> None:
    # Taiwan's variant table turns 么 into 幺: a Simplified character is never a variant.
    assert fold_traditional("什么？怎么这么多么好") == "什么？怎么这么多么好"
    for _, text in CHINESE + MISSES:
        simplified = _opencc("t2s").convert(text)
        assert fold_traditional(simplified) == simplified.replace("帐", "账"), simplified


@pytest.mark.parametrize("filler", ["  ", "🔥", "，", "/", "\n", "|", "~", " - "])
def test_every_chinese_example_fires_with_a_filler_between_its_characters(filler: str) -> None:
    for pid, text in CHINESE:
        spaced = re.sub(r"(?<=[\u4e00-\u9fff])(?=[\u4e00-\u9fff])", filler, text)
        assert pid in _fired(spaced), (pid, spaced)


def _letter_by_letter(text: str, letters: str, words: str) -> str:
    return re.sub(r"[A-Za-z]{2,}", lambda m: letters.join(m.group(0)), text.replace(" ", words))


@pytest.mark.parametrize(
    ("letters", "words"), [(" ", "   "), (".", " "), ("-", "  "), ("*", " "), ("", "  \t")]
)
def test_every_english_example_fires_spelled_letter_by_letter(letters: str, words: str) -> None:
    for pid, text in ENGLISH:
        spaced = _letter_by_letter(text, letters, words) if letters else text.replace(" ", words)
        assert pid in _fired(spaced), (pid, spaced)


#: One look-alike per script for the letters it can imitate.
LOOKALIKES = {
    "cyrillic": dict(zip("aceopsxy", "асеорѕху", strict=True)),
    "greek": dict(zip("aeiokntuv", "αειοκητυν", strict=True)),
    "small capitals": dict(zip("acdefnorstu", "ᴀᴄᴅᴇꜰɴᴏʀꜱᴛᴜ"[:11], strict=True)),
    "cherokee": dict(zip("sadehw", "ꮪꭺꭰꭼꮋꮃ", strict=True)),
    "accents": dict(zip("aeiouscny", "åéíóüṡçñý", strict=True)),
}


def _one_per_word(text: str, table: dict[str, str]) -> str:
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        for i, char in enumerate(word):
            if char.lower() in table:
                return word[:i] + table[char.lower()] + word[i + 1 :]
        return word

    return re.sub(r"[A-Za-z]{3,}", swap, text)


@pytest.mark.parametrize("script", sorted(LOOKALIKES))
def test_every_english_example_fires_with_a_look_alike_letter_in_each_word(script: str) -> None:
    for pid, text in ENGLISH:
        spoofed = _one_per_word(text, LOOKALIKES[script])
        assert spoofed != text
        assert pid in _fired(spoofed), (pid, spoofed)


def test_parenthesised_and_flag_letters_read_as_letters() -> None:
    assert "safe account" in prepare("move it to a ⒮⒜⒡⒠ ⒜⒞⒞⒪⒰⒩⒯")
    assert "safe" in prepare("🇸🇦🇫🇪")


def test_words_of_another_script_and_chinese_are_left_alone() -> None:
    assert prepare("Привет, как дела? Και εσύ;") == "привет, как дела? και εσύ;"
    assert prepare("请联系客服〇丨口") == "请联系客服〇丨口"


@pytest.mark.parametrize(
    "ordinary",
    [
        "你好，再见",
        "好的，谢谢，再见",
        "apples, pears and plums",
        "Options a, b and c",
        "Plan: 1. eat 2. sleep",
        "转账3000元，周五还",
        "3 x 4 x 5 boxes",
    ],
)
def test_ordinary_punctuation_and_lists_are_not_joined(ordinary: str) -> None:
    assert fold_interleaved(ordinary.lower()) == (ordinary.lower(), ())


def test_interleaved_runs_are_joined_and_named() -> None:
    reading = read_form("请 转 入 安🔥全🔥账🔥户，【配】【合】【调】【查】, s.a.f.e")
    assert "安全账户" in reading.text and "配合调查" in reading.text and "safe" in reading.text
    assert set(reading.interleaved) == {
        "请 转 入",
        "安🔥全🔥账🔥户",
        "配】【合】【调】【查",
        "s.a.f.e",
    }
    assert "安全账户" not in reading.unfolded()


def test_space_runs_collapse_but_line_breaks_still_end_sentences() -> None:
    assert prepare("Double  your\tBTC") == "double your btc"
    assert prepare("line one\n\n\n   line two") == "line one\nline two"


@pytest.mark.parametrize(
    "hostile",
    [
        "a." * 5000,
        "a.b," * 2500,
        "安🔥" * 5000,
        "a" * 10_000,
        "1" * 10_000,
        "1a." * 3333,
        " \n" * 5000,
        "a" + "." * 9999,
        "安 全 账 户" * 1400,
    ],
    ids=lambda t: repr(t[:8]),
)
def test_hostile_10000_character_inputs_are_read_whole(hostile: str) -> None:
    # Linear-time folds (bench/text_folds.py times them): each still yields a reading.
    assert isinstance(read_form(hostile).text, str)


def test_soft_hyphens_of_hyphenated_latin_words_are_not_hidden_characters() -> None:
    news = "The de\u00adpart\u00adment an\u00adnounced new com\u00admu\u00adni\u00adca\u00adtion rules."
    assert hidden_counts(news) == (0, 0)
    assert hidden_counts("安\u200b全\u200b账\u200b户") == (3, 3)
    assert hidden_counts("安\u00ad全\u00ad账\u00ad户") == (3, 3)
    assert hidden_counts("s\u200ba\u00adfe") == (1, 1)
