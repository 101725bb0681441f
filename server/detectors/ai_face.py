"""AI-generated / edited face classifier: a small CNN over YuNet face crops.

The crop (``face_crop``) is the one preprocessing shared by training
(``models/ai_face/train.py``) and serving, so what the model saw is what it gets.

Role: SUPPORTING, never PRIMARY, and light. A classifier must not turn a second weak cue
into ``likely_scam`` (which PRIMARY would), and an AI-made face is not a scam by itself. The
weights are low because of a measured weakness (``models/ai_face/MODEL_CARD.md``): real press
photos, a kind of picture the model never saw in training, exceed its ``flag`` threshold
about half the time. So the face alone never makes a verdict ``suspicious``; it counts when
another signal agrees (a declared AI label, a scam link read from the picture).

Faces of ``MAX_FACE_SIDE`` px or more are not scored at all (an INFO note says so): that is
where the press-photo false flags are, and where the score is not informative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from server.media.faces import Face, FaceDetector, detect_faces
from server.media.item import MediaItem
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources

#: Side of the square the model reads (see ``models/ai_face/MODEL_CARD.md``).
INPUT_SIZE = 128
MODEL_NAME = "ai_face"
#: Faces smaller than this (px, longer side of the box in the decoded frame) are not
#: scored: at 128 px input a 40 px face is mostly resampling, the model has nothing to read.
MIN_FACE_SIDE = 48
#: Faces this large or larger (px, longer side of the box in the decoded frame) get no score,
#: only an INFO note. Real press photos with faces this size exceed ``flag`` 81 % of the time
#: (median p_fake 0.99), and the only training fakes this size are the SD 2.1 faces: here the
#: score says "large face", not "generated" (MODEL_CARD.md, "Face size"). Shrinking such faces
#: to the training size before the crop (with a JPEG re-encode) was measured and did not fix it.
MAX_FACE_SIDE = 256
#: Faces scored per item (largest first, across video keyframes): bounds the cost.
MAX_FACES = 6
#: Weight above the ``flag`` threshold (5 % of validation reals above it, but 63 % of unseen
#: real press photos: MODEL_CARD.md). Alone it stays far under the combiner's SUSPICIOUS_AT.
FLAG_WEIGHT = 0.2
#: Weight above the ``high`` threshold (1 % of validation reals, 46 % of press photos): with
#: a declared AI label (0.4) it makes ``suspicious``; alone it does not.
HIGH_WEIGHT = 0.35


def square_box(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """The square the classifier reads around a face box ``(x, y, w, h)``.

    Its side is the box's longer side (YuNet boxes run from forehead to chin), shrunk to fit
    the image and shifted inside it rather than padded: padding would be a pattern only
    tightly framed photos show, and the model would learn framing instead of faces.
    """
    x, y, w, h = (float(v) for v in box[:4])
    side = min(max(w, h), float(width), float(height))
    cx, cy = x + w / 2.0, y + h / 2.0
    left = min(max(cx - side / 2.0, 0.0), width - side)
    top = min(max(cy - side / 2.0, 0.0), height - side)
    return round(left), round(top), round(left + side), round(top + side)


def face_crop(image: Image.Image, box: Sequence[float]) -> np.ndarray:
    """``INPUT_SIZE``² RGB uint8 crop of one face (HWC)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    region = square_box(box, rgb.width, rgb.height)
    crop = rgb.crop(region).resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    return np.asarray(crop, dtype=np.uint8)


def synthetic_picture(seed: int, width: int, height: int) -> Image.Image:
    """A deterministic face-sized picture (smooth noise) for goldens and examples: the
    repository ships no one's face."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    noise = rng.normal(0, 6, size=(height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))


def golden_feeds(case: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The model input of one ``golden.json`` case: a synthetic picture, a face box, and
    the serving crop (so the replay pins the preprocessing as well as the weights)."""
    width, height = (int(v) for v in case["size"])
    image = synthetic_picture(int(case["seed"]), width, height)
    return {"image": to_input([face_crop(image, [float(v) for v in case["box"]])])}


def to_input(crops: Sequence[np.ndarray]) -> np.ndarray:
    """Crops (HWC uint8) as the model's ``image`` input: NCHW float32 in [0, 1]."""
    batch = np.stack([np.asarray(c, dtype=np.uint8) for c in crops])
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


#: ``MediaItem.memo`` key of ``AiFaceDetector.scores``.
_SCORES = "ai_face:scores"
_Scores = tuple[list[tuple[int, Face]], list[tuple[int, Face]], np.ndarray | None]


class AiFaceDetector:
    name: ClassVar[str] = "ai_face"
    version: ClassVar[str] = "1.1"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.MEDIA})
    messages: ClassVar[Messages] = {
        "ai_face.generated": {
            "en": "A face in this picture looks AI-generated or edited to our classifier (score {score:.2f}, threshold {threshold:.2f}); classifiers err, so this is a reason to look closer, not proof.",
            "zh": "我们的分类模型认为图中人脸疑似AI生成或经过篡改（得分 {score:.2f}，阈值 {threshold:.2f}）；模型可能出错，这只是需要进一步核实的理由，而非证据。",
        },
        "ai_face.too_large": {
            "en": "The largest face in this picture ({side:.0f} px) is larger than our AI-face classifier can judge reliably (limit {limit} px), so it was not scored.",
            "zh": "图中最大的人脸（{side:.0f} 像素）超出了我们的AI人脸分类模型能可靠判断的尺寸（上限 {limit} 像素），因此未作评分。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.model = resources.models.get(MODEL_NAME)
        self.faces = FaceDetector(resources.models.get("yunet"))
        thresholds = self.model.metadata.thresholds
        self.threshold = float(thresholds["flag"])
        self.threshold_high = float(thresholds.get("high", 1.0))
        resources.face_work[_SCORES] = self.scores

    def score(self, content: MediaItem) -> Sequence[Evidence]:
        if not content.has_pixels:
            return ()
        found, too_large, p_fake = content.memo(_SCORES, lambda: self.scores(content))
        if p_fake is None:
            return (self._too_large(too_large),) if too_large else ()
        best = int(np.argmax(p_fake))
        score = float(p_fake[best])
        if score < self.threshold:
            return (self._too_large(too_large),) if too_large else ()
        frame_index, face = found[best]
        frame = content.frames[frame_index]
        details: dict[str, Any] = {
            "score": round(score, 4),
            "threshold": self.threshold,
            "threshold_high": self.threshold_high,
            "faces_scored": len(found),
            "faces_too_large": len(too_large),
            "scores": [round(float(p), 4) for p in p_fake],
            "box": [round(v, 1) for v in face.box],
            "frame": frame_index,
            "model": f"{self.model.name} {self.model.version}",
            "model_sha256": self.model.metadata.sha256[:16],
        }
        if frame.timestamp_s is not None:
            details["timestamp_s"] = frame.timestamp_s
        weight = HIGH_WEIGHT if score >= self.threshold_high else FLAG_WEIGHT
        return (
            Evidence(
                detector=self.name,
                code="ai_face.generated",
                weight=weight,
                role=Role.SUPPORTING,
                params={"score": score, "threshold": self.threshold},
                details=details,
            ),
        )

    def scores(self, item: MediaItem) -> _Scores:
        """``(faces scored, faces too large, p_fake per scored face or None)``. Registered
        as face work: when a check starts face work early (the known-fakes detector does,
        before it hashes), this runs on the face thread meanwhile and ``score`` reads it."""
        found, too_large = _faces_to_score(detect_faces(item, self.faces))
        if not found:
            return found, too_large, None
        crops = [face_crop(item.frames[i].image, face.box) for i, face in found]
        p_fake = self.model.run({"image": to_input(crops)})["p_fake"].reshape(-1)
        return found, too_large, p_fake

    def _too_large(self, faces: Sequence[tuple[int, Face]]) -> Evidence:
        frame_index, face = faces[0]
        side = max(face.box[2], face.box[3])
        return Evidence(
            detector=self.name,
            code="ai_face.too_large",
            weight=0.0,
            role=Role.INFO,
            params={"side": side, "limit": MAX_FACE_SIDE},
            details={
                "side": round(side, 1),
                "limit": MAX_FACE_SIDE,
                "faces_too_large": len(faces),
                "box": [round(v, 1) for v in face.box],
                "frame": frame_index,
                "model": f"{self.model.name} {self.model.version}",
            },
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            Example(ContentKind.MEDIA, "flat", why="no face: nothing to say"),
            Example(ContentKind.MEDIA, "noise", why="no face in noise"),
            Example(ContentKind.MEDIA, "hashes", why="a hashes-only check has no pixels"),
        )

    @classmethod
    def example_content(cls, value: str) -> MediaItem:
        """Generated pictures without faces (no one's face is committed)."""
        from server.media.item import Frame

        if value == "hashes":
            return MediaItem.from_hashes({})
        if value == "noise":
            rng = np.random.default_rng(0)
            image = Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8))
        else:
            image = Image.new("RGB", (320, 240), (128, 128, 128))
        return MediaItem(
            format="PNG",
            mime="image/png",
            size_bytes=0,
            sha256="",
            width=image.width,
            height=image.height,
            frames=(Frame(image),),
        )


def face_side(face: Face) -> float:
    """The size the gates read: the longer side of the box, in decoded-frame pixels."""
    return max(face.box[2], face.box[3])


def _faces_to_score(
    faces: Sequence[Sequence[Face]],
) -> tuple[list[tuple[int, Face]], list[tuple[int, Face]]]:
    """``(scored, too_large)`` as ``(frame index, face)``, largest first: the ``MAX_FACES``
    largest faces the model can judge, and the faces too large for it."""
    candidates = [
        (index, face)
        for index, frame_faces in enumerate(faces)
        for face in frame_faces
        if face_side(face) >= MIN_FACE_SIDE
    ]
    candidates.sort(key=lambda pair: -(pair[1].box[2] * pair[1].box[3]))
    scored = [pair for pair in candidates if face_side(pair[1]) < MAX_FACE_SIDE]
    too_large = [pair for pair in candidates if face_side(pair[1]) >= MAX_FACE_SIDE]
    too_large.sort(key=lambda pair: -face_side(pair[1]))
    return scored[:MAX_FACES], too_large
