"""Appeals: a site owner or a person named in a report disputes a case. SQL and rules.

The appellant gets a token once (stored hashed) to follow the appeal; moderators answer by
the due date (``FAKEWATCH_APPEAL_DUE_DAYS``). Upholding an appeal takes the case down: a
confirmed case is retired (off the blocklist / bank), an open one rejected.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from server.community import store
from server.errors import said
from server.storage import queries

#: Who appeals: the site's owner, the person a case names, or a visitor who thinks the
#: warning they saw is a mistake (the extension's "This is a mistake" button).
ROLES = ("site_owner", "named_person", "visitor")
DECISIONS = ("upheld", "dismissed")
APPEAL_STATUS = {
    "upheld": {"en": "upheld", "zh": "已支持"},
    "dismissed": {"en": "dismissed", "zh": "已驳回"},
}
APPEALABLE = ("pending", "quarantined", "confirmed")
#: What a caller without a moderator key may appeal: only what the public already sees
#: (``/r/c<id>`` opens confirmed cases, and warnings name them). Anything else answers as
#: an unknown id does, so an appeal never tells whether a case exists or how it stands.
PUBLIC_APPEALABLE = ("confirmed",)


class NotAppealable(LookupError):
    """No case a caller without a moderator key may appeal (unknown id or not confirmed)."""


PUBLIC_COLUMNS = "id, case_id, role, status, created_at, due_at, decided_at, note"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    db: Database,
    case_id: int,
    role: str,
    contact: str | None,
    reason: str,
    token: str,
    days: int,
    *,
    moderator: bool = False,
) -> dict[str, Any]:
    """File an appeal. A moderator (``moderator=True``) is told an unknown id
    (``LookupError``) from a case with nothing to appeal (``CaseStateError``); anyone else
    gets ``NotAppealable`` for both, and for any case that is not confirmed."""
    case = store.case_row(db, case_id)
    if not moderator and (case is None or case["status"] not in PUBLIC_APPEALABLE):
        raise NotAppealable(case_id)
    if case is None:
        raise LookupError(case_id)
    if case["status"] not in APPEALABLE:
        raise store.CaseStateError(
            said("case_nothing_to_appeal", id=case_id, status=store.status_words(case["status"]))
        )
    now = datetime.now(UTC)
    due = (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cursor = db.execute(
        "INSERT INTO appeals (case_id, token_hash, role, contact, reason, status, created_at,"
        " due_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
        [case_id, token_hash(token), role, contact, reason, queries.now_iso(), due],
    )
    appeal_id = int(cursor.lastrowid or 0)
    queries.audit(
        db,
        actor="appellant",
        action="appeal.create",
        target=f"case:{case_id}",
        details={"appeal": appeal_id, "role": role},
    )
    return {"id": appeal_id, "case_id": case_id, "status": "open", "due_at": due}


def public_row(db: Database, appeal_id: int, token: str | None) -> dict[str, Any] | None:
    """The appeal as its appellant sees it; ``token=None`` for moderators."""
    sql = f"SELECT {PUBLIC_COLUMNS}, token_hash FROM appeals WHERE id = ?"  # noqa: S608
    cursor = db.execute(sql, [appeal_id])
    row = cursor.fetchone()
    if row is None:
        return None
    columns = [c[0] for c in cursor.description]
    found = dict(zip(columns, row, strict=True))
    stored = found.pop("token_hash")
    if token is not None and token_hash(token) != stored:
        return None
    return found


def queue(db: Database, status: str, limit: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT id, case_id, role, contact, reason, status, created_at, due_at, decided_at, note"
        " FROM appeals WHERE status = ? ORDER BY due_at, id LIMIT ?",
        [status, limit],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT id, role, reason, status, due_at FROM appeals WHERE case_id = ? ORDER BY id",
        [case_id],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def decide(db: Database, appeal_id: int, decision: str, *, actor: str, note: str) -> dict[str, Any]:
    row = db.execute("SELECT case_id, status FROM appeals WHERE id = ?", [appeal_id]).fetchone()
    if row is None:
        raise LookupError(appeal_id)
    case_id, status = int(row[0]), row[1]
    if status != "open":
        raise store.CaseStateError(
            said("appeal_already", id=appeal_id, status=APPEAL_STATUS.get(status, status))
        )
    case_change = None
    if decision == "upheld":
        case = store.case_row(db, case_id)
        assert case is not None
        if case["status"] == "confirmed":
            case_change = store.decide(
                db, case_id, "retire", actor=actor, note=f"appeal {appeal_id}: {note}"
            )
        elif case["status"] in ("pending", "quarantined"):
            case_change = store.decide(
                db, case_id, "reject", actor=actor, note=f"appeal {appeal_id}: {note}"
            )
    db.execute(
        "UPDATE appeals SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ?",
        [decision, queries.now_iso(), actor, note, appeal_id],
    )
    queries.audit(
        db,
        actor=actor,
        action=f"appeal.{decision}",
        target=f"case:{case_id}",
        details={"appeal": appeal_id, "note": note},
    )
    return {"id": appeal_id, "status": decision, "case_id": case_id, "case": case_change}
