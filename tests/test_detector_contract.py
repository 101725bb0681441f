"""Every registered detector keeps the same contract, driven by its own ``examples()``."""

from __future__ import annotations

import json
import re

import pytest

from server.engine import Engine
from server.i18n import LANGUAGES
from server.scoring.detector import ContentKind, Detector
from server.scoring.evidence import Evidence
from server.scoring.registry import DETECTORS

NAME = re.compile(r"[a-z][a-z0-9_]*")


def _detector(engine: Engine, name: str) -> Detector:
    return next(d for d in engine.detectors if d.name == name)


def _cases() -> list[tuple[str, int]]:
    return [(factory.name, i) for factory in DETECTORS for i, _ in enumerate(factory.examples())]  # type: ignore[attr-defined]


def test_every_detector_is_registered_once_with_a_clean_name(engine: Engine) -> None:
    names = [d.name for d in engine.detectors]
    assert len(names) == len(set(names))
    for detector in engine.detectors:
        assert NAME.fullmatch(detector.name)
        assert re.fullmatch(r"\d+\.\d+(\.\d+)?", detector.version)
        assert detector.kinds and all(isinstance(k, ContentKind) for k in detector.kinds)
        assert len(detector.examples()) >= 3, f"{detector.name} needs examples that pin it down"


def test_every_code_has_a_sentence_in_every_language(engine: Engine) -> None:
    for detector in engine.detectors:
        for code, table in detector.messages.items():
            assert code.startswith(detector.name + "."), code
            for lang in LANGUAGES:
                assert table.get(lang), f"{code} has no {lang} sentence"


@pytest.mark.parametrize(("name", "index"), _cases())
def test_example(engine: Engine, name: str, index: int) -> None:
    detector = _detector(engine, name)
    case = detector.examples()[index]
    # Link examples are URLs to parse; text examples are the message itself.
    content = (
        engine.resources.parser.parse(case.value) if case.kind is ContentKind.LINK else case.value
    )
    # A media detector may build its example content (a generated picture) from the value.
    build = getattr(detector, "example_content", None)
    if case.kind is ContentKind.MEDIA and build is not None:
        content = build(case.value)
    found: list[Evidence] = list(detector.score(content))
    codes = {e.code for e in found}
    assert case.expect <= codes, (
        f"{case.value}: expected {sorted(case.expect)}, got {sorted(codes)} ({case.why})"
    )
    assert not (case.forbid & codes), (
        f"{case.value}: must not emit {sorted(case.forbid & codes)} ({case.why})"
    )
    for evidence in found:
        assert evidence.detector == detector.name
        assert evidence.code in detector.messages, f"{evidence.code} has no message"
        json.dumps(dict(evidence.details))  # details must be JSON
        for lang in LANGUAGES:
            sentence = engine.renderer.message(evidence, lang)
            assert sentence and "{" not in sentence, (
                f"{evidence.code} renders badly in {lang}: {sentence}"
            )
