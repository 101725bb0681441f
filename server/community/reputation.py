"""How much one reporter's word counts, and when a surge of reports looks like brigading.

Farming resistance: weight grows only with reports confirmed on *contested* cases — cases the
automatic checks did not already call ``likely_scam`` when a moderator confirmed them — so
re-reporting domains that are already on a blocklist earns nothing. New and anonymous
reporters start low; three reports a moderator rejected as false take a reporter's weight away.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Starting weights: an anonymous IP can be anyone (and many people), a keyed reporter
#: (an app user relayed by the bot or the extension) is at least one stable identity.
ANONYMOUS_WEIGHT = 0.2
NEW_REPORTER_WEIGHT = 0.5
#: Each confirmed report on a contested case adds this much, up to ``MAX_WEIGHT``.
CONTESTED_CONFIRMED_STEP = 0.25
MAX_WEIGHT = 2.0
#: This many reports rejected as false and the reporter's weight is gone (the issue's rule).
FALSE_REPORTS_LIMIT = 3

#: Brigading: at least this many reporters with no track record on one case, making up at least
#: ``BRIGADE_NEW_SHARE`` of its reporters, and the case is held for a human (``quarantined``)
#: rather than trusted by reach alone.
BRIGADE_MIN_NEW_REPORTERS = 10
BRIGADE_NEW_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Track:
    kind: str
    confirmed: int
    contested_confirmed: int
    false_reports: int

    @property
    def is_new(self) -> bool:
        return self.confirmed == 0

    @property
    def weight(self) -> float:
        if self.false_reports >= FALSE_REPORTS_LIMIT:
            return 0.0
        base = ANONYMOUS_WEIGHT if self.kind == "anonymous" else NEW_REPORTER_WEIGHT
        return min(MAX_WEIGHT, base + CONTESTED_CONFIRMED_STEP * self.contested_confirmed)


def looks_brigaded(reporters: int, new_reporters: int) -> bool:
    return (
        new_reporters >= BRIGADE_MIN_NEW_REPORTERS
        and new_reporters >= BRIGADE_NEW_SHARE * reporters
    )
