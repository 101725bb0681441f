"""The schema, only ever changed by adding a migration at the end of this file."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("fakewatch")


@migrations()
def m001_keys_lists_feeds(db: Database) -> None:
    db.table("api_keys").create(
        {
            "id": int,
            "key_hash": str,
            "prefix": str,
            "role": str,
            "label": str,
            "created_at": str,
            "revoked_at": str,
        },
        pk="id",
        not_null={"key_hash", "prefix", "role", "created_at"},
    )
    db.table("api_keys").create_index(["key_hash"], unique=True)

    db.table("list_entries").create(
        {
            "id": int,
            "list": str,
            "action": str,
            "kind": str,
            "value": str,
            "source": str,
            "added_at": str,
            "seen_at": str,
            "removed_at": str,
            "reference": str,
            "note": str,
        },
        pk="id",
        not_null={"list", "action", "kind", "value", "source", "added_at", "seen_at"},
    )
    db.table("list_entries").create_index(["list", "action", "kind", "value"], unique=True)
    db.table("list_entries").create_index(["value"])

    db.table("feeds").create(
        {
            "name": str,
            "format": str,
            "source": str,
            "action": str,
            "imported_at": str,
            "entries": int,
            "added": int,
            "removed": int,
            "skipped": int,
        },
        pk="name",
    )

    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "lists_version", "value": "0"})

    db.table("audit_log").create(
        {"id": int, "at": str, "actor": str, "action": str, "target": str, "details": str},
        pk="id",
        not_null={"at", "actor", "action"},
    )


@migrations()
def m005_relay(db: Database) -> None:
    """Extension → Telegram relay: one-time link codes, relay tokens, queued items."""
    db.table("relay_codes").create(
        {
            "id": int,
            "code_hash": str,
            "chat_id": int,
            "created_at": str,
            "expires_at": str,
            "used_at": str,
        },
        pk="id",
        not_null={"code_hash", "chat_id", "created_at", "expires_at"},
    )
    db.table("relay_codes").create_index(["code_hash"])
    db.table("relay_tokens").create(
        {
            "id": int,
            "token_hash": str,
            "chat_id": int,
            "label": str,
            "created_at": str,
            "last_used_at": str,
            "revoked_at": str,
        },
        pk="id",
        not_null={"token_hash", "chat_id", "created_at"},
    )
    db.table("relay_tokens").create_index(["token_hash"], unique=True)
    db.table("relay_items").create(
        {
            "id": int,
            "token_id": int,
            "chat_id": int,
            "kind": str,
            "url": str,
            "page_url": str,
            "verdict": str,
            "summary": str,
            "verdict_url": str,
            "created_at": str,
            "delivered_at": str,
        },
        pk="id",
        not_null={"token_id", "chat_id", "kind", "created_at"},
    )
    db.table("relay_items").create_index(["delivered_at", "id"])
    db.table("relay_items").create_index(["token_id", "created_at"])


@migrations()
def m004_persons(db: Database) -> None:
    """Protected persons: the record, every revision of it, and face embeddings (no photos)."""
    db.execute(
        "CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " aliases TEXT NOT NULL DEFAULT '[]', description TEXT NOT NULL DEFAULT '',"
        " official_domains TEXT NOT NULL DEFAULT '[]', official_accounts TEXT NOT NULL DEFAULT '[]',"
        " never TEXT NOT NULL DEFAULT '[]', revision INTEGER NOT NULL DEFAULT 1,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, retired_at TEXT)"
    )
    # Every create, edit, retirement and enrolment appends the whole record as it became, so
    # an edit or a retirement never loses what was there before.
    db.execute(
        "CREATE TABLE person_revisions (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL"
        " REFERENCES persons(id), revision INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, record TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX person_revisions_person ON person_revisions (person_id, revision)")
    db.execute(
        "CREATE TABLE person_faces (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL"
        " REFERENCES persons(id), model TEXT NOT NULL, embedding BLOB NOT NULL,"
        " photo_sha256 TEXT NOT NULL, face_pixels INTEGER NOT NULL, created_at TEXT NOT NULL,"
        " actor TEXT NOT NULL, removed_at TEXT)"
    )
    db.execute("CREATE INDEX person_faces_person ON person_faces (person_id)")
    db.execute("INSERT INTO meta (key, value) VALUES ('persons_version', '0')")
