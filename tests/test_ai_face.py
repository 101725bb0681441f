"""The AI-face classifier: the shipped model replays its goldens through the server's loader,
the detector explains itself (score, threshold, face) and alone never makes likely_scam."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from server.detectors.ai_face import (
    FLAG_WEIGHT,
    HIGH_WEIGHT,
    AiFaceDetector,
    golden_feeds,
)
from server.engine import Engine
from server.media.decode import DecodeLimits, decode_media
from server.onnx_runtime import ModelStore, default_models_dir, read_golden, replay_golden
from server.scoring.combiner import Verdict, combine
from server.scoring.detector import ContentKind
from server.scoring.evidence import Evidence, Role

MODEL_DIR = default_models_dir() / "ai_face"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
#: Held-out test-split images (never trained on, see models/ai_face/train.py), read from
#: ../shared: the repository ships no one's face.
HELD_OUT_FAKE = SHARED / "stylegan2_vs_real" / "fake" / "fake_575.jpg"
HELD_OUT_REAL = SHARED / "stylegan2_vs_real" / "real" / "real_134.jpg"


def test_golden_outputs_replay_through_the_server_loader() -> None:
    model = ModelStore().get("ai_face")
    golden = read_golden(MODEL_DIR)
    assert golden["sha256"] == model.metadata.sha256
    assert replay_golden(model, golden, golden_feeds) == []


def test_int8_and_fp32_builds_agree_on_the_goldens() -> None:
    store = ModelStore()
    golden = read_golden(MODEL_DIR)
    for case in golden["cases"]:
        feeds = golden_feeds(case["input"])
        fp32 = store.get("ai_face", "fp32").run(feeds)["p_fake"]
        int8 = store.get("ai_face", "int8").run(feeds)["p_fake"]
        assert np.allclose(fp32, int8, atol=0.1), (case["name"], fp32, int8)


def test_metadata_names_its_operating_points_and_card() -> None:
    metadata = ModelStore().get("ai_face").metadata
    assert 0.0 < metadata.thresholds["flag"] < metadata.thresholds["high"] < 1.0
    card = (MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert str(metadata.thresholds["flag"]) in card


def _face(weight: float) -> Evidence:
    return Evidence("ai_face", "ai_face.generated", weight, Role.SUPPORTING)


def test_the_classifier_alone_never_makes_a_verdict_worse() -> None:
    # Real press photos exceed its thresholds too often (MODEL_CARD.md): alone it only explains.
    assert combine([_face(FLAG_WEIGHT)]).verdict is Verdict.NO_KNOWN_SIGNALS
    assert combine([_face(HIGH_WEIGHT)]).verdict is Verdict.NO_KNOWN_SIGNALS
    label = Evidence("ai_labels", "ai_labels.iptc", 0.4, Role.SUPPORTING)
    assert combine([_face(HIGH_WEIGHT), label]).verdict is Verdict.SUSPICIOUS
    trace = Evidence("ai_labels", "ai_labels.generator_trace", 0.25, Role.SUPPORTING)
    assert combine([_face(FLAG_WEIGHT), trace]).verdict is Verdict.NO_KNOWN_SIGNALS


def _score(engine: Engine, path: Path) -> list[Evidence]:
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is read by tests, never committed)")
    item = decode_media(path.read_bytes(), DecodeLimits())
    [scored] = engine.pipeline.score_sync(ContentKind.MEDIA, [item])
    assert not scored.failed, scored.failed
    return [e for e in scored.evidence if e.detector == AiFaceDetector.name]


def test_a_held_out_stylegan_face_is_flagged_with_its_score_and_threshold(engine: Engine) -> None:
    [evidence] = _score(engine, HELD_OUT_FAKE)
    details = evidence.details
    assert evidence.role is Role.SUPPORTING
    assert (
        details["score"]
        >= details["threshold"]
        == pytest.approx(ModelStore().get("ai_face").metadata.thresholds["flag"])
    )
    assert details["faces_scored"] >= 1 and len(details["box"]) == 4
    for lang in ("en", "zh"):
        assert f"{details['threshold']:.2f}" in engine.renderer.message(evidence, lang)


def test_a_held_out_real_photo_is_not_flagged(engine: Engine) -> None:
    assert _score(engine, HELD_OUT_REAL) == []
