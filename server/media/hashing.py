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
  background around it: it carries most matches of a picture placed inside a larger layout
  (measured in review 36, it alone does not survive off-centre crops or 10° rotations:
  YuNet's eye points lag a turn, 2.9° median error at 10° against 0.5° upright, and the
  crop of a tight portrait reaches past the picture, where a turned copy has its canvas);
- bank side only (paid in rows, not in query time): ``~mirror`` variants of ``full``,
  ``face``, ``centre64`` and the 75 % windows (``_MIRRORED_CROPS``), and ``turn±10``/
  ``turn±15``, a centred box of the picture turned (``_TURNS``).

Each region gets PDQ (256 bits, the ThreatExchange format, exchanged as 64 hex digits;
computed by ``server.media.pdq`` for all regions of a copy at once, held to Meta's reference
``pdqhash`` by ``tests/test_media_pdq.py``) and imagehash's pHash and dHash (64 bits each;
computed here from one shared grey copy, pHash bit for bit as imagehash computes it, dHash
within a bit of it on average).
Regions with too little information are gated out rather than hashed (flat colour, tiny, PDQ
quality below ``MIN_PDQ_QUALITY``): they match everything.

Cost: the regions of a frame are boxes on one copy resized to ``BASE_SIDE`` (``HashBase``),
PDQ reads them all in one batch, and border stripping converts only the bands next to a
uniform edge; ``FrameHasher`` keeps what a frame's hashing computed for whoever needs it next
(the face region, the community report's whole-picture hash). Figures in
``bench/media_check_profile.py``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from server.media import pdq
from server.media.faces import Face
from server.media.resample import lanczos_boxes, lanczos_small
from server.media.shrink import resized

if TYPE_CHECKING:
    from server.media.item import MediaItem


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
#: Measured (2026-11-23, 120 fakes): a window 0.0125 of the side from a grid point is met
#: 99 % of the time, one 0.025-0.03 away only 12-19 %: the grid covers positions near its
#: points, not every position.
_W75: tuple[tuple[str, float, float, float, float], ...] = tuple(
    (f"w75_{ix}{iy}", x, y, x + 0.75, y + 0.75)
    for ix, x in enumerate((0.0, 0.0625, 0.125, 0.1875, 0.25))
    for iy, y in enumerate((0.0, 0.0625, 0.125, 0.1875, 0.25))
)
_BANK_CROPS: tuple[tuple[str, float, float, float, float], ...] = (
    *_W75,
    ("centre90", 0.05, 0.05, 0.95, 0.95),
)

#: Crops the bank also keeps of the mirrored picture, stripped and (when stripping changed
#: it) as given (review 36 F4: a copy cropped 25 % off-centre and mirrored met only
#: ``full~mirror`` and ``face~mirror``: 4.2 % recall, 0.8 % with a caption). The grid is its
#: own mirror image, so a mirrored copy is met where an unmirrored one is: 99.2 %, as the
#: unmirrored crop (0.8 % -> 70.8 % with a caption, as the unmirrored crop with a caption,
#: 69.2 %: that limit is stripping's, not the mirror's). The ``raw:`` ones carry pictures
#: whose uniform background stripping cuts differently once cropped (without them 85 %);
#: ``centre64`` a mirrored crop inside a screenshot frame (its query's corner crops meet it:
#: 67 % -> 88 %). Mirroring all 32 crops met 2 more of 1,200 mirrored copies (10 mirrored
#: transforms) for 7 more rows an entry; a coarser 3x3 grid missed the bench's crop (4 %),
#: which lies between its points. Bank rows 41.8 -> 76.3 an entry with ``_TURNS``
#: (``bench/media_robustness.py``, 2026-11-23).
_MIRRORED_CROPS: tuple[tuple[str, float, float, float, float], ...] = (
    _CROPS[1],  # centre64
    *_W75,
)

#: Bank-only turned copies (review 36 F5), degrees counter-clockwise: for each, the region a
#: query turned by that angle on a grown canvas hashes as its ``centre80`` (``_turned_box``).
#: Measured 2026-11-23 (120 fakes, 1,200 unrelated queries: none matched, as before): turned
#: 10° on white 12.5 % -> 85 %, 15° 5 % -> 84 %, -10° on black 12.5 % -> 66 % (stripping cuts
#: into a picture's own background when its colour is the fill's, so the cut, and the box,
#: depend on the fill), 10° on a canvas of its own size 33 % -> 52 %. A fixed box (64 % of the
#: grown canvas, no stripping simulated) reached 66 % at 10°.
_TURNS = (-15, -10, 10, 15)

#: The aligned face crop: eyes land at these fractions of a ``_FACE_SIDE`` square; the
#: face then covers about the middle half, hair and background the rest.
_FACE_SIDE = 128
_EYE_Y = 0.42
_EYE_LEFT_X = 0.38
_EYE_RIGHT_X = 0.62
MIN_FACE_SCORE = 0.8


def is_inner_region(name: str) -> bool:
    """The inner face regions (``server.media.inner_face``: ``inner``, ``inner2``,
    ``inner~mirror:j3`` ...): they only ever meet each other (``server.media.matching``)."""
    return name.startswith("inner")


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
    plane = pdq.luma(np.asarray(image.convert("RGB")))
    ((bits, quality),) = pdq.hashes(plane, [(0, 0, image.width, image.height)])
    return bits, quality


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

Hashed = tuple[dict[HashKind, bytes], int]


class HashBase:
    """One picture reduced once, with every region hashed from crops of the shared arrays.

    Resizing was the expensive part of hashing (one resize per region and hash kind); here
    the picture is resized once to a long side of at most ``side``, converted to grey and to
    PDQ's float luma once, and each region is a box on those: PDQ reads the luma box (all
    boxes of a base in one batch, ``server.media.pdq``), pHash and dHash resample the grey box
    straight to their 32x32 / 9x8 inputs as Pillow's ``resize(box=...)`` would
    (``server.media.resample``: the same integers, every region in two matrix products).
    """

    def __init__(self, image: Image.Image, side: int) -> None:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        self.source_size = rgb.size
        if max(rgb.size) > side:
            # Box-reduce by the integer factor first (a 960 px frame to 320 px: 0.7 ms where
            # a bilinear resize over the whole footprint took 4 ms), bilinear for the rest.
            # The size and steps of ``thumbnail`` (hashes in a bank stay comparable), but
            # ``resize`` returns a new image: no copy of the frame first.
            # The reduction is shared with YuNet's input when both want the same factor
            # of the same frame (``server.media.shrink``).
            rgb = resized(rgb, _thumbnail_size(rgb.size, side))
        self.rgb = rgb
        self.grey = rgb.convert("L")
        self.grey_array = np.asarray(self.grey)
        self._luma: np.ndarray | None = None
        self._done: dict[tuple[int, ...], Hashed | None] = {}
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

    def hashes(self, box: tuple[int, ...] | None = None) -> Hashed | None:
        """All hash kinds of one box (the whole base by default), or ``None`` when gated out
        (smaller than ``MIN_REGION_SIDE`` source pixels, flat, PDQ quality too low)."""
        return self.hashes_of([box])[0]

    def hashes_of(self, boxes: Sequence[tuple[int, ...] | None]) -> list[Hashed | None]:
        """``hashes`` of each box (``None`` = the whole base), computed together."""
        whole = (0, 0, *self.rgb.size)
        wanted = [tuple(box) if box is not None else whole for box in boxes]
        todo = [box for box in dict.fromkeys(wanted) if box not in self._done]
        for box, hashed in zip(todo, self._compute(todo), strict=True):
            self._done[box] = hashed
        return [self._done[box] for box in wanted]

    def _compute(self, boxes: Sequence[tuple[int, ...]]) -> list[Hashed | None]:
        found: list[Hashed | None] = [None] * len(boxes)
        live: list[tuple[int, tuple[int, int, int, int]]] = []
        for i, (left, top, right, bottom) in enumerate(boxes):
            side = min(right - left, bottom - top)
            if side < MIN_REGION_SIDE * self.scale or side < 8:
                continue
            if self._flat((left, top, right, bottom)):
                continue
            live.append((i, (left, top, right, bottom)))
        if not live:
            return found
        if self._luma is None:
            self._luma = pdq.luma(np.asarray(self.rgb))
        pdqs = pdq.hashes(self._luma, [box for _, box in live])
        kept = [
            (i, box, bits, quality)
            for (i, box), (bits, quality) in zip(live, pdqs, strict=True)
            if quality >= MIN_PDQ_QUALITY
        ]
        if not kept:
            return found
        others = self._phash_dhash([box for _, box, _, _ in kept])
        for (i, _, bits, quality), (phash, dhash) in zip(kept, others, strict=True):
            found[i] = {HashKind.PDQ: bits, HashKind.PHASH: phash, HashKind.DHASH: dhash}, quality
        return found

    def _flat(self, box: tuple[int, int, int, int]) -> bool:
        """Standard deviation of the box's grey levels under ``MIN_GREY_STD`` (in exact
        integers: variance < MIN_GREY_STD**2, times count**2)."""
        left, top, right, bottom = box
        grey = self.grey_array[top:bottom, left:right]
        total = int(grey.sum(dtype=np.int64))
        squares = int(np.einsum("ij,ij->", grey, grey, dtype=np.int64))
        count = grey.size
        return count * squares - total * total < MIN_GREY_STD**2 * count * count

    def _phash_dhash(
        self, regions: Sequence[tuple[int, int, int, int]]
    ) -> list[tuple[bytes, bytes]]:
        # Each region's 32x32 LANCZOS copy exactly as Pillow's ``resize(box=region)`` makes
        # it, all regions in two matrix products (``server.media.resample``).
        pixels = lanczos_boxes(self.grey_array, regions, (_PHASH_SIDE, _PHASH_SIDE))
        # imagehash transforms the columns (axis 0), then the rows: low[k, l] pairs the k-th
        # vertical with the l-th horizontal frequency.
        low = (_PHASH_DCT @ pixels @ _PHASH_DCT.T).reshape(len(regions), 64)
        ordered = np.sort(low, axis=1)
        median = (ordered[:, 31:32] + ordered[:, 32:33]) / 2
        phashes = np.packbits(low > median, axis=1)
        # dHash from the 32x32 copy rather than the region itself: 0.9 bits from imagehash's
        # own dHash on average (bench, 240 crops), at a third of the cost.
        tiny = lanczos_small(pixels, (9, 8))
        dhashes = np.packbits((tiny[:, :, 1:] > tiny[:, :, :-1]).reshape(len(regions), 64), axis=1)
        return [(p.tobytes(), d.tobytes()) for p, d in zip(phashes, dhashes, strict=True)]


def _thumbnail_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """The size ``Image.thumbnail((side, side))`` gives a picture larger than ``side``
    (Pillow's rounding: floor or ceil, whichever keeps the aspect ratio closer)."""
    width, height = size
    aspect = width / height
    if aspect <= 1:
        wide = side * aspect
        x = min(math.floor(wide), math.ceil(wide), key=lambda n: abs(aspect - n / side))
        return max(x, 1), side
    tall = side / aspect
    y = min(
        math.floor(tall), math.ceil(tall), key=lambda n: 0 if n == 0 else abs(aspect - side / n)
    )
    return side, max(y, 1)


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
    rows, cols = -(-height // factor), -(-width // factor)
    # Stripping starts at an edge line that is uniform: a side whose edge is not loses
    # nothing, and only the bands next to uniform edges are converted to grey (most photos:
    # none at all).
    edges = [bool(_flat_lines(line[None, :])[0][0]) for line in _edge_lines(image, factor)]
    if not any(edges):
        return whole
    top = _strip(_band(image, factor, "top"), rows) if edges[0] else 0
    bottom = rows - (_strip(_band(image, factor, "bottom"), rows) if edges[1] else 0)
    left = _strip(_band(image, factor, "left"), cols) if edges[2] else 0
    right = cols - (_strip(_band(image, factor, "right"), cols) if edges[3] else 0)
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


def _edge_lines(image: Image.Image, factor: int) -> list[np.ndarray]:
    """The first and last row and column of ``strip_box``'s reduced grey copy, each made
    from the few source lines it averages (the same values as in the whole copy)."""
    width, height = image.size
    last_row = (-(-height // factor) - 1) * factor
    last_col = (-(-width // factor) - 1) * factor
    lines = []
    for box in (
        (0, 0, width, min(factor, height)),
        (0, last_row, width, height),
        (0, 0, min(factor, width), height),
        (last_col, 0, width, height),
    ):
        small = image.crop(box).convert("L")
        if factor > 1:
            small = small.reduce(factor)
        lines.append(np.asarray(small, dtype=np.int16).reshape(-1))
    return lines


def _flat_lines(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(flat, medians)``: rows whose pixels are mostly within ``_FLAT_TOLERANCE`` of their
    median, and the medians (a column)."""
    # np.median's values in integers: twice the median is the middle value doubled, or the
    # two middle values added; |x - median| <= tolerance is then |2x - that| <= 2 tolerance.
    half = rows.shape[1] // 2
    if rows.shape[1] % 2:
        twice = np.partition(rows, half, axis=1)[:, half : half + 1].astype(np.int32) * 2
    else:
        parted = np.partition(rows, (half - 1, half), axis=1)
        twice = parted[:, half - 1 : half].astype(np.int32) + parted[:, half : half + 1]
    near = np.abs(2 * rows.astype(np.int32) - twice) <= 2 * _FLAT_TOLERANCE
    share = np.count_nonzero(near, axis=1) / rows.shape[1]
    return share >= _FLAT_SHARE, twice / 2


def _band(image: Image.Image, factor: int, side: str) -> np.ndarray:
    """The lines of the reduced grey copy that ``_strip`` may drop on one side (at most
    ``_MAX_STRIP`` of them), edge first, one line per row. Cut from the source at multiples
    of ``factor``, so each value is the one the whole reduced copy would hold."""
    width, height = image.size
    rows, cols = -(-height // factor), -(-width // factor)
    keep_rows, keep_cols = int(rows * _MAX_STRIP), int(cols * _MAX_STRIP)
    box = {
        "top": (0, 0, width, keep_rows * factor),
        "bottom": (0, (rows - keep_rows) * factor, width, height),
        "left": (0, 0, keep_cols * factor, height),
        "right": ((cols - keep_cols) * factor, 0, width, height),
    }[side]
    if box[2] <= box[0] or box[3] <= box[1]:
        return np.zeros((0, 1), dtype=np.int16)
    small = image.crop(box).convert("L")
    if factor > 1:
        small = small.reduce(factor)
    grey = np.asarray(small, dtype=np.int16)
    if side in ("left", "right"):
        grey = grey.T
    return grey[::-1] if side in ("bottom", "right") else grey


def _strip(rows: np.ndarray, total: int) -> int:
    """How many lines to drop from one side (``rows``: its ``_band``, edge first; ``total``:
    lines across the whole picture): uniform lines, then caption-bar lines."""
    if rows.shape[0] == 0:
        return 0
    flat, medians = _flat_lines(rows)
    min_band = max(1, int(total * _MIN_CAPTION))
    cut = 0
    uniform_run = 0  # uniform lines just before ``cut``
    thin_line_taken = False
    # Layers from the edge inwards (a title bar, a grey frame, a caption band...): each is a
    # run of uniform rows, or a band of rows mostly on one colour (text on a solid band).
    while cut < rows.shape[0]:
        step = _leading_true(flat[cut:])
        if step:
            uniform_run = step
        elif cut > 0 and not thin_line_taken:
            # Text on the band: the rows keep a good share of the band's colour (the last
            # uniform row's) even where bold letters cover most of the width.
            colour = medians[cut - 1, 0]
            on_band = (np.abs(rows[cut:] - colour) <= _FLAT_TOLERANCE).mean(axis=1)
            band = _leading_true(on_band >= _BAND_SHARE)
            # A thinner line of text counts when uniform rows close it (a screenshot's title
            # bar): missed, it left the frame on a framed copy's regions (PDQ 58 bits median
            # from the bank's, 96.7 % -> 98.3 % recall at the same rule, bench/media_robustness).
            # Only once a side, only between two uniform runs of two or more lines each (a
            # bar above and below the text), and nothing but uniform lines after it: a photo
            # whose edge lines happen to be uniform must not lose a strip of itself.
            closed = np.flatnonzero(flat[cut : cut + band])
            if band >= min_band:
                step = band
            elif closed.size and uniform_run >= 2:
                end = cut + int(closed[0])
                if bool(flat[end : end + 2].all()) and end + 2 <= rows.shape[0]:
                    step = end - cut
                    thin_line_taken = True
            uniform_run = 0
        if step == 0:
            break
        cut += step
    return cut


def _leading_true(values: np.ndarray) -> int:
    if values.size == 0 or not values[0]:
        return 0
    falses = np.flatnonzero(~values)
    return int(falses[0]) if falses.size else int(values.size)


def aligned_face(
    image: Image.Image,
    face: Face,
    *,
    side: int = _FACE_SIDE,
    eyes: tuple[float, float, float] = (_EYE_LEFT_X, _EYE_RIGHT_X, _EYE_Y),
    jitter: tuple[float, float, float] = (0.0, 0.0, 1.0),
) -> Image.Image | None:
    """The face rotated and scaled so the eyes sit at fixed points of a ``side`` square
    (``eyes``: left x, right x, y as fractions of it), the eye points first moved by
    ``jitter`` (shift x, shift y in eye distances, scale); ``None`` without usable eyes."""
    if face.score < MIN_FACE_SCORE or len(face.landmarks) < 2:
        return None
    (rx, ry), (lx, ly) = face.landmarks[0], face.landmarks[1]
    eye_distance = math.hypot(lx - rx, ly - ry)
    if eye_distance < 8:
        return None
    left_x, right_x, eye_y = eyes
    dx, dy, stretch = jitter
    target = (right_x - left_x) * side
    scale = eye_distance * stretch / target  # source pixels per crop pixel
    angle = math.atan2(ly - ry, lx - rx)
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    cx, cy = (rx + lx) / 2 + dx * eye_distance, (ry + ly) / 2 + dy * eye_distance
    ox, oy = (left_x + right_x) / 2 * side, eye_y * side
    # Inverse map: crop (u, v) -> source (x, y) = centre + R * scale * ((u, v) - eye centre).
    coefficients = (cos, -sin, cx - cos * ox + sin * oy, sin, cos, cy - sin * ox - cos * oy)
    return image.transform(
        (side, side),
        Image.Transform.AFFINE,
        coefficients,
        resample=Image.Resampling.BILINEAR,
        fillcolor=(128, 128, 128),
    )


class FrameHasher:
    """Every hash of one frame, each computed once.

    ``regions`` hashes every region but the face (they need no face detection, so they can
    be hashed while YuNet runs on another thread), ``face_regions`` the aligned face,
    ``mirror_regions`` the mirrored picture (bank only), and ``whole`` the picture as given
    (what ``image_hashes`` gives: the community report keeps it, and a media check has
    usually hashed it already as its ``full`` or ``raw`` region). ``face_regions`` may run on
    another thread than the rest (it shares only the frame, which nobody changes), and so may
    ``raw_hashes`` (a check's ``raw`` region, see there); otherwise one thread at a time.
    """

    def __init__(self, image: Image.Image) -> None:
        self.image = image
        self._box: tuple[int, int, int, int] | None = None
        self._stripped: HashBase | None = None
        self._as_given: HashBase | None = None
        self._faces: dict[Face, Image.Image | None] = {}
        # The strip box and the two bases are made under ``_bases``; the ``raw`` region is
        # hashed under ``_raw_lock`` by whichever thread asks first.
        self._bases = threading.RLock()
        self._raw_lock = threading.Lock()
        self._raw: Hashed | None = None
        self._raw_done = False

    def _stripped_base(self) -> HashBase:
        with self._bases:
            if self._stripped is None:
                self._box = strip_box(self.image)
                if self._box == (0, 0, *self.image.size):
                    self._stripped = self._given_base()
                else:
                    self._stripped = HashBase(self.image.crop(self._box), BASE_SIDE)
            return self._stripped

    def _given_base(self) -> HashBase:
        with self._bases:
            if self._as_given is None:
                self._as_given = HashBase(self.image, BASE_SIDE)
            return self._as_given

    @property
    def stripped(self) -> bool:
        """Whether borders or caption bars were cut (``full`` differs from ``raw``)."""
        self._stripped_base()
        return self._box != (0, 0, *self.image.size)

    def whole(self) -> Hashed | None:
        """All hash kinds of the whole picture as given, or ``None`` when gated out."""
        if HASH_SIDE != BASE_SIDE:
            return HashBase(self.image, HASH_SIDE).hashes()
        if self.stripped:
            return self.raw_hashes()
        return self._given_base().hashes()

    def raw_hashes(self) -> Hashed | None:
        """The ``raw`` region's hashes (the picture as given, frame included) when stripping
        changed the picture, else ``None``; computed once, by whichever thread asks first.

        A check queues this on the face thread after the faces' work (``known_fakes``): when
        the faces are done before the other regions (YuNet and the AI-face model leave the
        GIL to this thread's hashing), the face thread hashes ``raw`` meanwhile, and
        ``regions`` takes it; otherwise ``regions`` hashes it itself.
        """
        with self._raw_lock:
            if not self._raw_done:
                self._raw = self._given_base().hashes() if self.stripped else None
                self._raw_done = True
            return self._raw

    def regions(self, *, bank: bool, frame: int = 0, compact: bool = False) -> list[RegionHash]:
        """``full``, ``raw`` when stripping changed the picture, and the crops (all of them
        for the bank, ``centre80`` only when ``compact``)."""
        stripped = self._stripped_base()
        # ``None``: the query's ``raw``, from ``raw_hashes`` once the other regions are done.
        jobs: list[tuple[str, HashBase | None, tuple[int, ...] | None]] = [("full", stripped, None)]
        bases = [("", stripped)]
        if self.stripped:
            jobs.append(("raw", self._given_base() if bank else None, None))
            # A reported picture whose own background is uniform (a studio portrait) loses
            # some of it to stripping, and a crop of it loses a different amount: the bank
            # also keeps crops of the picture as given.
            if bank:
                bases.append(("raw:", self._given_base()))
        crops = _CROPS + _BANK_CROPS if bank else _CROPS
        for prefix, base in bases:
            for name, left, top, right, bottom in crops:
                if compact and name != "centre80":
                    continue
                jobs.append((prefix + name, base, base.box(left, top, right, bottom)))
        found: dict[int, Hashed | None] = {}
        for base in {id(b): b for _, b, _ in jobs if b is not None}.values():
            mine = [i for i, (_, b, _) in enumerate(jobs) if b is base]
            for i, hashed in zip(mine, base.hashes_of([jobs[i][2] for i in mine]), strict=True):
                found[i] = hashed
        for i, (_, b, _) in enumerate(jobs):
            if b is None:
                found[i] = self.raw_hashes()
        return [
            RegionHash(name, hashed[0], hashed[1], frame)
            for i, (name, _, _) in enumerate(jobs)
            if (hashed := found[i]) is not None
        ]

    def face_regions(
        self, faces: Sequence[Face], *, frame: int = 0, mirror: bool = False
    ) -> list[RegionHash]:
        """``face`` (or ``face~mirror``): the largest face aligned on its eyes, if any."""
        largest = max(faces, key=lambda f: f.box[2] * f.box[3], default=None)
        if largest is None:
            return []
        if largest not in self._faces:
            self._faces[largest] = aligned_face(self.image, largest)
        crop = self._faces[largest]
        if crop is None:
            return []
        if mirror:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        hashed = HashBase(crop, _FACE_SIDE).hashes()
        name = "face~mirror" if mirror else "face"
        return [] if hashed is None else [RegionHash(name, hashed[0], hashed[1], frame)]

    def mirror_regions(self, *, frame: int = 0) -> list[RegionHash]:
        """``full~mirror``, then ``<crop>~mirror`` for each of ``_MIRRORED_CROPS`` of the
        stripped picture mirrored and, when stripping changed the picture, ``raw:<crop>~mirror``
        of the picture as given mirrored (bank only: mirroring the reported picture once is
        cheaper than mirroring every query). The ``raw:`` ones carry pictures whose own
        uniform background stripping cuts differently once cropped: without them a mirrored
        off-centre crop was met 85 % of the time, with them 99.2 %."""
        bases = [("", self._stripped_base())]
        if self.stripped:
            bases.append(("raw:", self._given_base()))
        found: list[RegionHash] = []
        for prefix, source in bases:
            base = _mirrored(source)
            jobs: list[tuple[str, tuple[int, ...] | None]] = []
            if not prefix:
                jobs.append(("full~mirror", None))
            jobs += [
                (f"{prefix}{name}~mirror", base.box(left, top, right, bottom))
                for name, left, top, right, bottom in _MIRRORED_CROPS
            ]
            hashed = base.hashes_of([box for _, box in jobs])
            found += [
                RegionHash(name, one[0], one[1], frame)
                for (name, _), one in zip(jobs, hashed, strict=True)
                if one is not None
            ]
        return found

    def turned_regions(self, *, frame: int = 0) -> list[RegionHash]:
        """``turn-15``, ``turn-10``, ``turn+10``, ``turn+15``: the stripped picture turned by
        each of ``_TURNS`` on a grown canvas, hashed in the box ``_turned_box`` gives (bank
        only)."""
        source = self._stripped_base()
        found = []
        for angle in _TURNS:
            grown = source.rgb.rotate(
                angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255)
            )
            inside = Image.new("L", source.size, 255).rotate(angle, expand=True, fillcolor=0)
            box = _turned_box(grown, np.asarray(inside) == 255)
            if box is None:
                continue
            hashed = _derived(source, grown).hashes(box)
            if hashed is not None:
                found.append(RegionHash(f"turn{angle:+d}", hashed[0], hashed[1], frame))
        return found


def frame_hasher(item: MediaItem, index: int) -> FrameHasher:
    """The ``FrameHasher`` of frame ``index`` of ``item``, shared by everyone hashing it."""
    return item.memo(f"hashing:frame:{index}", lambda: FrameHasher(item.frames[index].image))


def hash_regions(
    image: Image.Image, faces: Sequence[Face], *, bank: bool, frame: int = 0, compact: bool = False
) -> list[RegionHash]:
    """Hashes of every region of one frame that passes the quality gate.

    ``bank`` adds the bank-only windows, the mirrored and the turned variants; ``compact``
    keeps the whole picture, ``centre80`` and the face (video keyframes: 16 of them must fit
    in the detector's time limit). The picture is resized once per base (stripped, as given,
    mirrored, turned) and every region is a box on it (``HashBase``).
    """
    hasher = FrameHasher(image)
    hashed = hasher.regions(bank=bank, frame=frame, compact=compact)
    hashed += hasher.face_regions(faces, frame=frame)
    if bank:
        hashed += hasher.mirror_regions(frame=frame)
        hashed += hasher.face_regions(faces, frame=frame, mirror=True)
        hashed += hasher.turned_regions(frame=frame)
    return hashed


def _mirrored(base: HashBase) -> HashBase:
    return _derived(base, base.rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT))


def _derived(base: HashBase, image: Image.Image) -> HashBase:
    """A base for ``image``, made from ``base``'s copy at its size: region sizes are still
    judged in the source picture's pixels."""
    derived = HashBase(image, max(image.size))
    derived.source_size, derived.scale = base.source_size, base.scale
    return derived


def _turned_box(grown: Image.Image, inside: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box of ``grown`` (a picture turned on a grown canvas; ``inside``: where the picture
    is) that a query of that copy hashes as ``centre80``: the middle 80 % of what
    ``strip_box`` keeps (its cut into the fill's wedges depends on the picture's shape and
    content, so it is run, not guessed), shrunk about its centre until no corner is in the
    fill. The fill is then never in the box, but where stripping stops still depends on it:
    it cuts on into a background of the fill's colour (the bank turns on white; a copy on
    black is met less often, see ``_TURNS``)."""
    left, top, right, bottom = strip_box(grown)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    half_w, half_h = (right - left) * 0.4, (bottom - top) * 0.4
    for step in range(20):
        k = 1.0 - step * 0.025
        box = (
            round(cx - k * half_w),
            round(cy - k * half_h),
            round(cx + k * half_w),
            round(cy + k * half_h),
        )
        xs, ys = (box[0], box[2] - 1), (box[1], box[3] - 1)
        if all(inside[y, x] for x in xs for y in ys):
            return box
    return None
