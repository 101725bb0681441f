"""Appeals: a site owner or a person named in a report disputes a case. SQL and rules.

The appellant gets a token once (stored hashed) to follow the appeal; moderators answer by
the due date (``FAKEWATCH_APPEAL_DUE_DAYS``). Upholding an appeal takes the case down: a
confirmed case is retired (off the blocklist / bank), an open one rejected.

An appeal's states: ``open`` until a moderator answers it (``upheld`` or ``dismissed``, the
``DECISIONS``), or until its case leaves the states an appeal is about (``APPEALABLE``: it is
retired, rejected or merged by any path): then it is ``closed``, with the reason
(``CLOSE_REASONS``) as its note, the case's decider as ``decided_by`` and an
``appeal.closed`` audit row. An open appeal of such a case is never listed as open.
"""

from __future__ import annotations

import hashlib
import json
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
    "open": {"en": "open", "zh": "待处理"},
    "upheld": {"en": "upheld", "zh": "已支持"},
    "dismissed": {"en": "dismissed", "zh": "已驳回"},
    "closed": {"en": "closed", "zh": "已关闭"},
}
#: The case states an appeal is about; a case that leaves them closes its open appeals.
APPEALABLE = ("pending", "quarantined", "confirmed")
#: Why an appeal was closed unanswered, by the state its case went to. The English sentence is
#: stored as the appeal's note (the appellant reads it on ``GET /v1/appeals/{id}``); the
#: moderator's own note on the case stays in the case's audit log.
CLOSE_REASONS = {
    "retired": {"en": "the case was retired", "zh": "案件已撤销"},
    "rejected": {"en": "the case was rejected", "zh": "案件已驳回"},
    "merged": {"en": "the case was merged into #{into}", "zh": "案件已合并到 #{into}"},
}
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
    if found["status"] == "open":  # its case moved by a path that has not recorded it yet
        case = store.case_row(db, int(found["case_id"]))
        if case is not None and case["status"] in CLOSE_REASONS:
            into = case["merged_into"]
            reason = close_reason(case["status"], None if into is None else int(into))
            found.update(status="closed", decided_at=case["decided_at"], note=reason["en"])
    return found


#: Open appeals whose case is still in a state an appeal is about (index appeals_queue);
#: the one parameter is ``_APPEALABLE_JSON``.
_OPEN_FROM = (
    "FROM appeals a JOIN cases c ON c.id = a.case_id"
    " WHERE a.status = 'open' AND c.status IN (SELECT value FROM json_each(?))"
)
_OPEN_SQL = "SELECT {columns} " + _OPEN_FROM + " ORDER BY a.due_at, a.id LIMIT ?"
_STALE_SQL = (
    "SELECT DISTINCT a.case_id FROM appeals a JOIN cases c ON c.id = a.case_id"
    " WHERE a.status = 'open' AND c.status NOT IN (SELECT value FROM json_each(?))"
)
_APPEALABLE_JSON = json.dumps(APPEALABLE)


def _dicts(cursor: Any) -> list[dict[str, Any]]:
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


def queue(db: Database, status: str, limit: int) -> list[dict[str, Any]]:
    """Appeals in ``status``, soonest due (most overdue) first. ``open`` lists only appeals
    whose case still stands where it was appealed: one retired, rejected or merged meanwhile is
    closed (``close_stale``), never waiting for an answer that can change nothing."""
    columns = (
        "a.id, a.case_id, a.role, a.contact, a.reason, a.status, a.created_at, a.due_at,"
        " a.decided_at, a.note"
    )
    if status == "open":
        return _dicts(db.execute(_OPEN_SQL.format(columns=columns), [_APPEALABLE_JSON, limit]))
    return _dicts(
        db.execute(
            f"SELECT {columns} FROM appeals a WHERE a.status = ?"  # noqa: S608
            " ORDER BY a.due_at, a.id LIMIT ?",
            [status, limit],
        )
    )


def open_with_cases(db: Database, limit: int) -> list[dict[str, Any]]:
    """The moderator page's appeals view: each open appeal with its case's kind, item and
    status (no contact: the page never needs it)."""
    columns = (
        "a.id, a.case_id, a.role, a.reason, a.created_at, a.due_at,"
        " c.kind AS case_kind, c.display AS case_display, c.status AS case_status"
    )
    return _dicts(db.execute(_OPEN_SQL.format(columns=columns), [_APPEALABLE_JSON, limit]))


def open_count(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) " + _OPEN_FROM, [_APPEALABLE_JSON]).fetchone()[0])


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    return _dicts(
        db.execute(
            "SELECT id, role, reason, status, due_at, decided_at, note FROM appeals"
            " WHERE case_id = ? ORDER BY id",
            [case_id],
        )
    )


def close_reason(status: str, merged_into: int | None) -> dict[str, str]:
    """Why an appeal of a case now in ``status`` is closed, in English and Chinese."""
    into = "" if merged_into is None else str(merged_into)
    return {lang: text.format(into=into) for lang, text in CLOSE_REASONS[status].items()}


def reason_words(note: str | None) -> dict[str, str] | None:
    """The closing reason a stored note is (in both languages), or None for a moderator's note."""
    for status, words in CLOSE_REASONS.items():
        into = None
        if "{into}" in words["en"]:
            head = words["en"].split("{into}")[0]
            if note is None or not note.startswith(head) or not note[len(head) :].isdigit():
                continue
            into = int(note[len(head) :])
        elif note != words["en"]:
            continue
        return close_reason(status, into)
    return None


def close_for_case(db: Database, case_id: int, *, actor: str | None = None) -> list[int]:
    """Close the case's open appeals if it has left the states an appeal is about; the ids
    closed. Run inside the write that moved the case, or after it (``close_stale``):
    ``actor`` defaults to whoever decided the case."""
    case = store.case_row(db, case_id)
    if case is None or case["status"] in APPEALABLE or case["status"] not in CLOSE_REASONS:
        return []
    ids = [
        int(r[0])
        for r in db.execute(
            "SELECT id FROM appeals WHERE case_id = ? AND status = 'open' ORDER BY id", [case_id]
        )
    ]
    if not ids:
        return []
    by = actor or case.get("decided_by") or "system"
    merged_into = case.get("merged_into")
    note = close_reason(case["status"], None if merged_into is None else int(merged_into))["en"]
    now = queries.now_iso()
    for appeal_id in ids:
        db.execute(
            "UPDATE appeals SET status = 'closed', decided_at = ?, decided_by = ?, note = ?"
            " WHERE id = ? AND status = 'open'",
            [now, by, note, appeal_id],
        )
        queries.audit(
            db,
            actor=by,
            action="appeal.closed",
            target=f"case:{case_id}",
            details={"appeal": appeal_id, "case_status": case["status"], "reason": note},
        )
    return ids


def close_stale(db: Database) -> list[int]:
    """Close every open appeal whose case has left the states an appeal is about, whichever
    path moved the case (the API's retire, a merge, an upheld sibling appeal)."""
    case_ids = [int(r[0]) for r in db.execute(_STALE_SQL, [_APPEALABLE_JSON])]
    return [appeal for case_id in case_ids for appeal in close_for_case(db, case_id)]


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
    # Upheld, the case is down: the case's other open appeals are closed with it (and any
    # appeal of a case retired, rejected or merged through the API since is recorded closed).
    close_for_case(db, case_id, actor=actor)
    close_stale(db)
    return {"id": appeal_id, "status": decision, "case_id": case_id, "case": case_change}
