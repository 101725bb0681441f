"""SQL for reports, cases, moderation and alerts, as plain functions over a
``sqlite_utils.Database``. Writers run inside ``Database.write`` (one transaction each)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from server.community.items import (
    URGENT_CATEGORIES,
    CaseKey,
    Category,
    ItemKind,
    media_value,
    near_media,
)
from server.community.kept_media import KeptMedia
from server.community.reputation import (
    KEY_REPORTERS_PER_CASE,
    NEW_REPORTER_WEIGHT,
    BrigadeRule,
    Track,
)
from server.federation import feedback
from server.keys import without_key_prefixes
from server.lists import Action, EntryKind
from server.media.bank import Status as BankStatus
from server.media.hashing import HashKind, RegionHash
from server.storage import known_fakes, queries

log = logging.getLogger("fakewatch.reports")

COMMUNITY_LIST = "community"
COMMUNITY_ALLOW_LIST = "community-allow"


class CaseStateError(Exception):
    """A moderator action that the case's status does not allow (confirming a confirmed case)."""


@dataclass(frozen=True, slots=True)
class NewReport:
    """One validated report, ready to be written."""

    item: CaseKey
    reporter: str
    reporter_kind: str
    category: Category
    impersonates: str | None = None
    platform: str | None = None
    seen_url: str | None = None
    description: str | None = None
    keep_media: bool = False
    share_with_authorities: bool = False
    hashes: dict[str, str] | None = None
    media_path: str | None = None
    #: The copy to keep as ``media_path`` (``kept_media.kept_copy``): written only once the
    #: report is stored, inside its transaction.
    media: bytes | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    id: int
    case_id: int
    duplicate: bool
    #: The report's media file is on disk (False: none sent, not kept, or the disk refused).
    media_kept: bool = False


def _rows(db: Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


# --- ingest ----------------------------------------------------------------------------------


def _track(db: Database, reporter: str, kind: str, now: str) -> Track:
    db.execute(
        "INSERT OR IGNORE INTO reporters (id, kind, created_at) VALUES (?, ?, ?)",
        [reporter, kind, now],
    )
    row = db.execute(
        "SELECT kind, confirmed, contested_confirmed, false_reports FROM reporters WHERE id = ?",
        [reporter],
    ).fetchone()
    return Track(row[0], int(row[1]), int(row[2]), int(row[3]))


def _case_for(db: Database, item: CaseKey, report: NewReport, now: str) -> int:
    row = db.execute(
        "SELECT id, merged_into FROM cases WHERE kind = ? AND key = ?", [item.kind, item.key]
    ).fetchone()
    if row is None and item.kind is ItemKind.MEDIA:
        candidates = db.execute(
            "SELECT id, key FROM cases WHERE kind = 'media' AND merged_into IS NULL"
        ).fetchall()
        near = near_media(item.key, [(int(i), str(k)) for i, k in candidates])
        if near is not None:
            row = (near, None)
    if row is None:
        cursor = db.execute(
            "INSERT INTO cases (kind, key, key_hash, display, category, impersonates, status,"
            " urgency, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
            [
                item.kind,
                item.key,
                item.hash,
                item.display,
                report.category,
                report.impersonates,
                1 if report.category in URGENT_CATEGORIES else 0,
                now,
                now,
            ],
        )
        return int(cursor.lastrowid or 0)
    case_id, merged_into = int(row[0]), row[1]
    hops = 0
    while merged_into is not None and hops < 10:  # follow merges to the surviving case
        case_id = int(merged_into)
        merged_into = db.execute(
            "SELECT merged_into FROM cases WHERE id = ?", [case_id]
        ).fetchone()[0]
        hops += 1
    return case_id


#: A case's independent reporters: per source (a client key's id, ``key:12`` for
#: ``key:12:<user>``; any other reporter is its own source), a key's capped.
_INDEPENDENT_SQL = (
    "SELECT COALESCE(SUM(CASE WHEN source LIKE 'key:%' THEN MIN(n, ?) ELSE n END), 0)"
    " FROM (SELECT CASE WHEN reporter LIKE 'key:%' AND instr(substr(reporter, 5), ':') > 0"
    " THEN substr(reporter, 1, 3 + instr(substr(reporter, 5), ':')) ELSE reporter END"
    " AS source, COUNT(*) AS n FROM reports WHERE case_id = ? GROUP BY source)"
)


def _counts_as_independent(db: Database, case_id: int, reporter: str) -> bool:
    """Whether a newly stored report adds an independent reporter to its case: every
    anonymous address and peer does; a client key's users do up to ``KEY_REPORTERS_PER_CASE``
    (the key names its users itself: one key must not make a case look widely reported)."""
    if not reporter.startswith("key:"):
        return True
    source = reporter.split(":", 2)
    prefix = f"key:{source[1]}"
    (same_key,) = db.execute(
        "SELECT COUNT(*) FROM reports WHERE case_id = ?"  # index reports_once
        " AND (reporter = ? OR (reporter > ? AND reporter < ?))",
        [case_id, prefix, prefix + ":", prefix + ";"],
    ).fetchone()
    return int(same_key) <= KEY_REPORTERS_PER_CASE


def independent_reporters(db: Database, case_id: int) -> int:
    """A case's independent reporters, counted as ``_counts_as_independent`` counts them."""
    (total,) = db.execute(_INDEPENDENT_SQL, [KEY_REPORTERS_PER_CASE, case_id]).fetchone()
    return int(total)


def _keep_file(db: Database, kept: KeptMedia | None, report: NewReport, report_id: int) -> bool:
    if report.media is None or report.media_path is None:
        return report.media_path is not None
    if kept is None:
        db.execute("UPDATE reports SET media_path = NULL WHERE id = ?", [report_id])
        return False
    try:
        kept.write(report.media_path, report.media)
    except OSError as exc:  # disk full or read-only: the report counts without its file
        log.warning("report media not kept", extra={"report": report_id, "error": str(exc)})
        db.execute("UPDATE reports SET media_path = NULL WHERE id = ?", [report_id])
        return False
    return True


def _surge(db: Database, case_id: int, rule: BrigadeRule, now: datetime) -> dict[str, int] | None:
    """The case's reports within the brigading window, if they make a surge."""
    since = (now - timedelta(seconds=rule.window_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    total, low = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(weight <= ?), 0) FROM reports"
        " WHERE case_id = ? AND created_at >= ?",  # index reports_case_time
        [NEW_REPORTER_WEIGHT, case_id, since],
    ).fetchone()
    if not rule.is_surge(int(total), int(low)):
        return None
    return {"window_s": rule.window_s, "reports_in_window": int(total), "low_weight": int(low)}


def insert_reports(
    db: Database,
    reports: Sequence[NewReport],
    brigade: BrigadeRule | None = None,
    kept: KeptMedia | None = None,
) -> list[Stored]:
    """Write a batch of reports; each merges into its item's case. A reporter reporting the
    same case again gets its first report back (``duplicate``), nothing is stored twice. A
    pending case on which the batch completes a surge (``brigade``) goes to quarantine. A
    stored report's media copy is written through ``kept`` (the caller rolls ``kept`` back if
    the transaction fails); a duplicate's never is."""
    rule = brigade or BrigadeRule()
    clock = datetime.now(UTC)
    now = clock.strftime("%Y-%m-%dT%H:%M:%SZ")
    surged: set[int] = set()
    stored: list[Stored] = []
    for report in reports:
        track = _track(db, report.reporter, report.reporter_kind, now)
        case_id = _case_for(db, report.item, report, now)
        cursor = db.execute(
            "INSERT OR IGNORE INTO reports (case_id, reporter, created_at, category, impersonates,"
            " platform, seen_url, description, keep_media, share_with_authorities, hashes,"
            " media_path, weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                case_id,
                report.reporter,
                now,
                report.category,
                report.impersonates,
                report.platform,
                report.seen_url,
                report.description,
                int(report.keep_media),
                int(report.share_with_authorities),
                json.dumps(report.hashes) if report.hashes else None,
                report.media_path,
                track.weight,
            ],
        )
        if cursor.rowcount == 0:
            existing = db.execute(
                "SELECT id FROM reports WHERE case_id = ? AND reporter = ?",
                [case_id, report.reporter],
            ).fetchone()
            stored.append(Stored(int(existing[0]), case_id, True))
            continue
        report_id = int(cursor.lastrowid or 0)
        media_kept = _keep_file(db, kept, report, report_id)
        db.execute(
            "UPDATE cases SET reports = reports + 1, reporters = reporters + ?,"
            " new_reporters = new_reporters + ?, reach = reach + ?, last_at = ?,"
            " urgency = MAX(urgency, ?),"
            " impersonates = COALESCE(impersonates, ?) WHERE id = ?",
            [
                int(_counts_as_independent(db, case_id, report.reporter)),
                int(track.is_new),
                track.weight,
                now,
                1 if report.category in URGENT_CATEGORIES else 0,
                report.impersonates,
                case_id,
            ],
        )
        surged.add(case_id)
        stored.append(Stored(report_id, case_id, False, media_kept))
    # Once per case touched by the batch, after all its reports are in.
    for case_id in surged:
        status = db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()[0]
        surge = _surge(db, case_id, rule, clock) if status == "pending" else None
        if surge is not None:
            db.execute(
                "UPDATE cases SET status = 'quarantined', quarantined_at = ? WHERE id = ?",
                [now, case_id],
            )
            queries.audit(
                db,
                actor="system",
                action="case.quarantine",
                target=f"case:{case_id}",
                details=surge,
            )
    return stored


# --- reading cases ---------------------------------------------------------------------------

CASE_COLUMNS = (
    "id, kind, key, display, category, impersonates, status, reports, reporters, reach,"
    " urgency, first_at, last_at, decided_at, decided_by, note, merged_into, quarantined_at,"
    " origin"
)

QUEUE_STATUSES = ("pending", "quarantined", "confirmed", "rejected", "retired", "merged")


def case_rows(db: Database, status: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """One page of a queue, most urgent and widest-reaching first (index ``cases_queue``)."""
    return _rows(
        db,
        f"SELECT {CASE_COLUMNS} FROM cases WHERE status = ?"  # noqa: S608 - fixed column list
        " ORDER BY urgency DESC, reach DESC, id DESC LIMIT ? OFFSET ?",
        [status, limit, offset],
    )


def case_counts(db: Database) -> dict[str, int]:
    return {s: int(n) for s, n in db.execute("SELECT status, COUNT(*) FROM cases GROUP BY status")}


def case_row(db: Database, case_id: int) -> dict[str, Any] | None:
    rows = _rows(db, f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", [case_id])  # noqa: S608
    return rows[0] if rows else None


def case_by_hash(db: Database, key_hash: str) -> dict[str, Any] | None:
    rows = _rows(
        db,
        f"SELECT {CASE_COLUMNS} FROM cases WHERE key_hash = ? AND merged_into IS NULL",  # noqa: S608
        [key_hash],
    )
    return rows[0] if rows else None


def case_evidence(db: Database, case_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """What reporters said, for moderators only (no reporter ids: they are not needed to judge)."""
    return _rows(
        db,
        "SELECT id, created_at, category, impersonates, platform, seen_url, description,"
        " keep_media, share_with_authorities, hashes, weight FROM reports WHERE case_id = ?"
        " ORDER BY weight DESC, id LIMIT ?",
        [case_id, limit],
    )


def report_count(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM reports").fetchone()[0])


# --- moderation ------------------------------------------------------------------------------


def _credit_reporters(db: Database, case_id: int, *, contested: bool) -> None:
    db.execute(
        "UPDATE reporters SET confirmed = confirmed + 1,"
        " contested_confirmed = contested_confirmed + ?"
        " WHERE id IN (SELECT reporter FROM reports WHERE case_id = ?)",
        [int(contested), case_id],
    )


def _list_entry(
    db: Database, case: dict[str, Any], action: Action, list_name: str, actor: str
) -> int:
    kind = EntryKind.URL if case["kind"] == "link" and "/" in case["key"] else EntryKind.DOMAIN
    now = queries.now_iso()
    entry_id, _ = queries.upsert_list_entry(
        db,
        list_name=list_name,
        action=action.value,
        kind=kind.value,
        value=case["key"],
        source=f"community case {case['id']} ({without_key_prefixes(actor)})",
        added_at=now,
        seen_at=now,
        reference=f"case:{case['id']}",
    )
    queries.bump_lists_version(db)
    return entry_id


def _retire_list_entry(db: Database, case: dict[str, Any]) -> None:
    row = db.execute("SELECT list_entry_id FROM cases WHERE id = ?", [case["id"]]).fetchone()
    if row and row[0] is not None and queries.remove_list_entry(db, int(row[0])):
        queries.bump_lists_version(db)


#: Why a confirmed media case keyed by a pHash alone gets no bank entry.
PHASH_ONLY = (
    "not banked: a pHash alone is never matched (the bank needs PDQ, or pHash with dHash, to"
    " keep false matches rare); ask for the picture or its PDQ and report that"
)

#: Quality recorded for a hash a reporter's client computed (we never saw the picture): the
#: bank's own gate (``MIN_PDQ_QUALITY``), so the entry is matched like any other.
REPORTED_HASH_QUALITY = 50


def _bank_media(db: Database, case: dict[str, Any], actor: str) -> int | None:
    """A confirmed media case joins the known-fakes bank (hashes only), traced to the case.
    Its id goes into ``list_entry_id``: for media cases that column holds the bank entry.
    A key that is not a well-formed hash (a case a peer queued before peers' hashes were
    checked) is confirmed without a bank entry rather than put into the bank, and so is one
    keyed by a pHash alone (a client's hashes without PDQ), which the bank could never match."""
    item = media_value(case["key"])
    if item is None:
        log.warning("media case %s has a malformed hash; not banked", case["id"])
        return None
    kind, value = item.key.split(":", 1)
    if kind != HashKind.PDQ.value:
        return None
    region = RegionHash(
        "full", {HashKind(kind): bytes.fromhex(value)}, quality=REPORTED_HASH_QUALITY
    )
    return known_fakes.add(
        db,
        label=f"community case {case['id']}",
        added_by=actor,
        hashes=[region],
        person=case.get("impersonates"),
        source=f"case:{case['id']}",
    )


def _retire_bank_entry(db: Database, case: dict[str, Any]) -> None:
    row = db.execute("SELECT list_entry_id FROM cases WHERE id = ?", [case["id"]]).fetchone()
    if row and row[0] is not None:
        known_fakes.set_status(db, int(row[0]), BankStatus.RETIRED)


def _feed(db: Database, op: str, case: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO federation_feed (op, kind, value, case_id, category, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [op, case["kind"], case["key"], case["id"], case["category"], queries.now_iso()],
    )


def decide(
    db: Database,
    case_id: int,
    action: str,
    *,
    actor: str,
    note: str,
    contested: bool = True,
    allow: bool = False,
    alert: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Confirm, reject or retire a case, with every consequence in one transaction:
    list entries (and the lists version), reporter track records, alerts, the federation feed
    and the audit log. Raises ``CaseStateError`` when the status does not allow it."""
    case = case_row(db, case_id)
    if case is None:
        raise LookupError(case_id)
    status = case["status"]
    allowed = {
        "confirm": {"pending", "quarantined", "rejected"},
        "reject": {"pending", "quarantined", "confirmed"},
        "retire": {"confirmed"},
    }[action]
    if status not in allowed:
        raise CaseStateError(f"Case {case_id} is {status}; it cannot be {action}ed.")
    now = queries.now_iso()
    new_status = {"confirm": "confirmed", "reject": "rejected", "retire": "retired"}[action]
    details: dict[str, Any] = {"from": status, "note": note}
    entry_id = None
    if action == "confirm":
        if case["kind"] == "link":
            entry_id = _list_entry(db, case, Action.BLOCK, COMMUNITY_LIST, actor)
        elif case["kind"] == "media":
            entry_id = _bank_media(db, case, actor)
            if entry_id is None and str(case["key"]).startswith("phash:"):
                details["not_banked"] = PHASH_ONLY
        _credit_reporters(db, case_id, contested=contested)
        _feed(db, "add", case)
        if alert is not None:
            insert_alerts(db, case, alert)
    else:
        if status == "confirmed":
            if case["kind"] == "media":
                _retire_bank_entry(db, case)
            else:
                _retire_list_entry(db, case)
            _feed(db, "remove", case)
        if action == "reject":
            db.execute(
                "UPDATE reporters SET false_reports = false_reports + 1"
                " WHERE id IN (SELECT reporter FROM reports WHERE case_id = ?)",
                [case_id],
            )
            if allow and case["kind"] == "link":
                entry_id = _list_entry(db, case, Action.ALLOW, COMMUNITY_ALLOW_LIST, actor)
    details["list_entry_id"] = entry_id
    if action in ("confirm", "reject"):  # an item from a peer's feed: tell the peer
        queued = feedback.queue_for_case(db, case, action)
        if queued:
            details["feedback_queued"] = queued
    db.execute(
        "UPDATE cases SET status = ?, decided_at = ?, decided_by = ?, note = ?,"
        " list_entry_id = COALESCE(?, list_entry_id) WHERE id = ?",
        [new_status, now, actor, note, entry_id, case_id],
    )
    queries.audit(
        db, actor=actor, action=f"case.{action}", target=f"case:{case_id}", details=details
    )
    result: dict[str, Any] = {"id": case_id, "status": new_status, "list_entry_id": entry_id}
    if "not_banked" in details:
        result["not_banked"] = details["not_banked"]
    return result


def merge(db: Database, source_id: int, target_id: int, *, actor: str, note: str) -> dict[str, Any]:
    """Fold ``source`` into ``target``: its reports move (one per reporter), later reports of
    its item land on ``target``."""
    source, target = case_row(db, source_id), case_row(db, target_id)
    if source is None or target is None:
        raise LookupError(source_id if source is None else target_id)
    if source_id == target_id or source["status"] not in {"pending", "quarantined"}:
        raise CaseStateError(f"Case {source_id} is {source['status']}; only open cases merge.")
    if target["merged_into"] is not None:
        raise CaseStateError(f"Case {target_id} was itself merged; merge into its survivor.")
    db.execute("UPDATE OR IGNORE reports SET case_id = ? WHERE case_id = ?", [target_id, source_id])
    totals = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(weight), 0) FROM reports WHERE case_id = ?", [target_id]
    ).fetchone()
    db.execute(
        "UPDATE cases SET reports = ?, reporters = ?, reach = ?, urgency = MAX(urgency, ?),"
        " new_reporters = new_reporters + ? WHERE id = ?",
        [
            totals[0],
            independent_reporters(db, target_id),
            totals[1],
            source["urgency"],
            0,
            target_id,
        ],
    )
    db.execute(
        "UPDATE cases SET status = 'merged', merged_into = ?, decided_at = ?, decided_by = ?,"
        " note = ? WHERE id = ?",
        [target_id, queries.now_iso(), actor, note, source_id],
    )
    queries.audit(
        db,
        actor=actor,
        action="case.merge",
        target=f"case:{source_id}",
        details={"into": target_id, "note": note},
    )
    return {"id": source_id, "status": "merged", "merged_into": target_id}


def audit_rows(db: Database, target: str, limit: int = 50) -> list[dict[str, Any]]:
    rows = _rows(
        db,
        "SELECT id, at, actor, action, target, details FROM audit_log WHERE target = ?"
        " ORDER BY id DESC LIMIT ?",
        [target, limit],
    )
    for row in rows:
        row["details"] = json.loads(row["details"]) if row["details"] else {}
    return rows


# --- alerts ----------------------------------------------------------------------------------


def insert_alerts(db: Database, case: dict[str, Any], payload: dict[str, Any]) -> None:
    """A broadcast alert, plus one per live retroactive subscription on this item.

    This runs inside the moderator's confirm, on the single writer, so the targeted alerts
    are cheap: two set-based statements (not an INSERT and a DELETE per subscription from
    Python), and each row holds only ``{"of": <broadcast alert id>, "retroactive": true,
    "subscriber"}`` (``alerts_since`` adds the broadcast payload back), not another copy of
    the whole payload; ``subscribe`` caps how many one key may hold."""
    now = queries.now_iso()
    broadcast = db.execute(
        "INSERT INTO alerts (case_id, created_at, key_id, payload) VALUES (?, ?, NULL, ?)",
        [case["id"], now, json.dumps(payload, ensure_ascii=False)],
    ).lastrowid
    key_hash = db.execute("SELECT key_hash FROM cases WHERE id = ?", [case["id"]]).fetchone()[0]
    db.execute(
        "INSERT INTO alerts (case_id, created_at, key_id, payload)"
        " SELECT ?, ?, key_id, json_object('of', ?, 'retroactive', json('true'), 'subscriber',"
        " subscriber) FROM alert_subscriptions WHERE item_hash = ? AND expires_at > ? ORDER BY id",
        [case["id"], now, broadcast, key_hash, now],
    )
    # Told once: the subscriptions have done their job.
    db.execute(
        "DELETE FROM alert_subscriptions WHERE item_hash = ? AND expires_at > ?", [key_hash, now]
    )


def alerts_since(
    db: Database, cursor: int, key_id: int | None, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    """Broadcast alerts after ``cursor``, and targeted ones for ``key_id``'s subscriptions
    (each one the broadcast payload it points at plus ``retroactive`` and ``subscriber``)."""
    rows = [
        (int(i), json.loads(p))
        for i, p in db.execute(
            "SELECT id, payload FROM alerts WHERE id > ? AND (key_id IS NULL OR key_id = ?)"
            " ORDER BY id LIMIT ?",
            [cursor, key_id if key_id is not None else -1, limit],
        )
    ]
    wanted = sorted({p["of"] for _, p in rows if "of" in p})
    bases = {
        int(i): json.loads(p)
        for i, p in db.execute(
            "SELECT id, payload FROM alerts WHERE id IN (SELECT value FROM json_each(?))",
            [json.dumps(wanted)],
        )
    }
    alerts: list[tuple[int, dict[str, Any]]] = []
    for alert_id, payload in rows:
        if "of" in payload:  # rows written before targeted alerts pointed hold a full payload
            base = bases.get(payload.pop("of"))
            if base is None:
                continue
            payload = {**base, **payload}
        alerts.append((alert_id, payload))
    return alerts


def latest_alert_id(db: Database) -> int:
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM alerts").fetchone()[0])


class SubscriptionsFull(Exception):
    """The key holds its limit of live subscriptions; ``retry_after_s``: until the oldest ends."""

    def __init__(self, live: int, retry_after_s: int) -> None:
        super().__init__(live)
        self.live = live
        self.retry_after_s = retry_after_s


def subscribe(
    db: Database, item_hash: str, subscriber: str, key_id: int, days: int, limit: int
) -> dict[str, Any]:
    """Subscribe (or renew); a new subscription beyond ``limit`` live ones for the key raises
    ``SubscriptionsFull``: each one is an alert row written by a moderator's confirm."""
    now = datetime.now(UTC)
    expires = (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Renewing a live subscription adds no row; reviving an expired one does.
    renewal = db.execute(
        "SELECT 1 FROM alert_subscriptions WHERE item_hash = ? AND subscriber = ? AND key_id = ?"
        " AND expires_at > ?",
        [item_hash, subscriber, key_id, stamp],
    ).fetchone()
    if renewal is None:
        live, oldest = db.execute(
            "SELECT COUNT(*), MIN(expires_at) FROM alert_subscriptions"
            " WHERE key_id = ? AND expires_at > ?",
            [key_id, stamp],
        ).fetchone()
        if live >= limit:
            ends = datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            raise SubscriptionsFull(int(live), max(1, int((ends - now).total_seconds()) + 1))
    db.execute(
        "INSERT INTO alert_subscriptions (item_hash, subscriber, key_id, expires_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (item_hash, subscriber, key_id)"
        " DO UPDATE SET expires_at = excluded.expires_at",
        [item_hash, subscriber, key_id, expires],
    )
    return {"expires_at": expires}


# --- retention -------------------------------------------------------------------------------


def purge(db: Database, *, report_days: int, subscription_now: str) -> dict[str, Any]:
    """Delete report texts past retention (the case keeps its counts), expired subscriptions
    and moderator sessions; return the media files whose reports went, for the caller to
    delete."""
    # "At least N days old", inclusive: timestamps have whole seconds, and --days 0 must
    # reach a report made in the same second.
    cutoff = (datetime.now(UTC) - timedelta(days=report_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    media = [
        str(r[0])
        for r in db.execute(
            "SELECT media_path FROM reports WHERE created_at <= ? AND media_path IS NOT NULL",
            [cutoff],
        )
    ]
    scrubbed = db.execute(
        "UPDATE reports SET description = NULL, seen_url = NULL, platform = NULL,"
        " media_path = NULL, hashes = NULL WHERE created_at <= ? AND (description IS NOT NULL"
        " OR seen_url IS NOT NULL OR platform IS NOT NULL OR media_path IS NOT NULL"
        " OR hashes IS NOT NULL)",
        [cutoff],
    ).rowcount
    expired = db.execute(
        "DELETE FROM alert_subscriptions WHERE expires_at <= ?", [subscription_now]
    ).rowcount
    sessions = db.execute(
        "DELETE FROM moderator_sessions WHERE expires_at <= ?", [subscription_now]
    ).rowcount
    # A file is named by its content: a newer report may still hold the same one.
    media = [
        m
        for m in dict.fromkeys(media)
        if db.execute("SELECT 1 FROM reports WHERE media_path = ?", [m]).fetchone() is None
    ]
    return {
        "reports_scrubbed": scrubbed,
        "subscriptions_expired": expired,
        "moderator_sessions_expired": sessions,
        "media": media,
    }


def media_paths(db: Database) -> set[str]:
    """Every kept media file a report still points to (the orphan purge keeps these)."""
    return {
        str(r[0]) for r in db.execute("SELECT media_path FROM reports WHERE media_path IS NOT NULL")
    }
