"""Feedback to the origin: when our moderators confirm or reject an item a peer's feed queued
here (trust ``review``), the decision goes back to that peer, signed, and the peer records it
against its own case.

Sending side: ``decide`` (community store) writes one ``federation_feedback_out`` row per
origin of the case, in the decision's own transaction; ``send_pending`` (the server's
federation loop, or ``fakewatch federation sync``) POSTs each to the peer's
``/v1/federation/feedback`` and marks it sent on a 2xx. A row is resent until then, always
with the same ``id``, so the peer stores it once (idempotent).

Receiving side: ``receive`` accepts an envelope only from a configured peer — the ``key`` it
names must be one we pinned for a peer, and the Ed25519 signature must match it — about one
of our cases whose item is the one the message names. ``(peer, id)`` is unique: a repeated
message is answered ``duplicate`` and changes nothing. Each new one is an audit row on the
case (``federation.feedback.confirm|reject``) and a row moderators see with the case.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlite_utils import Database

from server.federation.feed import FeedSignatureError, private_key, public_key_b64
from server.storage import queries

FORMAT = "fakewatch-feedback/1"
VERDICTS = ("confirm", "reject")
#: A feedback message is a few hundred bytes; anything near this is not one.
MAX_BYTES = 16_384
FEED_PATH = "/v1/federation/feed"
FEEDBACK_PATH = "/v1/federation/feedback"


class UnknownPeer(LookupError):
    """The message is signed by a key no configured peer has."""


class FeedbackInvalid(ValueError):
    """The message is well signed but does not fit one of our cases."""


def feedback_url(peer_url: str) -> str | None:
    """Where a peer takes feedback: its feed URL with ``/feed`` → ``/feedback`` (None for a
    peer read from a file)."""
    parts = urlsplit(peer_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path
    path = path[: -len(FEED_PATH)] if path.endswith(FEED_PATH) else path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path + FEEDBACK_PATH, "", ""))


# --- sending ---------------------------------------------------------------------------------


def queue_for_case(db: Database, case: dict[str, Any], verdict: str) -> int:
    """One outgoing message per peer the case came from (inside the decision's transaction)."""
    # Cases merged into this one count too: the peer's item may have arrived as one of them.
    origins = db.execute(
        "SELECT DISTINCT o.peer, o.origin_case_id FROM federation_origins o"
        " JOIN cases c ON c.id = o.case_id WHERE o.case_id = ? OR c.merged_into = ?",
        [case["id"], case["id"]],
    ).fetchall()
    now = queries.now_iso()
    for peer, origin_case_id in origins:
        db.execute(
            "INSERT INTO federation_feedback_out (peer, case_id, origin_case_id, verdict, kind,"
            " value, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [peer, case["id"], origin_case_id, verdict, case["kind"], case["key"], now],
        )
    return len(origins)


def pending(db: Database, limit: int = 100) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT o.id, o.peer, o.origin_case_id, o.verdict, o.kind, o.value, o.created_at, p.url"
        " FROM federation_feedback_out o JOIN federation_peers p ON p.name = o.peer"
        " WHERE o.sent_at IS NULL ORDER BY o.id LIMIT ?",
        [limit],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def envelope(db: Database, row: dict[str, Any], instance: str) -> bytes:
    """The signed message for one outgoing row (its ``id`` never changes between resends)."""
    key = private_key(db)
    payload = json.dumps(
        {
            "format": FORMAT,
            "instance": instance,
            "id": f"feedback-{row['id']}",
            "case_id": row["origin_case_id"],
            "kind": row["kind"],
            "value": row["value"],
            "verdict": row["verdict"],
            "decided_at": row["created_at"],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return json.dumps(
        {
            "payload": payload,
            "signature": base64.b64encode(key.sign(payload.encode())).decode(),
            "key": public_key_b64(key),
        }
    ).encode()


def mark(db: Database, row_id: int, error: str | None) -> None:
    if error is None:
        db.execute(
            "UPDATE federation_feedback_out SET sent_at = ?, attempts = attempts + 1,"
            " last_error = NULL WHERE id = ?",
            [queries.now_iso(), row_id],
        )
    else:
        db.execute(
            "UPDATE federation_feedback_out SET attempts = attempts + 1, last_error = ?"
            " WHERE id = ?",
            [error[:300], row_id],
        )


# --- receiving -------------------------------------------------------------------------------


def _peer_by_key(db: Database, key_b64: str) -> str:
    row = db.execute(
        "SELECT name FROM federation_peers WHERE key = ? AND key != '' ORDER BY name LIMIT 1",
        [key_b64],
    ).fetchone()
    if row is None:
        raise UnknownPeer(key_b64[:16])
    return str(row[0])


def _verified(raw: bytes) -> tuple[str, str, dict[str, Any]]:
    """(key, payload text, payload) of a well-formed envelope; the signature is checked later,
    against the key only once we know it belongs to a peer."""
    try:
        outer = json.loads(raw)
        payload_text = outer["payload"]
        key_b64 = outer["key"]
        if not isinstance(payload_text, str) or not isinstance(key_b64, str):
            raise TypeError("payload and key must be strings")
        base64.b64decode(outer["signature"], validate=True)
        payload = json.loads(payload_text)
    except (ValueError, KeyError, TypeError) as exc:
        raise FeedSignatureError(
            f"not a FakeWatch feedback message ({type(exc).__name__})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FeedSignatureError(f"unknown feedback format (expected {FORMAT})")
    return key_b64, payload_text, {"outer": outer, **payload}


def _check_signature(key_b64: str, payload_text: str, signature_b64: str) -> None:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), payload_text.encode())
    except (ValueError, InvalidSignature):
        raise FeedSignatureError("the signature does not match the peer's pinned key") from None


def receive(db: Database, raw: bytes) -> dict[str, Any]:
    """Record a peer's feedback on one of our cases (inside a write transaction)."""
    key_b64, payload_text, message = _verified(raw)
    peer = _peer_by_key(db, key_b64)
    _check_signature(key_b64, payload_text, str(message["outer"]["signature"]))
    feedback_id, case_id, verdict = (
        message.get("id"),
        message.get("case_id"),
        message.get("verdict"),
    )
    if not isinstance(feedback_id, str) or not 0 < len(feedback_id) <= 100:
        raise FeedbackInvalid("'id' must be a string of 1 to 100 characters")
    if verdict not in VERDICTS:
        raise FeedbackInvalid(f"'verdict' must be one of {', '.join(VERDICTS)}")
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise FeedbackInvalid("'case_id' must be an integer")
    case = db.execute("SELECT kind, key FROM cases WHERE id = ?", [case_id]).fetchone()
    if case is None or (case[0], case[1]) != (message.get("kind"), message.get("value")):
        raise LookupError(case_id)  # not ours, or not the item the peer means
    decided_at = message.get("decided_at")
    decided = decided_at if isinstance(decided_at, str) and len(decided_at) <= 40 else None
    cursor = db.execute(
        "INSERT OR IGNORE INTO federation_feedback_in (peer, feedback_id, case_id, verdict,"
        " decided_at, received_at) VALUES (?, ?, ?, ?, ?, ?)",
        [peer, feedback_id, case_id, verdict, decided, queries.now_iso()],
    )
    duplicate = cursor.rowcount == 0
    if not duplicate:
        queries.audit(
            db,
            actor=f"peer:{peer}",
            action=f"federation.feedback.{verdict}",
            target=f"case:{case_id}",
            details={"feedback_id": feedback_id, "decided_at": decided},
        )
    return {
        "ok": True,
        "case_id": case_id,
        "peer": peer,
        "verdict": verdict,
        "duplicate": duplicate,
    }


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    """What peers told us about one of our cases, newest first."""
    cursor = db.execute(
        "SELECT peer, verdict, decided_at, received_at FROM federation_feedback_in"
        " WHERE case_id = ? ORDER BY id DESC LIMIT 50",
        [case_id],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]
