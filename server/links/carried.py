"""Which of a ``javascript:``/``data:`` link's addresses to judge: the worst of them.

A carrier may hold a decoy (a famous site in a comment or a ``fetch``) beside where it really
sends people; judging only the first address let the decoy speak for the link (review 35 #4).
``LinkParser`` asks this, through ``rank_carried``, only for carriers with several addresses
(at most ``MAX_CARRIED_URLS``), so the extra scoring is bounded and rare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from server.scoring.detector import ContentKind

if TYPE_CHECKING:
    from server.links.url import Link
    from server.scoring.pipeline import Pipeline


def worst_of(pipeline: Pipeline) -> Callable[[Sequence[Link]], int]:
    """A ranker scoring every candidate with the link detectors; the first of the highest
    scores wins, so a tie keeps the parser's own choice (it comes first)."""

    def rank(links: Sequence[Link]) -> int:
        best, worst = 0, -1.0
        for index, scored in enumerate(pipeline.score_sync(ContentKind.LINK, links)):
            score = scored.outcome().score
            if score > worst:
                best, worst = index, score
        return best

    return rank
