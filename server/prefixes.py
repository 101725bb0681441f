"""Hash prefixes of listed hosts and URLs, for clients that check navigations locally.

Like Safe Browsing's update API: the extension keeps the sorted set of 4-byte SHA-256
prefixes of every blocked host (and URL entry), checks each navigation against it on the
device, and asks ``POST /v1/lists/lookup`` only when a prefix matches; the server then
answers with the full hashes and a verdict for each listed value behind that prefix. So an
unlisted page is never sent anywhere.

Why 4 bytes: with 500k listed values a random host's prefix collides with probability
500k / 2^32 ≈ 1.2e-4, i.e. about one lookup per 1,700 navigations (each navigation tests up to
~6 expressions) — and even then the server sees only a prefix shared by ~4,000 other names
per listed value. 3 bytes would make that one navigation in 6.

Why Rice-Golomb coding of sorted deltas: 500k uniformly spread prefixes have deltas averaging
2^32/500k ≈ 8,600, which Rice-codes in ~14.4 bits each (~0.9 MB) where raw prefixes need 32 bits
(2 MB) and gzip barely helps on random bytes. Diffs are coded the same way (added and
removed prefixes), so a day's churn costs a few bytes per changed value.

The published set is derived from the live ``ListIndex`` (bundled lists, feeds, operator
entries, and anything else that lands in it), versioned by ``lists_version``. The server keeps
the last few versions it has handed out, so a client that is not too far behind gets a diff;
anyone else (server restarted, version unknown) gets the full set with ``full: true``.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.lists import Action, EntryKind, ListIndex

PREFIX_BYTES = 4
#: Versions remembered for diffs. Feeds import a few times a day, so this covers days.
HISTORY = 16
#: Most prefixes in one lookup: a navigation tests at most ~6, a page scan batches its hits.
MAX_LOOKUP_PREFIXES = 64
#: Most listed values answered per lookup (4-byte collisions are rare; this bounds the work).
MAX_LOOKUP_MATCHES = 128


def full_hash(expression: str) -> bytes:
    """SHA-256 of a canonical expression: an ASCII lowercase host, or a URL key."""
    return hashlib.sha256(expression.encode("utf-8")).digest()


def prefix_of(expression: str) -> int:
    return int.from_bytes(full_hash(expression)[:PREFIX_BYTES], "big")


def prefix_hex(prefix: int) -> str:
    return prefix.to_bytes(PREFIX_BYTES, "big").hex()


def listed_expressions(index: ListIndex) -> list[tuple[str, EntryKind]]:
    """Blocked hosts and URL keys, minus hosts the allowlist names exactly.

    An allowlisted *parent* of a blocked host still leaves the host in the set; the lookup runs
    the real pipeline, so the verdict there is the one the server would give anyway.
    """
    allowed = set(index.values(Action.ALLOW, EntryKind.DOMAIN))
    found = [
        (host, EntryKind.DOMAIN)
        for host in index.values(Action.BLOCK, EntryKind.DOMAIN)
        if host not in allowed
    ]
    found.extend((key, EntryKind.URL) for key in index.values(Action.BLOCK, EntryKind.URL))
    return found


@dataclass(frozen=True)
class PrefixSet:
    """One version: unique sorted prefixes to publish, and prefix → values for lookups."""

    version: int
    prefixes: array[int]  # unique, sorted (published)
    _keys: array[int] = field(repr=False)  # sorted, parallel to _values (with repeats)
    _values: tuple[tuple[str, EntryKind], ...] = field(repr=False)

    @classmethod
    def build(cls, index: ListIndex, previous: PrefixSet | None = None) -> PrefixSet:
        """The set for ``index``; with ``previous``, only values new since then are hashed
        (a feed import changes a few percent of 500k entries, not all of them)."""
        listed = listed_expressions(index)
        if previous is None:
            keyed = [(prefix_of(value), value, kind) for value, kind in listed]
        else:
            now = set(listed)
            before = set(previous._values)
            keyed = [
                (key, value, kind)
                for key, (value, kind) in zip(previous._keys, previous._values, strict=True)
                if (value, kind) in now
            ]
            keyed.extend((prefix_of(v), v, kind) for v, kind in listed if (v, kind) not in before)
        keyed.sort()  # mostly one sorted run when built from ``previous``: near linear
        keys = array("I", (k for k, _, _ in keyed))
        unique = array("I", sorted(set(keys)))
        return cls(index.version, unique, keys, tuple((v, kind) for _, v, kind in keyed))

    @property
    def checksum(self) -> str:
        """SHA-256 of the published set as big-endian 4-byte words, for clients to verify."""
        return set_checksum(self.prefixes)

    def matches(self, prefix: int) -> list[tuple[str, EntryKind]]:
        lo = bisect_left(self._keys, prefix)
        hi = bisect_right(self._keys, prefix, lo)
        return list(self._values[lo:hi])


def set_checksum(prefixes: Iterable[int]) -> str:
    digest = hashlib.sha256()
    digest.update(b"".join(p.to_bytes(PREFIX_BYTES, "big") for p in prefixes))
    return digest.hexdigest()


# --- Rice-Golomb coding of a strictly increasing list of integers -------------------------


def rice_parameter(values: Sequence[int]) -> int:
    """k ≈ log2(mean gap): near-optimal for the geometric-like gaps of uniform hashes."""
    if len(values) < 2:
        return 0
    mean_gap = (values[-1] - values[0]) / (len(values) - 1)
    return max(0, int(mean_gap).bit_length() - 1)


def rice_encode(values: Sequence[int]) -> dict[str, Any]:
    """``{"count", "first", "k", "data"}``: ``first`` raw, then each gap-1 as q ones, a zero,
    and k low bits, MSB first, base64."""
    if not values:
        return {"count": 0, "first": 0, "k": 0, "data": ""}
    k = rice_parameter(values)
    out = bytearray()
    acc = 0
    nbits = 0
    mask = (1 << k) - 1
    previous = values[0]
    for value in values[1:]:
        gap = value - previous - 1
        if gap < 0:
            raise ValueError("values must be strictly increasing")
        previous = value
        q = gap >> k
        # q ones then a zero, then k bits of remainder: one integer of q + 1 + k bits.
        code = (((1 << q) - 1) << (k + 1)) | (gap & mask)
        acc = (acc << (q + 1 + k)) | code
        nbits += q + 1 + k
        while nbits >= 8:
            nbits -= 8
            out.append((acc >> nbits) & 0xFF)
        acc &= (1 << nbits) - 1
    if nbits:
        out.append((acc << (8 - nbits)) & 0xFF)
    return {
        "count": len(values),
        "first": values[0],
        "k": k,
        "data": base64.b64encode(bytes(out)).decode("ascii"),
    }


def rice_decode(block: dict[str, Any]) -> list[int]:
    """The inverse of :func:`rice_encode` (the extension has the same in JavaScript)."""
    count, k = int(block["count"]), int(block["k"])
    if count == 0:
        return []
    data = base64.b64decode(block["data"])
    values = [int(block["first"])]
    bit = 0
    total = len(data) * 8
    while len(values) < count:
        q = 0
        while bit < total and (data[bit >> 3] >> (7 - (bit & 7))) & 1:
            q += 1
            bit += 1
        bit += 1  # the terminating zero
        rem = 0
        for _ in range(k):
            rem = (rem << 1) | ((data[bit >> 3] >> (7 - (bit & 7))) & 1)
            bit += 1
        values.append(values[-1] + ((q << k) | rem) + 1)
    return values


# --- Publishing ---------------------------------------------------------------------------


class PrefixPublisher:
    """Builds the prefix set for each list index it sees and remembers recent versions.

    ``current`` is called from the CPU executor (building 500k hashes takes ~1 s), guarded by a
    lock so two requests never build the same version twice.
    """

    def __init__(self, history: int = HISTORY) -> None:
        self._history: OrderedDict[int, PrefixSet] = OrderedDict()
        self._built_for: ListIndex | None = None
        self._limit = history
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, int | None], dict[str, Any]] = {}

    def current(self, index: ListIndex) -> PrefixSet:
        with self._lock:
            if self._built_for is index and self._history:
                return next(reversed(self._history.values()))
            latest = next(reversed(self._history.values())) if self._history else None
            built = PrefixSet.build(index, latest)
            if built.version in self._history:
                # Same version number, different index (a reload with no change, or the
                # bundled list changed across a restart): replace it, and its cached answers.
                del self._history[built.version]
                self._cache = {k: v for k, v in self._cache.items() if built.version not in k}
            self._history[built.version] = built
            while len(self._history) > self._limit:
                dropped, _ = self._history.popitem(last=False)
                self._cache = {k: v for k, v in self._cache.items() if dropped not in k}
            self._built_for = index
            return built

    def update(self, index: ListIndex, since: int | None) -> dict[str, Any]:
        """The body of ``GET /v1/lists/prefixes``: a diff from ``since`` or the full set."""
        now = self.current(index)
        base = self._history.get(since) if since is not None else None
        if base is not None and base.version > now.version:
            base = None
        key = (now.version, base.version if base is not None else None)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            # Every full answer shares one cache entry, whatever ``since`` its caller sent:
            # echo this caller's, not the first one's.
            return {**cached, "since": since}
        if base is None:
            body = _body(now, since, full=True, add=now.prefixes, remove=())
        else:
            old, new = set(base.prefixes), set(now.prefixes)
            body = _body(now, since, full=False, add=sorted(new - old), remove=sorted(old - new))
        with self._lock:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = body
        return body


def _body(
    now: PrefixSet, since: int | None, *, full: bool, add: Sequence[int], remove: Sequence[int]
) -> dict[str, Any]:
    return {
        "version": now.version,
        "since": since,
        "full": full,
        "hash": "sha256",
        "prefix_bytes": PREFIX_BYTES,
        "encoding": "rice",
        "count": len(now.prefixes),
        "checksum": now.checksum,
        "add": rice_encode(add),
        "remove": rice_encode(remove),
    }


def parse_prefix(raw: object) -> int | None:
    """A prefix as sent by clients: exactly 8 lowercase hex digits, else None."""
    if not isinstance(raw, str) or len(raw) != PREFIX_BYTES * 2:
        return None
    if not all(c in "0123456789abcdef" for c in raw):
        return None
    return int(raw, 16)


def lookup_url(value: str, kind: EntryKind) -> str:
    """The URL the pipeline scores for a listed value (a host, or a URL key)."""
    return f"http://{value}/" if kind is EntryKind.DOMAIN else f"http://{value}"
