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

#: A client key names its users itself (``reporter``): its reports on one case count as at
#: most this many independent reporters, however many user ids it sends. Anonymous addresses
#: and federation peers count one each. ``reports`` still counts every report.
KEY_REPORTERS_PER_CASE = 3
#: Reach: each further user of one client key on a case adds this share of what the one
#: before it added (in the order they reported). A bot relaying many people still ranks a
#: case more people reported higher, yet one key's users of weight w sum to at most
#: w / (1 - 0.6) = 2.5 w: never as much as ``KEY_REPORTERS_PER_CASE`` independent sources
#: (other keys, addresses, peers) of that weight, whatever ids the key makes up.
KEY_REACH_DECAY = 0.6

#: Brigading: a surge on one case — at least ``min_reporters`` reports from new or low-weight
#: reporters (weighing no more than a new keyed reporter: anonymous IPs, newcomers, reporters
#: whose record is only uncontested re-reports, reporters who lost their weight) within
#: ``window_s`` seconds, making up at least ``BRIGADE_LOW_SHARE`` of the case's reports in that
#: window — and the case is held for a human (``quarantined``) instead of trusted by its reach.
#: A slow trickle of newcomers over months is how real scams get reported; a burst is not.
BRIGADE_WINDOW_S = 3600
BRIGADE_MIN_REPORTERS = 10
BRIGADE_LOW_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class BrigadeRule:
    window_s: int = BRIGADE_WINDOW_S
    min_reporters: int = BRIGADE_MIN_REPORTERS
    low_share: float = BRIGADE_LOW_SHARE

    def is_surge(self, reports_in_window: int, low_weight_in_window: int) -> bool:
        return (
            low_weight_in_window >= self.min_reporters
            and low_weight_in_window >= self.low_share * reports_in_window
        )


def is_low_weight(weight: float) -> bool:
    return weight <= NEW_REPORTER_WEIGHT


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
