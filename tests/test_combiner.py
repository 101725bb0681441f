"""The combiner's rules: the promise every verdict keeps."""

from __future__ import annotations

from server.scoring.combiner import CLEAN, SUSPICIOUS_AT, Verdict, combine
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
