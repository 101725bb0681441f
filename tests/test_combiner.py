"""The combiner's rules: the promise every verdict keeps."""

from __future__ import annotations

import dataclasses
import random

import pytest

from server.scoring.combiner import CLEAN, SUSPICIOUS_AT, Outcome, Verdict, combine
from server.scoring.evidence import Evidence, Role


def ev(code: str, weight: float, role: Role, detector: str | None = None) -> Evidence:
    return Evidence(detector or code.split(".")[0], code, weight, role)


def test_no_evidence_means_no_known_signals_never_safe() -> None:
    outcome = combine([])
    assert outcome.verdict is Verdict.NO_KNOWN_SIGNALS
    assert outcome.score == 0.0


def test_every_clean_outcome_is_one_shared_object_with_nothing_failed() -> None:
    # Renderers cache by outcome: a clean link must never share an object with a partial one.
    assert combine([]) is combine(()) is CLEAN
    assert (CLEAN.reasons, CLEAN.partial, CLEAN.failed) == ((), False, ())
    assert combine([], failed=["lookalike"]) is not CLEAN
    assert combine([], failed=["lookalike"]).partial


def test_nothing_judged_is_unknown() -> None:
    assert combine([], judged=False).verdict is Verdict.UNKNOWN


def test_a_blocklist_hit_alone_is_likely_scam() -> None:
    outcome = combine([ev("lists.blocked_domain", 0.95, Role.DECISIVE)])
    assert outcome.verdict is Verdict.LIKELY_SCAM
    assert outcome.score >= 0.8


def test_the_allowlist_wins_over_everything() -> None:
    outcome = combine(
        [
            ev("lists.allowed", 0.0, Role.ALLOW),
            ev("lookalike.edit", 0.6, Role.PRIMARY),
            ev("x.cue", 0.4, Role.SUPPORTING),
        ]
    )
    assert outcome.verdict is Verdict.NO_KNOWN_SIGNALS
    assert [r.code for r in outcome.reasons] == ["lists.allowed"]


def test_a_lookalike_alone_is_suspicious() -> None:
    assert combine([ev("lookalike.edit", 0.6, Role.PRIMARY)]).verdict is Verdict.SUSPICIOUS


def test_a_lookalike_with_a_second_signal_is_likely_scam() -> None:
    outcome = combine(
        [ev("lookalike.edit", 0.6, Role.PRIMARY), ev("url_cues.risky_tld", 0.15, Role.SUPPORTING)]
    )
    assert outcome.verdict is Verdict.LIKELY_SCAM


def test_two_findings_of_the_same_detector_do_not_corroborate_each_other() -> None:
    outcome = combine(
        [
            ev("lookalike.homoglyph", 0.7, Role.PRIMARY),
            ev("lookalike.mixed_script", 0.3, Role.SUPPORTING),
        ]
    )
    assert outcome.verdict is Verdict.SUSPICIOUS


def test_supporting_cues_never_make_likely_scam() -> None:
    cues = [ev(f"url_cues.c{i}", 0.45, Role.SUPPORTING, "url_cues") for i in range(6)]
    assert combine(cues).verdict is Verdict.SUSPICIOUS


def test_supporting_cues_below_the_threshold_stay_no_known_signals() -> None:
    outcome = combine(
        [ev("url_cues.a", 0.2, Role.SUPPORTING), ev("url_cues.b", 0.2, Role.SUPPORTING)]
    )
    assert outcome.verdict is Verdict.NO_KNOWN_SIGNALS
    assert outcome.score < SUSPICIOUS_AT


def test_info_never_moves_the_verdict_but_is_shown() -> None:
    outcome = combine([ev("url_cues.shortener", 0.0, Role.INFO)])
    assert outcome.verdict is Verdict.NO_KNOWN_SIGNALS
    assert [r.code for r in outcome.reasons] == ["url_cues.shortener"]


def test_reasons_are_ordered_strongest_first() -> None:
    outcome = combine(
        [
            ev("url_cues.a", 0.1, Role.SUPPORTING),
            ev("lists.blocked_domain", 0.95, Role.DECISIVE),
            ev("lookalike.edit", 0.6, Role.PRIMARY),
            ev("url_cues.b", 0.3, Role.SUPPORTING),
        ]
    )
    assert [r.code for r in outcome.reasons] == [
        "lists.blocked_domain",
        "lookalike.edit",
        "url_cues.b",
        "url_cues.a",
    ]


def test_a_failed_detector_makes_the_verdict_partial_but_the_rest_counts() -> None:
    outcome = combine([ev("lists.blocked_domain", 0.95, Role.DECISIVE)], failed=["lookalike"])
    assert outcome.partial
    assert outcome.verdict is Verdict.LIKELY_SCAM
    assert outcome.failed == ("lookalike",)


def test_score_stays_inside_the_band_of_its_verdict() -> None:
    suspicious = combine([ev("lookalike.edit", 0.95, Role.PRIMARY)])
    assert suspicious.verdict is Verdict.SUSPICIOUS
    assert 0.5 <= suspicious.score < 0.8


def _rules_spelled_out(evidence: list[Evidence], failed: tuple[str, ...], judged: bool) -> tuple:
    """The rules of the module docstring, written the long way (what ``combine`` did before
    it became one pass): the one-pass version must agree on every input."""
    rank = {Role.ALLOW: 0, Role.DECISIVE: 1, Role.PRIMARY: 2, Role.SUPPORTING: 3, Role.INFO: 4}
    reasons = tuple(sorted(evidence, key=lambda e: (rank[e.role], -e.weight, e.code)))
    if not judged:
        return (Verdict.UNKNOWN, 0.0, reasons)
    if any(e.role is Role.ALLOW for e in reasons):
        return (
            Verdict.NO_KNOWN_SIGNALS,
            0.0,
            tuple(e for e in reasons if e.role in (Role.ALLOW, Role.INFO)),
        )
    weighted = [e for e in reasons if e.role is not Role.INFO and e.weight > 0]
    remaining = 1.0
    for e in weighted:
        remaining *= 1.0 - e.weight
    raw = 1.0 - remaining
    primaries = [e for e in weighted if e.role is Role.PRIMARY]
    if any(e.role is Role.DECISIVE for e in weighted):
        verdict = Verdict.LIKELY_SCAM
    elif primaries:
        others = any(e.detector != primaries[0].detector for e in weighted)
        verdict = Verdict.LIKELY_SCAM if others else Verdict.SUSPICIOUS
    elif raw >= SUSPICIOUS_AT:
        verdict = Verdict.SUSPICIOUS
    else:
        verdict = Verdict.NO_KNOWN_SIGNALS
    low, high = {
        Verdict.LIKELY_SCAM: (0.8, 1.0),
        Verdict.SUSPICIOUS: (0.5, 0.8 - 0.01),
        Verdict.NO_KNOWN_SIGNALS: (0.0, 0.5 - 0.01),
    }[verdict]
    return (verdict, round(min(max(raw, low), high), 3), reasons)


def test_the_one_pass_combiner_agrees_with_the_rules_spelled_out_on_many_mixes() -> None:
    rng = random.Random(5)
    weights = {
        Role.ALLOW: [0.0],
        Role.INFO: [0.0],
        Role.DECISIVE: [0.0, 0.95, 0.9],
        Role.PRIMARY: [0.0, 0.3, 0.55, 0.6, 0.7, 0.95],
        Role.SUPPORTING: [0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.45],
    }
    detectors = ["lists", "lookalike", "url_cues", "domain_model"]
    for _ in range(5_000):
        evidence = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4, 6])):
            role = rng.choice(list(weights))
            code = rng.choice(["a", "b", "c"])  # ties on role, weight and code keep input order
            evidence.append(
                Evidence(rng.choice(detectors), f"x.{code}", rng.choice(weights[role]), role)
            )
        failed = tuple(rng.sample(detectors, rng.choice([0, 0, 0, 1, 2])))
        judged = rng.random() > 0.05
        if not evidence and not failed and judged:
            continue
        got = combine(evidence, failed=failed, judged=judged)
        verdict, score, reasons = _rules_spelled_out(evidence, failed, judged)
        assert (got.verdict, got.score, got.partial, got.failed) == (
            verdict,
            score,
            bool(failed),
            failed,
        ), evidence
        assert [id(e) for e in got.reasons] == [id(e) for e in reasons], evidence


def test_an_outcome_made_by_combine_is_a_real_frozen_outcome() -> None:
    got = combine([ev("lookalike.edit", 0.6, Role.PRIMARY), ev("url_cues.a", 0.2, Role.SUPPORTING)])
    assert type(got) is Outcome
    assert got == Outcome(Verdict.LIKELY_SCAM, got.score, got.reasons, False, ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.score = 1.0  # type: ignore[misc]
