"""The one place evidence becomes a verdict.

The rules, in order (they are the product's promise, so they are spelled out, not tuned):

1. An operator allowlist entry wins: ``no_known_signals``.
2. Decisive evidence (a blocklist hit, a confirmed case) → ``likely_scam``.
3. Primary evidence (a lookalike, a classifier) → ``suspicious`` alone, ``likely_scam`` when
   a signal from another detector agrees: "a lookalike alone is a reason to look closer".
   The agreeing signal must be independent: another detector's primary or decisive finding,
   or a supporting cue that does not share the primary's reader (``Evidence.reads``). The
   patterns and the classifier both read a message's words (``reads="wording"``): "尽快 …
   转账" next to the classifier's score is the same words counted twice, not a second sign
   (review 34 #7: family money chats became ``likely_scam``); a link cue, a hidden-character
   cue or a named scam script is a second sign.
4. Supporting cues alone → ``suspicious`` when together they weigh at least
   ``SUSPICIOUS_AT``; never ``likely_scam``. A cue that ``needs_other_reader`` (the domain
   model's weak reason) counts toward that only beside a weighted finding of another reader:
   the URL cues about the same site name (a risky ending, hyphens, a random look, words in it)
   and another site's weak reason read what the model read, so beside them alone it is shown
   and does not tip the verdict; a lure word in the path, a lookalike, a list, a message's
   wording do. It still counts in ``score`` (kept inside the verdict's band).
5. Nothing could be judged (every detector failed or the content was unreadable) → ``unknown``.

``score`` is the noisy-OR of the weights, placed inside the band of the verdict it
produced, so sorting by score never contradicts the verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from server.scoring.evidence import Evidence, Role


class Verdict(StrEnum):
    LIKELY_SCAM = "likely_scam"
    SUSPICIOUS = "suspicious"
    NO_KNOWN_SIGNALS = "no_known_signals"
    UNKNOWN = "unknown"


#: Supporting cues must add up to this (noisy-OR) to make a verdict ``suspicious``. Two
#: moderate cues (0.25 + 0.25 → 0.44) stay below it; three do not. Checked against the
#: Tranco top 20k false-positive figure in ``bench/links_quality.py``.
SUSPICIOUS_AT = 0.5

#: Score bands per verdict: [low, high).
BANDS = {
    Verdict.LIKELY_SCAM: (0.8, 1.0),
    Verdict.SUSPICIOUS: (0.5, 0.8),
    Verdict.NO_KNOWN_SIGNALS: (0.0, 0.5),
    Verdict.UNKNOWN: (0.0, 0.0),
}

_ROLE_ORDER = {Role.ALLOW: 0, Role.DECISIVE: 1, Role.PRIMARY: 2, Role.SUPPORTING: 3, Role.INFO: 4}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A verdict with its reasons (strongest first) and whether any detector fell over."""

    verdict: Verdict
    score: float
    reasons: tuple[Evidence, ...]
    partial: bool
    failed: tuple[str, ...] = field(default_factory=tuple)


def noisy_or(weights: Sequence[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def order(evidence: Sequence[Evidence]) -> tuple[Evidence, ...]:
    """Strongest first: allow, decisive, primary, then by weight."""
    return tuple(sorted(evidence, key=_strength))


def _strength(e: Evidence) -> tuple[int, float, str]:
    return (_ROLE_ORDER[e.role], -e.weight, e.code)


#: What ``combine`` returns when every detector ran and none said anything: most links. One
#: shared object, so whatever is derived from an outcome (its rendered JSON, per language) is
#: computed once for all of them.
CLEAN = Outcome(Verdict.NO_KNOWN_SIGNALS, 0.0, (), False, ())

_ALLOW, _DECISIVE, _PRIMARY, _INFO = Role.ALLOW, Role.DECISIVE, Role.PRIMARY, Role.INFO
_SUPPORTING = Role.SUPPORTING

_new = object.__new__
#: ``Outcome``'s slots and nothing else: filled in by plain stores, then made an ``Outcome``
#: by assigning ``__class__`` (allowed between classes of one slot layout). Equal and frozen
#: like ``Outcome(...)``, at a third of the cost of a frozen dataclass's ``__init__``.
_OutcomeDraft: Any = type("OutcomeDraft", (), {"__slots__": Outcome.__slots__})


def _outcome(
    verdict: Verdict,
    score: float,
    reasons: tuple[Evidence, ...],
    partial: bool,
    failed: tuple[str, ...],
) -> Outcome:
    draft = _new(_OutcomeDraft)
    draft.verdict = verdict
    draft.score = score
    draft.reasons = reasons
    draft.partial = partial
    draft.failed = failed
    draft.__class__ = Outcome
    outcome: Outcome = draft
    return outcome


def combine(
    evidence: Sequence[Evidence], *, failed: Sequence[str] = (), judged: bool = True
) -> Outcome:
    """Turn the evidence of every detector into one outcome.

    ``failed`` names detectors that raised or timed out (the verdict is then ``partial``);
    ``judged`` is false when no detector could read the content at all.
    """
    if not evidence and not failed and judged:
        return CLEAN
    reasons = tuple(evidence) if len(evidence) < 2 else order(evidence)
    partial = bool(failed)
    if not judged:
        return Outcome(Verdict.UNKNOWN, 0.0, reasons, partial, tuple(failed))
    # One pass over the ordered reasons does what the rules say: the noisy-OR of the weights
    # (multiplied in this order, as ``noisy_or`` does), whether one is decisive, and whether
    # the strongest primary has evidence from another detector beside it.
    remaining = 1.0
    decisive = primary = corroborated = False
    first = None  # the detector of the first weighted reason
    first_reads = ""  # and what it read
    conditional = False  # a weighted cue that needs another reader beside it (rule 4)
    for e in reasons:
        role = e.role
        if role is _ALLOW:
            allow_only = tuple(e for e in reasons if e.role is _ALLOW or e.role is _INFO)
            return Outcome(Verdict.NO_KNOWN_SIGNALS, 0.0, allow_only, partial, tuple(failed))
        weight = e.weight
        if role is _INFO or not weight > 0:
            continue
        remaining *= 1.0 - weight
        if e.needs_other_reader:
            conditional = True
        if first is None:
            first = e.detector
            first_reads = e.reads
        elif e.detector != first and (
            role is not _SUPPORTING or not first_reads or e.reads != first_reads
        ):
            corroborated = True
        if role is _DECISIVE:
            decisive = True
        elif role is _PRIMARY:
            primary = True
    raw = 1.0 - remaining
    if decisive:
        verdict = Verdict.LIKELY_SCAM
    elif primary:
        # Reasons are ordered, so with no decisive one the first weighted reason is the
        # strongest primary. Corroboration must come from another detector, not the same
        # finding said twice (a homoglyph domain is also mixed-script: that is one signal),
        # and a supporting cue must come from another reader (rule 3).
        verdict = Verdict.LIKELY_SCAM if corroborated else Verdict.SUSPICIOUS
    elif (_counted(reasons) if conditional else raw) >= SUSPICIOUS_AT:
        verdict = Verdict.SUSPICIOUS
    else:
        verdict = Verdict.NO_KNOWN_SIGNALS
    low, high = BANDS[verdict]
    score = min(max(raw, low), high if verdict is Verdict.LIKELY_SCAM else high - 0.01)
    return _outcome(verdict, round(score, 3), reasons, partial, tuple(failed))


def _counted(reasons: Sequence[Evidence]) -> float:
    """The noisy-OR of the weighted reasons that count toward rule 4: without each cue that
    needs another reader and has no weighted finding of another reader beside it."""
    weighted = [e for e in reasons if e.role is not _INFO and e.weight > 0]
    remaining = 1.0
    for e in weighted:
        if e.needs_other_reader and all(other.reads == e.reads for other in weighted):
            continue
        remaining *= 1.0 - e.weight
    return 1.0 - remaining
