"""The extension-to-Telegram relay: one-time link codes, relay tokens and queued items.

How a stranger is kept out of someone's chat:

- Only the bot (a ``moderator`` key) can create a code, and it shows the code only in the
  private chat it is for. A code is 40 random bits, one-time, valid ``CODE_TTL_S`` seconds,
  and stored as a hash; wrong guesses are throttled per caller.
- Redeeming a code (any ``client`` key: the extension) returns a relay token, 256 random bits,
  stored as a hash and bound to that chat. Whoever holds it may queue items for that chat and
  nothing else; the chat is told when a browser links, so a surprise link is noticed, and
  ``/unlink`` revokes every token of the chat.
- Items are capped per token per hour and per chat while undelivered; only the bot (moderator)
  reads the queue and marks items delivered. Items expire after ``ITEM_TTL_S``.
- An item carries only the server's judgement: its verdict, summary, details page and reasons
  (``REASON_FIELDS``, ``m011``), never what the client claimed.

SQL for these tables lives here rather than in ``storage/queries.py``: it is this feature's
own door to its own tables (``m005_relay``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

#: Long enough to type from a phone, short enough to expire before guessing could pay off.
CODE_TTL_S = 600
#: Crockford's base32 without look-alikes (no I, L, O, U): 8 symbols = 40 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_SYMBOLS = 8
TOKEN_PREFIX = "fwr_"  # noqa: S105 (a prefix, not a secret)
#: Items a browser may queue per hour: sharing with family, not a broadcast channel.
ITEMS_PER_TOKEN_PER_HOUR = 60
#: Undelivered items a chat may hold (the bot down for a while, not a backlog of spam).
MAX_PENDING_PER_CHAT = 50
ITEM_TTL_S = 86_400
ITEM_KINDS = ("link", "image", "linked")
VERDICTS = ("likely_scam", "suspicious", "no_known_signals", "unknown")
#: What a queued item keeps of each reason the server judged it with (``m011``): what a chat
#: is shown (the sentence) and what picks its headline (role and weight), not the evidence's
#: details (the details page has those).
REASON_FIELDS = ("detector", "code", "message", "role", "weight")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_code() -> str:
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_SYMBOLS))
    return f"{symbols[:4]}-{symbols[4:]}"


def normalize_code(raw: str) -> str:
    """What a person types: any case, spaces or dashes, ``O``/``I``/``L`` for 0/1/1."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == CODE_SYMBOLS else cleaned


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


# --- SQL --------------------------------------------------------------------------------------


def create_code(db: Database, chat_id: int) -> tuple[str, str]:
    """A fresh code for ``chat_id`` (earlier unused codes of the chat stop working)."""
    now = _now()
    db.execute(
        "UPDATE relay_codes SET used_at = ? WHERE chat_id = ? AND used_at IS NULL",
        [_iso(now), chat_id],
    )
    code = new_code()
    expires = _iso(now + timedelta(seconds=CODE_TTL_S))
    db.execute(
        "INSERT INTO relay_codes (code_hash, chat_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        [digest(code), chat_id, _iso(now), expires],
    )
    return code, expires


def redeem_code(db: Database, code: str, label: str) -> tuple[int, str] | None:
    """Spend a code: ``(token id, token)`` for its chat, or ``None`` if unknown/used/expired."""
    now = _iso(_now())
    row = db.execute(
        "SELECT id, chat_id FROM relay_codes WHERE code_hash = ? AND used_at IS NULL"
        " AND expires_at > ?",
        [digest(normalize_code(code)), now],
    ).fetchone()
    if row is None:
        return None
    code_id, chat_id = int(row[0]), int(row[1])
    db.execute("UPDATE relay_codes SET used_at = ? WHERE id = ?", [now, code_id])
    token = new_token()
    cursor = db.execute(
        "INSERT INTO relay_tokens (token_hash, chat_id, label, created_at) VALUES (?, ?, ?, ?)",
        [digest(token), chat_id, label, now],
    )
    token_id = int(cursor.lastrowid or 0)
    db.execute(
        "INSERT INTO relay_items (token_id, chat_id, kind, url, verdict, summary, created_at)"
        " VALUES (?, ?, 'linked', '', 'unknown', ?, ?)",
        [token_id, chat_id, label, now],
    )
    return token_id, token


def token_owner(db: Database, token: str) -> tuple[int, int] | None:
    """``(token id, chat id)`` for a live token."""
    row = db.execute(
        "SELECT id, chat_id FROM relay_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        [digest(token)],
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def revoke_token(db: Database, token: str) -> bool:
    cursor = db.execute(
        "UPDATE relay_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        [_iso(_now()), digest(token)],
    )
    return cursor.rowcount > 0


def revoke_chat(db: Database, chat_id: int) -> int:
    """Revoke every token of a chat and drop its undelivered items; returns tokens revoked."""
    now = _iso(_now())
    cursor = db.execute(
        "UPDATE relay_tokens SET revoked_at = ? WHERE chat_id = ? AND revoked_at IS NULL",
        [now, chat_id],
    )
    db.execute(
        "UPDATE relay_items SET delivered_at = ? WHERE chat_id = ? AND delivered_at IS NULL",
        [now, chat_id],
    )
    db.execute(
        "UPDATE relay_codes SET used_at = ? WHERE chat_id = ? AND used_at IS NULL", [now, chat_id]
    )
    return cursor.rowcount


def queue_limits_reached(db: Database, token_id: int, chat_id: int) -> str | None:
    """Why this token may not queue another item now, or ``None``."""
    hour_ago = _iso(_now() - timedelta(hours=1))
    (recent,) = db.execute(
        "SELECT COUNT(*) FROM relay_items WHERE token_id = ? AND kind != 'linked'"
        " AND created_at > ?",
        [token_id, hour_ago],
    ).fetchone()
    if recent >= ITEMS_PER_TOKEN_PER_HOUR:
        return f"At most {ITEMS_PER_TOKEN_PER_HOUR} items per hour from one browser."
    (pending,) = db.execute(
        "SELECT COUNT(*) FROM relay_items WHERE chat_id = ? AND delivered_at IS NULL",
        [chat_id],
    ).fetchone()
    if pending >= MAX_PENDING_PER_CHAT:
        return "This chat already has many items waiting; try again later."
    return None


def stored_reasons(reasons: Any) -> str | None:
    """The server's reasons as the queue keeps them (JSON), ``None`` when it judged nothing."""
    if not isinstance(reasons, list):
        return None
    kept = [
        {name: reason.get(name) for name in REASON_FIELDS}
        for reason in reasons
        if isinstance(reason, dict)
    ]
    return json.dumps(kept, ensure_ascii=False)


def queue_item(db: Database, *, token_id: int, chat_id: int, item: dict[str, Any]) -> int:
    """Queue ``item``: its ``reasons`` must be the server's own judgement (or absent)."""
    db.execute("UPDATE relay_tokens SET last_used_at = ? WHERE id = ?", [_iso(_now()), token_id])
    cursor = db.execute(
        "INSERT INTO relay_items (token_id, chat_id, kind, url, page_url, verdict, summary,"
        " verdict_url, reasons, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            token_id,
            chat_id,
            item["kind"],
            item["url"],
            item.get("page_url"),
            item["verdict"],
            item.get("summary", ""),
            item.get("verdict_url"),
            stored_reasons(item.get("reasons")),
            _iso(_now()),
        ],
    )
    return int(cursor.lastrowid or 0)


def pending_items(db: Database, limit: int) -> list[dict[str, Any]]:
    """Undelivered, unexpired items, oldest first (what the bot sends next); ``reasons`` is
    ``None`` for an item the server did not judge or one queued before ``m011``."""
    since = _iso(_now() - timedelta(seconds=ITEM_TTL_S))
    cursor = db.execute(
        "SELECT id, chat_id, kind, url, page_url, verdict, summary, verdict_url, reasons,"
        " created_at FROM relay_items WHERE delivered_at IS NULL AND created_at > ?"
        " ORDER BY id LIMIT ?",
        [since, limit],
    )
    columns = [c[0] for c in cursor.description]
    items = [dict(zip(columns, row, strict=True)) for row in cursor]
    for item in items:
        item["reasons"] = None if item["reasons"] is None else json.loads(item["reasons"])
    return items


def mark_delivered(db: Database, item_id: int) -> bool:
    cursor = db.execute(
        "UPDATE relay_items SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
        [_iso(_now()), item_id],
    )
    return cursor.rowcount > 0
