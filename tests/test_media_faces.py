"""server.media.faces: YuNet finds the faces in shared test photos (read from ../shared,
never committed) and none in generated pictures; results are shared per item."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from server.media.decode import DecodeLimits, decode_media
from server.media.faces import MODEL_NAME, FaceDetector, detect_faces, golden_feeds
from server.onnx_runtime import ModelStore, default_models_dir, read_golden, replay_golden
from tests.conftest import SHARED

PHOTOS = SHARED / "data" / "images" / "celebrities" / "face_recognition"


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(ModelStore().get(MODEL_NAME))


def load(path: Path) -> Image.Image:
    return decode_media(path.read_bytes(), DecodeLimits()).frames[0].image


def test_one_face_with_box_and_five_landmarks_inside_it(detector: FaceDetector) -> None:
    image = load(PHOTOS / "obama-480p.jpg")
    (face,) = detector.detect(image)
    x, y, w, h = face.box
    assert face.score > 0.8 and 60 < w < 250 and 60 < h < 300
    assert len(face.landmarks) == 5
    for px, py in face.landmarks:
        assert x <= px <= x + w and y <= py <= y + h
    right_eye, left_eye = face.landmarks[0], face.landmarks[1]
    assert right_eye[0] < left_eye[0]  # the subject's right eye is on the viewer's left


def test_two_people_give_two_faces(detector: FaceDetector) -> None:
    faces = detector.detect(load(PHOTOS / "two_people.jpg"))
    assert len(faces) == 2
    assert faces[0].score >= faces[1].score


def test_no_face_in_a_generated_pattern_or_a_tiny_image(detector: FaceDetector) -> None:
    pattern = Image.merge(
        "RGB", [Image.linear_gradient("L"), Image.radial_gradient("L"), Image.new("L", (256, 256))]
    )
    assert detector.detect(pattern) == ()
    assert detector.detect(Image.new("RGB", (8, 8))) == ()


def test_the_box_scales_with_the_picture(detector: FaceDetector) -> None:
    image = load(PHOTOS / "obama-480p.jpg")
    (small,) = detector.detect(image)
    (large,) = detector.detect(image.resize((image.width * 2, image.height * 2)))
    assert large.box[2] == pytest.approx(small.box[2] * 2, rel=0.1)
    left, top, right, bottom = large.crop_box(image.width * 2, image.height * 2, margin=0.2)
    assert 0 <= left < right <= image.width * 2 and 0 <= top < bottom <= image.height * 2


def test_faces_are_detected_once_per_item(detector: FaceDetector) -> None:
    item = decode_media((PHOTOS / "obama-480p.jpg").read_bytes(), DecodeLimits())
    first = detect_faces(item, detector)
    assert detect_faces(item, detector) is first
    assert len(first) == len(item.frames) == 1


def test_golden_outputs_replay_through_the_server_loader() -> None:
    """The shipped YuNet file and our preprocessing still give the recorded raw outputs
    (``models/yunet/golden.py`` wrote them from synthetic pictures)."""
    model_dir = default_models_dir() / MODEL_NAME
    model = ModelStore().get(MODEL_NAME)
    golden = read_golden(model_dir)
    assert golden["sha256"] == model.metadata.sha256
    assert len(golden["cases"]) >= 2
    assert replay_golden(model, golden, golden_feeds) == []
    # The replay is not vacuous: another synthetic picture drifts past the tolerance.
    shifted = [
        {**case, "input": {**case["input"], "seed": case["input"]["seed"] + 1}}
        for case in golden["cases"]
    ]
    assert replay_golden(model, {**golden, "cases": shifted}, golden_feeds)
