"""The ``inner`` face regions: the face itself, cropped tight and aligned on re-found eyes.

The ``face`` region (``server.media.hashing``) is the face with its hair and background, on
the eyes YuNet finds in the whole frame. Once a bank picture sits inside an ad, a screenshot
or a collage, that region stopped matching its own copy: YuNet sees the frame at 320 px, so a
face a third of the ad wide gets eyes a few pixels off, and the loose crop reaches past the
picture into the layout. Measured on 50 bank faces placed in three ad templates at 30 and
50 % of the width (2026-11-23): the ``face`` region met its entry 11-19 times of 50.

Three changes, each measured on the same 300 placements:

- the eyes are found again on a square around the face, where the face fills YuNet's input
  (``refine``; 22-26 of 50 met; with YuNet then at 320 px);
- the crop is the inner face (eyes at 30 % and 70 % of the width: forehead to chin, cheek to
  cheek), so a picture that ends just past the face adds no layout to it (36-41 of 50);
- the bank keeps the crop of each entry also at the small shifts and scales the re-found eyes
  still wander by (``JITTERS``): 45-48 of 50, with 1 chance pair among 2,450 different faces.

A chance match between two aligned faces is more likely than between two scenes, so a match
through these regions is checked like any other by ``server.media.identity`` (whose face).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PIL import Image

from server.media.faces import Face, FaceDetector
from server.media.hashing import MIN_FACE_SCORE, HashBase, RegionHash, aligned_face

#: Side of the square the inner face is hashed from (as the ``face`` region).
SIDE = 128
#: Where the eyes land in the crop, as fractions of ``SIDE``.
EYE_Y = 0.38
EYE_LEFT_X = 0.30
EYE_RIGHT_X = 0.70
#: The square around a face that YuNet looks at again, in face-box sides.
REFINE_SPAN = 2.2
#: YuNet's input side for that square (the face ~70 px wide in it). Chosen on the
#: development half of ``bench/media_layouts.py`` (2026-11-23): the picture inside an ad
#: template found 85-88 % of the time at 320, 91-92 % at 224, 92-93 % at 160, 87-89 % at
#: 128; at 160 it costs a quarter of a 320 px pass.
REFINE_SIDE = 160
#: The faces of a frame given inner regions, largest first: a collage puts two bank
#: pictures side by side, and the second is not the largest face.
MAX_FACES = 3
#: Bank-only variants: ``(shift x, shift y, scale)`` of the eye points, shifts in eye
#: distances. The query is hashed once, at ``(0, 0, 1)``.
JITTERS: tuple[tuple[float, float, float], ...] = tuple(
    (dx, dy, scale)
    for dx in (-0.04, 0.0, 0.04)
    for dy in (-0.04, 0.0, 0.04)
    for scale in (0.95, 1.0, 1.05)
    if (dx, dy, scale) != (0.0, 0.0, 1.0)
)
#: Faces narrower than this (frame pixels) are not hashed: too few pixels for a stable crop.
MIN_FACE_PIXELS = 40


def refine(image: Image.Image, face: Face, detector: FaceDetector) -> Face:
    """``face`` with its box and landmarks found again on a square around it, at one scale
    whatever the face's size in the picture; ``face`` itself when YuNet does not find it
    there."""
    # Every face is refined, even one the first pass saw larger: eye points read at one
    # scale agree between a bank picture and its copy in a layout (keeping the first pass's
    # points for large faces, development half: ad templates 92-93 % -> 67-73 %).
    x, y, w, h = face.box
    # PIL pads a crop to its full size: an absurd box must not make an absurd crop. Only
    # absurd ones are capped: a cap at 2x the picture, or at the picture's side for the box,
    # changed the refined eyes of real faces (a 9:16 pad's blurred enlarged copy, portraits
    # that fill the frame; layouts development half: pad 95 -> 92 %, screenshot 99 -> 97 %).
    side = min(max(w, h) * REFINE_SPAN, 4 * max(image.size))
    left, top = round(x + w / 2 - side / 2), round(y + h / 2 - side / 2)
    crop = image.crop((left, top, left + round(side), top + round(side)))
    found = [f for f in detector.detect(crop, REFINE_SIDE) if f.score >= MIN_FACE_SCORE]
    if not found:
        return face
    centre = side / 2
    best = min(
        found,
        key=lambda f: math.hypot(
            f.box[0] + f.box[2] / 2 - centre, f.box[1] + f.box[3] / 2 - centre
        ),
    )
    bx, by, bw, bh = best.box
    return Face(
        (bx + left, by + top, bw, bh),
        best.score,
        tuple((px + left, py + top) for px, py in best.landmarks),
    )


def inner_crop(
    image: Image.Image, face: Face, jitter: tuple[float, float, float] = (0.0, 0.0, 1.0)
) -> Image.Image | None:
    """The inner face rotated and scaled so the eyes sit at fixed points of a ``SIDE``
    square, the eye points first moved by ``jitter``; ``None`` without usable eyes."""
    return aligned_face(
        image, face, side=SIDE, eyes=(EYE_LEFT_X, EYE_RIGHT_X, EYE_Y), jitter=jitter
    )


def inner_regions(
    image: Image.Image,
    faces: Sequence[Face],
    detector: FaceDetector,
    *,
    bank: bool,
    frame: int = 0,
    max_faces: int = MAX_FACES,
) -> list[RegionHash]:
    """``inner`` (``inner2``, ``inner3`` for the next faces) of the largest faces; the bank
    adds each one mirrored (``inner~mirror``) and, for the largest, each jitter
    ``inner:j<n>`` and its mirror (``inner~mirror:j<n>``)."""
    usable = sorted(
        (f for f in faces if min(f.box[2], f.box[3]) >= MIN_FACE_PIXELS),
        key=lambda f: f.box[2] * f.box[3],
        reverse=True,
    )[:max_faces]
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    found: list[RegionHash] = []
    for rank, face in enumerate(usable):
        name = "inner" if rank == 0 else f"inner{rank + 1}"
        refined = refine(rgb, face, detector)
        jobs: list[tuple[str, tuple[float, float, float]]] = [(name, (0.0, 0.0, 1.0))]
        if bank and rank == 0:
            jobs += [(f"{name}:j{n}", jitter) for n, jitter in enumerate(JITTERS, 1)]
        for region, jitter in jobs:
            crop = inner_crop(rgb, refined, jitter)
            if crop is None:
                break
            found += _hashed(region, crop, frame)
            if bank:
                mirrored = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                found += _hashed(_mirror_name(region), mirrored, frame)
    return found


def _mirror_name(region: str) -> str:
    base, _, jitter = region.partition(":")
    return f"{base}~mirror" + (f":{jitter}" if jitter else "")


def _hashed(region: str, crop: Image.Image, frame: int) -> list[RegionHash]:
    hashed = HashBase(crop, SIDE).hashes()
    return [] if hashed is None else [RegionHash(region, hashed[0], hashed[1], frame)]
