"""Perceptual hashes of several regions of a picture, for the known-fakes bank.

A copy in the wild is rarely the reported file: it is cropped, framed in a screenshot,
captioned, mirrored. Hashing the whole picture only survives re-encoding and resizing
(whole-image recall for a 10 % frame or a 25 % crop is 3-21 %, see ``bench/``). So each
picture is hashed in several *regions*, and the bank and the check compare every region
of one with every region of the other:

- ``full``: the picture after uniform borders and caption bars are stripped (screenshot
  frames, letterboxing, meme captions), ``raw`` the picture as given when that changed it;
- ``centre80``/``centre64``: centred crops (a bank copy's ``centre80`` meets a query that
  was cropped 20 %; a query's ``centre80`` meets a bank copy when the query is framed);
- ``tl``/``tr``/``bl``/``br``: 80 % corner crops (off-centre crops);
- ``face``: the largest face, aligned on its eyes (a similarity transform), with hair and
  background around it: the same under any crop, frame, caption or small rotation that
  keeps the face;
- ``~mirror`` variants of ``full`` and ``face`` on the bank side only (mirroring the
  reported picture once is cheaper than mirroring every query).

Each region gets PDQ (256 bits, ``pdqhash``: the ThreatExchange format, exchanged as 64
hex digits) and imagehash's pHash and dHash (64 bits each). Regions with too little
information are gated out rather than hashed (flat colour, tiny, PDQ quality below
``MIN_PDQ_QUALITY``): they match everything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from server.media.faces import Face


class HashKind(StrEnum):
    PDQ = "pdq"
    PHASH = "phash"
    DHASH = "dhash"


#: Bits of each kind (a comparison between different kinds or sizes is refused).
HASH_BITS = {HashKind.PDQ: 256, HashKind.PHASH: 64, HashKind.DHASH: 64}

#: ThreatExchange's PDQ quality gate (``pdq/signal.py``: below 50 the hash of a flat or
#: tiny picture is too unstable to trust).
MIN_PDQ_QUALITY = 50
#: Regions smaller than this on their short side are not hashed (a 40 px thumbnail of a
#: face matches too many other faces).
MIN_REGION_SIDE = 48
#: Standard deviation of grey levels under which a region is "flat".
MIN_GREY_STD = 6.0
#: Hashes are computed on a copy with this long side: PDQ is 1.3 ms at 256 px, 6 ms at 512,
#: and its 64x64 internal grid loses nothing by it.
HASH_SIDE = 256

#: Border stripping: a row/column is "uniform" when 92 % of its pixels are within
#: ``_FLAT_TOLERANCE`` grey levels of its median; a caption bar's rows (bold text across a
#: solid band) keep a third of their pixels on the band's colour, so they pass at 35 % when
#: a uniform row of that colour comes first and the band is at least 4 % of the picture. At
#: most 35 % of each side goes.
_FLAT_SHARE = 0.92
_BAND_SHARE = 0.35
_FLAT_TOLERANCE = 12
_MAX_STRIP = 0.35
_MIN_CAPTION = 0.04

#: Crop regions (name, left, top, right, bottom as fractions of the stripped picture).
_CROPS: tuple[tuple[str, float, float, float, float], ...] = (
    ("centre80", 0.10, 0.10, 0.90, 0.90),
    ("centre64", 0.18, 0.18, 0.82, 0.82),
    ("tl", 0.0, 0.0, 0.80, 0.80),
    ("tr", 0.20, 0.0, 1.0, 0.80),
    ("bl", 0.0, 0.20, 0.80, 1.0),
    ("br", 0.20, 0.20, 1.0, 1.0),
)

#: Bank-only windows of 75 % of each side on a 5x5 grid: a copy cropped by a quarter, centred
#: or not, is close to one of them. Only the bank pays (rows), never the query (time).
_BANK_CROPS: tuple[tuple[str, float, float, float, float], ...] = (
    *(
        (f"w75_{ix}{iy}", x, y, x + 0.75, y + 0.75)
        for ix, x in enumerate((0.0, 0.0625, 0.125, 0.1875, 0.25))
        for iy, y in enumerate((0.0, 0.0625, 0.125, 0.1875, 0.25))
    ),
    ("centre90", 0.05, 0.05, 0.95, 0.95),
)

#: The aligned face crop: eyes land at these fractions of a ``_FACE_SIDE`` square; the
#: face then covers about the middle half, hair and background the rest.
_FACE_SIDE = 128
_EYE_Y = 0.42
_EYE_LEFT_X = 0.38
_EYE_RIGHT_X = 0.62
MIN_FACE_SCORE = 0.8


@dataclass(frozen=True, slots=True)
class RegionHash:
    """The hashes of one region of one frame."""

    region: str
    #: ``{kind: packed bits}`` (``np.uint8`` arrays, big-endian bit order as hex shows).
    hashes: dict[HashKind, bytes]
    quality: int
    #: Index of the frame (video keyframe or animation frame) the region comes from.
    frame: int = 0

    def hex(self, kind: HashKind) -> str:
        return self.hashes[kind].hex()


def pdq_bits(image: Image.Image) -> tuple[bytes, int]:
    """PDQ of an RGB image as 32 bytes (the 64-hex-digit ThreatExchange form) and quality."""
    vector, quality = pdqhash.compute(np.asarray(image.convert("RGB")))
    return np.packbits(vector.astype(np.uint8)).tobytes(), int(quality)


def image_hashes(image: Image.Image) -> tuple[dict[HashKind, bytes], int] | None:
    """All hash kinds of one region and its PDQ quality, or ``None`` when gated out."""
    if min(image.size) < MIN_REGION_SIDE:
        return None
    small = image.convert("RGB")
    if max(small.size) > HASH_SIDE:
        small.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    grey = small.convert("L")
    if float(np.asarray(grey, dtype=np.float32).std()) < MIN_GREY_STD:
        return None
    pdq, quality = pdq_bits(small)
    if quality < MIN_PDQ_QUALITY:
        return None
    hashes = {
        HashKind.PDQ: pdq,
        HashKind.PHASH: _pack(imagehash.phash(grey)),
        HashKind.DHASH: _pack(imagehash.dhash(grey)),
    }
    return hashes, quality


def _pack(value: imagehash.ImageHash) -> bytes:
    return np.packbits(np.asarray(value.hash, dtype=np.uint8).ravel()).tobytes()


def strip_borders(image: Image.Image) -> Image.Image:
    """The picture without uniform borders, screenshot frames and caption bars."""
    grey = np.asarray(image.convert("L"), dtype=np.int16)
    height, width = grey.shape
    if height < 2 * MIN_REGION_SIDE or width < 2 * MIN_REGION_SIDE:
        return image
    top = _strip(grey, from_start=True)
    bottom = height - _strip(grey, from_start=False)
    left = _strip(grey.T, from_start=True)
    right = width - _strip(grey.T, from_start=False)
    if (top, left, right, bottom) == (0, 0, width, height):
        return image
    if bottom - top < MIN_REGION_SIDE or right - left < MIN_REGION_SIDE:
        return image
    return image.crop((left, top, right, bottom))


def _strip(grey: np.ndarray, *, from_start: bool) -> int:
    """How many rows to drop from one side: uniform rows, then caption-bar rows."""
    limit = int(grey.shape[0] * _MAX_STRIP)
    rows = grey[:limit] if from_start else grey[::-1][:limit]
    if rows.shape[0] == 0:
        return 0
    medians = np.median(rows, axis=1, keepdims=True)
    share = (np.abs(rows - medians) <= _FLAT_TOLERANCE).mean(axis=1)
    flat = share >= _FLAT_SHARE
    min_band = max(1, int(grey.shape[0] * _MIN_CAPTION))
    cut = 0
    # Layers from the edge inwards (a title bar, a grey frame, a caption band...): each is a
    # run of uniform rows, or a band of rows mostly on one colour (text on a solid band).
    while cut < rows.shape[0]:
        step = _leading_true(flat[cut:])
        if step == 0 and cut > 0:
            # Text on the band: the rows keep a good share of the band's colour (the last
            # uniform row's) even where bold letters cover most of the width.
            colour = medians[cut - 1, 0]
            on_band = (np.abs(rows[cut:] - colour) <= _FLAT_TOLERANCE).mean(axis=1)
            band = _leading_true(on_band >= _BAND_SHARE)
            step = band if band >= min_band else 0
        if step == 0:
            break
        cut += step
    return cut


def _leading_true(values: np.ndarray) -> int:
    if values.size == 0 or not values[0]:
        return 0
    falses = np.flatnonzero(~values)
    return int(falses[0]) if falses.size else int(values.size)


def aligned_face(image: Image.Image, face: Face) -> Image.Image | None:
    """The face rotated and scaled so the eyes sit at fixed points of a square crop."""
    if face.score < MIN_FACE_SCORE or len(face.landmarks) < 2:
        return None
    (rx, ry), (lx, ly) = face.landmarks[0], face.landmarks[1]
    eye_distance = math.hypot(lx - rx, ly - ry)
    if eye_distance < 8:
        return None
    target = (_EYE_RIGHT_X - _EYE_LEFT_X) * _FACE_SIDE
    scale = eye_distance / target  # source pixels per crop pixel
    angle = math.atan2(ly - ry, lx - rx)
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    cx, cy = (rx + lx) / 2, (ry + ly) / 2
    ox, oy = (_EYE_LEFT_X + _EYE_RIGHT_X) / 2 * _FACE_SIDE, _EYE_Y * _FACE_SIDE
    # Inverse map: crop (u, v) -> source (x, y) = centre + R * scale * ((u, v) - eye centre).
    coefficients = (cos, -sin, cx - cos * ox + sin * oy, sin, cos, cy - sin * ox - cos * oy)
    return image.transform(
        (_FACE_SIDE, _FACE_SIDE),
        Image.Transform.AFFINE,
        coefficients,
        resample=Image.Resampling.BILINEAR,
        fillcolor=(128, 128, 128),
    )


def regions(
    image: Image.Image, faces: Sequence[Face], *, bank: bool, compact: bool = False
) -> list[tuple[str, Image.Image]]:
    """The named regions of one frame; ``bank`` adds the mirrored variants; ``compact``
    keeps the whole picture, ``centre80`` and the face (video keyframes: 16 of them must
    fit in the detector's time limit)."""
    found: list[tuple[str, Image.Image]] = []
    stripped = strip_borders(image)
    found.append(("full", stripped))
    if stripped.size != image.size:
        found.append(("raw", image))
    crops = _CROPS + _BANK_CROPS if bank else _CROPS
    # A reported picture whose own background is uniform (a studio portrait) loses some of
    # it to stripping, and a crop of it loses a different amount: the bank also keeps crops
    # of the picture as given.
    bases = [("", stripped)]
    if bank and stripped.size != image.size:
        bases.append(("raw:", image))
    for prefix, base in bases:
        width, height = base.size
        for name, left, top, right, bottom in crops:
            if compact and name != "centre80":
                continue
            box = (
                round(left * width),
                round(top * height),
                round(right * width),
                round(bottom * height),
            )
            found.append((prefix + name, base.crop(box)))
    largest = max(faces, key=lambda f: f.box[2] * f.box[3], default=None)
    face_crop = aligned_face(image, largest) if largest is not None else None
    if face_crop is not None:
        found.append(("face", face_crop))
    if bank:
        found.append(("full~mirror", stripped.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
        if face_crop is not None:
            found.append(("face~mirror", face_crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    return found


def hash_regions(
    image: Image.Image, faces: Sequence[Face], *, bank: bool, frame: int = 0, compact: bool = False
) -> list[RegionHash]:
    """Hashes of every region of one frame that passes the quality gate."""
    hashed = []
    for name, region in regions(image, faces, bank=bank, compact=compact):
        found = image_hashes(region)
        if found is not None:
            hashes, quality = found
            hashed.append(RegionHash(name, hashes, quality, frame))
    return hashed
