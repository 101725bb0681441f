"""One word in an address is one lure, however many forms of it the lure list holds.

``lure_words.txt`` lists ``reward`` and ``rewards``, and Latin words of 5+ letters also match
inside longer ones, so ``/rewards`` once read as two lure words (0.3 instead of 0.2).
"""

from __future__ import annotations

import pytest

from server.detectors.url_cues import LURE_EXTRA_WEIGHT, LURE_WEIGHT, TermMatcher
from server.engine import Engine

PATH_LURES = "url_cues.path_lure_words"


def _path_lures(engine: Engine, url: str) -> tuple[list[str], float]:
    [result] = engine.check_links_sync([url])
    [cue] = [e for e in result.outcome.reasons if e.code == PATH_LURES]
    return list(cue.details["words"]), cue.weight


def test_a_plural_in_the_path_is_one_lure_word(engine: Engine) -> None:
    assert _path_lures(engine, "https://example-shop.com/rewards") == (["rewards"], LURE_WEIGHT)
    assert _path_lures(engine, "https://example-shop.com/reward") == (["reward"], LURE_WEIGHT)


def test_two_different_words_are_still_two(engine: Engine) -> None:
    words, weight = _path_lures(engine, "https://example-shop.com/claim-rewards")
    assert sorted(words) == ["claim", "rewards"]
    assert weight == pytest.approx(LURE_WEIGHT + LURE_EXTRA_WEIGHT)
    # The same word written twice, apart, is two occurrences of two listed forms.
    words, _ = _path_lures(engine, "https://example-shop.com/reward/rewards")
    assert sorted(words) == ["reward", "rewards"]


def test_a_word_inside_a_longer_listed_word_is_not_counted_again() -> None:
    matcher = TermMatcher(["reward", "rewards", "红包", "抢红包"])
    assert matcher.find("rewards", "rewards") == ["rewards"]
    assert matcher.find("myrewardsnow", "myrewardsnow") == ["rewards"]
    assert matcher.find("rewardsreward", "rewardsreward") == ["rewards", "reward"]
    # Chinese has no spaces to split on: the same rule, by where each word sits.
    assert matcher.find("", "快来抢红包") == ["抢红包"]
    assert matcher.find("", "抢红包，再领红包") == ["抢红包", "红包"]


def test_chinese_lure_words_in_the_path_still_count(engine: Engine) -> None:
    words, weight = _path_lures(engine, "https://example.com/领取红包")
    assert sorted(words) == sorted(["领取", "红包"])
    assert weight == pytest.approx(LURE_WEIGHT + LURE_EXTRA_WEIGHT)
