"""The AI-face classifier: the shipped model replays its goldens through the server's loader,
the detector explains itself (score, threshold, face) and alone never makes likely_scam."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from server.detectors.ai_face import (
    FLAG_WEIGHT,
    HIGH_WEIGHT,
    MAX_FACE_SIDE,
    AiFaceDetector,
    _faces_to_score,
    golden_feeds,
)
from server.engine import Engine
from server.media.decode import DecodeLimits, decode_media
from server.media.faces import Face
from server.onnx_runtime import ModelStore, default_models_dir, read_golden, replay_golden
from server.scoring.combiner import Verdict, combine
from server.scoring.detector import ContentKind
from server.scoring.evidence import Evidence, Role

MODEL_DIR = default_models_dir() / "ai_face"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
#: Held-out test-split images (never trained on, see models/ai_face/train.py), read from
#: ../shared: the repository ships no one's face.
HELD_OUT_FAKE = SHARED / "stylegan2_vs_real" / "fake" / "fake_575.jpg"
HELD_OUT_REAL = SHARED / "ciplab_photoshop" / "real" / "real_00133.jpg"
#: An Unsplash real whose face (295 px) is over MAX_FACE_SIDE.
HELD_OUT_LARGE_REAL = SHARED / "stylegan2_vs_real" / "real" / "real_134.jpg"


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


def _score(engine: Engine, path: Path, upscale: float = 1.0) -> list[Evidence]:
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared is read by tests, never committed)")
    data = path.read_bytes()
    if upscale != 1.0:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        size = (round(image.width * upscale), round(image.height * upscale))
        buffer = io.BytesIO()
        image.resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
        data = buffer.getvalue()
    item = decode_media(data, DecodeLimits())
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
    [note] = _score(engine, HELD_OUT_LARGE_REAL)
    assert note.code == "ai_face.too_large"


def _box(side: float) -> Face:
    return Face(box=(10.0, 10.0, side * 0.8, side), score=0.9, landmarks=())


def test_faces_at_or_above_the_size_limit_are_set_aside_not_scored() -> None:
    # Real press photos with faces this large exceed `flag` 81 % of the time (MODEL_CARD.md).
    small, edge, large, huge = (_box(s) for s in (120, MAX_FACE_SIDE - 1, MAX_FACE_SIDE, 700))
    scored, too_large = _faces_to_score([(small, huge), (large, edge)])
    assert scored == [(1, edge), (0, small)]
    assert too_large == [(0, huge), (1, large)]
    assert _faces_to_score([(_box(30),)]) == ([], [])  # under MIN_FACE_SIDE: not a face to judge


def test_a_large_generated_face_gets_a_too_large_note_instead_of_a_score(engine: Engine) -> None:
    # The same held-out StyleGAN2 face the test above sees flagged, at 3x: now ~690 px, a size
    # where the model's score says "large face", not "generated". It is not scored.
    [note] = _score(engine, HELD_OUT_FAKE, upscale=3.0)
    assert (note.code, note.role, note.weight) == ("ai_face.too_large", Role.INFO, 0.0)
    assert note.details["side"] >= note.details["limit"] == MAX_FACE_SIDE
    assert note.details["faces_too_large"] == 1 and len(note.details["box"]) == 4
    for lang in ("en", "zh"):
        assert str(MAX_FACE_SIDE) in engine.renderer.message(note, lang)
    assert combine([note]).verdict is Verdict.NO_KNOWN_SIGNALS
