"""The registry's SQL, as plain functions over a ``sqlite_utils.Database`` (tables of
``m004_persons``). Writers run inside ``Database.write`` (one transaction) or the CLI.

History is kept by appending: every change writes the whole record to ``person_revisions``;
retiring sets ``retired_at`` and keeps the row; removing a face sets ``removed_at``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

from server.persons.embed import DISTANCE_THRESHOLD, MODEL_NAME, FloatArray, from_blob, to_blob
from server.persons.registry import (
    LIST_FIELDS,
    EnrolledFace,
    PersonIndex,
    person_from_record,
)
from server.storage.queries import audit, now_iso

_COLUMNS = (
    "id, name, aliases, description, official_domains, official_accounts, never, revision,"
    " created_at, updated_at, retired_at"
)


def persons_version(db: Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'persons_version'").fetchone()
    return int(row[0]) if row else 0


def _bump(db: Database) -> None:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'persons_version'")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _decode(row: Mapping[str, Any]) -> dict[str, Any]:
    record = dict(row)
    for name in LIST_FIELDS:
        record[name] = json.loads(record[name] or "[]")
    return record


def _row(db: Database, person_id: int) -> dict[str, Any] | None:
    cursor = db.execute(f"SELECT {_COLUMNS} FROM persons WHERE id = ?", [person_id])  # noqa: S608
    row = cursor.fetchone()
    if row is None:
        return None
    columns = [c[0] for c in cursor.description]
    return _decode(dict(zip(columns, row, strict=True)))


def _face_counts(db: Database) -> dict[int, int]:
    cursor = db.execute(
        "SELECT person_id, COUNT(*) FROM person_faces WHERE removed_at IS NULL GROUP BY person_id"
    )
    return {int(pid): int(count) for pid, count in cursor}


def _revise(db: Database, person_id: int, actor: str, action: str) -> None:
    record = _row(db, person_id)
    assert record is not None
    record["faces"] = _face_counts(db).get(person_id, 0)
    db.execute(
        "INSERT INTO person_revisions (person_id, revision, at, actor, action, record)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            person_id,
            record["revision"],
            now_iso(),
            actor,
            action,
            json.dumps(record, ensure_ascii=False),
        ],
    )
    audit(db, actor=actor, action=f"person.{action}", target=f"person:{person_id}", details={})
    _bump(db)


def insert_person(db: Database, fields: Mapping[str, Any], *, actor: str) -> int:
    now = now_iso()
    cursor = db.execute(
        "INSERT INTO persons (name, aliases, description, official_domains, official_accounts,"
        " never, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        [
            fields["name"],
            _json(fields.get("aliases", [])),
            fields.get("description", ""),
            _json(fields.get("official_domains", [])),
            _json(fields.get("official_accounts", [])),
            _json(fields.get("never", [])),
            now,
            now,
        ],
    )
    person_id = int(cursor.lastrowid or 0)
    _revise(db, person_id, actor, "create")
    return person_id


def person_record(db: Database, person_id: int) -> dict[str, Any] | None:
    """The record as the API shows it: fields, face count, state (never embeddings)."""
    record = _row(db, person_id)
    if record is None:
        return None
    record["faces"] = _face_counts(db).get(person_id, 0)
    record["retired"] = record["retired_at"] is not None
    return record


def person_rows(
    db: Database, *, include_retired: bool = False, limit: int = 100, offset: int = 0
) -> list[dict[str, Any]]:
    where = "" if include_retired else " WHERE retired_at IS NULL"
    cursor = db.execute(
        f"SELECT {_COLUMNS} FROM persons{where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
        [limit, offset],
    )
    columns = [c[0] for c in cursor.description]
    counts = _face_counts(db)
    rows = []
    for row in cursor.fetchall():
        record = _decode(dict(zip(columns, row, strict=True)))
        record["faces"] = counts.get(record["id"], 0)
        record["retired"] = record["retired_at"] is not None
        rows.append(record)
    return rows


def update_person(db: Database, person_id: int, changes: Mapping[str, Any], *, actor: str) -> bool:
    """Apply ``changes`` to an active person (False if none such); the old values stay in
    ``person_revisions``."""
    record = _row(db, person_id)
    if record is None or record["retired_at"] is not None:
        return False
    sets, params = [], []
    for name, value in changes.items():
        sets.append(f"{name} = ?")
        params.append(_json(value) if name in LIST_FIELDS else value)
    sets.append("revision = revision + 1")
    sets.append("updated_at = ?")
    params.append(now_iso())
    # Column names come from ``registry.FIELDS`` (checked by the caller); values are parameters.
    db.execute(f"UPDATE persons SET {', '.join(sets)} WHERE id = ?", [*params, person_id])  # noqa: S608
    _revise(db, person_id, actor, "edit")
    return True


def retire_person(db: Database, person_id: int, *, actor: str) -> bool:
    """Stop using a person for detection; the record, its revisions and faces stay."""
    now = now_iso()
    cursor = db.execute(
        "UPDATE persons SET retired_at = ?, updated_at = ?, revision = revision + 1"
        " WHERE id = ? AND retired_at IS NULL",
        [now, now, person_id],
    )
    if cursor.rowcount != 1:
        return False
    _revise(db, person_id, actor, "retire")
    return True


def revisions(db: Database, person_id: int, limit: int = 100) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT revision, at, actor, action, record FROM person_revisions WHERE person_id = ?"
        " ORDER BY id DESC LIMIT ?",
        [person_id, limit],
    )
    return [
        {"revision": rev, "at": at, "actor": who, "action": action, "record": json.loads(record)}
        for rev, at, who, action, record in cursor
    ]


def add_face(
    db: Database,
    person_id: int,
    vector: FloatArray,
    *,
    photo_sha256: str,
    face_pixels: int,
    actor: str,
) -> tuple[int, bool] | None:
    """Store one embedding for an active person: ``(face id, created)``; the same photo
    twice gives the first id back. None when there is no such active person."""
    record = _row(db, person_id)
    if record is None or record["retired_at"] is not None:
        return None
    row = db.execute(
        "SELECT id FROM person_faces WHERE person_id = ? AND photo_sha256 = ?"
        " AND removed_at IS NULL",
        [person_id, photo_sha256],
    ).fetchone()
    if row is not None:
        return int(row[0]), False
    cursor = db.execute(
        "INSERT INTO person_faces (person_id, model, embedding, photo_sha256, face_pixels,"
        " created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [person_id, MODEL_NAME, to_blob(vector), photo_sha256, face_pixels, now_iso(), actor],
    )
    face_id = int(cursor.lastrowid or 0)
    _revise(db, person_id, actor, "enrol")
    return face_id, True


def load_index(db: Database, distance_threshold: float = DISTANCE_THRESHOLD) -> PersonIndex:
    """A snapshot of active persons and their faces (worker thread)."""
    version = persons_version(db)
    persons = [person_from_record(r) for r in person_rows(db, limit=1_000_000)]
    cursor = db.execute(
        "SELECT id, person_id, embedding FROM person_faces WHERE removed_at IS NULL AND model = ?",
        [MODEL_NAME],
    )
    faces = [EnrolledFace(int(fid), int(pid), from_blob(blob)) for fid, pid, blob in cursor]
    return PersonIndex(persons, faces, version=version, distance_threshold=distance_threshold)
