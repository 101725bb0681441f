"""Pillow's LANCZOS resize of many boxes of one grey picture at once, bit for bit.

pHash and dHash read each region as imagehash does: ``grey.resize((32, 32), LANCZOS,
box=region)``, then 32x32 -> 9x8 for dHash. One Pillow call per region and size was a large
part of hashing a check's regions. Pillow's resize (``libImaging/Resample.c``, Pillow 13) is
two separable passes with fixed-point weights: ``precompute_coeffs`` and
``normalize_coeffs_8bpc`` make integer weights in units of 2**-22, each pass adds 2**21,
shifts right by 22 and clips to 0-255; the vertical pass goes first when the height shrinks
by more than twice what the width does. The same arithmetic is a pair of matrix products: the
weights are integers, every product and partial sum is an integer far below 2**53, so float64
holds them exactly whatever the order of the additions. The results equal Pillow's to the
last bit (``tests/test_media_resample.py`` holds it to Pillow on random pictures and boxes),
so hashes, banks and exchanged lists do not change.

Regions of one picture share few distinct column ranges (the crops of a check use five), so
the first pass is one product per distinct range over the whole picture.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

#: ``PRECISION_BITS`` of Pillow's 8-bit resampling.
_ONE = float(1 << 22)
_HALF = float(1 << 21)
_SUPPORT = 3.0  # LANCZOS

Box = tuple[int, int, int, int]


def _sinc(v: np.ndarray) -> np.ndarray:
    t = v * math.pi
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sin(t) / t
    return np.where(v == 0.0, 1.0, out)


def _lanczos(x: np.ndarray) -> np.ndarray:
    """Pillow's ``lanczos_filter``: sinc(x) sinc(x / 3) on [-3, 3), 0 elsewhere."""
    return np.where((x >= -3.0) & (x < 3.0), _sinc(x) * _sinc(x / 3.0), 0.0)


@functools.lru_cache(maxsize=1024)
def weights(in_size: int, start: float, stop: float, out_size: int) -> np.ndarray:
    """``(out_size, in_size)`` integer weights (as float64, read-only) of one LANCZOS pass
    of Pillow from ``[start, stop)`` of an axis of ``in_size`` pixels to ``out_size``."""
    in0, in1 = np.float32(start), np.float32(stop)  # Pillow's box is float
    scale = float(np.float32(in1 - in0)) / out_size
    filterscale = max(scale, 1.0)
    support = _SUPPORT * filterscale
    ksize = math.ceil(support) * 2 + 1
    centre = float(in0) + (np.arange(out_size) + 0.5) * scale
    # C's (int) truncates toward zero; a negative start is clamped to 0 either way.
    first = np.maximum(np.trunc(centre - support + 0.5), 0).astype(np.intp)
    last = np.minimum(np.trunc(centre + support + 0.5), in_size).astype(np.intp)
    taps = np.arange(ksize)[None, :]
    used = taps < (last - first)[:, None]
    position = first[:, None] + taps
    raw = (position - centre[:, None] + 0.5) * (1.0 / filterscale)
    raw = np.where(used, _lanczos(raw), 0.0)
    # The C loop adds the weights left to right; cumsum does too (np.sum may pair them).
    total = np.cumsum(raw, axis=1)[:, -1:]
    normal = np.divide(raw, total, out=raw.copy(), where=total != 0.0)
    scaled = normal * _ONE
    fixed = np.where(scaled < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5))
    matrix = np.zeros((out_size, in_size + ksize), dtype=np.float64)
    rows = np.broadcast_to(np.arange(out_size)[:, None], used.shape)
    matrix[rows[used], position[used]] = fixed[used]  # each (output, tap) once
    result = np.ascontiguousarray(matrix[:, :in_size])
    result.flags.writeable = False
    return result


def _clip8(sums: np.ndarray) -> np.ndarray:
    """Pillow's rounding of a pass: ``(sum + 2**21) >> 22`` clipped to 0-255."""
    return np.clip(np.floor((sums + _HALF) * (1.0 / _ONE)), 0.0, 255.0)


def lanczos_boxes(grey: np.ndarray, boxes: Sequence[Box], size: tuple[int, int]) -> np.ndarray:
    """``Image.fromarray(grey).resize(size, LANCZOS, box=box)`` for each box (``grey``: 2-D
    uint8, ``size``: (width, height)), as an ``(n, height, width)`` float64 array of 0-255."""
    height, width = grey.shape
    out_w, out_h = size
    plane = grey.astype(np.float64)
    # Pillow decides from the picture's size, not the box's.
    horizontal_first = not (height - out_h > 0 and height - out_h > (width - out_w) * 2)

    def need_across(box: Box) -> bool:
        return out_w != width or box[0] != 0 or box[2] != out_w

    def need_down(box: Box) -> bool:
        return out_h != height or box[1] != 0 or box[3] != out_h

    out = np.empty((len(boxes), out_h, out_w), dtype=np.float64)
    if horizontal_first:
        spans = list(dict.fromkeys((b[0], b[2]) for b in boxes if need_across(b)))
        first = _first_pass(plane, [weights(width, a, z, out_w) for a, z in spans], axis=1)
        for i, box in enumerate(boxes):
            part = first[spans.index((box[0], box[2]))] if need_across(box) else plane
            if need_down(box):
                part = _clip8(weights(height, box[1], box[3], out_h) @ part)
            out[i] = part
    else:
        spans = list(dict.fromkeys((b[1], b[3]) for b in boxes if need_down(b)))
        first = _first_pass(plane, [weights(height, a, z, out_h) for a, z in spans], axis=0)
        for i, box in enumerate(boxes):
            part = first[spans.index((box[1], box[3]))] if need_down(box) else plane
            if need_across(box):
                part = _clip8(part @ weights(width, box[0], box[2], out_w).T)
            out[i] = part
    return out


def _first_pass(plane: np.ndarray, matrices: list[np.ndarray], axis: int) -> list[np.ndarray]:
    """Every matrix's pass over ``plane`` (axis 1: along rows, 0: down columns) in one
    product, split back per matrix."""
    if not matrices:
        return []
    stacked = np.concatenate(matrices, axis=0)
    if axis == 1:
        done = _clip8(plane @ stacked.T)  # (height, sum of outputs)
        return np.split(done, len(matrices), axis=1)
    done = _clip8(stacked @ plane)  # (sum of outputs, width)
    return np.split(done, len(matrices), axis=0)


def lanczos_small(pictures: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Each of ``pictures`` (``(n, h, w)`` of 0-255 values) resized whole to ``size`` =
    (width, height) as Pillow's LANCZOS does: ``(n, height, width)`` float64."""
    _, height, width = pictures.shape
    out_w, out_h = size
    across = out_w != width
    down = out_h != height
    rows = pictures
    if not (height - out_h > 0 and height - out_h > (width - out_w) * 2):
        if across:
            rows = _clip8(rows @ weights(width, 0, width, out_w).T)
        if down:
            rows = _clip8(weights(height, 0, height, out_h) @ rows)
    else:
        if down:
            rows = _clip8(weights(height, 0, height, out_h) @ rows)
        if across:
            rows = _clip8(rows @ weights(width, 0, width, out_w).T)
    return rows
