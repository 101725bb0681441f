"""The multi-index gives exactly the linear scan's matches (generated hashes)."""

from __future__ import annotations

import numpy as np
import pytest

from server.media.hashing import HashKind, RegionHash
from server.media.matching import THRESHOLDS, HashIndex


def flip_bits(rng: np.random.Generator, row: np.ndarray, count: int) -> np.ndarray:
    """``row`` with ``count`` distinct bits flipped."""
    bits = np.unpackbits(row)
    chosen = rng.choice(bits.size, size=count, replace=False)
    bits[chosen] ^= 1
    return np.packbits(bits)


def near_copies(
    rng: np.random.Generator, rows: np.ndarray, threshold: int, queries: int
) -> np.ndarray:
    """Queries around bank rows at distances from 0 to past the threshold, so both sides of
    the limit are probed (and the pigeonhole's worst case, errors spread over all chunks)."""
    picked = rng.integers(0, rows.shape[0], queries)
    distances = rng.integers(0, threshold + 4, queries)
    return np.stack(
        [flip_bits(rng, rows[i], int(d)) for i, d in zip(picked, distances, strict=True)]
    )


def spread_errors(row: np.ndarray, per_chunk: int) -> np.ndarray:
    """``row`` with ``per_chunk`` bits flipped in every 16-bit chunk: the case where no chunk
    matches exactly and only the probe radius finds the row."""
    bits = np.unpackbits(row).reshape(-1, 16)
    bits[:, :per_chunk] ^= 1
    return np.packbits(bits.ravel())


def build(rng: np.random.Generator, size: int, *, multi_index: bool) -> tuple[HashIndex, dict]:
    arrays = {
        "pdq": rng.integers(0, 256, (size, 32), dtype=np.uint8),
        "phash": rng.integers(0, 256, (size, 8), dtype=np.uint8),
        "dhash": rng.integers(0, 256, (size, 8), dtype=np.uint8),
    }
    owners = np.arange(size, dtype=np.int64) // 3
    index = HashIndex.from_arrays(
        ["full", "face"],
        pdq=arrays["pdq"],
        pdq_owner=owners,
        pdq_region=(np.arange(size) % 2).astype(np.int16),
        phash=arrays["phash"],
        dhash=arrays["dhash"],
        pd_owner=owners,
        pd_region=(np.arange(size) % 2).astype(np.int16),
        multi_index=multi_index,
    )
    return index, arrays


@pytest.mark.parametrize("seed", [1, 2])
def test_multi_index_matches_equal_the_scan(seed: int) -> None:
    size = 20_000
    scan, arrays = build(np.random.default_rng(seed), size, multi_index=False)
    multi, _ = build(np.random.default_rng(seed), size, multi_index=True)
    assert not scan._pdq_index.multi_index and multi._ph_index.multi_index
    rng = np.random.default_rng(seed + 100)
    pdq = near_copies(rng, arrays["pdq"], THRESHOLDS[HashKind.PDQ], 150)
    # pHash near a bank row; dHash near the same row or not, so the dHash gate is exercised.
    picked = rng.integers(0, size, 150)
    phash = np.stack([flip_bits(rng, arrays["phash"][i], int(rng.integers(0, 10))) for i in picked])
    dhash = np.stack([flip_bits(rng, arrays["dhash"][i], int(rng.integers(0, 20))) for i in picked])
    spread = [spread_errors(arrays["pdq"][5], multi._pdq_index.radius)]
    queries = [
        RegionHash(
            "q",
            {
                HashKind.PDQ: pdq[i].tobytes(),
                HashKind.PHASH: phash[i].tobytes(),
                HashKind.DHASH: dhash[i].tobytes(),
            },
            100,
        )
        for i in range(150)
    ] + [RegionHash("spread", {HashKind.PDQ: spread[0].tobytes()}, 100)]
    found = 0
    for query in queries:
        expected = scan.match([query])
        assert multi.match([query]) == expected
        found += bool(expected)
    assert found > 100  # most queries are near copies: the comparison is not vacuous
    assert multi.match([queries[-1]])[0].entry == 5 // 3


def test_the_index_refuses_a_looser_threshold_than_it_was_built_for() -> None:
    index, arrays = build(np.random.default_rng(5), 1000, multi_index=True)
    with pytest.raises(ValueError, match="built for"):
        index._pdq_index.within(arrays["pdq"][0], THRESHOLDS[HashKind.PDQ] + 1)
