"""The federation feed: confirmed items (domains, exact URLs, text-template hashes, phone
numbers, wallets, PDQ/pHash hex) as a versioned, signed list of changes.

Every confirm adds an ``add`` row to ``federation_feed``, every retire/reject of a confirmed
case a ``remove`` row; the row id is the version. ``GET /v1/federation/feed?since=V`` returns
the changes after V in an envelope ``{"payload": "<JSON text>", "signature": "<base64>",
"key": "<base64 public key>"}``: the signature is Ed25519 over the payload's UTF-8 bytes, made
with this instance's key (created on first use, kept in ``meta``). A peer pins the public key
(``fakewatch federation pull --key``), so a tampered or substituted feed is refused. Media
hashes are PDQ/pHash hex, the form ThreatExchange/HMA exchange.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

FORMAT = "fakewatch-federation/1"
PAGE = 5000
_KEY = "federation_private_key"


class FeedSignatureError(ValueError):
    """The envelope is malformed or its signature does not match the pinned key."""


def private_key(db: Database) -> Ed25519PrivateKey:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_KEY]).fetchone()
    if row:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(row[0]))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw().hex()
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [_KEY, raw])
    return private_key(db)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes_raw()).decode()


def changes(db: Database, since: int, limit: int = PAGE) -> tuple[list[dict[str, Any]], int]:
    """Changes after ``since`` and the latest version overall."""
    cursor = db.execute(
        "SELECT version, op, kind, value, case_id, category, at FROM federation_feed"
        " WHERE version > ? ORDER BY version LIMIT ?",
        [since, limit],
    )
    columns = [c[0] for c in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor]
    return rows, latest_version(db)


def latest_version(db: Database) -> int:
    row = db.execute("SELECT COALESCE(MAX(version), 0) FROM federation_feed").fetchone()
    return int(row[0])


def envelope(db: Database, since: int, instance: str) -> dict[str, str]:
    """The signed page of changes after ``since`` (call inside a write: it may create the key)."""
    key = private_key(db)
    rows, latest = changes(db, since)
    return sign_page(key, rows, latest, since, instance)


def sign_page(
    key: Ed25519PrivateKey, rows: list[dict[str, Any]], latest: int, since: int, instance: str
) -> dict[str, str]:
    """The signed page of ``rows``, the changes after ``since`` (``changes``)."""
    payload = json.dumps(
        {
            "format": FORMAT,
            "instance": instance,
            "since": since,
            "version": rows[-1]["version"] if rows else max(since, 0),
            "latest": latest,
            "more": bool(rows) and rows[-1]["version"] < latest,
            "changes": rows,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    signature = key.sign(payload.encode())
    return {
        "payload": payload,
        "signature": base64.b64encode(signature).decode(),
        "key": public_key_b64(key),
    }


def open_envelope(raw: bytes, pinned_key_b64: str) -> dict[str, Any]:
    """Verify an envelope against the pinned public key and return its payload;
    ``FeedSignatureError`` for anything else (malformed, forged, nested too deep, a page whose
    ``version`` is not a number), so one broken peer is reported, not a crash of the round."""
    try:
        outer = json.loads(raw)
        payload = outer["payload"]
        if not isinstance(payload, str):
            raise TypeError("payload must be a string")
        signature = base64.b64decode(outer["signature"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(pinned_key_b64, validate=True))
        public.verify(signature, payload.encode())
    except InvalidSignature:
        raise FeedSignatureError("the signature does not match the peer's pinned key") from None
    # RecursionError: JSON nested deeper than the parser goes (b"[" * 20000).
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise FeedSignatureError(
            f"not a FakeWatch federation feed ({type(exc).__name__})"
        ) from None
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise FeedSignatureError(f"the signed page is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FeedSignatureError(f"unknown feed format (expected {FORMAT})")
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise FeedSignatureError("the signed page's 'version' is not an integer")
    changes = data.get("changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise FeedSignatureError("the signed page's 'changes' is not a list of objects")
    if len(changes) > PAGE:
        # A page is applied in one write transaction: a peer may not hold our database's
        # writer for longer than our own pages would.
        raise FeedSignatureError(
            f"the signed page holds {len(changes):,} changes; a page holds at most {PAGE:,}"
        )
    return data
