"""The in-memory index of the known-fakes bank and the matching rule.

``HashIndex`` holds every region hash of every bank entry in numpy arrays (one per hash
kind) and answers ``match(query_hashes)`` with ``HashMatch``es: which entry, which hash
kind, which bank region met which query region, the distance and the threshold.

Lookup. Both ways give exactly the rows within the threshold (``tests/test_known_fakes_index.py``
checks the multi-index against the scan on generated hashes):

- a multi-index (Norouzi et al., "Fast search in Hamming space with multi-index hashing")
  when the kind's threshold allows it and the bank has ``SCAN_LIMIT`` rows or more: 16-bit
  chunks; two hashes within ``t`` bits agree to within ``t // chunks`` bits on at least one
  chunk (pigeonhole), so probing each chunk's buckets within that radius finds every
  candidate, verified on all bits. pHash (7 of 64 bits: radius 1, 17 probes per chunk) is
  looked up this way.
- a scan otherwise: faiss-cpu's exact binary range search. PDQ is always scanned: at its
  threshold (72 of 256 bits: radius 4 per chunk, ~2,500 probes and ~4 % of the bank as
  candidates per chunk) no exact index beats reading every row, and a tighter PDQ threshold
  costs recall (``bench/media_robustness.py``: 59 % on a 10 % screenshot frame at 56 bits,
  28 % at ThreatExchange's usual 31, against 96.7 % at 72). So a lookup's cost grows with
  the bank's PDQ rows (``bench/media_speed.py``).

The rule (``THRESHOLDS``, from ``bench/media_robustness.py``): a pair of regions matches
when their PDQ distance is within ``THRESHOLDS[pdq]``, or when both their pHash and dHash
distances are within theirs (two 64-bit hashes agreeing is rarer by chance than either
alone). The thresholds keep false matches at 0 of 600 unrelated queries (150 photos as-is,
mirrored, cropped and framed) against a 60-face bank; the chance of a false match grows with
the bank, so a much larger bank needs them re-measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import faiss
import numpy as np

from server.media.hashing import HashKind, RegionHash

#: Hamming thresholds (bits). Source: bench/media_robustness.py, 2026-11-22 runs: the closest
#: unrelated query was 78 bits (PDQ) and 8 bits (pHash) from any bank region; PDQ keeps a
#: margin of 6 bits below that, pHash sits just under it with dHash agreeing.
THRESHOLDS: dict[HashKind, int] = {HashKind.PDQ: 72, HashKind.PHASH: 7, HashKind.DHASH: 14}

#: Below this many hashes a full scan is faster than probing buckets.
SCAN_LIMIT = 200_000
#: Largest per-chunk probe radius worth a multi-index (radius 2: 137 probes per chunk).
MAX_PROBE_RADIUS = 2
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
    """Every bank hash of one kind: a multi-index once the bank is large, else a scan.

    Multi-index (``multi_index``): the hash is cut into 16-bit chunks; for each chunk a
    bucket table (``starts``: where each of the 65,536 chunk values begins in ``order``, the
    row numbers sorted by that chunk). Two hashes within ``threshold`` bits agree to within
    ``threshold // chunks`` bits on at least one chunk (pigeonhole), so probing, in every
    chunk, the buckets within that radius of the query's chunk finds every row within the
    threshold; each candidate is then verified on all bits. Same rows, same distances as the
    scan (``tests/test_known_fakes_index.py`` checks it against the scan).

    Memory: the rows (``bits // 8`` bytes each) plus 4 bytes per row and chunk.
    """

    def __init__(
        self, bits: int, rows: np.ndarray, threshold: int, multi_index: bool | None = None
    ) -> None:
        self.bits = bits
        self.size = int(rows.shape[0])
        self.threshold = threshold
        chunks = bits // _CHUNK_BITS
        self.radius = threshold // chunks
        if multi_index is None:
            multi_index = self.size >= SCAN_LIMIT and self.radius <= MAX_PROBE_RADIUS
        # Rows as 64-bit words: one xor + popcount per word, whichever way rows are found.
        words = np.ascontiguousarray(rows).view(np.uint64).reshape(self.size, bits // 64)
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self._flat: faiss.IndexBinaryFlat | None = None
        self._words = np.empty((0, bits // 64), np.uint64)
        if multi_index:
            self._words = words
            halves = np.ascontiguousarray(rows).view(">u2")  # big-endian 16-bit chunks
            for c in range(chunks):
                keys = halves[:, c]
                order = np.argsort(keys, kind="stable").astype(np.uint32)
                starts = np.zeros((1 << _CHUNK_BITS) + 1, dtype=np.int64)
                np.cumsum(np.bincount(keys, minlength=1 << _CHUNK_BITS), out=starts[1:])
                self._chunks.append((order, starts))
            self._flips = _flip_masks(self.radius)
        else:
            # The scan: faiss's exact binary range search (popcount over the packed rows, its
            # own copy of them), 4-5x faster than xor + np.bitwise_count over 64-bit columns
            # (bench/media_speed.py). One OpenMP thread: the server has two cores and two
            # CPU-executor threads already.
            faiss.omp_set_num_threads(1)
            self._flat = faiss.IndexBinaryFlat(bits)
            if self.size:
                self._flat.add(np.ascontiguousarray(rows, dtype=np.uint8))

    @property
    def multi_index(self) -> bool:
        return bool(self._chunks)

    def nbytes(self) -> int:
        flat = self.size * self.bits // 8 if self._flat is not None else 0
        tables = sum(o.nbytes + s.nbytes for o, s in self._chunks)
        return int(self._words.nbytes + flat + tables)

    def within(self, query: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers within ``threshold`` bits of ``query`` (one packed hash), ascending,
        and their distances. ``threshold`` may be lower than the index's, never higher."""
        if threshold > self.threshold:
            raise ValueError(f"the index was built for {self.threshold} bits at most")
        if self.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        if self._flat is not None:
            return self.within_many(query[None, :], threshold)[0]
        query_words = np.ascontiguousarray(query).view(np.uint64)
        candidates = self._candidates(query)
        if candidates.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        dist = np.bitwise_count(self._words[candidates] ^ query_words).sum(axis=1, dtype=np.int64)
        keep = dist <= threshold
        rows, first = np.unique(candidates[keep], return_index=True)
        return rows.astype(np.int64), dist[keep][first]

    def within_many(
        self, queries: np.ndarray, threshold: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``within`` for each row of ``queries`` (one faiss call for all of them)."""
        if self._flat is None or self.size == 0:
            return [self.within(q, threshold) for q in queries]
        if threshold > self.threshold:
            raise ValueError(f"the index was built for {self.threshold} bits at most")
        # OpenMP's thread count is per calling thread: pin it in the thread that searches
        # (a CPU-executor thread), or faiss would start a team of one thread per core.
        faiss.omp_set_num_threads(1)
        # faiss keeps distances strictly below the radius.
        limits, distances, labels = self._flat.range_search(
            np.ascontiguousarray(queries, dtype=np.uint8), threshold + 1
        )
        found = []
        for i in range(queries.shape[0]):
            rows = labels[limits[i] : limits[i + 1]].astype(np.int64)
            dist = distances[limits[i] : limits[i + 1]].astype(np.int64)
            order = np.argsort(rows, kind="stable")
            found.append((rows[order], dist[order]))
        return found

    def _candidates(self, query: np.ndarray) -> np.ndarray:
        """Rows sharing a chunk within the radius with ``query`` (with repeats)."""
        halves = np.ascontiguousarray(query).view(">u2").astype(np.int64)
        parts = []
        for c, (order, starts) in enumerate(self._chunks):
            probes = halves[c] ^ self._flips
            lo, hi = starts[probes], starts[probes + 1]
            lengths = hi - lo
            total = int(lengths.sum())
            if total == 0:
                continue
            # Every order[lo:hi] range at once: positions lo, lo+1, ... hi-1 of each probe.
            offsets = np.repeat(lo - np.cumsum(lengths) + lengths, lengths)
            parts.append(order[offsets + np.arange(total)])
        if not parts:
            return np.empty(0, np.uint32)
        return np.concatenate(parts)


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

    def freeze(self, multi_index: bool | None = None) -> HashIndex:
        """Build the arrays (``multi_index``: force the multi-index on or off; by default
        it is used from ``SCAN_LIMIT`` rows up when the threshold allows it)."""
        names = sorted({r for _, r, _ in self._pdq} | {r for _, r, _, _ in self._pd})
        code = {name: i for i, name in enumerate(names)}
        return self._frozen(
            names,
            pdq=_rows([h for _, _, h in self._pdq], 32),
            pdq_owner=np.array([e for e, _, _ in self._pdq], dtype=np.int64),
            pdq_region=np.array([code[r] for _, r, _ in self._pdq], dtype=np.int16),
            phash=_rows([p for _, _, p, _ in self._pd], 8),
            dhash=_rows([d for _, _, _, d in self._pd], 8),
            pd_owner=np.array([e for e, _, _, _ in self._pd], dtype=np.int64),
            pd_region=np.array([code[r] for _, r, _, _ in self._pd], dtype=np.int16),
            multi_index=multi_index,
        )

    @classmethod
    def from_arrays(
        cls,
        region_names: Sequence[str],
        *,
        pdq: np.ndarray,
        pdq_owner: np.ndarray,
        pdq_region: np.ndarray,
        phash: np.ndarray | None = None,
        dhash: np.ndarray | None = None,
        pd_owner: np.ndarray | None = None,
        pd_region: np.ndarray | None = None,
        multi_index: bool | None = None,
    ) -> HashIndex:
        """An index straight from packed rows (bulk loads and the 10M-hash benchmark)."""
        empty8 = np.empty((0, 8), np.uint8)
        return cls()._frozen(
            list(region_names),
            pdq=pdq,
            pdq_owner=pdq_owner,
            pdq_region=pdq_region,
            phash=phash if phash is not None else empty8,
            dhash=dhash if dhash is not None else empty8,
            pd_owner=pd_owner if pd_owner is not None else np.empty(0, np.int64),
            pd_region=pd_region if pd_region is not None else np.empty(0, np.int16),
            multi_index=multi_index,
        )

    def _frozen(
        self,
        names: list[str],
        *,
        pdq: np.ndarray,
        pdq_owner: np.ndarray,
        pdq_region: np.ndarray,
        phash: np.ndarray,
        dhash: np.ndarray,
        pd_owner: np.ndarray,
        pd_region: np.ndarray,
        multi_index: bool | None = None,
    ) -> HashIndex:
        self._names = names
        self._pdq_index = _KindIndex(256, pdq, THRESHOLDS[HashKind.PDQ], multi_index)
        # Entry ids and region codes of every row: 6 bytes a row (int32 ids: 2 billion
        # entries is beyond any bank).
        self._pdq_owner = pdq_owner.astype(np.int32, copy=False)
        self._pdq_region = pdq_region.astype(np.int16, copy=False)
        self._ph_index = _KindIndex(64, phash, THRESHOLDS[HashKind.PHASH], multi_index)
        self._dh_rows = np.ascontiguousarray(dhash).view(np.uint64).reshape(-1)
        self._pd_owner = pd_owner.astype(np.int32, copy=False)
        self._pd_region = pd_region.astype(np.int16, copy=False)
        self.size = int(pdq.shape[0] + phash.shape[0])
        self._pdq, self._pd = [], []
        self.frozen = True
        return self

    def nbytes(self) -> int:
        return (
            self._pdq_index.nbytes()
            + self._ph_index.nbytes()
            + int(self._dh_rows.nbytes + self._pdq_owner.nbytes + self._pd_owner.nbytes)
            + int(self._pdq_region.nbytes + self._pd_region.nbytes)
        )

    def describe(self) -> str:
        """How each kind is looked up, for benchmarks and logs."""
        return ", ".join(
            f"{kind}: {'multi-index' if index.multi_index else 'scan'} of {index.size:,}"
            f" within {index.threshold} bits"
            for kind, index in (("pdq", self._pdq_index), ("phash", self._ph_index))
        )

    def match(self, query: Sequence[RegionHash]) -> list[HashMatch]:
        """The best match per bank entry, strongest first (an empty list: no known fake)."""
        if not self.frozen:
            raise RuntimeError("freeze() the index before matching")
        best: dict[int, HashMatch] = {}
        pdq_found = self._lookup(self._pdq_index, query, HashKind.PDQ)
        ph_found = self._lookup(self._ph_index, query, HashKind.PHASH)
        for region in query:
            for found in self._match_region(
                region, pdq_found.get(id(region)), ph_found.get(id(region))
            ):
                current = best.get(found.entry)
                if current is None or found.sort_key() < current.sort_key():
                    best[found.entry] = found
        return sorted(best.values(), key=HashMatch.sort_key)

    @staticmethod
    def _lookup(
        index: _KindIndex, query: Sequence[RegionHash], kind: HashKind
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Rows within the threshold for every query region carrying ``kind`` (pHash only
        where dHash comes with it), keyed by ``id(region)``: one batched lookup."""
        with_kind = [
            r
            for r in query
            if kind in r.hashes and (kind is not HashKind.PHASH or HashKind.DHASH in r.hashes)
        ]
        if not with_kind:
            return {}
        queries = np.stack([np.frombuffer(r.hashes[kind], np.uint8) for r in with_kind])
        results = index.within_many(queries, THRESHOLDS[kind])
        return {id(r): found for r, found in zip(with_kind, results, strict=True)}

    def _match_region(
        self,
        region: RegionHash,
        pdq_found: tuple[np.ndarray, np.ndarray] | None,
        ph_found: tuple[np.ndarray, np.ndarray] | None,
    ) -> Iterator[HashMatch]:
        if pdq_found is not None:
            limit = THRESHOLDS[HashKind.PDQ]
            rows, dist = pdq_found
            for row, d in zip(rows.tolist(), dist.tolist(), strict=True):
                yield HashMatch(
                    int(self._pdq_owner[row]),
                    "pdq",
                    int(d),
                    limit,
                    self._names[self._pdq_region[row]],
                    region.region,
                    region.frame,
                )
        dhash = region.hashes.get(HashKind.DHASH)
        if ph_found is not None and dhash is not None:
            limit = THRESHOLDS[HashKind.PHASH]
            rows, dist = ph_found
            if rows.size:
                ddist = np.bitwise_count(self._dh_rows[rows] ^ np.frombuffer(dhash, np.uint64))
                agree = ddist <= THRESHOLDS[HashKind.DHASH]
                for row, d in zip(rows[agree].tolist(), dist[agree].tolist(), strict=True):
                    yield HashMatch(
                        int(self._pd_owner[row]),
                        "phash+dhash",
                        int(d),
                        limit,
                        self._names[self._pd_region[row]],
                        region.region,
                        region.frame,
                    )


def _rows(hashes: list[bytes], width: int) -> np.ndarray:
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, width)
