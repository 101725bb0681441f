"""Features of a registrable domain for the unseen-scam-domain model.

Shared by training (``models/scam_domain/train.py``) and serving
(``server/detectors/domain_model.py``); golden outputs pin the two together.

A domain becomes a bag of hashed tokens: character 3-5 grams of its label ("claim-metamask"),
its public suffix and TLD, coarse shape (length, digits, hyphens, punycode) and the brand and
lure words it contains (``protected_brands.tsv``, ``lure_words.txt``, ``lookalike_words.txt``:
the lists the other link detectors use). The model input is sparse, ``indices`` and
``values`` padded to the longest row, so a batch costs what its tokens cost, not a dense
vector per domain.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

#: Size of the hashed token space (the model's weight table has one row per slot).
DIM = 1 << 17
NGRAMS = (3, 4, 5)
FEATURES_VERSION = "1"
#: Brand and lure words shorter than this only count as a whole hyphen-separated part.
MIN_SUBSTRING = 5

_ALNUM = re.compile(r"[a-z0-9]+")


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
    """Token bags of registrable domains; the vocabulary hash goes into model metadata."""

    def __init__(self, brands: Iterable[str], lures: Iterable[str]) -> None:
        self.brands = tuple(sorted({b for b in brands if len(b) >= 3}))
        self.lures = tuple(sorted({w for w in lures if len(w) >= 3}))
        self.vocabulary_sha256 = hashlib.sha256(
            ("\n".join(self.brands) + "\0" + "\n".join(self.lures)).encode()
        ).hexdigest()
        # Sets for the scans below: whole parts by intersection, long words by looking up
        # every substring of a fitting length (same result as testing each word, 10x faster).
        self._brand_set = frozenset(self.brands)
        self._lure_set = frozenset(self.lures)
        self._long = frozenset(w for w in self.brands + self.lures if len(w) >= MIN_SUBSTRING)
        self._long_lengths = tuple(sorted({len(w) for w in self._long}))

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> DomainFeaturizer:
        """Brands are the first label of each protected domain (``paypal`` of ``paypal.com``)."""
        brand_domains = _read_words(data_dir / "protected_brands.tsv")
        brands = [d.split(".")[0] for d in brand_domains]
        lures = _read_words(data_dir / "lure_words.txt") + _read_words(
            data_dir / "lookalike_words.txt"
        )
        return cls(brands, [w.replace("-", "") for w in lures])

    def tokens(self, label: str, suffix: str, private_suffix: bool) -> list[str]:
        """``label`` is the registrable label (``claim-metamask`` of ``claim-metamask.io``)."""
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
        compact = label.replace("-", "")
        words = self._words_in(set(_ALNUM.findall(label)), compact)
        brands = sorted(words & self._brand_set)
        lures = sorted(words & self._lure_set)
        found.extend(f"brand:{b}" for b in brands)
        found.extend(f"lure:{w}" for w in lures)
        if brands:
            found.append("brand*")
            if compact not in self._brand_set:
                found.append("brand+extra")
        if lures:
            found.append("lure*")
        if brands and lures:
            found.append("brand+lure")
        return found

    def _words_in(self, parts: set[str], compact: str) -> set[str]:
        """Brand and lure words that are a whole part, or (when long) inside ``compact``."""
        found = parts & (self._brand_set | self._lure_set)
        size = len(compact)
        for length in self._long_lengths:
            if length > size:
                break
            for start in range(size - length + 1):
                piece = compact[start : start + length]
                if piece in self._long:
                    found.add(piece)
        return found

    def hashed(self, label: str, suffix: str, private_suffix: bool) -> np.ndarray:
        """Unique token slots of one domain."""
        slots = {
            zlib.crc32(t.encode("utf-8")) & (DIM - 1)
            for t in self.tokens(label, suffix, private_suffix)
        }
        return np.fromiter(slots, dtype=np.int64, count=len(slots))

    def batch(self, rows: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """The model's inputs: ``indices`` [N, K] and ``values`` [N, K] (0 where padded)."""
        width = max((len(r) for r in rows), default=1) or 1
        indices = np.zeros((len(rows), width), dtype=np.int64)
        values = np.zeros((len(rows), width), dtype=np.float32)
        for i, row in enumerate(rows):
            indices[i, : len(row)] = row
            values[i, : len(row)] = 1.0
        return {"indices": indices, "values": values}
