"""The multi-indexes give exactly the linear scan's matches (generated hashes)."""

from __future__ import annotations

import numpy as np
import pytest

from server.media.hashing import HashKind, RegionHash
from server.media.matching import (
    DHASH_GATE,
    PDQ_ALONE,
    PDQ_LOOSE,
    PHASH_CHUNKS,
    PHASH_GATE,
    THRESHOLDS,
    HashIndex,
    HashMatch,
)


def flip_bits(rng: np.random.Generator, row: np.ndarray, count: int) -> np.ndarray:
    """``row`` with ``count`` distinct bits flipped."""
    bits = np.unpackbits(row)
    chosen = rng.choice(bits.size, size=count, replace=False)
    bits[chosen] ^= 1
    return np.packbits(bits)


def spread_errors(row: np.ndarray, widths: tuple[int, ...], per_chunk: int) -> np.ndarray:
    """``row`` with ``per_chunk`` bits flipped at the start of every chunk: the case where
    no chunk matches exactly and only the probe radius finds the row."""
    bits = np.unpackbits(row)
    start = 0
    for width in widths:
        bits[start : start + per_chunk] ^= 1
        start += width
    return np.packbits(bits)


def build(rng: np.random.Generator, size: int, *, multi_index: bool) -> tuple[HashIndex, dict]:
    arrays = {
        "pdq": rng.integers(0, 256, (size, 32), dtype=np.uint8),
        "phash": rng.integers(0, 256, (size, 8), dtype=np.uint8),
        "dhash": rng.integers(0, 256, (size, 8), dtype=np.uint8),
        "pdq_only": rng.integers(0, 256, (size, 32), dtype=np.uint8),
    }
    owners = np.arange(size, dtype=np.int64) // 3
    regions = (np.arange(size) % 2).astype(np.int16)
    index = HashIndex.from_arrays(
        ["full", "face"],
        phash=arrays["phash"],
        dhash=arrays["dhash"],
        pdq=arrays["pdq"],
        owner=owners,
        region=regions,
        pdq_only=arrays["pdq_only"],
        pdq_only_owner=owners + 1_000_000,
        pdq_only_region=regions,
        multi_index=multi_index,
    )
    return index, arrays


def region(name: str, **hashes: np.ndarray) -> RegionHash:
    return RegionHash(name, {HashKind(k): v.tobytes() for k, v in hashes.items()}, 100)


def all_pairs(index: HashIndex, query: RegionHash) -> list[HashMatch]:
    """Every (entry, kind, distance) an index reports for one region, in a fixed order."""
    return sorted(index._found([query]), key=lambda m: (m.entry, m.kind, m.distance))


@pytest.mark.parametrize("seed", [1, 2])
def test_multi_indexes_find_exactly_what_the_scan_finds(seed: int) -> None:
    size = 20_000
    scan, arrays = build(np.random.default_rng(seed), size, multi_index=False)
    multi, _ = build(np.random.default_rng(seed), size, multi_index=True)
    assert not scan.multi_index and multi.multi_index
    rng = np.random.default_rng(seed + 100)
    queries = []
    for _ in range(150):
        # A near copy of one bank row: pHash on both sides of the gate, dHash and PDQ on both
        # sides of theirs, so every arm is exercised at its limits.
        i = int(rng.integers(0, size))
        queries.append(
            region(
                "q",
                phash=flip_bits(rng, arrays["phash"][i], int(rng.integers(0, PHASH_GATE + 3))),
                dhash=flip_bits(rng, arrays["dhash"][i], int(rng.integers(0, 20))),
                pdq=flip_bits(rng, arrays["pdq"][i], int(rng.integers(50, 80))),
            )
        )
        j = int(rng.integers(0, size))
        queries.append(
            region("p", pdq=flip_bits(rng, arrays["pdq_only"][j], int(rng.integers(0, 36))))
        )
    # Errors spread so that no chunk agrees exactly: found only through the probe radius.
    spread_ph = spread_errors(arrays["phash"][5], PHASH_CHUNKS, multi._ph.radius)  # type: ignore[union-attr]
    spread_pdq = spread_errors(arrays["pdq_only"][8], (16,) * 16, 1)
    queries.append(region("s", phash=spread_ph, dhash=arrays["dhash"][5], pdq=arrays["pdq"][5]))
    queries.append(region("t", pdq=spread_pdq))
    kinds = set()
    for query in queries:
        expected = all_pairs(scan, query)
        assert all_pairs(multi, query) == expected
        assert multi.match([query]) == scan.match([query])
        kinds.update(m.kind for m in expected)
    assert kinds == {"pdq+phash", "phash+dhash", "pdq"}  # the comparison is not vacuous
    spread = multi.match([queries[-2]])
    assert spread[0].entry == 5 // 3 and spread[0].gates[0] == ("phash", 9, PHASH_GATE)
    assert [m.entry for m in multi.match([queries[-1]])] == [1_000_000 + 8 // 3]


def test_the_pdq_arm_needs_the_phash_and_dhash_gates() -> None:
    rng = np.random.default_rng(4)
    index, arrays = build(rng, 1000, multi_index=False)
    pdq = flip_bits(rng, arrays["pdq"][30], 60)
    dhash = flip_bits(rng, arrays["dhash"][30], DHASH_GATE)
    near = region("q", phash=flip_bits(rng, arrays["phash"][30], 10), dhash=dhash, pdq=pdq)
    far = region("q", phash=flip_bits(rng, arrays["phash"][30], 12), dhash=dhash, pdq=pdq)
    # pHash within its gate but dHash not: two of the three kinds agreeing is not enough.
    unlike = flip_bits(rng, arrays["dhash"][30], DHASH_GATE + 2)
    no_dhash = region("q", phash=flip_bits(rng, arrays["phash"][30], 8), dhash=unlike, pdq=pdq)
    (found,) = index.match([near])
    assert (found.entry, found.kind, found.distance, found.threshold) == (
        10,
        "pdq+phash",
        60,
        THRESHOLDS[HashKind.PDQ],
    )
    # Both gates it was held to are reported, not only the PDQ distance.
    assert found.gates == (("phash", 10, PHASH_GATE), ("dhash", DHASH_GATE, DHASH_GATE))
    assert index.match([far]) == []
    assert index.match([no_dhash]) == []
    # The same PDQ alone (a client that sent no pHash) is held to PDQ_ALONE bits.
    assert index.match([region("q", pdq=pdq)]) == []
    close = flip_bits(rng, arrays["pdq"][30], PDQ_ALONE)
    assert [(m.entry, m.kind, m.distance) for m in index.match([region("q", pdq=close)])] == [
        (10, "pdq", PDQ_ALONE)
    ]


def test_the_index_refuses_a_looser_threshold_than_it_was_built_for() -> None:
    index, arrays = build(np.random.default_rng(5), 1000, multi_index=True)
    words = arrays["phash"][:1].view(">u8").astype(np.uint64)
    with pytest.raises(ValueError, match="built for"):
        index._ph.within_many(words, PHASH_GATE + 1)  # type: ignore[union-attr]


def test_a_phash_dhash_match_needs_pdq_within_the_loose_limit_when_both_sides_have_it() -> None:
    rng = np.random.default_rng(6)
    index, arrays = build(rng, 1000, multi_index=False)
    phash = flip_bits(rng, arrays["phash"][12], 6)
    dhash = flip_bits(rng, arrays["dhash"][12], 13)

    def query(pdq_bits: int) -> RegionHash:
        pdq = flip_bits(rng, arrays["pdq"][12], pdq_bits)
        return region("q", phash=phash, dhash=dhash, pdq=pdq)

    # Close pHash and dHash but PDQ far apart: the unrelated same-generator faces of review
    # 36 (F6) were 84-92 PDQ bits apart on this arm.
    assert index.match([query(PDQ_LOOSE + 4)]) == []
    (found,) = index.match([query(PDQ_LOOSE)])
    assert (found.entry, found.kind, found.distance) == (4, "phash+dhash", 6)
    assert found.gates == (
        ("dhash", 13, THRESHOLDS[HashKind.DHASH]),
        ("pdq", PDQ_LOOSE, PDQ_LOOSE),
    )
    # A client that sent no PDQ: pHash and dHash alone decide, as before.
    (alone,) = index.match([region("q", phash=phash, dhash=dhash)])
    assert (alone.entry, alone.kind, alone.gates) == (
        4,
        "phash+dhash",
        (("dhash", 13, THRESHOLDS[HashKind.DHASH]),),
    )


def test_a_bank_row_without_pdq_keeps_the_phash_dhash_rule() -> None:
    rng = np.random.default_rng(7)
    arrays = {k: rng.integers(0, 256, (50, 8), dtype=np.uint8) for k in ("phash", "dhash")}
    index = HashIndex.from_arrays(
        ["full"],
        phash=arrays["phash"],
        dhash=arrays["dhash"],
        pdq=None,
        owner=np.arange(50, dtype=np.int64),
        region=np.zeros(50, dtype=np.int16),
    )
    far_pdq = rng.integers(0, 256, 32, dtype=np.uint8)
    query = region(
        "q",
        phash=flip_bits(rng, arrays["phash"][9], 6),
        dhash=flip_bits(rng, arrays["dhash"][9], 12),
        pdq=far_pdq,
    )
    assert [(m.entry, m.kind) for m in index.match([query])] == [(9, "phash+dhash")]


@pytest.mark.parametrize("multi_index", [False, True])
def test_a_clients_pdq_match_is_not_lost_because_it_also_sent_phash_and_dhash(
    multi_index: bool,
) -> None:
    rng = np.random.default_rng(5)
    index, arrays = build(rng, 3000, multi_index=multi_index)
    pdq = flip_bits(rng, arrays["pdq"][30], 20)
    both = region(
        "client[0]",
        pdq=pdq,
        phash=flip_bits(rng, arrays["phash"][30], 12),
        dhash=flip_bits(rng, arrays["dhash"][30], 4),
    )
    alone = [
        (m.entry, m.kind, m.distance, m.threshold) for m in index.match([region("q", pdq=pdq)])
    ]
    assert alone == [(10, "pdq", 20, PDQ_ALONE)]
    # A hashes-only client's region: its PDQ counts alone whatever else it sent.
    sent = index.match([both], pdq_alone=True)
    assert [(m.entry, m.kind, m.distance, m.threshold) for m in sent] == alone
    # An upload's regions keep the gated rule (pHash 12 is past its gate of 10).
    assert index.match([both]) == []
