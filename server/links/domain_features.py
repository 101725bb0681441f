"""Features of a registrable domain for the unseen-scam-domain model.

Shared by training (``models/scam_domain/train.py``) and serving
(``server/detectors/domain_model.py``); golden outputs pin the two together.

A domain becomes a set of hashed tokens: character 2-6 grams of its label ("claim-metamask"),
its public suffix and TLD, coarse shape (length, digits, hyphens, punycode) and the brand and
lure words it contains (``protected_brands.tsv``, ``lure_words.txt``, ``lookalike_words.txt``:
the lists the other link detectors use). The model input is sparse, ``indices`` and
``values`` padded to the longest row, so a batch costs what its tokens cost, not a dense
vector per domain.

Speed (features version 3). The link pipeline meets thousands of new domains a second, so a
batch is featurised with array operations, not token by token: the labels become one byte
matrix, every 2- to 6-gram of every label is hashed at once with a polynomial hash over its
bytes; brand and lure words are found by set lookups of each position's first letters (array
passes per word length cost more than they saved). ``tokens`` spells out the same tokens as
strings; ``slot`` hashes a string token the same way, so ``{slot(t) for t in tokens(...)}``
is exactly a row of ``batch_slots`` (a test holds the two paths together). A single domain
goes through the same batch code with a batch of one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

#: Size of the hashed token space (the model's weight table has one row per slot).
#: Version 3: 2-6-grams in 2**18 slots (was 3-5 in 2**17), chosen on a 2024 time split
#: (``models/scam_domain/select_settings.py``); more n-grams in the old space lost some of
#: the gain to collisions.
DIM = 1 << 18
NGRAMS = (2, 3, 4, 5, 6)
FEATURES_VERSION = "3"
#: Brand and lure words shorter than this only count as a whole hyphen-separated part.
MIN_SUBSTRING = 5
#: Labels up to this long are featurised together, longer ones in their own group.
SHORT_LABEL = 20
#: Batches smaller than this go token by token (same slots, less fixed cost).
SMALL_BATCH = 16
#: String tokens whose slot the small-batch path remembers (common n-grams repeat).
TOKEN_CACHE = 100_000
#: Labels longer than this are cut (DNS allows 63; the cap bounds a batch's byte matrix).
MAX_LABEL = 63

_U64 = np.uint64
#: Polynomial hash multiplier (the 64-bit FNV prime) and splitmix64's finaliser constants.
_P = 0x100000001B3
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1
#: "xn--" as bytes: a punycode label.
_XN = np.frombuffer(b"xn--", dtype=np.uint8).astype(np.uint64)


def _poly(data: bytes) -> int:
    h = 0
    for byte in data:
        h = (h * _P + byte) & _MASK64
    return h


def _mix(h: int, length: int) -> int:
    z = (h + length * _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def slot(token: str) -> int:
    """The hashed slot of one string token (the scalar twin of the array code below)."""
    data = token.encode("utf-8")
    return _mix(_poly(data), len(data)) & (DIM - 1)


def _mix_array(h: np.ndarray, length: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = h + _U64((length * _GOLDEN) & _MASK64)
        z = (z ^ (z >> _U64(30))) * _U64(_MIX1)
        z = (z ^ (z >> _U64(27))) * _U64(_MIX2)
        return z ^ (z >> _U64(31))


#: P**k and P**-k modulo 2**64 (P is odd, so it has an inverse) for every byte position.
_POWERS = np.array([pow(_P, k, 1 << 64) for k in range(MAX_LABEL + 3)], dtype=np.uint64)
_INVERSE_POWERS = np.array([pow(_P, -k, 1 << 64) for k in range(MAX_LABEL + 3)], dtype=np.uint64)


def _scaled_sums(codes: np.ndarray) -> np.ndarray:
    """``S[:, k] = sum(codes[:, j] * P**-j for j < k)`` modulo 2**64 (one cumulative sum):
    then the hash of any window is a difference of two sums times a power of P."""
    out = np.zeros((codes.shape[0], codes.shape[1] + 1), dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(codes * _INVERSE_POWERS[: codes.shape[1]], axis=1, out=out[:, 1:])
    return out


def _windows(sums: np.ndarray, n: int) -> np.ndarray:
    """Polynomial hash of every ``n``-byte window: ``(S[a+n] - S[a]) * P**(a+n-1)``, which
    equals ``sum(codes[a+j] * P**(n-1-j))`` as ``_poly`` computes it."""
    width = sums.shape[1] - n
    if width <= 0:
        return np.zeros((sums.shape[0], 0), dtype=np.uint64)
    with np.errstate(over="ignore"):
        hashes: np.ndarray = (sums[:, n:] - sums[:, :width]) * _POWERS[n - 1 : n - 1 + width]
    return hashes


def _byte_matrix(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``texts`` as a zero-padded uint64 byte matrix [N, L] and their byte lengths [N]."""
    # Labels are ASCII (punycode) in practice; the cap keeps any other input in range.
    encoded = [t.encode("utf-8")[: MAX_LABEL + 2] for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    width = int(lengths.max()) if len(encoded) else 1
    raw = np.array(encoded, dtype=f"S{max(width, 1)}")
    codes = raw.view(np.uint8).reshape(len(encoded), max(width, 1)).astype(np.uint64)
    return codes, lengths


def _read_words(path: Path, column: int = 0) -> list[str]:
    words = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word = line.split("\t")[column].strip().lower()
        if word.isascii():
            words.append(word)
    return words


class DomainFeaturizer:
    """Token sets of registrable domains; the vocabulary hash goes into model metadata."""

    def __init__(self, brands: Iterable[str], lures: Iterable[str]) -> None:
        self.brands = tuple(sorted({b for b in brands if len(b) >= 3}))
        self.lures = tuple(sorted({w for w in lures if len(w) >= 3}))
        self.vocabulary_sha256 = hashlib.sha256(
            ("\n".join(self.brands) + "\0" + "\n".join(self.lures)).encode()
        ).hexdigest()
        self._brand_set = frozenset(self.brands)
        self._lure_set = frozenset(self.lures)
        self._long = frozenset(w for w in self.brands + self.lures if len(w) >= MIN_SUBSTRING)
        # Every brand/lure word gets an id; its tokens' slots are computed once.
        self._words = tuple(sorted(self._brand_set | self._lure_set))
        self._word_id = {w: i for i, w in enumerate(self._words)}
        #: Per word id: the slot of its brand / lure token, -1 when it is not one.
        self._brand_slot = np.array(
            [slot(f"brand:{w}") if w in self._brand_set else -1 for w in self._words],
            dtype=np.int64,
        )
        self._lure_slot = np.array(
            [slot(f"lure:{w}") if w in self._lure_set else -1 for w in self._words],
            dtype=np.int64,
        )
        # Long words by their first MIN_SUBSTRING letters (see ``_word_hits``).
        self._long_lengths = sorted({len(w) for w in self._long})
        heads: dict[str, list[tuple[str, int]]] = {}
        for word in sorted(self._long):
            heads.setdefault(word[:MIN_SUBSTRING], []).append((word, self._word_id[word]))
        self._long_heads = {head: tuple(words) for head, words in heads.items()}
        self._fixed = {
            name: slot(name)
            for name in ("private", "punycode", "brand*", "brand+extra", "lure*", "brand+lure")
        }
        self._len_slot = np.array([slot(f"len:{i}") for i in range(9)], dtype=np.int64)
        self._dig_slot = np.array([slot(f"dig:{i}") for i in range(5)], dtype=np.int64)
        self._hyp_slot = np.array([slot(f"hyp:{i}") for i in range(4)], dtype=np.int64)
        self._suffix_slots: dict[str, tuple[int, int]] = {}
        self._token_slots: dict[str, int] = {}

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> DomainFeaturizer:
        """Brands are the first label of each protected domain (``paypal`` of ``paypal.com``)."""
        brand_domains = _read_words(data_dir / "protected_brands.tsv")
        brands = [d.split(".")[0] for d in brand_domains]
        lures = _read_words(data_dir / "lure_words.txt") + _read_words(
            data_dir / "lookalike_words.txt"
        )
        return cls(brands, [w.replace("-", "") for w in lures])

    # ------------------------------------------------------------------ readable tokens

    def tokens(self, label: str, suffix: str, private_suffix: bool) -> list[str]:
        """The tokens of one domain as strings (for reading and for tests); ``label`` is the
        registrable label (``claim-metamask`` of ``claim-metamask.io``)."""
        label = label[:MAX_LABEL]
        found = [f"sfx:{suffix}", f"tld:{suffix.rsplit('.', 1)[-1]}"]
        if private_suffix:
            found.append("private")
        padded = f"<{label}>"
        found.extend(padded[i : i + n] for n in NGRAMS for i in range(len(padded) - n + 1))
        digits = sum(c.isdigit() for c in label)
        found.append(f"len:{min(len(label) // 3, 8)}")
        found.append(f"dig:{min(digits, 4)}")
        found.append(f"hyp:{min(label.count('-'), 3)}")
        if label.startswith("xn--"):
            found.append("punycode")
        words = self._words_in(label)
        brands = sorted(words & self._brand_set)
        lures = sorted(words & self._lure_set)
        found.extend(f"brand:{b}" for b in brands)
        found.extend(f"lure:{w}" for w in lures)
        if brands:
            found.append("brand*")
            if label.replace("-", "") not in self._brand_set:
                found.append("brand+extra")
        if lures:
            found.append("lure*")
        if brands and lures:
            found.append("brand+lure")
        return found

    def _words_in(self, label: str) -> set[str]:
        """Brand and lure words that are a whole hyphen-separated part, or (when long)
        anywhere inside the label without its hyphens."""
        found = {part for part in label.split("-") if part in self._word_id}
        compact = label.replace("-", "")
        for length in self._long_lengths:
            for start in range(len(compact) - length + 1):
                piece = compact[start : start + length]
                if piece in self._long:
                    found.add(piece)
        return found

    # ------------------------------------------------------------------ array path

    def batch_slots(
        self, labels: Sequence[str], suffixes: Sequence[str], private: Sequence[bool]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Slots of many domains at once: ``indices`` [N, K] int64 and ``values`` [N, K]
        float32 (1 for each distinct slot of a row, 0 for padding)."""
        count = len(labels)
        if count == 0:
            return np.zeros((0, 1), dtype=np.int64), np.zeros((0, 1), dtype=np.float32)
        labels = [label[:MAX_LABEL] for label in labels]
        if count < SMALL_BATCH:
            return self._one_by_one(labels, suffixes, private)
        # Rows are padded to the longest label of their group: short and long labels go in
        # separate groups so one 60-character label does not widen every row's arrays.
        short = np.fromiter((len(label) <= SHORT_LABEL for label in labels), bool, count=count)
        all_rows: list[np.ndarray] = []
        all_slots: list[np.ndarray] = []
        for group in (np.flatnonzero(short), np.flatnonzero(~short)):
            if len(group) == 0:
                continue
            rows, slots = self._pairs(
                [labels[i] for i in group.tolist()],
                [suffixes[i] for i in group.tolist()],
                [private[i] for i in group.tolist()],
            )
            all_rows.append(group[rows])
            all_slots.append(slots)
        # Distinct (row, slot) pairs (a sort and a neighbour compare: cheaper than np.unique),
        # then each row's slots packed to the left.
        pairs = np.concatenate(all_rows) * DIM + np.concatenate(all_slots)
        pairs.sort()
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
        row_of, slot_of = pairs // DIM, pairs % DIM
        sizes = np.bincount(row_of, minlength=count)
        column_of = np.arange(len(pairs)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        width = max(int(sizes.max()), 1)
        indices = np.zeros((count, width), dtype=np.int64)
        values = np.zeros((count, width), dtype=np.float32)
        indices[row_of, column_of] = slot_of
        values[row_of, column_of] = 1.0
        return indices, values

    def _one_by_one(
        self, labels: Sequence[str], suffixes: Sequence[str], private: Sequence[bool]
    ) -> tuple[np.ndarray, np.ndarray]:
        """A few domains: string tokens and remembered slots beat a hundred array calls
        (the same slots by construction; ``tests/test_domain_features.py`` checks)."""
        rows = [
            sorted({self._slot_of(t) for t in self.tokens(label, suffix, bool(is_private))})
            for label, suffix, is_private in zip(labels, suffixes, private, strict=True)
        ]
        width = max(len(r) for r in rows)
        indices = np.zeros((len(rows), width), dtype=np.int64)
        values = np.zeros((len(rows), width), dtype=np.float32)
        for i, row in enumerate(rows):
            indices[i, : len(row)] = row
            values[i, : len(row)] = 1.0
        return indices, values

    def _slot_of(self, token: str) -> int:
        found = self._token_slots.get(token)
        if found is None:
            found = slot(token)
            if len(self._token_slots) < TOKEN_CACHE:
                self._token_slots[token] = found
        return found

    def _pairs(
        self, labels: Sequence[str], suffixes: Sequence[str], private: Sequence[bool]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every token of a group of domains as flat ``(row, slot)`` arrays (with repeats)."""
        count = len(labels)
        codes, lengths = _byte_matrix([f"<{label}>" for label in labels])
        sums = _scaled_sums(codes)
        # Every token as a (row, slot) pair, in flat arrays: padding never gets hashed.
        rows: list[np.ndarray] = []
        slots: list[np.ndarray] = []
        for n in NGRAMS:
            hashes = _windows(sums, n)
            inside = np.arange(hashes.shape[1])[None, :] + n <= lengths[:, None]
            row, column = np.nonzero(inside)
            rows.append(row)
            slots.append((_mix_array(hashes[row, column], n) & _U64(DIM - 1)).astype(np.int64))
        body = codes[:, 1:]  # the label without "<"; padding is 0, ">" is neither digit nor "-"
        digits = ((body >= 48) & (body <= 57)).sum(axis=1)
        hyphens = (body == 45).sum(axis=1)
        every = np.arange(count)
        rows.extend((every, every, every))
        slots.extend(
            (
                self._len_slot[np.minimum((lengths - 2) // 3, 8)],
                self._dig_slot[np.minimum(digits, 4)],
                self._hyp_slot[np.minimum(hyphens, 3)],
            )
        )
        self._extra_slots(labels, suffixes, private, codes, rows, slots)
        return np.concatenate(rows), np.concatenate(slots)

    def _extra_slots(
        self,
        labels: Sequence[str],
        suffixes: Sequence[str],
        private: Sequence[bool],
        codes: np.ndarray,
        rows: list[np.ndarray],
        slots: list[np.ndarray],
    ) -> None:
        """Append the suffix, punycode and brand/lure ``(row, slot)`` pairs of a batch."""
        count = len(labels)
        every = np.arange(count)
        known = self._suffix_slots
        suffix_slots = np.array(
            [known.get(sfx) or self._remember_suffix(sfx) for sfx in suffixes], dtype=np.int64
        ).reshape(count, 2)
        rows.extend((every, every))
        slots.extend((suffix_slots[:, 0], suffix_slots[:, 1]))
        fixed = self._fixed
        is_private = np.flatnonzero(np.fromiter(private, dtype=bool, count=count))
        punycode = every[:0]
        if codes.shape[1] >= 5:
            punycode = np.flatnonzero(np.all(codes[:, 1:5] == _XN, axis=1))
        hit_rows, hit_words = self._word_hits(labels)
        brand_slots = self._brand_slot[hit_words]
        lure_slots = self._lure_slot[hit_words]
        brand_rows = hit_rows[brand_slots >= 0]
        lure_rows = hit_rows[lure_slots >= 0]
        has_brand = np.unique(brand_rows)
        has_lure = np.unique(lure_rows)
        brand_extra = np.array(
            [r for r in has_brand if labels[int(r)].replace("-", "") not in self._brand_set],
            dtype=np.int64,
        )
        both = np.intersect1d(has_brand, has_lure)
        for chosen, token in (
            (is_private, "private"),
            (punycode, "punycode"),
            (has_brand, "brand*"),
            (brand_extra, "brand+extra"),
            (has_lure, "lure*"),
            (both, "brand+lure"),
        ):
            rows.append(chosen)
            slots.append(np.full(len(chosen), fixed[token], dtype=np.int64))
        rows.extend((brand_rows, lure_rows))
        slots.extend((brand_slots[brand_slots >= 0], lure_slots[lure_slots >= 0]))

    def _remember_suffix(self, suffix: str) -> tuple[int, int]:
        slots = (slot(f"sfx:{suffix}"), slot(f"tld:{suffix.rsplit('.', 1)[-1]}"))
        if len(self._suffix_slots) < 50_000:
            self._suffix_slots[suffix] = slots
        return slots

    def _word_hits(self, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Distinct ``(row, word id)`` pairs of brand/lure words in each label: every word as
        a whole hyphen-separated part, long words also anywhere in the label without hyphens.

        Long words are found through their first ``MIN_SUBSTRING`` letters: one set lookup
        per position of the label rules out almost every position, and only the words
        sharing a head are compared there. This costs less than array passes per word length.
        """
        get = self._word_id.get
        heads = self._long_heads
        head_of = heads.get
        pairs: set[int] = set()
        width = len(self._words)
        for row, label in enumerate(labels):
            base = row * width
            for part in label.split("-"):
                word = get(part)
                if word is not None:
                    pairs.add(base + word)
            if heads:
                compact = label.replace("-", "")
                for start in range(len(compact) - MIN_SUBSTRING + 1):
                    sharing = head_of(compact[start : start + MIN_SUBSTRING])
                    if sharing is not None:
                        for text, word in sharing:
                            if compact.startswith(text, start):
                                pairs.add(base + word)
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        found = np.array(sorted(pairs), dtype=np.int64)
        return found // width, found % width

    # ------------------------------------------------------------------ model inputs

    def features(
        self, labels: Sequence[str], suffixes: Sequence[str], private: Sequence[bool]
    ) -> dict[str, np.ndarray]:
        """The model's inputs for a batch of domains."""
        indices, values = self.batch_slots(labels, suffixes, private)
        return {"indices": indices, "values": values}

    def hashed(self, label: str, suffix: str, private_suffix: bool) -> np.ndarray:
        """Distinct token slots of one domain (the batch path with a batch of one)."""
        indices, values = self.batch_slots([label], [suffix], [private_suffix])
        row: np.ndarray = indices[0][values[0] > 0]
        return row

    def batch(self, rows: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Model inputs from per-domain slot arrays (``hashed``): ``indices`` / ``values``."""
        width = max((len(r) for r in rows), default=1) or 1
        indices = np.zeros((len(rows), width), dtype=np.int64)
        values = np.zeros((len(rows), width), dtype=np.float32)
        for i, row in enumerate(rows):
            indices[i, : len(row)] = row
            values[i, : len(row)] = 1.0
        return {"indices": indices, "values": values}
