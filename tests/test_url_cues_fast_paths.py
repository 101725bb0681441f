"""The shortcuts url_cues and lists take for speed give the answers the plain rules give.

Most hosts and paths hold no lure word, so url_cues turns them away with one regex (the
word gate) before matching term by term; a random-looking label is judged on a class string
made by ``str.translate``; the lists detector asks the index once per host. Each shortcut is
compared here with the plain rule it stands for, on generated and awkward inputs.
"""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from server.detectors.url_cues import TermMatcher, WordGate, looks_random
from server.lists import Action, EntryKind, ListEntry, ListIndex
from server.scoring.resources import read_lines

DATA = Path(__file__).resolve().parents[1] / "server" / "data"


def _bundled(name: str) -> list[str]:
    return read_lines(DATA / name)


LURES = TermMatcher(_bundled("lure_words.txt"))
NAMES = TermMatcher(_bundled("celebrities.txt"))
# Terms that stress the gate: regex metacharacters, a term inside another, one letter,
# a hyphen, digits, non-Latin letters that are not Chinese, and Chinese.
ODD_TERMS = ["a.b", "c++", "(x)", "zz", "q", "free-bet", "bet", "x2", "ß", "ёлка", "中", "中奖了"]
ODD = TermMatcher(ODD_TERMS)


def _all_terms(*matchers: TermMatcher) -> tuple[list[str], list[str]]:
    latin = sorted(set().union(*(m.tokens for m in matchers)))
    han = sorted(set().union(*(m.han for m in matchers)))
    return latin, han


def _texts(terms: list[str], count: int, seed: int) -> list[str]:
    """Host- and path-like strings, most of them holding (pieces of) terms."""
    rng = random.Random(seed)
    alphabet = string.ascii_lowercase + string.digits + "-._/?=&% " + "中奖领取ёß"
    out = ["", "/", "-", "..", "中", "ёлка.рф", "xn--80ak6aa92e.com", "a.b.c++", "(x)"]
    for _ in range(count):
        parts = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 3))
        ]
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):  # several: their order matters
            term = rng.choice(terms)
            cut = rng.randint(0, len(term))  # sometimes a whole term, sometimes a piece
            parts.insert(rng.randint(0, len(parts)), term if rng.random() < 0.6 else term[:cut])
        out.append(rng.choice(["", "-", ".", "/"]).join(parts))
    return out


@pytest.mark.parametrize("matchers", [(LURES, NAMES), (ODD,), (LURES, ODD)])
def test_the_word_gate_lets_through_exactly_the_texts_holding_a_term(
    matchers: tuple[TermMatcher, ...],
) -> None:
    gate = WordGate(*matchers)
    latin, han = _all_terms(*matchers)
    for text in _texts(latin + han, 6_000, seed=len(latin)):
        holds = any(t in text for t in latin) or (
            not text.isascii() and any(t in text for t in han)
        )
        assert gate.may_hold(text, text) is holds, text
        if not holds:  # what the gate turns away, matching term by term finds nothing in
            for matcher in matchers:
                assert matcher.find(text, text) == [], text


def _find_reference(terms: list[str], latin_text: str, any_text: str) -> list[str]:
    """What ``TermMatcher.find`` promises: whole tokens in the order they appear, then Latin
    terms of 5+ letters inside words (longest first, then alphabetical), then Chinese ones;
    a term that occurs only within longer terms already found is not found again."""
    han_terms = sorted({t.lower() for t in terms if re.search("[\u4e00-\u9fff]", t)})
    latin = {t.lower() for t in terms} - set(han_terms)
    found: list[str] = []
    for token in re.split("[^a-z]+", latin_text):
        if token in latin and token not in found:
            found.append(token)
    for term in sorted((t for t in latin if len(t) >= 5), key=lambda t: (-len(t), t)):
        if term in latin_text and term not in found and not _covered(term, found, latin_text):
            found.append(term)
    if not any_text.isascii():
        for term in han_terms:
            if term in any_text and term not in found and not _covered(term, found, any_text):
                found.append(term)
    return found


def _covered(term: str, found: list[str], text: str) -> bool:
    """Every character span where ``term`` occurs lies within a span of a longer found word."""
    covered = {
        (m.start(), m.start() + len(word))
        for word in found
        if len(word) > len(term)
        for m in re.finditer(f"(?={re.escape(word)})", text)
    }
    return all(
        any(a <= m.start() and m.start() + len(term) <= b for a, b in covered)
        for m in re.finditer(f"(?={re.escape(term)})", text)
    )


@pytest.mark.parametrize("terms", [_bundled("lure_words.txt"), ODD_TERMS])
def test_term_matcher_finds_what_the_plain_rule_finds_in_its_order(terms: list[str]) -> None:
    matcher = TermMatcher(terms)
    for text in _texts([t.lower() for t in terms], 4_000, seed=len(terms)):
        assert matcher.find(text, text) == _find_reference(terms, text, text), text


def test_the_word_gate_reads_chinese_terms_in_the_unicode_form_only() -> None:
    gate = WordGate(LURES)
    assert gate.may_hold("xn--fiq228c.com", "中奖.com")  # 中奖 in the form a person sees
    assert not gate.may_hold("xn--fiq228c.com", "xn--fiq228c.com")
    assert gate.may_hold("eth-giveaway.top", "eth-giveaway.top")


def test_an_empty_word_list_gate_never_matches() -> None:
    gate = WordGate(TermMatcher([]))
    assert not gate.may_hold("giveaway", "中奖")


def _looks_random_reference(label: str) -> bool:
    """The rule as first written: letters, vowel share, consonant runs, digit switches."""
    if len(label) < 10:
        return False
    letters = "".join(ch for ch in label if ch.isalpha())
    if not letters:
        return False
    vowels = sum(ch in "aeiouy" for ch in letters)
    if vowels / len(letters) < 0.15 or re.search(r"[b-df-hj-np-tv-xz]{6}", letters):
        return True
    if not re.search(r"\d", label):
        return False
    switches = sum(1 for a, b in pairwise(label) if a.isdigit() != b.isdigit())
    counts = Counter(label)
    entropy = -sum(c / len(label) * math.log2(c / len(label)) for c in counts.values())
    return switches >= 5 and entropy > 3.2


def test_looks_random_agrees_with_the_plain_rule() -> None:
    rng = random.Random(5)
    pools = [
        string.ascii_lowercase + string.digits + "-_",
        "bcdfghjklmnpqrstvwxz",
        "aeiouy",
        "bcdfg-1234",
        "abc123",
        "xq9-",
        "AEZbcd1-",  # upper case: letters, but neither vowels nor run consonants
        "é中ab1",  # not ASCII: the general branch
    ]
    labels = ["xkqzvbwplmtr", "a8f3k2j9x1", "doubleclick", "bcdfg-hjklm", "1234567890"]
    for _ in range(40_000):
        pool = rng.choice(pools)
        labels.append("".join(rng.choice(pool) for _ in range(rng.randint(8, 24))))
    flagged = 0
    for label in labels:
        assert looks_random(label) is _looks_random_reference(label), label
        flagged += looks_random(label)
    assert 0 < flagged < len(labels)  # both answers were exercised


def _entry(action: Action, value: str, n: int) -> ListEntry:
    return ListEntry(f"list{n % 3}", action, EntryKind.DOMAIN, value, "test", "2025-01-01")


def _listed(
    entries: list[ListEntry], action: Action, host: str, registrable: str
) -> tuple[ListEntry, ...]:
    """The matching rule spelled out: the host, then each parent down to the registrable
    domain (never above it); the first name with entries of this action gives them all."""
    candidate = host
    while True:
        found = tuple(e for e in entries if e.action is action and e.value == candidate)
        if found:
            return found
        if candidate == registrable or "." not in candidate:
            return ()
        candidate = candidate.split(".", 1)[1]


def test_match_site_and_match_host_follow_the_matching_rule() -> None:
    rng = random.Random(3)
    names = ["evil", "shop", "x", "pages", "a", "b"]
    tlds = ["com", "dev", "co.uk"]

    def host() -> str:
        labels = [rng.choice(names) for _ in range(rng.randint(1, 4))]
        return ".".join(labels) + "." + rng.choice(tlds)

    entries = [_entry(Action.BLOCK, host(), i) for i in range(60)]
    entries += [_entry(Action.ALLOW, host(), i) for i in range(15)]
    entries += [_entry(Action.BLOCK, entries[-1].value, 99)]  # allowed and blocked: allow wins
    for listed in (entries, [e for e in entries if e.action is Action.BLOCK]):
        index = ListIndex(listed)
        seen = Counter[str]()
        for _ in range(2_000):
            name = host()
            labels = name.split(".")
            registrable = ".".join(labels[-3:] if name.endswith(".co.uk") else labels[-2:])
            for reg in (registrable, name, ""):  # the usual case and two edges
                allowed = _listed(listed, Action.ALLOW, name, reg)
                blocked = _listed(listed, Action.BLOCK, name, reg)
                assert index.match_host(Action.ALLOW, name, reg) == allowed
                assert index.match_host(Action.BLOCK, name, reg) == blocked
                expected = (
                    (Action.ALLOW, allowed)
                    if allowed
                    else (Action.BLOCK, blocked)
                    if blocked
                    else None
                )
                assert index.match_site(name, reg) == expected, (name, reg)
                seen[str(expected[0]) if expected else "none"] += 1
        assert seen["block"] > 0 and seen["none"] > 0
        assert (seen["allow"] > 0) is (listed is entries)
