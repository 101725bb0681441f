"""The in-memory index of the known-fakes bank and the matching rule.

``HashIndex`` holds every region hash of every bank entry in numpy arrays and answers
``match(query_hashes)`` with ``HashMatch``es: which entry, which hash kind, which bank
region met which query region, the distance and the threshold.

The rule (``bench/media_robustness.py`` measures it) -- a query region and a bank region
match when:

- ``pdq+phash``: PDQ within ``THRESHOLDS[pdq]`` (72 of 256 bits) *and* pHash within
  ``PHASH_GATE`` (10 of 64) *and* dHash within ``DHASH_GATE`` (16); reported with the PDQ
  distance and threshold, and both gates (``HashMatch.gates``: distance and threshold);
- ``phash+dhash``: pHash within ``THRESHOLDS[phash]`` (7) and dHash within
  ``THRESHOLDS[dhash]`` (14, reported as the gate) and, when both regions carry PDQ, PDQ
  within ``PDQ_LOOSE`` (80, reported as a gate); without PDQ on one side (a hashes-only
  client, an imported list) pHash and dHash alone decide;
- ``pdq``: PDQ within ``PDQ_ALONE`` (31, ThreatExchange's own threshold) for a bank row or
  query region that has PDQ only (a ThreatExchange hash list, a hashes-only client that sent
  PDQ alone), and for every region of a hashes-only client (``match(..., pdq_alone=True)``):
  a client's PDQ match is never lost because it also sent pHash and dHash (``ours+pdq31``
  in the bench, 2026-11-22: recall equal to the gated rule's on every transform, 0 of 1,200
  unrelated queries matched, 1 tail pair of 307 million as the gated rule). The regions of
  an upload do not take this arm: it adds no recall there and would cost a full PDQ scan
  per region (no exact index at 31 of 256 bits fits the memory
  budget at 10M rows: sixteen 16-bit chunks are 610 MiB more).

Inner face regions (``server.media.inner_face``) meet only each other: a tight crop of one
face and a whole portrait of another hash alike by chance more often than two scenes do
(``bench/media_robustness.py --tail-extra 200``, 2026-11-23: 9 of 16 accepted unrelated pairs
were a query's ``full`` region against a bank ``inner`` row).

Why gates on PDQ, not PDQ alone at 72 bits (``bench/media_robustness.py --tail-extra
200``, 307 million pairs of an unrelated query region and a bank row, faces on both sides):
PDQ alone accepted 8 of them (2.6e-8 a pair), the pHash gate 2, the pHash and dHash gates 1
(3.3e-9), with recall on every transform still >= 95 %. A query has ~8.4 regions, so at 10
million bank rows PDQ alone would match ~89 % of unrelated face pictures, the gated rule
~24 % (1M rows: 20 % and 2.7 %). The gates are worth having; no rule measured here keeps a
0.1 % false-match budget at millions of rows (that needs < 1.2e-11 a pair, beyond what 307
million pairs resolve): a bank that large needs its rate measured on far more unrelated
pictures than ``../shared`` holds. The README says so.
The gate also makes the lookup an exact index: pHash within 10 bits is a multi-index probe,
where PDQ within 72 of 256 bits is not (no exact index beats a full scan there).

Lookup, exact (``tests/test_known_fakes_index.py`` checks each index against the scan):

- rows with pHash and dHash (every region the product hashes): a multi-index on pHash
  (Norouzi et al., "Fast search in Hamming space with multi-index hashing") once the bank has
  ``SCAN_LIMIT`` rows: three chunks of 22/21/21 bits; two hashes within 10 bits agree to
  within 3 bits on at least one chunk (pigeonhole), so probing every chunk's buckets within
  radius 3 finds every candidate (~4,900 probes, 2.4-4.8 rows a probe at 10M random rows),
  verified on all bits where it lies in its bucket; then dHash and PDQ of the few rows left.
  Memory at 10M rows: ~860 MiB (PDQ 320, the pHash tables 390, dHash 80, owners 70). Below
  ``SCAN_LIMIT`` a numpy scan of the pHash words.
- rows with PDQ only: a multi-index of sixteen 16-bit chunks at radius 1 (31 bits) once
  large, else faiss-cpu's exact binary range search.
- a query region's PDQ alone against rows with pHash: the same faiss range search over
  their PDQ, a full scan (29 ms a hash, 0.99 s for 32, at 10M rows), so only hashes-only clients take
  this path, and ``server/api/media.py`` admits such a check through a media slot like an
  upload (at most ``MAX_CLIENT_HASHES`` hashes a check).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import faiss
import numpy as np

from server.media.hashing import HASH_BITS, HashKind, RegionHash, is_inner_region

log = logging.getLogger("fakewatch.media")

#: Hamming thresholds (bits). Source: bench/media_robustness.py, 2026-11-22: the closest
#: unrelated query was 72 PDQ bits from a bank region (gated now, see above); pHash+dHash
#: sits just under the closest unrelated pair (8 bits pHash).
THRESHOLDS: dict[HashKind, int] = {HashKind.PDQ: 72, HashKind.PHASH: 7, HashKind.DHASH: 14}
#: pHash distance under which a PDQ distance within ``THRESHOLDS[pdq]`` counts (pHash
#: distances of imagehash's median pHash are even: 10 and 11 are the same limit).
PHASH_GATE = 10
#: dHash distance under which the PDQ arm counts (all three kinds agree, loosely).
DHASH_GATE = 16
#: PDQ alone (a row or query region without pHash): ThreatExchange's usual threshold.
PDQ_ALONE = 31
#: PDQ limit on the ``phash+dhash`` arm when both regions carry PDQ (review 36 F6, 2026-11-23):
#: the unrelated same-generator pairs that arm accepted were 84-92 PDQ bits apart, so at 80
#: none of the 150-entry bank's entries matches another one.
PDQ_LOOSE = 80

#: Below this many rows a full scan is faster than probing buckets.
SCAN_LIMIT = 200_000
#: Chunk widths (bits) of each multi-index.
PHASH_CHUNKS = (22, 21, 21)
PDQ_CHUNKS = (16,) * 16


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
    #: The other kinds that had to agree for this match: ``(kind, distance, threshold)``
    #: (``pdq+phash``: pHash and dHash; ``phash+dhash``: dHash).
    gates: tuple[tuple[str, int, int], ...] = ()

    def sort_key(self) -> tuple[float, int]:
        return (self.distance / self.threshold if self.threshold else 0.0, self.entry)


def _words(rows: np.ndarray) -> np.ndarray:
    """Packed hashes (bytes in hex order) as native 64-bit words of the big-endian values,
    so chunk ``c`` of a hash is a shift and a mask of one word."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    return rows.view(">u8").astype(np.uint64).reshape(rows.shape[0], rows.shape[1] // 8)


def _popcount(words: np.ndarray) -> np.ndarray:
    counted: np.ndarray = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    return counted


class _MultiIndex:
    """Exact Hamming range search over packed hashes by pigeonhole on disjoint chunks.

    For each chunk a bucket table: ``order`` (row numbers sorted by the chunk's value) and
    ``starts`` (where each value's rows begin in ``order``). Two hashes within ``t`` bits
    agree to within ``t // chunks`` bits on at least one chunk, so probing, in every chunk,
    the values within that radius of the query's finds every row within ``t``; each
    candidate is verified on all bits. Memory: the rows plus 4 bytes per row and chunk plus
    ``4 * 2**width`` bytes per chunk.

    ``bucketed``: also keep, per chunk, the rows' words in bucket order (8 bytes per row and
    chunk for a 64-bit hash): candidates are then verified where they lie, next to their
    bucket's other rows, and only the few within the threshold are looked up in ``order``.
    Reading each candidate's row at random was most of a lookup's time (10M rows: 8 of 20 ms
    for a picture's 10 regions, ``bench/media_speed.py``).
    """

    def __init__(
        self,
        words: np.ndarray,
        chunk_bits: Sequence[int],
        threshold: int,
        *,
        bucketed: bool = False,
    ) -> None:
        # Bucketed, the rows are read from the per-chunk copies only.
        self.words = words[:0] if bucketed else words
        self.bucketed = bucketed
        self.size = int(words.shape[0])
        self.threshold = threshold
        self.radius = threshold // len(chunk_bits)
        if sum(chunk_bits) != 64 * words.shape[1]:
            raise ValueError("the chunks must cover every bit")
        self._chunks: list[tuple[int, int, int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._sorted: list[np.ndarray] = []
        start = 0
        flips: dict[int, np.ndarray] = {}
        for width in chunk_bits:
            word, offset = divmod(start, 64)
            if offset + width > 64:
                raise ValueError("a chunk may not straddle two 64-bit words")
            shift = 64 - offset - width
            keys = ((words[:, word] >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(
                np.int64
            )
            order = np.argsort(keys, kind="stable").astype(np.uint32)
            counts = np.bincount(keys, minlength=1 << width)
            starts = np.zeros((1 << width) + 1, dtype=np.int64)
            np.cumsum(counts, out=starts[1:])
            if width not in flips:
                flips[width] = _flip_masks(width, self.radius)
            self._chunks.append((word, shift, width, flips[width], order, starts.astype(np.uint32)))
            self._sorted.append(words[order] if bucketed else words[:0])
            start += width

    def nbytes(self) -> int:
        tables = sum(c[4].nbytes + c[5].nbytes for c in self._chunks)
        return int(self.words.nbytes + tables + sum(w.nbytes for w in self._sorted))

    def within_many(
        self, queries: np.ndarray, threshold: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(query number, row, distance)`` of every pair within ``threshold`` bits, each
        pair once (``queries``: words as ``_words`` makes them)."""
        if threshold > self.threshold:
            raise ValueError(f"the index was built for {self.threshold} bits at most")
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for (word, shift, width, flips, order, starts), in_order in zip(
            self._chunks, self._sorted, strict=True
        ):
            keys = ((queries[:, word] >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(
                np.int64
            )
            probes = (keys[:, None] ^ flips[None, :]).ravel()
            lo = starts[probes].astype(np.int64)
            lengths = starts[probes + 1].astype(np.int64) - lo
            total = int(lengths.sum())
            if total == 0:
                continue
            # Every order[lo:hi] range at once: positions lo, lo+1, ... hi-1 of each probe.
            offsets = np.repeat(lo - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
            which = np.repeat(np.arange(probes.size) // flips.size, lengths)
            if self.bucketed:
                dist = _popcount(in_order[offsets] ^ queries[which])
                keep = dist <= threshold
                parts.append((which[keep], order[offsets[keep]].astype(np.int64), dist[keep]))
            else:
                rows = order[offsets].astype(np.int64)
                dist = _popcount(self.words[rows] ^ queries[which])
                keep = dist <= threshold
                parts.append((which[keep], rows[keep], dist[keep]))
        if not parts:
            return _empty3()
        which, rows, dist = (np.concatenate(p) for p in zip(*parts, strict=True))
        return _unique_pairs(which, rows, dist, self.size)


def _scan(words: np.ndarray, queries: np.ndarray, threshold: int) -> tuple[np.ndarray, ...]:
    """``_MultiIndex.within_many`` by reading every row (small banks)."""
    found = [np.empty(0, np.int64)] * 3
    parts: list[list[np.ndarray]] = [[], [], []]
    for i in range(queries.shape[0]):
        dist = _popcount(words ^ queries[i])
        rows = np.flatnonzero(dist <= threshold)
        parts[0].append(np.full(rows.size, i, np.int64))
        parts[1].append(rows)
        parts[2].append(dist[rows])
    if parts[0]:
        found = [np.concatenate(p) for p in parts]
    return found[0], found[1], found[2]


def _faiss_range(
    flat: faiss.IndexBinaryFlat, queries: np.ndarray, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """faiss-cpu's exact binary range search (popcount over its packed rows)."""
    if flat.ntotal == 0 or queries.shape[0] == 0:
        return _empty3()
    # OpenMP's thread count is per calling thread: pin it in the thread that searches (a
    # CPU-executor thread), or faiss would start a team of one thread per core.
    faiss.omp_set_num_threads(1)
    # faiss keeps distances strictly below the radius.
    limits, distances, labels = flat.range_search(
        np.ascontiguousarray(queries, dtype=np.uint8), threshold + 1
    )
    which = np.repeat(np.arange(queries.shape[0]), np.diff(limits).astype(np.int64))
    return which, labels.astype(np.int64), distances.astype(np.int64)


def _unique_pairs(
    which: np.ndarray, rows: np.ndarray, dist: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, first = np.unique(which * size + rows, return_index=True)
    return which[first], rows[first], dist[first]


def _empty3() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)


def _flip_masks(width: int, radius: int) -> np.ndarray:
    """Every ``width``-bit mask with at most ``radius`` bits set (the probes of one chunk)."""
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(width), r):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Rows:
    """Owners and region codes of one row set (int32 ids: 2 billion entries is beyond any
    bank; int16 region codes)."""

    owner: np.ndarray
    region: np.ndarray

    @classmethod
    def of(cls, owner: np.ndarray, region: np.ndarray) -> _Rows:
        return cls(owner.astype(np.int32, copy=False), region.astype(np.int16, copy=False))

    def nbytes(self) -> int:
        return int(self.owner.nbytes + self.region.nbytes)


class HashIndex:
    """All region hashes of a bank, immutable after ``freeze``; ``match`` is thread-safe.

    Two row sets: regions with pHash and dHash (PDQ too when known) -- every region the
    product hashes -- and regions with PDQ only (a ThreatExchange hash list).
    """

    def __init__(self) -> None:
        self._full: list[tuple[int, str, bytes, bytes, bytes | None]] = []
        self._pdq_only: list[tuple[int, str, bytes]] = []
        self.frozen = False

    def add(self, entry: int, hashes: Iterable[RegionHash]) -> None:
        if self.frozen:
            raise RuntimeError("the index is frozen; build a new one")
        for region in hashes:
            if any(len(bits) * 8 != HASH_BITS[kind] for kind, bits in region.hashes.items()):
                # One row of the wrong size would make the whole bank's arrays unbuildable
                # (and so the start-up): the row is left out and said so, the rest serves.
                log.warning(
                    "known fake %s: a %s hash of the wrong size is not indexed",
                    entry,
                    region.region,
                )
                continue
            pdq = region.hashes.get(HashKind.PDQ)
            phash, dhash = region.hashes.get(HashKind.PHASH), region.hashes.get(HashKind.DHASH)
            if phash is not None and dhash is not None:
                self._full.append((entry, region.region, phash, dhash, pdq))
            elif pdq is not None:
                self._pdq_only.append((entry, region.region, pdq))

    def freeze(self, multi_index: bool | None = None) -> HashIndex:
        """Build the arrays (``multi_index``: force the multi-indexes on or off; by default
        they are used from ``SCAN_LIMIT`` rows up)."""
        names = sorted({r for _, r, *_ in self._full} | {r for _, r, _ in self._pdq_only})
        code = {name: i for i, name in enumerate(names)}
        full, only = self._full, self._pdq_only
        return self._frozen(
            names,
            phash=_rows([row[2] for row in full], 8),
            dhash=_rows([row[3] for row in full], 8),
            pdq=_rows([row[4] or bytes(32) for row in full], 32),
            has_pdq=np.array([row[4] is not None for row in full], dtype=bool),
            owner=np.array([row[0] for row in full], dtype=np.int64),
            region=np.array([code[row[1]] for row in full], dtype=np.int16),
            pdq_only=_rows([row[2] for row in only], 32),
            pdq_only_owner=np.array([row[0] for row in only], dtype=np.int64),
            pdq_only_region=np.array([code[row[1]] for row in only], dtype=np.int16),
            multi_index=multi_index,
        )

    @classmethod
    def from_arrays(
        cls,
        region_names: Sequence[str],
        *,
        phash: np.ndarray,
        dhash: np.ndarray,
        owner: np.ndarray,
        region: np.ndarray,
        pdq: np.ndarray | None = None,
        pdq_only: np.ndarray | None = None,
        pdq_only_owner: np.ndarray | None = None,
        pdq_only_region: np.ndarray | None = None,
        multi_index: bool | None = None,
    ) -> HashIndex:
        """An index straight from packed rows (bulk loads and the 10M-hash benchmark):
        row ``i`` of ``phash``/``dhash``/``pdq`` is one region of entry ``owner[i]``."""
        size = phash.shape[0]
        return cls()._frozen(
            list(region_names),
            phash=phash,
            dhash=dhash,
            pdq=pdq if pdq is not None else np.zeros((size, 32), np.uint8),
            has_pdq=np.full(size, pdq is not None),
            owner=owner,
            region=region,
            pdq_only=pdq_only if pdq_only is not None else np.empty((0, 32), np.uint8),
            pdq_only_owner=(
                pdq_only_owner if pdq_only_owner is not None else np.empty(0, np.int64)
            ),
            pdq_only_region=(
                pdq_only_region if pdq_only_region is not None else np.empty(0, np.int16)
            ),
            multi_index=multi_index,
        )

    def _frozen(
        self,
        names: list[str],
        *,
        phash: np.ndarray,
        dhash: np.ndarray,
        pdq: np.ndarray,
        has_pdq: np.ndarray,
        owner: np.ndarray,
        region: np.ndarray,
        pdq_only: np.ndarray,
        pdq_only_owner: np.ndarray,
        pdq_only_region: np.ndarray,
        multi_index: bool | None = None,
    ) -> HashIndex:
        self._names = names
        # Rows with pHash + dHash: pHash words (the index's), dHash words, and their PDQ
        # held once, by faiss (PDQ-alone queries scan it), read through a view to verify.
        self._full_rows = _Rows.of(owner, region)
        ph_words = _words(phash)
        use_multi = len(ph_words) >= SCAN_LIMIT if multi_index is None else multi_index
        self._ph: _MultiIndex | None = (
            _MultiIndex(ph_words, PHASH_CHUNKS, PHASH_GATE, bucketed=True) if use_multi else None
        )
        self._ph_rows = len(ph_words)
        self._ph_words = ph_words if self._ph is None else ph_words[:0]
        self._dh_words = _words(dhash)
        self._has_pdq = np.ascontiguousarray(has_pdq, dtype=bool)
        self._pdq_flat = faiss.IndexBinaryFlat(256)
        faiss.omp_set_num_threads(1)
        if len(pdq):
            self._pdq_flat.add(np.ascontiguousarray(pdq, dtype=np.uint8))
        # A view of faiss's own copy of the rows (no second copy; alive as long as the index).
        self._pdq_view = (
            faiss.rev_swig_ptr(self._pdq_flat.xb.data(), self._pdq_flat.ntotal * 32)  # type: ignore[attr-defined]
            .reshape(-1, 32)
            .view(np.uint64)
            if self._pdq_flat.ntotal
            else np.empty((0, 4), np.uint64)
        )
        # Rows with PDQ only.
        self._only_rows = _Rows.of(pdq_only_owner, pdq_only_region)
        only_multi = len(pdq_only) >= SCAN_LIMIT if multi_index is None else multi_index
        self._only: _MultiIndex | None = None
        self._only_flat: faiss.IndexBinaryFlat | None = None
        if only_multi:
            self._only = _MultiIndex(_words(pdq_only), PDQ_CHUNKS, PDQ_ALONE)
        else:
            self._only_flat = faiss.IndexBinaryFlat(256)
            if len(pdq_only):
                self._only_flat.add(np.ascontiguousarray(pdq_only, dtype=np.uint8))
        self.size = int(self._ph_rows + len(pdq_only))
        self._full, self._pdq_only = [], []
        self.frozen = True
        return self

    @property
    def multi_index(self) -> bool:
        """Whether the rows with pHash are looked up through the multi-index."""
        return self._ph is not None

    def nbytes(self) -> int:
        full = (
            (self._ph.nbytes() if self._ph is not None else self._ph_words.nbytes)
            + self._dh_words.nbytes
            + self._pdq_flat.ntotal * 32
            + self._has_pdq.nbytes
            + self._full_rows.nbytes()
        )
        only = (
            self._only.nbytes()
            if self._only is not None
            else (self._only_flat.ntotal * 32 if self._only_flat is not None else 0)
        )
        return int(full + only + self._only_rows.nbytes())

    def describe(self) -> str:
        """How each row set is looked up, for benchmarks and logs."""
        only = self._only_rows.owner.size
        return (
            f"pHash rows: {'multi-index' if self._ph is not None else 'scan'} of"
            f" {self._ph_rows:,} within {PHASH_GATE} bits, verified on dHash and PDQ;"
            f" PDQ-only rows: {'multi-index' if self._only is not None else 'scan'} of"
            f" {only:,} within {PDQ_ALONE} bits"
        )

    def match(self, query: Sequence[RegionHash], *, pdq_alone: bool = False) -> list[HashMatch]:
        """The best match per bank entry, strongest first (an empty list: no known fake).

        ``pdq_alone``: every query region's PDQ also counts alone within ``PDQ_ALONE``, not
        only a region without pHash and dHash (a hashes-only client's regions; a full scan
        of the rows with pHash, see the module's docstring)."""
        if not self.frozen:
            raise RuntimeError("freeze() the index before matching")
        best: dict[int, HashMatch] = {}
        for found in self._found(query, pdq_alone=pdq_alone):
            if is_inner_region(found.query_region) != is_inner_region(found.bank_region):
                continue
            current = best.get(found.entry)
            if current is None or found.sort_key() < current.sort_key():
                best[found.entry] = found
        return sorted(best.values(), key=HashMatch.sort_key)

    def _found(
        self, query: Sequence[RegionHash], *, pdq_alone: bool = False
    ) -> Iterator[HashMatch]:
        with_ph = [r for r in query if HashKind.PHASH in r.hashes and HashKind.DHASH in r.hashes]
        with_pdq = [r for r in query if HashKind.PDQ in r.hashes]
        if with_ph and self._ph_rows:
            yield from self._match_full(with_ph)
        if with_pdq and self._only_rows.owner.size:
            queries = _stack(with_pdq, HashKind.PDQ)
            if self._only is not None:
                found = self._only.within_many(_words(queries), PDQ_ALONE)
            else:
                assert self._only_flat is not None
                found = _faiss_range(self._only_flat, queries, PDQ_ALONE)
            yield from self._pdq_alone(with_pdq, found, self._only_rows)
        carried = set() if pdq_alone else {id(r) for r in with_ph}
        alone = [r for r in with_pdq if id(r) not in carried]
        if alone and self._pdq_flat.ntotal:
            queries = _stack(alone, HashKind.PDQ)
            which, rows, dist = _faiss_range(self._pdq_flat, queries, PDQ_ALONE)
            keep = self._has_pdq[rows]
            yield from self._pdq_alone(
                alone, (which[keep], rows[keep], dist[keep]), self._full_rows
            )

    def _match_full(self, regions: list[RegionHash]) -> Iterator[HashMatch]:
        """The ``pdq+phash`` and ``phash+dhash`` arms for regions carrying pHash + dHash."""
        ph = _words(_stack(regions, HashKind.PHASH))
        if self._ph is not None:
            which, rows, d_ph = self._ph.within_many(ph, PHASH_GATE)
        else:
            which, rows, d_ph = _scan(self._ph_words, ph, PHASH_GATE)
        if rows.size == 0:
            return
        dh = _words(_stack(regions, HashKind.DHASH))
        d_dh = _popcount(self._dh_words[rows] ^ dh[which])
        q_pdq = np.stack(
            [np.frombuffer(r.hashes.get(HashKind.PDQ, bytes(32)), np.uint64) for r in regions]
        )
        q_has = np.array([HashKind.PDQ in r.hashes for r in regions])
        d_pdq = _popcount(self._pdq_view[rows] ^ q_pdq[which])
        pdq_ok = (
            self._has_pdq[rows]
            & q_has[which]
            & (d_pdq <= THRESHOLDS[HashKind.PDQ])
            & (d_dh <= DHASH_GATE)
        )
        both_pdq = self._has_pdq[rows] & q_has[which]
        pd_ok = (
            (d_ph <= THRESHOLDS[HashKind.PHASH])
            & (d_dh <= THRESHOLDS[HashKind.DHASH])
            & (~both_pdq | (d_pdq <= PDQ_LOOSE))
        )
        names, owners, codes = self._names, self._full_rows.owner, self._full_rows.region
        for i in np.flatnonzero(pdq_ok | pd_ok).tolist():
            region, row = regions[int(which[i])], int(rows[i])
            base = (names[codes[row]], region.region, region.frame)
            if pdq_ok[i]:
                yield HashMatch(
                    int(owners[row]),
                    "pdq+phash",
                    int(d_pdq[i]),
                    THRESHOLDS[HashKind.PDQ],
                    *base,
                    gates=(
                        ("phash", int(d_ph[i]), PHASH_GATE),
                        ("dhash", int(d_dh[i]), DHASH_GATE),
                    ),
                )
            if pd_ok[i]:
                yield HashMatch(
                    int(owners[row]),
                    "phash+dhash",
                    int(d_ph[i]),
                    THRESHOLDS[HashKind.PHASH],
                    *base,
                    gates=(("dhash", int(d_dh[i]), THRESHOLDS[HashKind.DHASH]),)
                    + ((("pdq", int(d_pdq[i]), PDQ_LOOSE),) if both_pdq[i] else ()),
                )

    def _pdq_alone(
        self,
        regions: list[RegionHash],
        found: tuple[np.ndarray, np.ndarray, np.ndarray],
        rows_of: _Rows,
    ) -> Iterator[HashMatch]:
        for which, row, dist in zip(*(a.tolist() for a in found), strict=True):
            region = regions[which]
            yield HashMatch(
                int(rows_of.owner[row]),
                "pdq",
                int(dist),
                PDQ_ALONE,
                self._names[rows_of.region[row]],
                region.region,
                region.frame,
            )


def _stack(regions: Sequence[RegionHash], kind: HashKind) -> np.ndarray:
    return np.stack([np.frombuffer(r.hashes[kind], np.uint8) for r in regions])


def _rows(hashes: list[bytes], width: int) -> np.ndarray:
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, width)
