"""The named scam patterns file: well-formed, and every pattern does what its examples say."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.scoring.evidence import Role
from server.scoring.resources import bundled_data_dir
from server.text.patterns import PatternFileError, PatternSet

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")


def _fired(text: str) -> set[str]:
    return {m.pattern.id for m in PATTERNS.match(text)}


def test_the_scripts_the_product_promises_are_all_there() -> None:
    ids = {p.id for p in PATTERNS.patterns}
    assert ids >= {
        "send_one_get_two",
        "guaranteed_returns",
        "safe_account",
        "task_rebate",
        "impersonating_authorities",
        "urgency_payment",
    }


@pytest.mark.parametrize("pattern", PATTERNS.patterns, ids=lambda p: p.id)
def test_each_pattern_fires_on_its_examples_and_not_on_its_near_misses(pattern) -> None:  # type: ignore[no-untyped-def]
    assert pattern.match_examples and pattern.miss_examples, f"{pattern.id} needs both examples"
    for text in pattern.match_examples:
        assert pattern.id in _fired(text), f"{pattern.id} should fire on: {text}"
    for text in pattern.miss_examples:
        # A near-miss that is a warning about the script may still count as a cue
        # (test_text_warnings.py); it must never fire at full strength.
        full = {m.pattern.id for m in PATTERNS.read(text).found}
        assert pattern.id not in full, f"{pattern.id} must not fire on: {text}"


def test_primary_patterns_are_few_and_weigh_no_more_than_a_lookalike() -> None:
    primary = [p for p in PATTERNS.patterns if p.role is Role.PRIMARY]
    assert 0 < len(primary) <= len(PATTERNS.patterns) // 2
    assert all(p.weight <= 0.6 for p in PATTERNS.patterns)


def test_a_match_quotes_what_it_matched() -> None:
    [match] = [
        m for m in PATTERNS.match("请立即将资金转入安全账户") if m.pattern.id == "safe_account"
    ]
    assert match.matched == ["安全账户"]


def test_a_broken_file_names_the_pattern_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "patterns.yaml"
    path.write_text(
        "patterns:\n  - id: bad_one\n    role: primary\n    weight: 0.5\n"
        "    name: {en: x, zh: x}\n    why: {en: y, zh: y}\n    all_of: [['(unclosed']]\n",
        encoding="utf-8",
    )
    with pytest.raises(PatternFileError, match="bad_one: bad regex"):
        PatternSet.load(path)
    path.write_text(
        "patterns:\n  - id: no_zh\n    role: primary\n    weight: 0.5\n"
        "    name: {en: x}\n    why: {en: y, zh: y}\n    all_of: [['a']]\n",
        encoding="utf-8",
    )
    with pytest.raises(PatternFileError, match="no_zh: name needs en and zh"):
        PatternSet.load(path)
