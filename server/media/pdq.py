"""PDQ, ThreatExchange's 256-bit perceptual hash, for many regions of one picture at once.

The reference (``pdqhash``: Meta's ``pdq/cpp/hashing/pdqhashing.cpp``) hashes one picture per
call: float luma ``0.299 R + 0.587 G + 0.114 B``; along rows then columns, twice, a box filter
whose window is 1/128 of that side (the "Jarosz" tent); 64 x 64 samples at the centres of a
64 x 64 grid; the 16 x 16 lowest frequencies of a DCT-II without the DC row and column; bit
``i*16+j`` set when coefficient (i, j) is above their median (the 128th smallest), written
most significant first. Quality: the sum of neighbour differences on the 64 x 64 grid, each
scaled by 100/255 and truncated, divided by 90 and capped at 100.

Everything up to the median is linear, and separable: for a region of ``h`` x ``w`` pixels the
grid is ``A_h @ luma @ A_w.T``, where ``A_n`` (64 x n) is "filter twice, then sample" along one
axis. Each row of ``A_n`` has at most ``2 * window + 1`` nonzero taps (3 for the 129-256 px
sides hashed here), so a region costs two small gathers instead of four filter passes over its
pixels, every region of a picture shares one luma array, and the regions of a picture are
hashed in one batch of numpy calls (7 regions of a 256 px copy: ~0.5 ms, against ~3.5 ms
through ``pdqhash`` one region at a time).

Exchangeability: the reference keeps running float32 sums, this weighs the taps directly, so
the 64 x 64 grids differ in the last float places and a bit can differ only where two
coefficients tie with the median to that precision. Measured against ``pdqhash`` on the same
pixels: 1,400 regions of 200 shared photos (whole 256 px copies and the six crops) all equal
bit for bit, quality too; 399 of 400 generated pictures of 32-700 px equal, one 2 bits apart
(two coefficients next to the median 2e-5 apart). ``tests/test_media_pdq.py`` keeps it so.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

#: The reference refuses smaller pictures (hash of zeros, quality 0).
MIN_HASHABLE_SIDE = 5
_GRID = 64
_FREQUENCIES = 16

#: PDQ's DCT matrix (16 x 64), rounded to float32 as the reference stores it.
_DCT = np.array(
    [
        [
            math.sqrt(2.0 / _GRID) * math.cos((math.pi / 2.0 / _GRID) * (i + 1) * (2 * j + 1))
            for j in range(_GRID)
        ]
        for i in range(_FREQUENCIES)
    ],
    dtype=np.float32,
).astype(np.float64)

#: Luma weights, applied in float64 and rounded to float32 as ``pdqhash.compute`` does.
_LUMA = (0.299, 0.587, 0.114)

Box = tuple[int, int, int, int]


def luma(rgb: np.ndarray) -> np.ndarray:
    """PDQ's float32 luma of an ``(h, w, 3)`` uint8 RGB array (``pdqhash``'s own formula)."""
    red, green, blue = _LUMA
    return (rgb[:, :, 0] * red + rgb[:, :, 1] * green + rgb[:, :, 2] * blue).astype(np.float32)


@functools.lru_cache(maxsize=256)
def _taps(length: int) -> tuple[np.ndarray, np.ndarray]:
    """``(index, weight)``, each 64 x k: the nonzero taps of ``A_length``.

    The reference's 1-D box (``box1DFloat``) writes at ``q`` the mean of the inputs
    ``max(0, q - window + half) .. min(n - 1, q + half - 1)`` with ``half = (window + 2) // 2``
    (a window cut short at the ends averages what it covers); two passes, then the sample
    at ``int((o + 0.5) * n / 64)``.
    """
    window = (length + 2 * _GRID - 1) // (2 * _GRID)
    half = (window + 2) // 2

    def span(q: int) -> tuple[int, int]:
        return max(0, q - (window - half)), min(length - 1, q + half - 1)

    rows = []
    for o in range(_GRID):
        sample = int(((o + 0.5) * length) / _GRID)
        first, last = span(sample)
        weights: dict[int, float] = {}
        for q in range(first, last + 1):
            lo, hi = span(q)
            share = 1.0 / ((last - first + 1) * (hi - lo + 1))
            for i in range(lo, hi + 1):
                weights[i] = weights.get(i, 0.0) + share
        rows.append(sorted(weights.items()))
    width = max(len(row) for row in rows)
    index = np.zeros((_GRID, width), dtype=np.intp)
    weight = np.zeros((_GRID, width), dtype=np.float64)
    for o, row in enumerate(rows):
        for k, (i, w) in enumerate(row):
            index[o, k], weight[o, k] = i, w
        index[o, len(row) :] = row[0][0]  # padding: weight 0 on a tap that exists
    return index, weight


def _padded(taps: tuple[np.ndarray, np.ndarray], width: int) -> tuple[np.ndarray, np.ndarray]:
    index, weight = taps
    extra = width - index.shape[1]
    if extra == 0:
        return index, weight
    return (
        np.concatenate([index, np.repeat(index[:, :1], extra, axis=1)], axis=1),
        np.concatenate([weight, np.zeros((_GRID, extra))], axis=1),
    )


def grids(plane: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """The reference's 64 x 64 grid of each ``(left, top, right, bottom)`` box of ``plane``
    (float32 luma), as an ``(n, 64, 64)`` float32 array."""
    down = [_taps(bottom - top) for _, top, _, bottom in boxes]
    across = [_taps(right - left) for left, _, right, _ in boxes]
    k_down = max(index.shape[1] for index, _ in down)
    k_across = max(index.shape[1] for index, _ in across)
    down = [_padded(t, k_down) for t in down]
    across = [_padded(t, k_across) for t in across]
    row_index = np.stack([index + box[1] for (index, _), box in zip(down, boxes, strict=True)])
    row_weight = np.stack([weight for _, weight in down]).astype(np.float32)
    col_index = np.stack([index + box[0] for (index, _), box in zip(across, boxes, strict=True)])
    col_weight = np.stack([weight for _, weight in across]).astype(np.float32)
    count, width = len(boxes), plane.shape[1]
    # Rows first, over the plane's full width (the regions share most columns), laid out as
    # (region, column, sample) so each region's column taps are whole 64-value rows to take.
    rows = np.ascontiguousarray(np.einsum("rok,rokw->rwo", row_weight, plane[row_index]))
    flat_index = np.arange(count)[:, None, None] * width + col_index
    picked = np.take(rows.reshape(count * width, _GRID), flat_index, axis=0)
    grid: np.ndarray = np.einsum("rok,roki->rio", col_weight, picked)
    return grid


def hashes(plane: np.ndarray, boxes: Sequence[Box]) -> list[tuple[bytes, int]]:
    """PDQ (32 bytes, the 64-hex-digit ThreatExchange form) and quality (0-100) of each box
    of ``plane`` (float32 luma from ``luma``)."""
    out: list[tuple[bytes, int]] = [(bytes(32), 0)] * len(boxes)
    live = [
        i
        for i, (left, top, right, bottom) in enumerate(boxes)
        if min(right - left, bottom - top) >= MIN_HASHABLE_SIDE
    ]
    if not live:
        return out
    grid = grids(plane, [boxes[i] for i in live])
    for i, packed, quality in zip(live, _bits(grid), _quality(grid), strict=True):
        out[i] = (packed, quality)
    return out


def _quality(grid: np.ndarray) -> list[int]:
    # The reference's float arithmetic: ((u - v) * 100) / 255 in float32, truncated to int.
    small = grid
    hundred, scale = np.float32(100), np.float32(255)
    down = ((small[:, :-1, :] - small[:, 1:, :]) * hundred) / scale
    across = ((small[:, :, :-1] - small[:, :, 1:]) * hundred) / scale
    total = sum(np.abs(d.astype(np.int32)).sum(axis=(1, 2)) for d in (down, across))
    return [min(100, int(t) // 90) for t in total]


def _bits(grid: np.ndarray) -> list[bytes]:
    coefficients = (_DCT @ grid.astype(np.float64) @ _DCT.T).reshape(len(grid), -1)
    median = np.partition(coefficients, 127, axis=1)[:, 127:128]
    # Bit i*16+j of the reference's Hash256 is the (255 - (i*16+j))-th of its hex string.
    above = (coefficients > median)[:, ::-1]
    return [row.tobytes() for row in np.packbits(above, axis=1)]
