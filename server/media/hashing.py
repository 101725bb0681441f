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
hex digits) and imagehash's pHash and dHash (64 bits each; computed here from one shared
grey copy, pHash bit for bit as imagehash computes it, dHash within a bit of it on average).
Regions with too little information are gated out rather than hashed (flat colour, tiny, PDQ
quality below ``MIN_PDQ_QUALITY``): they match everything.

Cost: the regions of a frame are boxes on one copy resized to ``BASE_SIDE`` (``HashBase``),
so a 960 px frame's 9 query regions take ~17 ms of CPU (was ~40 ms with one resize per
region and hash kind; ``bench/media_speed.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

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
#: A whole picture is hashed from a copy with this long side: PDQ is 1.3 ms at 256 px, 6 ms at
#: 512, and its 64x64 internal grid loses nothing by it.
HASH_SIDE = 256
#: Regions of one frame are cut from one copy with this long side (``HashBase``): a centred
#: 80 % crop is then 256 px like a whole picture, the smallest region (64 %) 205 px, still
#: over three times PDQ's 64x64 grid.
BASE_SIDE = 256
#: Border stripping reads a grey copy box-reduced to at most this long side.
_STRIP_SIDE = 480

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
    return _pdq(np.asarray(image.convert("RGB")))


def _pdq(rgb: np.ndarray) -> tuple[bytes, int]:
    vector, quality = pdqhash.compute(rgb)
    return np.packbits(vector.astype(np.uint8)).tobytes(), int(quality)


def _dct_rows(size: int, keep: int) -> np.ndarray:
    """The first ``keep`` rows of the (unnormalised) DCT-II matrix of ``size`` points: the
    low frequencies pHash reads, as one matrix product instead of scipy's full DCT."""
    k = np.arange(keep)[:, None]
    n = np.arange(size)[None, :]
    return np.cos(np.pi * k * (2 * n + 1) / (2 * size))


#: pHash: imagehash's ``phash(hash_size=8, highfreq_factor=4)`` -- 32x32 LANCZOS grey, 2-D
#: DCT, the 8x8 lowest frequencies against their median. The same bits, ~20x cheaper.
_PHASH_SIDE = 32
_PHASH_DCT = _dct_rows(_PHASH_SIDE, 8)


class HashBase:
    """One picture reduced once, with every region hashed from crops of the shared arrays.

    Resizing was the expensive part of hashing (one resize per region and hash kind); here
    the picture is resized once to a long side of at most ``side``, converted to grey once,
    and each region is a box on those (PDQ reads the RGB crop; pHash and dHash resample the
    grey box straight to their 32x32 / 9x8 inputs with Pillow's ``box`` argument).
    """

    def __init__(self, image: Image.Image, side: int) -> None:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        self.source_size = rgb.size
        if max(rgb.size) > side:
            # Box-reduce by the integer factor first (a 960 px frame to 320 px: 0.7 ms where
            # a bilinear resize over the whole footprint took 4 ms), bilinear for the rest.
            rgb = rgb.copy()
            rgb.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=1.0)
        self.rgb = rgb
        self.grey = rgb.convert("L")
        self.rgb_array = np.asarray(rgb)
        self.grey_array = np.asarray(self.grey)
        #: Base pixels per source pixel (<= 1).
        self.scale = rgb.width / self.source_size[0]

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.size

    def box(self, left: float, top: float, right: float, bottom: float) -> tuple[int, ...]:
        """A region given as fractions of the base, in base pixels."""
        width, height = self.rgb.size
        return (
            round(left * width),
            round(top * height),
            round(right * width),
            round(bottom * height),
        )

    def hashes(
        self, box: tuple[int, ...] | None = None
    ) -> tuple[dict[HashKind, bytes], int] | None:
        """All hash kinds of one box (the whole base by default), or ``None`` when gated out
        (smaller than ``MIN_REGION_SIDE`` source pixels, flat, PDQ quality too low)."""
        left, top, right, bottom = box if box is not None else (0, 0, *self.rgb.size)
        if (
            min(right - left, bottom - top) < MIN_REGION_SIDE * self.scale
            or min(right - left, bottom - top) < 8
        ):
            return None
        grey = self.grey_array[top:bottom, left:right]
        if float(grey.std(dtype=np.float32)) < MIN_GREY_STD:
            return None
        pdq, quality = _pdq(self.rgb_array[top:bottom, left:right])
        if quality < MIN_PDQ_QUALITY:
            return None
        phash, dhash = self._phash_dhash((left, top, right, bottom))
        return {HashKind.PDQ: pdq, HashKind.PHASH: phash, HashKind.DHASH: dhash}, quality

    def _phash_dhash(self, region: tuple[int, int, int, int]) -> tuple[bytes, bytes]:
        small = self.grey.resize((_PHASH_SIDE, _PHASH_SIDE), Image.Resampling.LANCZOS, box=region)
        pixels = np.asarray(small, dtype=np.float64)
        # imagehash transforms the columns (axis 0), then the rows: low[k, l] pairs the k-th
        # vertical with the l-th horizontal frequency.
        low = (_PHASH_DCT @ pixels @ _PHASH_DCT.T).ravel()
        ordered = np.sort(low)
        median = (ordered[31] + ordered[32]) / 2
        phash = np.packbits(low > median).tobytes()
        # dHash from the 32x32 copy rather than the region itself: 0.9 bits from imagehash's
        # own dHash on average (bench, 240 crops), at a third of the cost.
        tiny = np.asarray(small.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
        dhash = np.packbits(tiny[:, 1:] > tiny[:, :-1]).tobytes()
        return phash, dhash


def image_hashes(image: Image.Image) -> tuple[dict[HashKind, bytes], int] | None:
    """All hash kinds of one whole picture and its PDQ quality, or ``None`` when gated out."""
    return HashBase(image, HASH_SIDE).hashes()


def strip_box(image: Image.Image) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the picture without uniform borders, screenshot
    frames and caption bars (the whole picture when nothing is stripped).

    Measured on a grey copy box-reduced to a long side of at most ``_STRIP_SIDE``: the cut
    lands within a few source pixels, and the row statistics cost a quarter as much.
    """
    width, height = image.size
    whole = (0, 0, width, height)
    if height < 2 * MIN_REGION_SIDE or width < 2 * MIN_REGION_SIDE:
        return whole
    factor = max(1, max(width, height) // _STRIP_SIDE)
    small = image.convert("L")
    if factor > 1:
        small = small.reduce(factor)
    grey = np.asarray(small, dtype=np.int16)
    rows, cols = grey.shape
    top = _strip(grey, from_start=True)
    bottom = rows - _strip(grey, from_start=False)
    left = _strip(grey.T, from_start=True)
    right = cols - _strip(grey.T, from_start=False)
    if (top, left, right, bottom) == (0, 0, cols, rows):
        return whole
    # Back to source pixels; an edge kept whole stays exactly on the picture's edge.
    box = (
        left * factor,
        top * factor,
        width if right == cols else right * factor,
        height if bottom == rows else bottom * factor,
    )
    if box[3] - box[1] < MIN_REGION_SIDE or box[2] - box[0] < MIN_REGION_SIDE:
        return whole
    return box


def strip_borders(image: Image.Image) -> Image.Image:
    """The picture without uniform borders, screenshot frames and caption bars."""
    box = strip_box(image)
    return image if box == (0, 0, *image.size) else image.crop(box)


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
            # A thinner line of text counts when uniform rows close it (a screenshot's title
            # bar): missed, it left the frame on a framed copy's regions (PDQ 58 bits median
            # from the bank's, 96.7 % -> 98.3 % recall at the same rule, bench/media_robustness).
            closed = np.flatnonzero(flat[cut : cut + band])
            step = band if band >= min_band else (int(closed[0]) if closed.size else 0)
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


def hash_regions(
    image: Image.Image, faces: Sequence[Face], *, bank: bool, frame: int = 0, compact: bool = False
) -> list[RegionHash]:
    """Hashes of every region of one frame that passes the quality gate.

    ``bank`` adds the bank-only windows and the mirrored variants; ``compact`` keeps the
    whole picture, ``centre80`` and the face (video keyframes: 16 of them must fit in the
    detector's time limit). The picture is resized once per base (stripped, as given,
    mirrored) and every region is a box on it (``HashBase``).
    """
    hashed: list[RegionHash] = []

    def add(name: str, base: HashBase, box: tuple[int, ...] | None = None) -> None:
        found = base.hashes(box)
        if found is not None:
            hashed.append(RegionHash(name, found[0], found[1], frame))

    box = strip_box(image)
    whole = box == (0, 0, *image.size)
    stripped = image if whole else image.crop(box)
    stripped_base = HashBase(stripped, BASE_SIDE)
    add("full", stripped_base)
    raw_base = None if whole else HashBase(image, BASE_SIDE)
    if raw_base is not None:
        add("raw", raw_base)
    crops = _CROPS + _BANK_CROPS if bank else _CROPS
    # A reported picture whose own background is uniform (a studio portrait) loses some of
    # it to stripping, and a crop of it loses a different amount: the bank also keeps crops
    # of the picture as given.
    bases = [("", stripped_base)]
    if bank and raw_base is not None:
        bases.append(("raw:", raw_base))
    for prefix, base in bases:
        for name, left, top, right, bottom in crops:
            if compact and name != "centre80":
                continue
            add(prefix + name, base, base.box(left, top, right, bottom))
    largest = max(faces, key=lambda f: f.box[2] * f.box[3], default=None)
    face_crop = aligned_face(image, largest) if largest is not None else None
    if face_crop is not None:
        add("face", HashBase(face_crop, _FACE_SIDE))
    if bank:
        add("full~mirror", _mirrored(stripped_base))
        if face_crop is not None:
            add(
                "face~mirror",
                HashBase(face_crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT), _FACE_SIDE),
            )
    return hashed


def _mirrored(base: HashBase) -> HashBase:
    flipped = base.rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    mirrored = HashBase(flipped, max(flipped.size))
    mirrored.source_size, mirrored.scale = base.source_size, base.scale
    return mirrored
