"""Evidence: what a detector found, with its strength, its role and the facts behind it.

A detector never decides a verdict. It says what it saw (``code``), how much that weighs
(``weight`` in [0, 1]) and what kind of signal it is (``role``); the combiner decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: ``Evidence.reads`` of findings read from a site's registrable name alone (label and
#: ending): the domain model's score and the URL cues about that name.
SITE_NAME = "site_name"


class Role(StrEnum):
    """How a piece of evidence may move a verdict (see ``combiner``)."""

    #: An operator allowlist entry: wins over everything else.
    ALLOW = "allow"
    #: Enough alone for ``likely_scam``: a blocklist hit, a confirmed case, a known fake.
    DECISIVE = "decisive"
    #: Enough alone for ``suspicious``; with any other signal, ``likely_scam`` (a lookalike).
    PRIMARY = "primary"
    #: A modest cue; several together can make ``suspicious``, never more.
    SUPPORTING = "supporting"
    #: Context worth showing (a redirector unwrapped); never moves the verdict.
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Evidence:
    """One finding of one detector.

    ``code`` is stable and namespaced by detector (``lookalike.homoglyph``); the detector's
    ``messages`` table renders it in each language with ``params``. ``details`` is the
    machine-readable evidence (list and entry, brand and edit, distance and threshold); it
    must be JSON-serialisable.

    ``reads`` names what the finding was read from when several detectors read the same thing
    (``"wording"``: the words of a message, read by the patterns and the classifier alike): a
    supporting cue corroborates a primary finding only when they do not share a reader, so the
    same words are not counted twice (review 34 #7). Empty: this detector's own reading.

    ``needs_other_reader``: the weight completes a verdict of supporting cues (``combine``
    rule 4) only beside a weighted finding with another ``reads``; alone, or beside findings
    of the same reader, it is shown and does not make the verdict. The domain model's weak
    reason reads a site's name (``SITE_NAME``), as the URL cues about that name do (its
    ending, hyphens, random look, words): those repeat what the model read.
    """

    detector: str
    code: str
    weight: float
    role: Role
    params: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    reads: str = ""
    needs_other_reader: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(
                f"evidence weight must be in [0, 1], got {self.weight} for {self.code}"
            )
        if self.needs_other_reader and not self.reads:
            raise ValueError(f"evidence that needs another reader names its own ({self.code})")
        if self.role in (Role.INFO, Role.ALLOW) and self.weight != 0.0:
            raise ValueError(f"{self.role} evidence carries no weight ({self.code})")
