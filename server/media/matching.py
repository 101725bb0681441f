"""The in-memory index of the known-fakes bank and the matching rule.

``HashIndex`` holds every region hash of every bank entry in numpy arrays (one per hash
kind) and answers ``match(query_hashes)`` with ``HashMatch``es: which entry, which hash
kind, which bank region met which query region, the distance and the threshold.

Lookup. Small banks are scanned whole (xor + ``np.bitwise_count``: 50,000 PDQ hashes in
well under a millisecond). From ``SCAN_LIMIT`` hashes up, PDQ lookups use a multi-index
(Norouzi et al., "Fast search in Hamming space with multi-index hashing"): the 256 bits are
cut into 16 chunks of 16 bits; two hashes within distance ``t`` agree to within
``t // 16`` bits on at least one chunk (pigeonhole), so probing each chunk's buckets for
values within that radius finds every candidate, which is then verified on all 256 bits.
The 64-bit kinds use 4 chunks the same way.

The rule (``THRESHOLDS``, calibrated by ``bench/media_robustness.py`` so that at most 0.1 %
of unrelated pictures, as-is, mirrored, cropped and framed, match anything in a bank of 210
faces): a pair of regions matches when their PDQ distance is within ``THRESHOLDS[pdq]``, or
when both their pHash and dHash distances are within theirs (two 64-bit hashes agreeing is
rarer by chance than either alone).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from server.media.hashing import HashKind, RegionHash

#: Hamming thresholds (bits). Source: bench/media_robustness.py, 2026-11-22 run (see the
#: README's "Known fakes" section for the table): the largest values that keep false matches
#: among 2,800 unrelated queries at or under 0.1 %.
THRESHOLDS: dict[HashKind, int] = {HashKind.PDQ: 52, HashKind.PHASH: 10, HashKind.DHASH: 14}

#: Below this many hashes a full scan is faster than probing buckets.
SCAN_LIMIT = 200_000
_CHUNK_BITS = 16


@dataclass(frozen=True, slots=True)
class HashMatch:
    """One bank entry met by one query region."""

    entry: int
    kind: str
    distance: int
    threshold: int
    bank_region: str
    query_region: str
    #: The query frame (video keyframe / animation frame index) that matched.
    frame: int = 0

    def sort_key(self) -> tuple[float, int]:
        return (self.distance / self.threshold if self.threshold else 0.0, self.entry)


class _KindIndex:
    """Every bank hash of one kind, with a multi-index once the bank is large."""

    def __init__(self, bits: int, rows: np.ndarray) -> None:
        self.bits = bits
        self.rows = rows  # (n, bits // 8) uint8
        self.size = rows.shape[0]
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        if self.size >= SCAN_LIMIT:
            words = rows.view(">u2")  # (n, bits // 16) big-endian 16-bit chunks
            for c in range(words.shape[1]):
                keys = words[:, c].astype(np.int64)
                order = np.argsort(keys, kind="stable").astype(np.uint32)
                starts = np.zeros(1 << _CHUNK_BITS + 1, dtype=np.int64)
                np.cumsum(np.bincount(keys, minlength=1 << _CHUNK_BITS), out=starts[1:])
                self._chunks.append((order, starts))

    def nbytes(self) -> int:
        return int(self.rows.nbytes + sum(o.nbytes + s.nbytes for o, s in self._chunks))

    def within(self, query: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers within ``threshold`` bits of ``query`` (one packed hash) and distances."""
        if self.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        if not self._chunks:
            dist = np.bitwise_count(self.rows ^ query).sum(axis=1, dtype=np.int64)
            hit = np.flatnonzero(dist <= threshold)
            return hit, dist[hit]
        candidates = self._candidates(query, threshold)
        if candidates.size == 0:
            return candidates.astype(np.int64), candidates.astype(np.int64)
        dist = np.bitwise_count(self.rows[candidates] ^ query).sum(axis=1, dtype=np.int64)
        keep = dist <= threshold
        return candidates[keep].astype(np.int64), dist[keep]

    def _candidates(self, query: np.ndarray, threshold: int) -> np.ndarray:
        words = query.view(">u2")
        radius = threshold // len(self._chunks)
        flips = _flip_masks(radius)
        parts = []
        for c, (order, starts) in enumerate(self._chunks):
            probes = np.int64(words[c]) ^ flips
            lo, hi = starts[probes], starts[probes + 1]
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
                if b > a:
                    parts.append(order[a:b])
        if not parts:
            return np.empty(0, np.uint32)
        return np.unique(np.concatenate(parts))


def _flip_masks(radius: int) -> np.ndarray:
    """Every 16-bit mask with at most ``radius`` bits set (the probes of one chunk)."""
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(_CHUNK_BITS), r):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.int64)


class HashIndex:
    """All region hashes of a bank, immutable after ``freeze``; ``match`` is thread-safe.

    PDQ rows and pHash+dHash rows are indexed apart: a hash list imported from
    ThreatExchange carries PDQ only, and a pHash is only used together with its dHash.
    """

    def __init__(self) -> None:
        self._pdq: list[tuple[int, str, bytes]] = []
        self._pd: list[tuple[int, str, bytes, bytes]] = []
        self.frozen = False

    def add(self, entry: int, hashes: Iterable[RegionHash]) -> None:
        if self.frozen:
            raise RuntimeError("the index is frozen; build a new one")
        for region in hashes:
            pdq = region.hashes.get(HashKind.PDQ)
            if pdq is not None:
                self._pdq.append((entry, region.region, pdq))
            phash, dhash = region.hashes.get(HashKind.PHASH), region.hashes.get(HashKind.DHASH)
            if phash is not None and dhash is not None:
                self._pd.append((entry, region.region, phash, dhash))

    def freeze(self) -> HashIndex:
        self._pdq_index = _KindIndex(256, _rows([h for _, _, h in self._pdq], 32))
        self._pdq_owner = np.array([e for e, _, _ in self._pdq], dtype=np.int64)
        self._pdq_region = [r for _, r, _ in self._pdq]
        self._ph_index = _KindIndex(64, _rows([p for _, _, p, _ in self._pd], 8))
        self._dh_rows = _rows([d for _, _, _, d in self._pd], 8)
        self._pd_owner = np.array([e for e, _, _, _ in self._pd], dtype=np.int64)
        self._pd_region = [r for _, r, _, _ in self._pd]
        self.size = len(self._pdq) + len(self._pd)
        self._pdq, self._pd = [], []
        self.frozen = True
        return self

    def nbytes(self) -> int:
        return (
            self._pdq_index.nbytes()
            + self._ph_index.nbytes()
            + int(self._dh_rows.nbytes + self._pdq_owner.nbytes + self._pd_owner.nbytes)
        )

    def match(self, query: Sequence[RegionHash]) -> list[HashMatch]:
        """The best match per bank entry, strongest first (an empty list: no known fake)."""
        if not self.frozen:
            raise RuntimeError("freeze() the index before matching")
        best: dict[int, HashMatch] = {}
        for region in query:
            for found in self._match_region(region):
                current = best.get(found.entry)
                if current is None or found.sort_key() < current.sort_key():
                    best[found.entry] = found
        return sorted(best.values(), key=HashMatch.sort_key)

    def _match_region(self, region: RegionHash) -> Iterator[HashMatch]:
        pdq = region.hashes.get(HashKind.PDQ)
        if pdq is not None:
            limit = THRESHOLDS[HashKind.PDQ]
            rows, dist = self._pdq_index.within(np.frombuffer(pdq, np.uint8), limit)
            for row, d in zip(rows.tolist(), dist.tolist(), strict=True):
                yield HashMatch(
                    int(self._pdq_owner[row]),
                    "pdq",
                    int(d),
                    limit,
                    self._pdq_region[row],
                    region.region,
                    region.frame,
                )
        phash, dhash = region.hashes.get(HashKind.PHASH), region.hashes.get(HashKind.DHASH)
        if phash is not None and dhash is not None:
            limit = THRESHOLDS[HashKind.PHASH]
            rows, dist = self._ph_index.within(np.frombuffer(phash, np.uint8), limit)
            if rows.size:
                ddist = np.bitwise_count(self._dh_rows[rows] ^ np.frombuffer(dhash, np.uint8))
                agree = ddist.sum(axis=1) <= THRESHOLDS[HashKind.DHASH]
                for row, d in zip(rows[agree].tolist(), dist[agree].tolist(), strict=True):
                    yield HashMatch(
                        int(self._pd_owner[row]),
                        "phash+dhash",
                        int(d),
                        limit,
                        self._pd_region[row],
                        region.region,
                        region.frame,
                    )


def _rows(hashes: list[bytes], width: int) -> np.ndarray:
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, width)
