"""SQL of the known-fakes bank (tables from ``m002_known_fakes``), as plain functions.

Writers run inside ``Database.write`` (one transaction) or the CLI's connection. Every
change bumps ``meta.known_fakes_version`` so servers reload their in-memory index.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlite_utils import Database

from server.media.bank import KnownFake, KnownFakesIndex, Status, StoredHash
from server.media.hashing import HashKind, RegionHash
from server.persons.embed import MODEL_NAME as EMBEDDING_MODEL
from server.persons.embed import FloatArray, from_blob, to_blob
from server.storage.queries import now_iso

VERSION_KEY = "known_fakes_version"


def version(db: Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [VERSION_KEY]).fetchone()
    return int(row[0]) if row else 0


def _bump(db: Database) -> None:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ?", [VERSION_KEY])


def add(
    db: Database,
    *,
    label: str,
    added_by: str,
    hashes: Sequence[RegionHash],
    status: Status = Status.CONFIRMED,
    person: str | None = None,
    campaign: str | None = None,
    source: str | None = None,
    media_sha256: str | None = None,
    media_format: str | None = None,
    timestamps: Sequence[float | None] = (),
    ai_labels: Sequence[str] = (),
    faces: Sequence[tuple[int, FloatArray]] = (),
) -> int:
    """Store one entry and its region hashes; returns its id. ``ai_labels``: the AI-content
    labels the original carried (``server.media.labels``, one short description each);
    ``faces``: ``(frame, embedding)`` of its largest faces (``server.media.identity``)."""
    cursor = db.execute(
        "INSERT INTO known_fakes (label, person, campaign, source, status, added_by, added_at,"
        " media_sha256, media_format, ai_labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            label,
            person,
            campaign,
            source,
            str(status),
            added_by,
            now_iso(),
            media_sha256,
            media_format,
            json.dumps(list(ai_labels), ensure_ascii=False) if ai_labels else None,
        ],
    )
    fake_id = int(cursor.lastrowid or 0)
    _insert_rows(db, fake_id, rows_for(hashes, timestamps, faces))
    _bump(db)
    return fake_id


@dataclass(frozen=True, slots=True)
class EntryRows:
    """What the bank keeps of one entry's media, without the entry's id: its hash rows
    ``(region, frame, timestamp_s, pdq, phash, dhash, quality)`` and face rows
    ``(frame, model, embedding blob)``, in the order they are written."""

    hashes: tuple[tuple[Any, ...], ...]
    faces: tuple[tuple[Any, ...], ...]

    def same_as(self, other: EntryRows) -> bool:
        """The same rows, in whatever order (a re-hash that would change nothing)."""
        return Counter(self.hashes) == Counter(other.hashes) and Counter(self.faces) == Counter(
            other.faces
        )


def rows_for(
    hashes: Sequence[RegionHash],
    timestamps: Sequence[float | None] = (),
    faces: Sequence[tuple[int, FloatArray]] = (),
) -> EntryRows:
    """The rows ``add`` writes for these hashes and face embeddings."""
    hash_rows = []
    for region in hashes:
        stamp = timestamps[region.frame] if region.frame < len(timestamps) else None
        hash_rows.append(
            (
                region.region,
                region.frame,
                stamp,
                _hex(region, HashKind.PDQ),
                _hex(region, HashKind.PHASH),
                _hex(region, HashKind.DHASH),
                region.quality,
            )
        )
    face_rows = tuple((frame, EMBEDDING_MODEL, to_blob(vector)) for frame, vector in faces)
    return EntryRows(tuple(hash_rows), face_rows)


def stored_rows(db: Database, fake_id: int) -> EntryRows:
    """An entry's hash and face rows as they are in the database (faces of every model)."""
    hash_rows = tuple(
        tuple(row)
        for row in db.execute(
            "SELECT region, frame, timestamp_s, pdq, phash, dhash, quality FROM"
            " known_fake_hashes WHERE fake_id = ? ORDER BY id",
            [fake_id],
        )
    )
    face_rows = tuple(
        (row[0], row[1], bytes(row[2]))
        for row in db.execute(
            "SELECT frame, model, embedding FROM known_fake_faces WHERE fake_id = ? ORDER BY id",
            [fake_id],
        )
    )
    return EntryRows(hash_rows, face_rows)


def replace_rows(
    db: Database, fake_id: int, rows: EntryRows, ai_labels: Sequence[str] | None = None
) -> None:
    """Swap an entry's hash and face rows for ``rows`` (a re-hash of its media); its id,
    label, person, campaign, source, status and dates stay. ``ai_labels``, when given,
    replace the labels it keeps. Run it inside one write transaction (``immediate``): the
    caller's rollback then leaves the old rows whole."""
    db.execute("DELETE FROM known_fake_hashes WHERE fake_id = ?", [fake_id])
    db.execute("DELETE FROM known_fake_faces WHERE fake_id = ?", [fake_id])
    _insert_rows(db, fake_id, rows)
    if ai_labels is not None:
        db.execute(
            "UPDATE known_fakes SET ai_labels = ? WHERE id = ?",
            [json.dumps(list(ai_labels), ensure_ascii=False) if ai_labels else None, fake_id],
        )
    _bump(db)


def _insert_rows(db: Database, fake_id: int, rows: EntryRows) -> None:
    db.conn.executemany(
        "INSERT INTO known_fake_hashes (fake_id, region, frame, timestamp_s, pdq, phash, dhash,"
        " quality) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(fake_id, *row) for row in rows.hashes],
    )
    db.conn.executemany(
        "INSERT INTO known_fake_faces (fake_id, frame, model, embedding) VALUES (?, ?, ?, ?)",
        [(fake_id, *row) for row in rows.faces],
    )


def _hex(region: RegionHash, kind: HashKind) -> str | None:
    value = region.hashes.get(kind)
    return value.hex() if value is not None else None


_FAKE_COLUMNS = (
    "f.id, f.label, f.status, f.added_by, f.added_at, f.person, f.campaign, f.source,"
    " f.media_sha256, f.media_format, f.retired_at,"
    " (SELECT COUNT(*) FROM known_fake_hashes h WHERE h.fake_id = f.id), f.ai_labels"
)


def _fake(row: Sequence[Any]) -> KnownFake:
    return KnownFake(
        id=row[0],
        label=row[1],
        status=Status(row[2]),
        added_by=row[3],
        added_at=row[4],
        person=row[5],
        campaign=row[6],
        source=row[7],
        media_sha256=row[8],
        media_format=row[9],
        retired_at=row[10],
        hash_count=row[11],
        ai_labels=_labels(row[12]),
    )


def _labels(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def get(db: Database, fake_id: int) -> KnownFake | None:
    row = db.execute(
        f"SELECT {_FAKE_COLUMNS} FROM known_fakes f WHERE f.id = ?",  # noqa: S608 (constant)
        [fake_id],
    ).fetchone()
    return _fake(row) if row else None


def listing(
    db: Database, *, status: Status | None, limit: int, after_id: int = 0
) -> list[KnownFake]:
    """Entries by id (newest last), ``after_id`` for paging."""
    where, params = "f.id > ?", [after_id]
    if status is not None:
        where += " AND f.status = ?"
        params.append(str(status))  # type: ignore[arg-type]
    rows = db.execute(
        f"SELECT {_FAKE_COLUMNS} FROM known_fakes f WHERE {where} ORDER BY f.id LIMIT ?",  # noqa: S608
        [*params, limit],
    ).fetchall()
    return [_fake(row) for row in rows]


def set_status(db: Database, fake_id: int, status: Status) -> KnownFake | None:
    retired_at = now_iso() if status is Status.RETIRED else None
    cursor = db.execute(
        "UPDATE known_fakes SET status = ?, retired_at = ? WHERE id = ?",
        [str(status), retired_at, fake_id],
    )
    if cursor.rowcount == 0:
        return None
    _bump(db)
    return get(db, fake_id)


def hashes(db: Database, fake_ids: Iterable[int] | None = None) -> Iterator[StoredHash]:
    sql = "SELECT fake_id, region, frame, pdq, phash, dhash, timestamp_s FROM known_fake_hashes"
    params: list[Any] = []
    if fake_ids is not None:
        ids = list(fake_ids)
        sql += f" WHERE fake_id IN ({','.join('?' * len(ids))})"
        params = ids
    for row in db.execute(sql + " ORDER BY id", params):
        yield StoredHash(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


def faces(db: Database) -> dict[int, FloatArray]:
    """Every entry's stored face embeddings of the current model, ``(n, 128)`` per entry."""
    found: dict[int, list[FloatArray]] = {}
    for fake_id, blob in db.execute(
        "SELECT fake_id, embedding FROM known_fake_faces WHERE model = ? ORDER BY id",
        [EMBEDDING_MODEL],
    ):
        found.setdefault(int(fake_id), []).append(from_blob(blob))
    return {fake_id: np.stack(vectors) for fake_id, vectors in found.items()}


def all_entries(db: Database) -> Iterator[KnownFake]:
    cursor = db.execute(f"SELECT {_FAKE_COLUMNS} FROM known_fakes f ORDER BY f.id")  # noqa: S608
    for row in cursor:
        yield _fake(row)


def load_index(db: Database) -> KnownFakesIndex:
    """The whole bank as an in-memory snapshot (seconds at millions of hashes: off the loop)."""
    current = version(db)
    return KnownFakesIndex.build(all_entries(db), hashes(db), current, faces(db))
