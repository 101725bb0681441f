"""The detectors FakeWatch runs, in one list.

Adding a detector is one module under ``server/detectors`` plus one line here; built-ins are
registered exactly as a third-party detector would be.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.detectors.ai_face import AiFaceDetector
from server.detectors.ai_labels import AiLabelsDetector
from server.detectors.confirmed_items import ConfirmedItemsDetector
from server.detectors.domain_model import DomainModelDetector
from server.detectors.impersonation import ImpersonationDetector
from server.detectors.known_fakes import KnownFakesDetector
from server.detectors.lists import ListsDetector
from server.detectors.lookalike import LookalikeDetector
from server.detectors.scam_text import ScamTextDetector
from server.detectors.text_patterns import TextPatternsDetector
from server.detectors.url_cues import UrlCuesDetector
from server.scoring.detector import Detector
from server.scoring.resources import Resources

DETECTORS: tuple[type[Detector], ...] = (
    ListsDetector,
    UrlCuesDetector,
    LookalikeDetector,
    DomainModelDetector,
    ImpersonationDetector,
    KnownFakesDetector,
    ConfirmedItemsDetector,
    TextPatternsDetector,
    ScamTextDetector,
    AiLabelsDetector,
    AiFaceDetector,
)


def build_detectors(
    resources: Resources, factories: Sequence[type[Detector]] = DETECTORS
) -> list[Detector]:
    return [factory(resources) for factory in factories]
