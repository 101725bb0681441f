"""Every SQL statement FakeWatch runs, as plain functions over a ``sqlite_utils.Database``.

Writers are called inside ``Database.write`` (one transaction each) or by the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from server.lists import Action, EntryKind, ListEntry


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- lists -----------------------------------------------------------------------------------


def lists_version(db: Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'lists_version'").fetchone()
    return int(row[0]) if row else 0


def bump_lists_version(db: Database) -> int:
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'lists_version'")
    return lists_version(db)


def active_list_entries(db: Database) -> Iterator[ListEntry]:
    cursor = db.execute(
        "SELECT id, list, action, kind, value, source, added_at, reference FROM list_entries"
        " WHERE removed_at IS NULL"
    )
    for entry_id, list_name, action, kind, value, source, added_at, reference in cursor:
        yield ListEntry(
            list=list_name,
            action=Action(action),
            kind=EntryKind(kind),
            value=value,
            source=source,
            added=added_at,
            entry_id=entry_id,
            reference=reference,
        )


def list_entry_rows(
    db: Database,
    *,
    list_name: str | None = None,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    where, params = ["removed_at IS NULL"], []
    if list_name:
        where.append("list = ?")
        params.append(list_name)
    if action:
        where.append("action = ?")
        params.append(action)
    # ``where`` holds only the fixed fragments above; every value is a ? parameter.
    clause = " AND ".join(where)
    sql = f"SELECT id, list, action, kind, value, source, added_at, seen_at, reference, note FROM list_entries WHERE {clause} ORDER BY id LIMIT ? OFFSET ?"  # noqa: S608
    cursor = db.execute(sql, [*params, limit, offset])
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def upsert_list_entry(
    db: Database,
    *,
    list_name: str,
    action: str,
    kind: str,
    value: str,
    source: str,
    added_at: str,
    seen_at: str,
    reference: str | None = None,
    note: str | None = None,
) -> tuple[int, bool]:
    """Insert or refresh one entry; returns ``(id, created)``. A removed entry comes back."""
    row = db.execute(
        "SELECT id FROM list_entries WHERE list = ? AND action = ? AND kind = ? AND value = ?",
        [list_name, action, kind, value],
    ).fetchone()
    if row:
        db.execute(
            "UPDATE list_entries SET seen_at = ?, removed_at = NULL, source = ?,"
            " reference = COALESCE(?, reference), note = COALESCE(?, note) WHERE id = ?",
            [seen_at, source, reference, note, row[0]],
        )
        return int(row[0]), False
    cursor = db.execute(
        "INSERT INTO list_entries (list, action, kind, value, source, added_at, seen_at,"
        " reference, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [list_name, action, kind, value, source, added_at, seen_at, reference, note],
    )
    return int(cursor.lastrowid or 0), True


#: The list the operator edits by hand (``lists allow|block``, ``POST /v1/lists/entries``).
OPERATOR_LIST = "operator"


class NotAnOperatorEntry(Exception):
    """The entry belongs to a list that manages its own entries: retiring it by hand would
    be undone or skip a workflow. ``str()`` says what to do instead."""


def remove_list_entry(db: Database, entry_id: int) -> bool:
    """Retire an active entry of any list (a retired case's own entry, for one); ``False``
    when there is no active entry ``entry_id``."""
    cursor = db.execute(
        "UPDATE list_entries SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
        [now_iso(), entry_id],
    )
    return cursor.rowcount > 0


def remove_operator_entry(db: Database, entry_id: int) -> bool:
    """What an operator may retire by id (``lists remove``, ``DELETE /v1/lists/entries``): an
    active operator entry. ``False`` when there is no active entry ``entry_id``,
    ``NotAnOperatorEntry`` when it belongs to a feed, the community or a peer."""
    row = db.execute(
        "SELECT list FROM list_entries WHERE id = ? AND removed_at IS NULL", [entry_id]
    ).fetchone()
    if row is None:
        return False
    owner = str(row[0])
    if owner != OPERATOR_LIST:
        raise NotAnOperatorEntry(_why_not_removable(entry_id, owner))
    return remove_list_entry(db, entry_id)


def _why_not_removable(entry_id: int, owner: str) -> str:
    if owner.startswith("feed:"):
        how = (
            "the next import of that feed would bring it back: remove it from the feed, or"
            " allow the site with `fakewatch lists allow` (an allow entry wins over any list)"
        )
    elif owner == "community":
        how = "retire its case instead (POST /v1/cases/{id}/retire), so reporters are told"
    elif owner.startswith("peer:"):
        how = "it comes from a federation peer: change the peer's trust, or allow the site"
    else:
        how = "allow the site with `fakewatch lists allow` instead"
    return f"List entry {entry_id} belongs to {owner}, not to the operator list; {how}."


# --- API keys --------------------------------------------------------------------------------


def insert_api_key(db: Database, *, key_hash: str, prefix: str, role: str, label: str) -> int:
    cursor = db.execute(
        "INSERT INTO api_keys (key_hash, prefix, role, label, created_at) VALUES (?, ?, ?, ?, ?)",
        [key_hash, prefix, role, label, now_iso()],
    )
    return int(cursor.lastrowid or 0)


def find_api_key(db: Database, key_hash: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT id, prefix, role, label FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        [key_hash],
    ).fetchone()
    if row is None:
        return None
    return {"id": row[0], "prefix": row[1], "role": row[2], "label": row[3]}


def api_key_rows(db: Database) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT id, prefix, role, label, created_at, revoked_at FROM api_keys ORDER BY id"
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def revoke_api_key(db: Database, key_id: int) -> bool:
    cursor = db.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        [now_iso(), key_id],
    )
    return cursor.rowcount > 0


# --- audit -----------------------------------------------------------------------------------


def audit(db: Database, *, actor: str, action: str, target: str, details: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
        [now_iso(), actor, action, target, json.dumps(details, ensure_ascii=False, sort_keys=True)],
    )


# --- feeds -----------------------------------------------------------------------------------


def list_entry_states(db: Database, list_name: str) -> dict[tuple[str, str, str], tuple[int, bool]]:
    """Every entry of one list, removed ones too: ``(action, kind, value) → (id, removed)``."""
    cursor = db.execute(
        "SELECT id, action, kind, value, removed_at FROM list_entries WHERE list = ?", [list_name]
    )
    return {
        (action, kind, value): (int(entry_id), removed_at is not None)
        for entry_id, action, kind, value, removed_at in cursor
    }


def record_feed_import(
    db: Database,
    *,
    name: str,
    format: str,
    source: str,
    action: str,
    imported_at: str,
    entries: int,
    added: int,
    removed: int,
    skipped: int,
) -> None:
    """Create or replace the ``feeds`` row describing a feed's latest import."""
    db.execute(
        "INSERT INTO feeds (name, format, source, action, imported_at, entries, added, removed,"
        " skipped) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET"
        " format = excluded.format, source = excluded.source, action = excluded.action,"
        " imported_at = excluded.imported_at, entries = excluded.entries,"
        " added = excluded.added, removed = excluded.removed, skipped = excluded.skipped",
        [name, format, source, action, imported_at, entries, added, removed, skipped],
    )


def feed_rows(db: Database) -> list[dict[str, Any]]:
    """Every imported feed with its latest import's figures, by name."""
    cursor = db.execute(
        "SELECT name, format, source, action, imported_at, entries, added, removed, skipped"
        " FROM feeds ORDER BY name"
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]
