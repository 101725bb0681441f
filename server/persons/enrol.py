"""Enrolment: one operator photo → one face embedding. The photo itself is never stored.

A reference embedding must be unambiguous, so the photo must hold exactly one face big
enough to identify: zero faces, several faces or only a tiny one are refused with a code
that says which (``EnrolmentRefused``), never guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from server.errors import UnprocessableContent
from server.media.faces import Face, FaceDetector
from server.media.item import MediaItem
from server.persons.embed import MIN_FACE_PIXELS, FaceBox, FaceEmbedder, FloatArray


class EnrolmentRefused(UnprocessableContent):
    """The photo cannot give one clear reference face; ``code`` says why."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    vector: FloatArray
    face_pixels: int
    photo_sha256: str


def the_one_face(faces: Sequence[Face]) -> Face:
    """The single identifiable face of an enrolment photo, or ``EnrolmentRefused``."""
    usable = [f for f in faces if min(f.box[2], f.box[3]) >= MIN_FACE_PIXELS]
    if len(usable) > 1:
        raise EnrolmentRefused(
            f"The photo shows {len(usable)} faces; send a photo of this person alone"
            " (crop it to one face).",
            code="enrol_several_faces",
        )
    if not usable:
        if faces:
            raise EnrolmentRefused(
                f"The face is too small to identify (under {MIN_FACE_PIXELS} pixels);"
                " send a closer or larger photo.",
                code="enrol_face_too_small",
            )
        raise EnrolmentRefused(
            "No face was found in the photo; send a clear, front-facing photo of the person.",
            code="enrol_no_face",
        )
    return usable[0]


def enrol_photo(item: MediaItem, detector: FaceDetector, embedder: FaceEmbedder) -> Enrolment:
    """Detect, check and embed the face of a decoded still photo (CPU work: executor)."""
    if item.is_video or len(item.frames) != 1:
        raise EnrolmentRefused(
            "Send one still photo (JPEG, PNG, WebP or HEIC), not a video or an animation.",
            code="enrol_not_a_photo",
        )
    image = item.frames[0].image
    face = the_one_face(detector.detect(image))
    x, y, w, h = face.box
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    (vector,) = embedder.embed(rgb, [FaceBox(x, y, w, h)])
    return Enrolment(vector, int(min(w, h)), item.sha256)
