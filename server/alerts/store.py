"""SQL for webhook subscribers."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from server.storage import queries


def add_webhook(db: Database, url: str, secret: str) -> int:
    """A new subscriber starts after the newest alert: it hears about what is confirmed next."""
    latest = db.execute("SELECT COALESCE(MAX(id), 0) FROM alerts").fetchone()[0]
    cursor = db.execute(
        "INSERT INTO webhooks (url, secret, created_at, cursor) VALUES (?, ?, ?, ?)",
        [url, secret, queries.now_iso(), latest],
    )
    return int(cursor.lastrowid or 0)


def webhook_rows(db: Database) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT id, url, created_at, cursor, failures, last_error FROM webhooks"
        " WHERE revoked_at IS NULL ORDER BY id"
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def active_webhooks(db: Database) -> list[tuple[int, str, str, int]]:
    rows = db.execute(
        "SELECT id, url, secret, cursor FROM webhooks WHERE revoked_at IS NULL"
    ).fetchall()
    return [(int(i), str(u), str(s), int(c)) for i, u, s, c in rows]


def revoke_webhook(db: Database, webhook_id: int) -> bool:
    cursor = db.execute(
        "UPDATE webhooks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        [queries.now_iso(), webhook_id],
    )
    return cursor.rowcount > 0


def pending_for(db: Database, cursor: int, limit: int) -> list[tuple[int, str]]:
    rows = db.execute(
        "SELECT id, payload FROM alerts WHERE id > ? AND key_id IS NULL ORDER BY id LIMIT ?",
        [cursor, limit],
    ).fetchall()
    return [(int(i), str(p)) for i, p in rows]


def advance(db: Database, webhook_id: int, cursor: int) -> None:
    db.execute(
        "UPDATE webhooks SET cursor = MAX(cursor, ?), failures = 0, last_error = NULL WHERE id = ?",
        [cursor, webhook_id],
    )


def failed(db: Database, webhook_id: int, error: str) -> None:
    db.execute(
        "UPDATE webhooks SET failures = failures + 1, last_error = ? WHERE id = ?",
        [error[:200], webhook_id],
    )
