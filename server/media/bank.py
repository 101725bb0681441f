"""The known-fakes bank in memory: entries, their region hashes, the index, one holder.

``KnownFakesIndex`` is an immutable snapshot (entries by id + a frozen ``HashIndex`` over
the hashes of confirmed entries); ``KnownFakesHolder`` is what ``Resources`` carries and the
server swaps whole when the database's ``known_fakes_version`` changes, the same way the
list index is swapped, so a check never sees half a bank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from server.media.hashing import HASH_BITS, HashKind, RegionHash
from server.media.matching import HashIndex, HashMatch


class Status(StrEnum):
    """Only ``confirmed`` entries are matched; ``pending`` waits for a moderator."""

    CONFIRMED = "confirmed"
    PENDING = "pending"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class KnownFake:
    """One bank entry, as the API and the evidence show it (never the media itself)."""

    id: int
    label: str
    status: Status
    added_by: str
    added_at: str
    person: str | None = None
    campaign: str | None = None
    source: str | None = None
    media_sha256: str | None = None
    media_format: str | None = None
    retired_at: str | None = None
    hash_count: int = 0
    #: AI-content labels the original carried when it was added (``c2pa: …``), or empty.
    ai_labels: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "person": self.person,
            "campaign": self.campaign,
            "source": self.source,
            "status": str(self.status),
            "added_by": self.added_by,
            "added_at": self.added_at,
            "hashes": self.hash_count,
        }
        if self.media_sha256:
            shown["media_sha256"] = self.media_sha256
            shown["media_format"] = self.media_format
        if self.retired_at:
            shown["retired_at"] = self.retired_at
        if self.ai_labels:
            shown["ai_labels"] = list(self.ai_labels)
        return shown


@dataclass(frozen=True, slots=True)
class StoredHash:
    """One stored region hash row (hex per kind; ``None`` for kinds an import lacked)."""

    fake_id: int
    region: str
    frame: int
    pdq: str | None
    phash: str | None
    dhash: str | None
    timestamp_s: float | None = None

    def region_hash(self) -> RegionHash:
        hashes = {
            kind: bytes.fromhex(value)
            for kind, value in (
                (HashKind.PDQ, self.pdq),
                (HashKind.PHASH, self.phash),
                (HashKind.DHASH, self.dhash),
            )
            if value
        }
        return RegionHash(self.region, hashes, 100, self.frame)


@dataclass(frozen=True)
class KnownFakesIndex:
    """A snapshot of the bank: every entry, and an index over confirmed entries' hashes."""

    entries: Mapping[int, KnownFake] = field(default_factory=dict)
    index: HashIndex = field(default_factory=lambda: HashIndex().freeze())
    version: int = 0
    #: Face embeddings of confirmed entries that have any (``server.media.identity``),
    #: ``(n, 128)`` float16 each: 512 bytes per entry with one face and its mirror.
    faces: Mapping[int, np.ndarray] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        entries: Iterable[KnownFake],
        hashes: Iterable[StoredHash],
        version: int,
        faces: Mapping[int, np.ndarray] | None = None,
    ) -> KnownFakesIndex:
        by_id = {entry.id: entry for entry in entries}
        index = HashIndex()
        for row in hashes:
            entry = by_id.get(row.fake_id)
            if entry is not None and entry.status is Status.CONFIRMED:
                index.add(row.fake_id, [row.region_hash()])
        kept = {
            fake_id: np.asarray(vectors, dtype=np.float16)
            for fake_id, vectors in (faces or {}).items()
            if fake_id in by_id and by_id[fake_id].status is Status.CONFIRMED
        }
        return cls(by_id, index.freeze(), version, kept)

    def match(
        self, query: Sequence[RegionHash], *, pdq_alone: bool = False
    ) -> list[tuple[KnownFake, HashMatch]]:
        """``pdq_alone``: a hashes-only client's regions (``HashIndex.match``)."""
        found = self.index.match(query, pdq_alone=pdq_alone)
        return [(self.entries[m.entry], m) for m in found if m.entry in self.entries]


class KnownFakesHolder:
    """The current ``KnownFakesIndex``; replaced whole when the bank changes."""

    def __init__(self, index: KnownFakesIndex | None = None) -> None:
        self.current = index if index is not None else KnownFakesIndex()

    def swap(self, index: KnownFakesIndex) -> None:
        self.current = index


_HEX = re.compile(r"[0-9a-f]+")


class HashFormatError(ValueError):
    """A hash in a client request or an import file is not what its kind expects."""


def parse_hex(kind: HashKind, value: object) -> str:
    """A validated lowercase hex hash of ``kind`` (64 hex digits for PDQ, 16 for the others)."""
    if not isinstance(value, str):
        raise HashFormatError(f"a {kind} hash must be a hex string")
    lowered = value.strip().lower()
    digits = HASH_BITS[kind] // 4
    if len(lowered) != digits or not _HEX.fullmatch(lowered):
        raise HashFormatError(f"a {kind} hash is {digits} hex digits, got {value[:80]!r}")
    return lowered
