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

from server.community import confirmed
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
    KEY_REACH_DECAY,
    KEY_REPORTERS_PER_CASE,
    NEW_REPORTER_WEIGHT,
    BrigadeRule,
    Track,
)
from server.errors import Said, Words, said
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
    """A moderator action that the case's status does not allow (confirming a confirmed case);
    ``said`` is the sentence in both languages (``str()`` the English one)."""

    def __init__(self, sentence: Said, status: str = "") -> None:
        super().__init__(sentence.text("en"))
        self.said = sentence
        #: The case's status when it refused: a client says "already confirmed" from it.
        self.status = status


#: Moderator actions as a refusal names them (``case_cannot``): words, not ``f"{verb}ed"``.
ACTION_DONE: dict[str, Words] = {
    "confirm": {"en": "confirmed", "zh": "确认"},
    "reject": {"en": "rejected", "zh": "驳回"},
    "retire": {"en": "retired", "zh": "撤销"},
}
#: Case statuses as refusals name them.
STATUS_WORDS: dict[str, Words] = {
    "pending": {"en": "pending", "zh": "待审核"},
    "quarantined": {"en": "quarantined", "zh": "隔离待审"},
    "confirmed": {"en": "confirmed", "zh": "已确认"},
    "rejected": {"en": "rejected", "zh": "已驳回"},
    "retired": {"en": "retired", "zh": "已撤销"},
    "merged": {"en": "merged", "zh": "已合并"},
}


def status_words(status: str) -> Words:
    return STATUS_WORDS.get(status, {"en": status, "zh": status})


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
    #: Where a media report's hashes came from: ``server`` (this server decoded the picture),
    #: ``client`` (the reporter's app sent them), ``peer`` (a federation feed). ``None``: the
    #: reporter's kind decides (``peer`` for a peer, else ``client``). Only ``server`` and
    #: ``peer`` hashes are ever banked (``_bank_media``).
    hashes_source: str | None = None
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


#: Open media cases sharing at least one exact key chunk with ``?`` (index
#: ``case_hash_chunks``, kept by a trigger on ``cases``: migration ``m_review30_community``).
#: Any hash within the merge distance shares one (pigeonhole), so only these need comparing.
_CANDIDATES_SQL = (  # CROSS JOIN keeps this order: 27 slots, then index lookups
    "SELECT DISTINCT c.id, c.key FROM case_hash_slots s CROSS JOIN case_hash_chunks h"
    " ON h.slot = s.slot AND h.chunk = substr(?1, s.start, s.len)"
    " CROSS JOIN cases c ON c.id = h.case_id"
    " WHERE ?1 LIKE s.kind || ':%' AND c.merged_into IS NULL ORDER BY c.id"
)


def media_candidates(db: Database, key: str) -> list[tuple[int, str]]:
    """The open media cases a new media key could be near (``near_media`` decides): a few
    index lookups, not a scan of every media case inside the write transaction."""
    return [(int(i), str(k)) for i, k in db.execute(_CANDIDATES_SQL, [key])]


def _case_for(db: Database, item: CaseKey, report: NewReport, now: str) -> int:
    row = db.execute(
        "SELECT id, merged_into FROM cases WHERE kind = ? AND key = ?", [item.kind, item.key]
    ).fetchone()
    if row is None and item.kind is ItemKind.MEDIA:
        near = near_media(item.key, media_candidates(db, item.key))
        if near is not None:
            row = (near, None)
    if row is None:
        cursor = db.execute(
            "INSERT INTO cases (kind, key, key_hash, display, category, impersonates, status,"
            " urgency, first_at, last_at, template)"
            " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
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
                item.template or None,
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


#: A report's source: a client key's id (``key:12`` for ``key:12:<user>``); any other
#: reporter (an address, a peer) is its own source.
_SOURCE_SQL = (
    "CASE WHEN reporter LIKE 'key:%' AND instr(substr(reporter, 5), ':') > 0"
    " THEN substr(reporter, 1, 3 + instr(substr(reporter, 5), ':')) ELSE reporter END"
)


#: A case's independent reporters: per source (a client key's id, ``key:12`` for
#: ``key:12:<user>``; any other reporter is its own source), a key's capped.
_INDEPENDENT_SQL = (
    "SELECT COALESCE(SUM(CASE WHEN source LIKE 'key:%' THEN MIN(n, ?) ELSE n END), 0)"  # noqa: S608
    f" FROM (SELECT {_SOURCE_SQL} AS source, COUNT(*) AS n FROM reports WHERE case_id = ?"
    " GROUP BY source)"
)


def source_of(reporter: str) -> str:
    """``_SOURCE_SQL`` in Python."""
    if reporter.startswith("key:"):
        return ":".join(reporter.split(":", 2)[:2])
    return reporter


def _key_rank(db: Database, case_id: int, reporter: str) -> int:
    """How many of the case's stored reports (this new one included) came from this report's
    source: 1 for an address or a peer, the n-th user for a client key."""
    if not reporter.startswith("key:"):
        return 1
    prefix = source_of(reporter)
    (same_key,) = db.execute(
        "SELECT COUNT(*) FROM reports WHERE case_id = ?"  # index reports_once
        " AND (reporter = ? OR (reporter > ? AND reporter < ?))",
        [case_id, prefix, prefix + ":", prefix + ";"],
    ).fetchone()
    return int(same_key)


#: A key's heaviest users counted in reach (the next would add less than 0.6^40 of one).
REACH_TOP = 40


def source_reach(weights: Sequence[float]) -> float:
    """One source's share of a case's reach: its reports' weights, heaviest first, each
    further one decayed by ``KEY_REACH_DECAY``. An address or a peer reports a case once (its
    weight); a client key's users all count, but together never as much as
    ``KEY_REPORTERS_PER_CASE`` independent sources of the same weight (the key names its users
    itself)."""
    ordered = sorted(weights, reverse=True)[:REACH_TOP]
    return sum(w * KEY_REACH_DECAY**i for i, w in enumerate(ordered))


def _reach_added(db: Database, case_id: int, reporter: str, weight: float) -> float:
    """What a newly stored report adds to its case's reach (``source_reach`` of its source
    with it, less without it)."""
    if not reporter.startswith("key:"):
        return weight
    prefix = source_of(reporter)
    weights = [
        float(w)
        for (w,) in db.execute(
            "SELECT weight FROM reports WHERE case_id = ?"  # index reports_once
            " AND (reporter = ? OR (reporter > ? AND reporter < ?)) ORDER BY weight DESC LIMIT ?",
            [case_id, prefix, prefix + ":", prefix + ";", REACH_TOP],
        )
    ]
    if weight not in weights:  # below the heaviest REACH_TOP: it adds (next to) nothing
        return 0.0
    without = list(weights)
    without.remove(weight)
    return source_reach(weights) - source_reach(without)


def recount_reach(db: Database, case_id: int) -> float:
    """Recompute a case's reach from its reports, source by source, and store it."""
    by_source: dict[str, list[float]] = {}
    for reporter, weight in db.execute(
        "SELECT reporter, weight FROM reports WHERE case_id = ?", [case_id]
    ):
        by_source.setdefault(source_of(str(reporter)), []).append(float(weight))
    reach = round(sum(source_reach(w) for w in by_source.values()), 6)
    db.execute("UPDATE cases SET reach = ? WHERE id = ?", [reach, case_id])
    return reach


def independent_reporters(db: Database, case_id: int) -> int:
    """A case's independent reporters: each source counts its reports, a client key at most
    ``KEY_REPORTERS_PER_CASE`` (as ``insert_reports`` counts them one by one)."""
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


#: A case's reports in the brigading window, by source: a client key's low-weight reports
#: count at most ``KEY_REPORTERS_PER_CASE``, and so do its others (one key alone can neither
#: make a surge nor drown one).
_SURGE_SQL = (  # index reports_case_time
    "SELECT COALESCE(SUM(MIN(low, ?1) + MIN(n - low, ?1)), 0), COALESCE(SUM(MIN(low, ?1)), 0)"  # noqa: S608
    f" FROM (SELECT {_SOURCE_SQL} AS source, COUNT(*) AS n, SUM(weight <= ?2) AS low"
    " FROM reports WHERE case_id = ?3 AND created_at >= ?4 GROUP BY source)"
)


def _surge(db: Database, case_id: int, rule: BrigadeRule, now: datetime) -> dict[str, int] | None:
    """The case's reports within the brigading window, counted by source, if they make a
    surge."""
    since = (now - timedelta(seconds=rule.window_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    total, low = db.execute(
        _SURGE_SQL, [KEY_REPORTERS_PER_CASE, NEW_REPORTER_WEIGHT, case_id, since]
    ).fetchone()
    if not rule.is_surge(int(total), int(low)):
        return None
    return {"window_s": rule.window_s, "reports_in_window": int(total), "low_weight": int(low)}


def _report_hashes(report: NewReport) -> tuple[dict[str, str] | None, str | None]:
    """A media report's own hashes (its item's key when it sent none: a peer's) and where
    they came from; nothing for other kinds."""
    if report.item.kind is not ItemKind.MEDIA:
        return report.hashes, None
    name, _, value = report.item.key.partition(":")
    hashes = report.hashes or {name: value}
    source = report.hashes_source or ("peer" if report.reporter_kind == "peer" else "client")
    return hashes, source


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
        hashes, source = _report_hashes(report)
        cursor = db.execute(
            "INSERT OR IGNORE INTO reports (case_id, reporter, created_at, category, impersonates,"
            " platform, seen_url, description, keep_media, share_with_authorities, hashes,"
            " media_path, weight, hashes_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                json.dumps(hashes) if hashes else None,
                report.media_path,
                track.weight,
                source,
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
        rank = _key_rank(db, case_id, report.reporter)
        db.execute(
            "UPDATE cases SET reports = reports + 1, reporters = reporters + ?,"
            " new_reporters = new_reporters + ?, reach = ROUND(reach + ?, 6), last_at = ?,"
            " urgency = MAX(urgency, ?),"
            " impersonates = COALESCE(impersonates, ?) WHERE id = ?",
            [
                int(rank <= KEY_REPORTERS_PER_CASE),
                int(track.is_new),
                _reach_added(db, case_id, report.reporter, track.weight),
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


def load_confirmed(db: Database) -> confirmed.ConfirmedItems:
    """Every confirmed message, phone and wallet case (index ``cases_decided``), stamped
    with the lists version (read both in one snapshot: ``engine._read_whole``)."""
    kinds = sorted(confirmed.KINDS)
    rows = _rows(
        db,
        "SELECT id, kind, key, display, template, category, decided_at FROM cases"
        " WHERE status = 'confirmed' AND merged_into IS NULL"
        " AND kind IN (SELECT value FROM json_each(?)) ORDER BY id",
        [json.dumps(kinds)],
    )
    return confirmed.ConfirmedItems(rows, version=queries.lists_version(db))


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
        " keep_media, share_with_authorities, hashes, hashes_source, weight FROM reports"
        " WHERE case_id = ?"
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


#: Why a confirmed media case gets no known-fakes bank entry: ``decide`` answers
#: ``not_banked`` (the reason's code) and the API says it in the moderator's language.
NOT_BANKED: dict[str, Words] = {
    "no_picture_seen": {
        "en": "not banked: no picture seen: every report of this case sent only hashes its"
        " reporter's app computed, which this server cannot check against a picture (anyone"
        " can send the hashes of any picture, an innocent one too); the case is confirmed and"
        " alerts go out, but to ban the picture ask a reporter to send it as a file report",
        "zh": "未加入已知伪造库：服务器没有见过图片——本案件的举报都只发来举报人应用计算的哈希，"
        "服务器无法用图片核对（任何人都能发来任意图片、包括无辜图片的哈希）；"
        "案件已确认、提醒照常发出，若要收录该图片，请让举报人以文件方式举报图片本身",
    },
    "reported_before_source_recorded": {
        "en": "not banked: this case was reported before this server recorded where a report's"
        " hashes came from (its own decoding or the reporter's app), so they cannot be trusted"
        " as the picture's; if you have the picture, enrol it with `fakewatch known-fakes add`",
        "zh": "未加入已知伪造库：本案件的举报早于服务器开始记录哈希来源（服务器自行解码还是举报人"
        "应用计算），无法确认这些哈希属于该图片；如有图片，请用 `fakewatch known-fakes add` 收录",
    },
    "phash_only": {
        "en": "not banked: a pHash alone is never matched (the bank needs PDQ, or pHash with"
        " dHash, to keep false matches rare); ask for the picture or its PDQ and report that",
        "zh": "未加入已知伪造库：单独的 pHash 从不用于匹配（已知伪造库需要 PDQ，或 pHash 加"
        " dHash，才能让误匹配足够少）；请索取图片或其 PDQ 再举报",
    },
    "no_perceptual_hash": {
        "en": "not banked: the reported picture carries too little detail (flat or tiny) to"
        " be recognised again, so it has no perceptual hash to bank; report the link or text"
        " it shows instead",
        "zh": "未加入已知伪造库：被举报的图片细节太少（过于单调或太小），无法再次识别，"
        "没有可收录的感知哈希；请改为举报图片中的链接或文字",
    },
}
#: The pHash-only reason as earlier answers said it (English).
PHASH_ONLY = NOT_BANKED["phash_only"]["en"]

#: Quality recorded for a bank entry made from a case (the bank's own gate,
#: ``MIN_PDQ_QUALITY``, so the entry is matched like any other; a reported hash has none).
REPORTED_HASH_QUALITY = 50
#: Distinct PDQs of one case banked at most (reports of near-identical copies).
MAX_BANKED_HASHES = 4
#: Hashes this server can stand behind: it decoded the picture, or a federation peer the
#: operator configured sent them (a ``block`` peer's are banked without review anyway).
TRUSTED_SOURCES = ("server", "peer")


def hashes_checked(db: Database, case_id: int) -> bool:
    """Whether any report of the case carries a hash this server computed from the picture
    (or a configured peer sent): false when its reporters sent only hashes."""
    row = db.execute(
        "SELECT 1 FROM reports WHERE case_id = ? AND hashes_source IN (?, ?) LIMIT 1",
        [case_id, *TRUSTED_SOURCES],
    ).fetchone()
    return row is not None


def _trusted_pdqs(db: Database, case: dict[str, Any]) -> tuple[list[str], str | None]:
    """The PDQs to bank for a media case (hex), or the ``NOT_BANKED`` reason there are none.

    Only hashes this server computed from a picture (or a peer sent) are banked, never the
    case key as such: a case opened by a client's hashes and joined by a near-identical
    decoded picture banks the picture's own hash. Reports from before ``hashes_source``
    (NULL) count as unseen."""
    pdqs: list[str] = []
    trusted = untrusted = unrecorded = 0
    for raw, source in db.execute(
        "SELECT hashes, hashes_source FROM reports WHERE case_id = ? ORDER BY id", [case["id"]]
    ):
        if source not in TRUSTED_SOURCES:
            untrusted += 1
            unrecorded += source is None
            continue
        trusted += 1
        hashes = json.loads(raw) if raw else {}
        pdq = hashes.get("pdq") if isinstance(hashes, dict) else None
        item = media_value(f"pdq:{pdq}") if isinstance(pdq, str) else None
        if item is not None and item.key[4:] not in pdqs and len(pdqs) < MAX_BANKED_HASHES:
            pdqs.append(item.key[4:])
    key = str(case["key"])
    if not pdqs and trusted and not untrusted and key.startswith("pdq:"):
        # Every report is trusted but retention blanked their hashes: the key is one of them.
        item = media_value(key)
        if item is not None:
            pdqs.append(item.key[4:])
    if pdqs:
        return pdqs, None
    if not trusted:
        # Not "only hashes were sent" when the reports predate the record of where they came
        # from: some may have carried the picture (anonymous, unkept: nobody to ask again).
        return [], "reported_before_source_recorded" if unrecorded else "no_picture_seen"
    return [], "phash_only" if key.startswith("phash:") else "no_perceptual_hash"


def _bank_media(
    db: Database, case: dict[str, Any], actor: str
) -> tuple[int | None, str | None, list[str]]:
    """A confirmed media case joins the known-fakes bank (hashes only), traced to the case:
    (its entry id, for ``list_entry_id``, which for media cases holds the bank entry; or
    ``None`` and the ``NOT_BANKED`` reason; and the PDQs banked). Banked are only PDQs this server computed from
    the picture itself (``_trusted_pdqs``): a case known only by hashes its reporters sent, or
    by a pHash alone (which the bank could never match), or by a picture too flat to hash, is
    confirmed without a bank entry."""
    pdqs, reason = _trusted_pdqs(db, case)
    if reason is not None:
        log.info("media case %s confirmed, not banked: %s", case["id"], reason)
        return None, reason, []
    regions = [
        RegionHash("full", {HashKind.PDQ: bytes.fromhex(pdq)}, quality=REPORTED_HASH_QUALITY)
        for pdq in pdqs
    ]
    entry = known_fakes.add(
        db,
        label=f"community case {case['id']}",
        added_by=actor,
        hashes=regions,
        person=case.get("impersonates"),
        source=f"case:{case['id']}",
    )
    return entry, None, pdqs


def unchecked_bank_entries(db: Database) -> list[dict[str, Any]]:
    """Confirmed media cases with a live bank entry although no report of theirs carries a
    hash this server computed (or a peer sent): banked before ``_trusted_pdqs``, maybe from a
    reporter's typed hashes. Cases banked since always have such a report."""
    return _rows(
        db,
        "SELECT c.id AS case_id, c.list_entry_id AS known_fake_id, c.display, c.impersonates,"
        " c.decided_at, c.reports FROM cases c JOIN known_fakes k ON k.id = c.list_entry_id"
        " WHERE c.kind = 'media' AND c.status = 'confirmed' AND k.status = 'confirmed'"
        " AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.case_id = c.id"
        " AND r.hashes_source IN (?, ?)) ORDER BY c.id",
        TRUSTED_SOURCES,
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
    expect_status: str | None = None,
) -> dict[str, Any]:
    """Confirm, reject or retire a case, with every consequence in one transaction:
    list entries (and the lists version), reporter track records, alerts, the federation feed
    and the audit log. Raises ``CaseStateError`` when the status does not allow it, or is not
    ``expect_status`` (the status the moderator's button was shown for: a second moderator's
    stale Reject must not reverse the first one's Confirm)."""
    case = case_row(db, case_id)
    if case is None:
        raise LookupError(case_id)
    status = case["status"]
    if expect_status is not None and status != expect_status:
        # Not "cannot be confirmed": the action may well be allowed; the case changed under
        # the moderator, who should see it again before deciding.
        raise CaseStateError(
            said(
                "case_moved",
                id=case_id,
                status=status_words(status),
                expected=status_words(expect_status),
            ),
            status,
        )
    allowed = {
        "confirm": {"pending", "quarantined", "rejected"},
        "reject": {"pending", "quarantined", "confirmed"},
        "retire": {"confirmed"},
    }[action]
    if status not in allowed:
        raise CaseStateError(
            said("case_cannot", id=case_id, status=status_words(status), done=ACTION_DONE[action]),
            status,
        )
    now = queries.now_iso()
    new_status = {"confirm": "confirmed", "reject": "rejected", "retire": "retired"}[action]
    details: dict[str, Any] = {"from": status, "note": note}
    entry_id = None
    not_banked: str | None = None
    banked: list[str] = []
    if case["kind"] in confirmed.KINDS and (action == "confirm" or status == "confirmed"):
        # The confirmed-items index is versioned by the lists version: this server reloads
        # it after the action, the others sharing the database on their next refresh.
        queries.bump_lists_version(db)
    if action == "confirm":
        if case["kind"] == "link":
            entry_id = _list_entry(db, case, Action.BLOCK, COMMUNITY_LIST, actor)
        elif case["kind"] == "media":
            entry_id, not_banked, banked = _bank_media(db, case, actor)
            if not_banked is not None:
                details["not_banked"] = NOT_BANKED[not_banked]["en"]
        _credit_reporters(db, case_id, contested=contested)
        if case["kind"] != "media":
            _feed(db, "add", case)
        elif banked:  # peers get what we banked; a hash we never checked is not ours to vouch
            _feed(db, "add", {**case, "key": f"pdq:{banked[0]}"})
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
    if case["kind"] == "media" and action == "confirm" and entry_id is None:
        result["not_banked"] = not_banked  # the reason's code: the API says it in words
    return result


def merge(db: Database, source_id: int, target_id: int, *, actor: str, note: str) -> dict[str, Any]:
    """Fold ``source`` into ``target``: its reports move (one per reporter), later reports of
    its item land on ``target``."""
    source, target = case_row(db, source_id), case_row(db, target_id)
    if source is None or target is None:
        raise LookupError(source_id if source is None else target_id)
    if source_id == target_id or source["status"] not in {"pending", "quarantined"}:
        raise CaseStateError(
            said("case_merge_open", id=source_id, status=status_words(source["status"]))
        )
    if target["merged_into"] is not None:
        raise CaseStateError(said("case_merged_target", id=target_id))
    db.execute("UPDATE OR IGNORE reports SET case_id = ? WHERE case_id = ?", [target_id, source_id])
    (total,) = db.execute("SELECT COUNT(*) FROM reports WHERE case_id = ?", [target_id]).fetchone()
    db.execute(
        "UPDATE cases SET reports = ?, reporters = ?, urgency = MAX(urgency, ?),"
        " new_reporters = new_reporters + ? WHERE id = ?",
        [total, independent_reporters(db, target_id), source["urgency"], 0, target_id],
    )
    recount_reach(db, target_id)
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
