"""Feedback to the origin: when our moderators confirm or reject an item a peer's feed queued
here (trust ``review``), the decision goes back to that peer, signed, and the peer records it
against its own case.

Sending side: ``decide`` (community store) writes one ``federation_feedback_out`` row per
peer item the case absorbed (``federation_origin_items``, filled at pull time with the item as
the peer names it: a merge or a media near-match may have put it on a case with another key),
in the decision's own transaction; ``sync.send_feedback`` (the server's federation loop, or
``fakewatch federation sync``) POSTs the due ones to the peer's ``/v1/federation/feedback`` and
marks them sent on a 2xx. A refusal resending cannot change (``PERMANENT_STATUSES``) is given
up on, with an audit row on the case; other failures are retried with a growing delay, always
with the same ``id``, so the peer stores it once (idempotent).

Receiving side (``open_signed``, ``peer_for_key``, ``fields``, ``record``): an envelope is
accepted only from a configured peer — the ``key`` it names must be one we pinned for a peer,
and the Ed25519 signature must match it — about one of our cases whose item is the one the
message names. ``(peer, id)`` is unique: a repeated
message is answered ``duplicate`` and changes nothing. Each new one is an audit row on the
case (``federation.feedback.confirm|reject``) and a row moderators see with the case.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    """One outgoing message per peer item the case absorbed (inside the decision's
    transaction), naming the item as the peer sent it: a merge or a media near-match may have
    put it on a case with another key, and the peer checks its own."""
    # Cases merged into this one (at any depth) count too: the item may have arrived on one.
    origins = db.execute(
        "WITH RECURSIVE absorbed(id) AS (SELECT ? UNION"
        " SELECT c.id FROM cases c JOIN absorbed a ON c.merged_into = a.id)"
        " SELECT o.peer, o.origin_case_id, o.kind, o.value FROM federation_origin_items o"
        " JOIN absorbed a ON a.id = o.case_id JOIN federation_peers p ON p.name = o.peer"
        # A peer read from a file has no endpoint to tell: nothing to queue.
        " WHERE p.url LIKE 'http://%' OR p.url LIKE 'https://%'"
        " ORDER BY o.peer, o.origin_case_id",
        [case["id"]],
    ).fetchall()
    now = queries.now_iso()
    for peer, origin_case_id, kind, value in origins:
        db.execute(
            "INSERT INTO federation_feedback_out (peer, case_id, origin_case_id, verdict, kind,"
            " value, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [peer, case["id"], origin_case_id, verdict, kind, value, now],
        )
    return len(origins)


def remember_origin(
    db: Database, case_id: int, peer: str, origin_case_id: int, kind: str, value: str
) -> None:
    """Which peer item (as the peer names it) landed on our case ``case_id`` (at pull time)."""
    db.execute(
        "INSERT OR IGNORE INTO federation_origin_items (case_id, peer, origin_case_id, kind,"
        " value) VALUES (?, ?, ?, ?, ?)",
        [case_id, peer, origin_case_id, kind, value],
    )


#: Answers that will be the same however often the message is resent: the peer does not take
#: it (malformed, unknown key, no such case or item). Anything else (5xx, 401 before the peer
#: pins our key, 429, the network) is retried later.
PERMANENT_STATUSES = frozenset({400, 403, 404, 409, 422})
#: Retry after 1 min, 2, 4 ... at most 6 h between attempts.
RETRY_FIRST_S = 60
RETRY_MAX_S = 6 * 3600


def retry_delay_s(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed ones."""
    return int(min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** min(max(attempts - 1, 0), 20)))


def pending(db: Database, limit: int = 100, now: str | None = None) -> list[dict[str, Any]]:
    """Unsent rows that are due: not given up, and past their retry time."""
    cursor = db.execute(
        "SELECT o.id, o.peer, o.case_id, o.origin_case_id, o.verdict, o.kind, o.value,"
        " o.created_at, o.attempts, p.url"
        " FROM federation_feedback_out o JOIN federation_peers p ON p.name = o.peer"
        " WHERE o.sent_at IS NULL AND o.gave_up_at IS NULL"
        " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) ORDER BY o.id LIMIT ?",
        [now or queries.now_iso(), limit],
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


def mark(db: Database, row: dict[str, Any], error: str | None, *, permanent: bool = False) -> None:
    """Record one delivery attempt: sent, to be retried later (backoff), or given up on
    (``permanent``: with an audit row on our case, so a moderator can see why)."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if error is None:
        db.execute(
            "UPDATE federation_feedback_out SET sent_at = ?, attempts = attempts + 1,"
            " last_error = NULL, next_attempt_at = NULL WHERE id = ?",
            [stamp, row["id"]],
        )
    elif permanent:
        db.execute(
            "UPDATE federation_feedback_out SET attempts = attempts + 1, last_error = ?,"
            " gave_up_at = ? WHERE id = ?",
            [error[:300], stamp, row["id"]],
        )
        queries.audit(
            db,
            actor="system",
            action="federation.feedback.gave_up",
            target=f"case:{row['case_id']}",
            details={"peer": row["peer"], "feedback_id": f"feedback-{row['id']}", "error": error},
        )
    else:
        attempts = int(row.get("attempts") or 0) + 1
        due = now + timedelta(seconds=retry_delay_s(attempts))
        db.execute(
            "UPDATE federation_feedback_out SET attempts = attempts + 1, last_error = ?,"
            " next_attempt_at = ? WHERE id = ?",
            [error[:300], due.strftime("%Y-%m-%dT%H:%M:%SZ"), row["id"]],
        )


def back_off_peer(db: Database, row: dict[str, Any], error: str) -> None:
    """After ``row`` failed for a reason that is not permanent, its peer's other due rows wait
    as long as it does (one UPDATE): otherwise a dead peer's queue fills every round's page and
    the rows of live peers behind it are never fetched. They were not tried: attempts stay."""
    now = datetime.now(UTC)
    attempts = int(row.get("attempts") or 0) + 1
    due = now + timedelta(seconds=retry_delay_s(attempts))
    db.execute(
        "UPDATE federation_feedback_out SET last_error = ?, next_attempt_at = ?"
        " WHERE peer = ? AND id != ? AND sent_at IS NULL AND gave_up_at IS NULL"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
        [
            error[:300],
            due.strftime("%Y-%m-%dT%H:%M:%SZ"),
            row["peer"],
            row["id"],
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ],
    )


# --- receiving -------------------------------------------------------------------------------


def peer_for_key(db: Database, key_b64: str) -> str:
    """The configured peer that pinned ``key_b64``; ``UnknownPeer`` if none did."""
    row = db.execute(
        "SELECT name FROM federation_peers WHERE key = ? AND key != '' ORDER BY name LIMIT 1",
        [key_b64],
    ).fetchone()
    if row is None:
        raise UnknownPeer(key_b64[:16])
    return str(row[0])


@dataclass(frozen=True, slots=True)
class Message:
    """A feedback message whose signature matches the key it names (whose key that is, is
    for ``peer_for_key``)."""

    key: str
    feedback_id: str
    case_id: int
    kind: object
    value: object
    verdict: str
    decided_at: str | None


def open_signed(raw: bytes) -> tuple[str, dict[str, Any]]:
    """(key, payload) of a message whose signature matches the key it names, touching no
    database (pure CPU, small); ``FeedSignatureError`` for a malformed or forged one."""
    try:
        outer = json.loads(raw)
        payload_text, key_b64, signature = outer["payload"], outer["key"], outer["signature"]
        if not all(isinstance(v, str) for v in (payload_text, key_b64, signature)):
            raise TypeError("payload, key and signature must be strings")
        payload = json.loads(payload_text)
    # RecursionError: JSON nested deeper than the parser goes (16 KB of "[").
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise FeedSignatureError(
            f"not a FakeWatch feedback message ({type(exc).__name__})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise FeedSignatureError(f"unknown feedback format (expected {FORMAT})")
    _check_signature(key_b64, payload_text, signature)
    return key_b64, payload


def fields(key_b64: str, payload: dict[str, Any]) -> Message:
    """The message's fields; ``FeedbackInvalid`` for a signed message that is not usable."""
    feedback_id, case_id, verdict = (
        payload.get("id"),
        payload.get("case_id"),
        payload.get("verdict"),
    )
    if not isinstance(feedback_id, str) or not 0 < len(feedback_id) <= 100:
        raise FeedbackInvalid("'id' must be a string of 1 to 100 characters")
    if verdict not in VERDICTS:
        raise FeedbackInvalid(f"'verdict' must be one of {', '.join(VERDICTS)}")
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise FeedbackInvalid("'case_id' must be an integer")
    for name in ("id", "kind", "value", "decided_at"):
        if not _utf8(payload.get(name)):
            # A lone surrogate ("\udc00") parses as JSON but cannot be stored.
            raise FeedbackInvalid(f"'{name}' must be text that can be written as UTF-8")
    decided_at = payload.get("decided_at")
    return Message(
        key=key_b64,
        feedback_id=feedback_id,
        case_id=case_id,
        kind=payload.get("kind"),
        value=payload.get("value"),
        verdict=str(verdict),
        decided_at=decided_at if isinstance(decided_at, str) and len(decided_at) <= 40 else None,
    )


def _utf8(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_signature(key_b64: str, payload_text: str, signature_b64: str) -> None:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), payload_text.encode())
    except (ValueError, InvalidSignature):
        raise FeedSignatureError("the signature does not match the peer's pinned key") from None


def record(db: Database, peer: str, message: Message) -> dict[str, Any]:
    """Store a verified message from ``peer`` on our case, once (inside a write transaction);
    ``LookupError`` when the case is not ours or is not the item the peer names."""
    case = db.execute("SELECT kind, key FROM cases WHERE id = ?", [message.case_id]).fetchone()
    if case is None or (case[0], case[1]) != (message.kind, message.value):
        raise LookupError(message.case_id)
    cursor = db.execute(
        "INSERT OR IGNORE INTO federation_feedback_in (peer, feedback_id, case_id, verdict,"
        " decided_at, received_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            peer,
            message.feedback_id,
            message.case_id,
            message.verdict,
            message.decided_at,
            queries.now_iso(),
        ],
    )
    duplicate = cursor.rowcount == 0
    if not duplicate:
        queries.audit(
            db,
            actor=f"peer:{peer}",
            action=f"federation.feedback.{message.verdict}",
            target=f"case:{message.case_id}",
            details={"feedback_id": message.feedback_id, "decided_at": message.decided_at},
        )
    return {
        "ok": True,
        "case_id": message.case_id,
        "peer": peer,
        "verdict": message.verdict,
        "duplicate": duplicate,
    }


def receive(db: Database, raw: bytes) -> dict[str, Any]:
    """``open_signed``, ``peer_for_key``, ``fields`` and ``record`` in one go (the API splits them so only the
    insert takes the writer)."""
    key_b64, payload = open_signed(raw)
    peer = peer_for_key(db, key_b64)
    return record(db, peer, fields(key_b64, payload))


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    """What peers told us about one of our cases, newest first."""
    cursor = db.execute(
        "SELECT peer, verdict, decided_at, received_at FROM federation_feedback_in"
        " WHERE case_id = ? ORDER BY id DESC LIMIT 50",
        [case_id],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]
