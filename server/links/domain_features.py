"""Features of a registrable domain for the unseen-scam-domain model.

Shared by training (``models/scam_domain/train.py``) and serving
(``server/detectors/domain_model.py``); golden outputs pin the two together.

A domain becomes a set of hashed tokens: character 2-6 grams of its label ("claim-metamask"),
its public suffix and TLD, coarse shape (length, digits, hyphens, punycode) and the brand and
lure words it contains (``protected_brands.tsv``, ``lure_words.txt``, ``lookalike_words.txt``:
the lists the other link detectors use). The model input is sparse, ``indices`` and
``values`` padded to the longest row, so a batch costs what its tokens cost, not a dense
vector per domain.

Speed (features version 3). The link pipeline meets thousands of new domains a second, and
hands them over about a hundred at a time, where each array operation costs more than its
arithmetic; so a batch is featurised with few array operations, not token by token. The
padded labels ("<claim-metamask>") are one byte stream; one cumulative sum of its bytes
times P**-k gives the polynomial hash of any window, so every 2- to 6-gram of every label is
hashed (and finished with ``_mix``) in a handful of operations over a [bytes, sizes] array.
Whole-part words are a dict lookup per part; long words are nominated where the hash of a
5-byte window of the hyphen-less stream hits a bitmap of word heads, and confirmed by string.
Suffix slots come from a table that learns each suffix once. All keys of a batch are
``row * DIM + slot`` integers: one sort dedupes them and orders each row. ``tokens`` spells
out the same tokens as strings; ``slot`` hashes a string token the same way, so
``{slot(t) for t in tokens(...)}`` is exactly a row of ``batch_slots`` (tests hold the two
paths together, on the model's vocabulary and on hundreds of contrived labels). Labels are
punycode in practice; a non-ASCII label's n-grams are its UTF-8 bytes, as they always were.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
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
#: Labels longer than this are "long" (features v2 featurised them apart; the tests still
#: mix both kinds in a batch).
SHORT_LABEL = 20
#: Batches smaller than this go token by token (same slots, less fixed cost).
SMALL_BATCH = 16
#: String tokens whose slot the small-batch path remembers (common n-grams repeat).
TOKEN_CACHE = 100_000
#: Public suffixes whose slots the array path remembers (the PSL has about 10,000).
SUFFIX_CACHE = 50_000
#: Labels longer than this are cut (DNS allows 63; the cap bounds a batch's byte stream).
MAX_LABEL = 63

_U64 = np.uint64
#: Polynomial hash multiplier (the 64-bit FNV prime) and splitmix64's finaliser constants.
_P = 0x100000001B3
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_MASK64 = (1 << 64) - 1


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
    """``_mix`` over an array of hashes of ``length`` bytes each."""
    with np.errstate(over="ignore"):
        return _finish(h + _U64((length * _GOLDEN) & _MASK64))


#: Labels featurised in one flat pass; it bounds the byte stream and so the tables below.
CHUNK = 1024
#: Positions of a chunk's byte stream, plus room for windows starting near its end.
_SPAN = CHUNK * (MAX_LABEL + 2) + MAX_LABEL + 3


def _powers(base: int, count: int) -> np.ndarray:
    """``base**k`` modulo 2**64 for ``k < count`` (numpy's integer products wrap)."""
    steps = np.full(count, base, dtype=np.uint64)
    steps[0] = 1
    with np.errstate(over="ignore"):
        powers: np.ndarray = np.cumprod(steps, dtype=np.uint64)
    return powers


#: P**k and P**-k modulo 2**64 (P is odd, so it has an inverse) for every byte position
#: of a chunk's byte stream.
_POWERS = _powers(_P, _SPAN)
_INVERSE_POWERS = _powers(pow(_P, -1, 1 << 64), _SPAN)
#: ``_POWERS_BEFORE[k] = P**(k-1)``: the power that ends a window whose end is ``k``.
_POWERS_BEFORE = np.concatenate((np.zeros(1, dtype=np.uint64), _POWERS[:-1]))
#: Every position as a column, to be added to a row of window sizes.
_POSITIONS = np.arange(_SPAN, dtype=np.int64)[:, None]
#: Per byte value: 1 for a digit, 256 for "-" (one sum per label counts both).
_DIGIT_HYPHEN = np.zeros(256, dtype=np.int64)
_DIGIT_HYPHEN[ord("0") : ord("9") + 1] = 1
_DIGIT_HYPHEN[ord("-")] = 256
#: Bits of a long-word head's hash that index the head bitmap (false hits only cost a lookup).
_HEAD_BITS = 16


def _prefix_sums(codes: np.ndarray, room: int = 0) -> np.ndarray:
    """``S[k] = sum(codes[j] * P**-j for j < k)`` modulo 2**64 (one cumulative sum): the
    polynomial hash of ``codes[a:b]`` (as ``_poly`` computes it) is then
    ``(S[b] - S[a]) * P**(b-1)``, for every window at once. ``room`` zeros follow, so
    windows running past the end can be computed (and then dropped) without a bounds check."""
    out = np.zeros(len(codes) + 1 + room, dtype=np.uint64)
    with np.errstate(over="ignore"):
        (codes * _INVERSE_POWERS[: len(codes)]).cumsum(out=out[1 : len(codes) + 1])
    return out


def _ngram_hashes(sums: np.ndarray, total: int, ngrams: tuple[int, ...]) -> np.ndarray:
    """[total, len(ngrams)]: the polynomial hash of the window of each size at each
    position, plus that size's term of ``_mix`` (windows may run past their label)."""
    sizes, salt = _ngram_sizes(ngrams)
    widest = int(sizes.max()) + 1
    # Views, not gathers: ``ahead[p, k]`` is ``sums[p + k]``, ``powers[p, k]`` is P**(p+k-1).
    ahead = np.ndarray((total, widest), np.uint64, sums, 0, (8, 8))
    powers = np.ndarray((total, widest), np.uint64, _POWERS_BEFORE, 0, (8, 8))
    start, stop = ngrams[0], ngrams[-1] + 1
    columns: slice | np.ndarray = (
        slice(start, stop) if ngrams == tuple(range(start, stop)) else sizes
    )
    with np.errstate(over="ignore"):
        hashes: np.ndarray = ahead[:, columns] - ahead[:, :1]
        hashes *= powers[:, columns]
        hashes += salt
    return hashes


@lru_cache(maxsize=8)
def _ngram_sizes(ngrams: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The n-gram sizes as an array row, and ``_mix``'s length term for each."""
    sizes = np.array(ngrams, dtype=np.int64)
    salt = np.array([(n * _GOLDEN) & _MASK64 for n in ngrams], dtype=np.uint64)
    return sizes, salt


def _finish(z: np.ndarray) -> np.ndarray:
    """``_mix`` after its length term, in place."""
    z ^= z >> _U64(30)
    z *= _U64(_MIX1)
    z ^= z >> _U64(27)
    z *= _U64(_MIX2)
    z ^= z >> _U64(31)
    return z


def _suffix_slots(suffix: str) -> tuple[int, int]:
    return slot(f"sfx:{suffix}"), slot(f"tld:{suffix.rsplit('.', 1)[-1]}")


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
        #: Suffixes the array path learns (past it, slots are worked out each time).
        self.suffix_cache = SUFFIX_CACHE
        self._suffix_index: dict[str, int] = {}
        self._suffix_table = np.zeros((64, 2), dtype=np.int64)
        self._suffix_lock = threading.Lock()
        self._token_slots: dict[str, int] = {}
        self._index_words()

    def _index_words(self) -> None:
        """Per-word slot lists for the word loop, and a bitmap of long-word heads by the top
        bits of their polynomial hash: array code nominates the few positions of a chunk
        where a head may start, and a string lookup confirms each (see ``_word_keys``)."""
        self._brand_slots: list[int] = self._brand_slot.tolist()
        self._lure_slots: list[int] = self._lure_slot.tolist()
        self._head_bits = np.zeros(1 << _HEAD_BITS, dtype=bool)
        for head in self._long_heads:
            spread = (_poly(head.encode("utf-8")) * _GOLDEN) & _MASK64
            self._head_bits[spread >> (64 - _HEAD_BITS)] = True

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
        float32 (1 for each distinct slot of a row, ascending, then 0 for padding)."""
        count = len(labels)
        if count == 0:
            return np.zeros((0, 1), dtype=np.int64), np.zeros((0, 1), dtype=np.float32)
        labels = [label[:MAX_LABEL] for label in labels]
        if count < SMALL_BATCH:
            return self._one_by_one(labels, suffixes, private)
        # Every token of every domain as one ``row * DIM + slot`` key, a chunk of labels at
        # a time; then distinct keys (a sort and a neighbour compare: cheaper than
        # np.unique), and each row's slots packed to the left, ascending.
        dim = DIM
        if count <= CHUNK:
            pairs = self._keys(labels, suffixes, private)
        else:
            pairs = np.concatenate(
                [
                    self._keys(
                        labels[start : start + CHUNK],
                        suffixes[start : start + CHUNK],
                        private[start : start + CHUNK],
                    ).astype(np.int64)
                    + start * dim
                    for start in range(0, count, CHUNK)
                ]
            )
        pairs.sort()
        distinct = np.empty(len(pairs), dtype=bool)
        distinct[0] = True
        np.not_equal(pairs[1:], pairs[:-1], out=distinct[1:])
        pairs = pairs[distinct]
        row_of = pairs >> (dim.bit_length() - 1)
        sizes = np.bincount(row_of, minlength=count)
        width = max(int(sizes.max()), 1)
        # A row's k-th slot goes to column k: flat position row * width + k.
        shift = np.arange(0, count * width, width) - (sizes.cumsum() - sizes)
        indices = np.zeros((count, width), dtype=np.int64)
        indices.reshape(-1)[np.arange(len(pairs)) + shift.repeat(sizes)] = pairs & (dim - 1)
        values = (np.arange(width) < sizes[:, None]).astype(np.float32)
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

    def _keys(
        self, labels: Sequence[str], suffixes: Sequence[str], private: Sequence[bool]
    ) -> np.ndarray:
        """Every token of up to ``CHUNK`` domains as ``row * DIM + slot`` keys (int32, with
        repeats).

        The padded labels ("<claim-metamask>") are one byte stream: one cumulative sum gives
        the polynomial hash of every n-gram of every label in a handful of array operations.
        The few tokens a domain has at most one of (shape, suffix, words) come from tables
        and a short loop: on batches of a hundred, an array operation costs more than a
        Python step per label.
        """
        count = len(labels)
        dim = DIM
        # Keys fit in int32 (a quicker sort) unless DIM is made far larger.
        key_type = np.int32 if CHUNK * dim < 1 << 31 else np.int64
        padded = [f"<{label}>" for label in labels]
        text = "".join(padded)
        is_ascii = text.isascii()
        if is_ascii:
            data = text.encode("ascii")
            sizes = np.fromiter(map(len, padded), dtype=np.int64, count=count)
        else:
            # Byte n-grams of the UTF-8 label, cut at MAX_LABEL + 2 bytes (a DNS label's
            # length): the same bytes the token path reads for any label seen in practice.
            encoded = [p.encode("utf-8")[: MAX_LABEL + 2] for p in padded]
            data = b"".join(encoded)
            sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=count)
        codes = np.frombuffer(data, dtype=np.uint8)
        ends = sizes.cumsum()
        rows: np.ndarray = np.arange(0, count * dim, dim, dtype=key_type)  # row * dim per label
        row_at: np.ndarray = rows.repeat(sizes)
        total = len(codes)
        left = ends.repeat(sizes) - np.arange(total)  # bytes to the label's end
        ngrams = tuple(NGRAMS)
        sums = _prefix_sums(codes, room=max(ngrams))
        # n-grams: every window size at every position hashed (a few running past their
        # label), then keyed by row and kept where they end inside their padded label.
        hashes = _ngram_hashes(sums, total, ngrams)
        with np.errstate(over="ignore"):
            _finish(hashes)
            hashes &= _U64(dim - 1)
        slots: np.ndarray = hashes.astype(key_type)
        slots += row_at[:, None]
        slots = slots[left[:, None] >= _ngram_sizes(ngrams)[0]]
        # Shape: length, digits and hyphens (one sum counts both; the padding is neither).
        counted = np.add.reduceat(_DIGIT_HYPHEN[codes], ends - sizes)
        shape = np.concatenate(
            (
                self._len_slot[np.minimum((sizes - 2) // 3, 8)],
                self._dig_slot[np.minimum(counted & 255, 4)],
                self._hyp_slot[np.minimum(counted >> 8, 3)],
            )
        ).astype(key_type)
        extra = self._word_keys(labels, text if is_ascii else None, codes, row_at)
        pairs = (self._suffix_pairs(suffixes) + rows[:, None]).reshape(-1)
        fixed = self._fixed
        row_list: list[int] = rows.tolist()
        token = fixed["private"]
        extra.extend(row + token for row, flag in zip(row_list, private, strict=True) if flag)
        token = fixed["punycode"]
        extra.extend(
            row + token
            for row, label in zip(row_list, labels, strict=True)
            if label.startswith("xn--")
        )
        return np.concatenate(
            (slots, np.tile(rows, 3) + shape, pairs, np.array(extra, dtype=key_type))
        )

    def _suffix_pairs(self, suffixes: Sequence[str]) -> np.ndarray:
        """[N, 2] int: the ``sfx:`` and ``tld:`` slots of each suffix, from a table that
        learns each new suffix once (up to ``SUFFIX_CACHE`` of them)."""
        index = self._suffix_index
        ids = [index.get(suffix, -1) for suffix in suffixes]
        late: list[int] = []
        if -1 in ids:
            for i, suffix in enumerate(suffixes):
                if ids[i] < 0:
                    # Learnt a moment ago when a batch holds a new suffix twice.
                    ids[i] = index.get(suffix, -1)
                if ids[i] < 0:
                    ids[i] = self._learn_suffix(suffix)
                if ids[i] < 0:
                    late.append(i)
        pairs: np.ndarray = self._suffix_table[ids]
        for i in late:
            pairs[i] = _suffix_slots(suffixes[i])
        return pairs

    def _learn_suffix(self, suffix: str) -> int:
        # The server's two CPU threads featurise batches at once. Learning is serialised (two
        # suffixes given one row, or a row written into a table another thread was replacing,
        # would be wrong for every later host on that suffix), and a suffix's id is published
        # only once its row is in the table readers index, so reading needs no lock.
        with self._suffix_lock:
            index = self._suffix_index
            known = index.get(suffix)
            if known is not None:
                return known
            if len(index) >= self.suffix_cache:
                return -1
            learnt = len(index)
            table = self._suffix_table
            if learnt == len(table):
                table = np.concatenate((table, np.zeros_like(table)))
            table[learnt] = _suffix_slots(suffix)
            self._suffix_table = table
            index[suffix] = learnt
            return learnt

    def _word_keys(
        self,
        labels: Sequence[str],
        text: str | None,
        codes: np.ndarray,
        row_at: np.ndarray,
    ) -> list[int]:
        """Keys of the brand/lure tokens of a chunk (``brand:``, ``lure:``, ``brand*``,
        ``brand+extra``, ``lure*``, ``brand+lure``), from ``_word_hits`` when the chunk is
        not ASCII (``text`` None), else from ``_nominated_hits``."""
        width = len(self._words)
        if not width:
            return []
        dim = DIM
        if text is None:
            hit_rows, hit_words = self._word_hits(labels)
            found = {
                row * dim * width + word
                for row, word in zip(hit_rows.tolist(), hit_words.tolist(), strict=True)
            }
        else:
            found = self._nominated_hits(labels, text, codes, row_at, width, dim)
        keys: list[int] = []
        brand_rows: set[int] = set()
        lure_rows: set[int] = set()
        brand_slots, lure_slots = self._brand_slots, self._lure_slots
        for pair in found:
            row, word = divmod(pair, width)
            if brand_slots[word] >= 0:
                keys.append(row + brand_slots[word])
                brand_rows.add(row)
            if lure_slots[word] >= 0:
                keys.append(row + lure_slots[word])
                lure_rows.add(row)
        fixed = self._fixed
        brand_set = self._brand_set
        for row in brand_rows:
            keys.append(row + fixed["brand*"])
            if labels[row // dim].replace("-", "") not in brand_set:
                keys.append(row + fixed["brand+extra"])
            if row in lure_rows:
                keys.append(row + fixed["brand+lure"])
        keys.extend(row + fixed["lure*"] for row in lure_rows)
        return keys

    def _nominated_hits(
        self,
        labels: Sequence[str],
        text: str,
        codes: np.ndarray,
        row_at: np.ndarray,
        width: int,
        dim: int,
    ) -> set[int]:
        """``_word_hits`` of an ASCII chunk as ``row * dim * width + word id``: whole parts by
        a lookup per part; long words where the hash of a 5-byte window of the hyphen-less
        stream hits the head bitmap, confirmed by the head's words (a handful per chunk)."""
        found: set[int] = set()
        get = self._word_id.get
        for row, label in enumerate(labels):
            base = row * dim * width
            if "-" in label:
                for part in label.split("-"):
                    word = get(part)
                    if word is not None:
                        found.add(base + word)
            else:
                word = get(label)
                if word is not None:
                    found.add(base + word)
        solid = codes != 45
        compact = codes[solid]
        span = len(compact) - MIN_SUBSTRING + 1
        if span <= 0 or not self._long_heads:
            return found
        compact_sums = _prefix_sums(compact)
        with np.errstate(over="ignore"):
            heads = (compact_sums[MIN_SUBSTRING:] - compact_sums[:span]) * _POWERS[
                MIN_SUBSTRING - 1 : MIN_SUBSTRING - 1 + span
            ]
            # A polynomial hash's top bits are poorly mixed: multiply-shift them first.
            spread = (heads * _U64(_GOLDEN)) >> _U64(64 - _HEAD_BITS)
        nominated = self._head_bits[spread].nonzero()[0]
        if not len(nominated):
            return found
        flat = text.replace("-", "")
        head_of = self._long_heads.get
        for start, row in zip(nominated.tolist(), row_at[solid][nominated].tolist(), strict=True):
            sharing = head_of(flat[start : start + MIN_SUBSTRING])
            if sharing is not None:
                for word_text, word in sharing:
                    if flat.startswith(word_text, start):
                        found.add(row * width + word)
        return found

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
