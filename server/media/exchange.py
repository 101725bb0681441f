"""Hash lists in and out of the bank: CSV and JSON, PDQ as 64 hex digits.

CSV (one row per hash, ThreatExchange/HMA style: ``signal_type`` and ``signal`` first)::

    signal_type,signal,known_fake_id,label,person,campaign,source,status,region,frame
    pdq,f8f8f0cee0f4a84f...,12,Fake giveaway,Jane Doe,btc-2026,report#41,confirmed,full,0

An HMA or ThreatExchange user keeps the ``pdq`` rows; our pHash/dHash rows come along for
FakeWatch peers. Import accepts that CSV (rows grouped into entries by ``known_fake_id``,
or one entry per row without it), a bare list of PDQ hex (one per line), or our JSON::

    {"format": "fakewatch.known_fakes.v1", "known_fakes": [
        {"label": ..., "person": ..., "campaign": ..., "source": ..., "status": ...,
         "hashes": [{"region": "full", "frame": 0, "pdq": "...", "phash": "...", "dhash": "..."}]}]}
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from server.media.bank import HashFormatError, Status, parse_hex
from server.media.hashing import HashKind, RegionHash
from server.storage import known_fakes as queries
from server.storage.database import immediate, snapshot
from server.storage.queries import now_iso

FORMAT = "fakewatch.known_fakes.v1"
CSV_COLUMNS = (
    "signal_type",
    "signal",
    "known_fake_id",
    "label",
    "person",
    "campaign",
    "source",
    "status",
    "region",
    "frame",
)
#: Most entries one import may bring (a bigger list is split by the operator).
MAX_IMPORT_ENTRIES = 1_000_000
#: A keyframe index beyond any video we decode (SQLite integers overflow far above it).
MAX_FRAME_INDEX = 1_000_000


class ImportFormatError(ValueError):
    """The file is not a hash list we read; the message names the line and the problem."""


@dataclass
class Entry:
    """One bank entry being imported."""

    label: str
    person: str | None = None
    campaign: str | None = None
    source: str | None = None
    status: Status = Status.CONFIRMED
    hashes: list[RegionHash] = field(default_factory=list)


def export_rows(db: Database, status: Status | None) -> Iterator[dict[str, Any]]:
    entries = {e.id: e for e in queries.all_entries(db) if status is None or e.status is status}
    for row in queries.hashes(db):
        entry = entries.get(row.fake_id)
        if entry is None:
            continue
        for kind, value in (("pdq", row.pdq), ("phash", row.phash), ("dhash", row.dhash)):
            if value:
                yield {
                    "signal_type": kind,
                    "signal": value,
                    "known_fake_id": entry.id,
                    "label": entry.label,
                    "person": entry.person or "",
                    "campaign": entry.campaign or "",
                    "source": entry.source or "",
                    "status": str(entry.status),
                    "region": row.region,
                    "frame": row.frame,
                }


def export_csv(db: Database, status: Status | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export_rows(db, status))
    return out.getvalue()


def export_json(db: Database, status: Status | None = None) -> dict[str, Any]:
    entries = [e for e in queries.all_entries(db) if status is None or e.status is status]
    wanted = {e.id for e in entries}
    by_entry: dict[int, list[dict[str, Any]]] = {i: [] for i in wanted}
    for row in queries.hashes(db):
        if row.fake_id in wanted:
            shown: dict[str, Any] = {"region": row.region, "frame": row.frame}
            for kind, value in (("pdq", row.pdq), ("phash", row.phash), ("dhash", row.dhash)):
                if value:
                    shown[kind] = value
            by_entry[row.fake_id].append(shown)
    return {
        "format": FORMAT,
        "exported_at": now_iso(),
        "known_fakes": [{**e.describe(), "hashes": by_entry[e.id]} for e in entries],
    }


def parse(text: str, *, default_label: str, default_source: str | None = None) -> list[Entry]:
    """Entries from a JSON export, a CSV hash list or bare PDQ lines."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        return []
    if stripped.startswith("{"):
        return _parse_json(stripped)
    first = stripped.splitlines()[0].lower()
    if "signal" in first and "," in first:
        return _parse_csv(stripped, default_label, default_source)
    return _parse_lines(stripped, default_label, default_source)


def _hash_row(
    pdq: Any = None, phash: Any = None, dhash: Any = None, region: Any = "import", frame: Any = 0
) -> RegionHash:
    hashes: dict[HashKind, bytes] = {}
    for kind, value in ((HashKind.PDQ, pdq), (HashKind.PHASH, phash), (HashKind.DHASH, dhash)):
        if value:
            if not isinstance(value, str):
                raise HashFormatError(f"{kind.value} must be a hex string")
            hashes[kind] = bytes.fromhex(parse_hex(kind, value))
    if not hashes:
        raise HashFormatError("a hash row needs at least one of pdq, phash, dhash")
    if isinstance(frame, bool) or not isinstance(frame, int | str | None):
        raise HashFormatError("frame must be a whole number (the keyframe's index)")
    index = int(frame or 0)
    if not 0 <= index <= MAX_FRAME_INDEX:
        raise HashFormatError(f"frame must be between 0 and {MAX_FRAME_INDEX}")
    return RegionHash(str(region)[:40] or "import", hashes, 100, index)


def _status(value: Any) -> Status:
    try:
        status = Status(value or "confirmed")
    except ValueError:
        raise ImportFormatError(f"unknown status {str(value)[:20]!r}") from None
    return status


def _parse_json(text: str) -> list[Entry]:
    try:
        data = json.loads(text)
        # A lone surrogate ("\ud800") parses but cannot be stored: refused like bad JSON.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ImportFormatError("not valid JSON: nested too deeply") from None
    except ValueError as exc:  # syntax, an integer past 4,300 digits, a lone surrogate
        raise ImportFormatError(f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportFormatError(f'a JSON hash list must have "format": "{FORMAT}"')
    raw_entries = data.get("known_fakes")
    if not isinstance(raw_entries, list):
        raise ImportFormatError("'known_fakes' must be a list")
    entries = []
    for n, raw in enumerate(raw_entries[:MAX_IMPORT_ENTRIES]):
        if not isinstance(raw, dict) or not isinstance(raw.get("label"), str) or not raw["label"]:
            raise ImportFormatError(f"known_fakes[{n}] needs a 'label'")
        entry = Entry(
            label=raw["label"][:200],
            person=_opt(raw.get("person")),
            campaign=_opt(raw.get("campaign")),
            source=_opt(raw.get("source")),
            status=_status(raw.get("status")),
        )
        raw_hashes = raw.get("hashes") or []
        if not isinstance(raw_hashes, list):
            raise ImportFormatError(f"known_fakes[{n}].hashes must be a list")
        for m, h in enumerate(raw_hashes):
            if not isinstance(h, dict):
                raise ImportFormatError(f"known_fakes[{n}].hashes[{m}] must be an object")
            try:
                entry.hashes.append(
                    _hash_row(
                        h.get("pdq"),
                        h.get("phash"),
                        h.get("dhash"),
                        h.get("region", "import"),
                        h.get("frame", 0),
                    )
                )
            except (HashFormatError, ValueError) as exc:
                raise ImportFormatError(f"known_fakes[{n}].hashes[{m}]: {exc}") from None
        if entry.hashes:
            entries.append(entry)
    return entries


def _opt(value: Any) -> str | None:
    return str(value)[:200] if value else None


def _parse_csv(text: str, default_label: str, default_source: str | None) -> list[Entry]:
    # newline="": what the csv module needs to read a quoted line break, or a bare CR (old Mac
    # files) as the end of a row rather than an error.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    grouped: dict[str, Entry] = {}
    for line, row in enumerate(_csv_rows(reader), start=2):
        kind = (row.get("signal_type") or "").strip().lower()
        signal = (row.get("signal") or "").strip()
        if kind not in ("pdq", "phash", "dhash"):
            continue  # other signal types (video MD5, URLs) are not ours to match
        key = (row.get("known_fake_id") or "").strip() or f"line{line}"
        entry = grouped.get(key)
        if entry is None:
            if len(grouped) >= MAX_IMPORT_ENTRIES:
                break
            entry = Entry(
                label=(row.get("label") or "").strip()[:200] or default_label,
                person=_opt((row.get("person") or "").strip()),
                campaign=_opt((row.get("campaign") or "").strip()),
                source=_opt((row.get("source") or "").strip()) or default_source,
                status=_status((row.get("status") or "").strip()),
            )
            grouped[key] = entry
        region = (row.get("region") or "import").strip()
        frame = (row.get("frame") or "0").strip()
        try:
            entry.hashes.append(_hash_row(**{kind: signal}, region=region, frame=int(frame or 0)))
        except (HashFormatError, ValueError) as exc:
            raise ImportFormatError(f"line {line}: {exc}") from None
    return [_pair_hashes(e) for e in grouped.values()]


def _csv_rows(reader: csv.DictReader[str]) -> Iterator[dict[str, str]]:
    """The reader's rows; what csv refuses (a cell over its 131,072-character field limit, a
    stray quote) is an ``ImportFormatError`` naming the line (a 400), not a ``csv.Error`` (a
    500). The limit stays: it is process-wide, and a hash list's cells are far shorter."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFormatError(f"line {reader.reader.line_num:,}: {exc}") from None
        yield row


def _pair_hashes(entry: Entry) -> Entry:
    """CSV rows hold one kind each: join a region's pHash and dHash back into one row so the
    pHash+dHash rule can use them."""
    merged: dict[tuple[str, int], dict[HashKind, bytes]] = {}
    for region in entry.hashes:
        merged.setdefault((region.region, region.frame), {}).update(region.hashes)
    entry.hashes = [
        RegionHash(name, hashes, 100, frame) for (name, frame), hashes in merged.items()
    ]
    return entry


def _parse_lines(text: str, default_label: str, default_source: str | None) -> list[Entry]:
    entries = []
    for line, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip().split(",")[0].strip()
        if not value or value.startswith("#"):
            continue
        try:
            region = _hash_row(pdq=value)
        except HashFormatError as exc:
            raise ImportFormatError(f"line {line}: {exc}") from None
        entries.append(Entry(label=default_label, source=default_source, hashes=[region]))
        if len(entries) >= MAX_IMPORT_ENTRIES:
            break
    return entries


@dataclass(frozen=True)
class Imported:
    """What an import did: the new entries' ids, in the list's order, and the entries it
    skipped because the bank (or an earlier entry of the list) already holds every one of
    their hashes, as ``(position in the list from 1, id of the entry that holds them)``:
    importing the same list twice, or a partner's list that overlaps ours, adds nothing."""

    ids: list[int]
    duplicates: list[tuple[int, int]]
    hash_rows: int


def store(db: Database, entries: list[Entry], added_by: str) -> Imported:
    """Add imported entries inside the caller's write transaction."""
    try:
        staged = stage(db, entries, added_by)
        return staged.applied(apply_staged(db))
    finally:
        drop_staged(db)


def import_entries(
    db: Database,
    entries: list[Entry],
    added_by: str,
    *,
    on_phase: Callable[[str], None] | None = None,
) -> Imported:
    """Add imported entries in one short write transaction of their own.

    The rows are built and staged in TEMP tables first, with no lock held (the temp schema is
    this connection's own); the write lock covers two ``INSERT ... SELECT`` and the version
    bump, so the server's writers wait for that, not for the whole list. All or nothing: a
    failure leaves the bank as it was. ``on_phase`` is called with ``"staged"`` (no lock held
    yet) and ``"locked"`` (inside the transaction): tests watch the lock with it.
    """
    try:
        staged = stage(db, entries, added_by)
        if on_phase is not None:
            on_phase("staged")
        with immediate(db):
            if on_phase is not None:
                on_phase("locked")
            return staged.applied(apply_staged(db))
    finally:
        drop_staged(db)


_Triple = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Staged:
    """``stage``'s plan: the positions of the list staged (in order) and those skipped, each
    with the bank id, or the earlier list position, that already holds its hashes."""

    new: list[int]
    in_bank: dict[int, int]
    in_list: dict[int, int]
    hash_rows: int

    def applied(self, ids: list[int]) -> Imported:
        given = dict(zip(self.new, ids, strict=True)) | self.in_bank
        skipped = self.in_bank | {n: given[m] for n, m in self.in_list.items()}
        return Imported(ids, sorted(skipped.items()), self.hash_rows)


def _triples(entry: Entry) -> frozenset[_Triple]:
    return frozenset(
        (_hex(r, HashKind.PDQ), _hex(r, HashKind.PHASH), _hex(r, HashKind.DHASH))
        for r in entry.hashes
    )


def stage(db: Database, entries: list[Entry], added_by: str) -> Staged:
    """The entries not already in the bank into the TEMP tables ``apply_staged`` reads,
    numbered from 1 in the list's order (their ids follow the bank's highest)."""
    at = now_iso()
    # An entry repeated in the list is staged once (the same hashes: the same picture).
    first: dict[frozenset[_Triple], int] = {}
    in_list: dict[int, int] = {}
    for position, entry in enumerate(entries, start=1):
        in_list_at = first.setdefault(_triples(entry), position)
        if in_list_at != position:
            in_list[position] = in_list_at
    with snapshot(db):
        in_bank = _held_by_bank(db, {position: key for key, position in first.items()})
        new = sorted(p for p in first.values() if p not in in_bank)
        fakes = []
        rows = []
        for n, position in enumerate(new, start=1):
            e = entries[position - 1]
            fakes.append((n, e.label, e.person, e.campaign, e.source, str(e.status), added_by, at))
            rows += [
                (
                    n,
                    region.region,
                    region.frame,
                    _hex(region, HashKind.PDQ),
                    _hex(region, HashKind.PHASH),
                    _hex(region, HashKind.DHASH),
                    region.quality,
                )
                for region in e.hashes
            ]
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS known_fakes_import (n INTEGER PRIMARY KEY,"
            " label TEXT, person TEXT, campaign TEXT, source TEXT, status TEXT, added_by TEXT,"
            " added_at TEXT)"
        )
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS known_fake_hashes_import (n INTEGER, region TEXT,"
            " frame INTEGER, pdq TEXT, phash TEXT, dhash TEXT, quality INTEGER)"
        )
        db.execute("DELETE FROM temp.known_fakes_import")
        db.execute("DELETE FROM temp.known_fake_hashes_import")
        db.conn.executemany(
            "INSERT INTO temp.known_fakes_import VALUES (?, ?, ?, ?, ?, ?, ?, ?)", fakes
        )
        db.conn.executemany(
            "INSERT INTO temp.known_fake_hashes_import VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
    return Staged(new, in_bank, in_list, len(rows))


def _held_by_bank(db: Database, wanted: dict[int, frozenset[_Triple]]) -> dict[int, int]:
    """``{position: bank id}`` for each wanted entry whose every hash (PDQ, pHash and dHash
    together, whatever the region) one confirmed bank entry already holds; the lowest such id."""
    if db.execute("SELECT 1 FROM known_fake_hashes LIMIT 1").fetchone() is None:
        return {}  # An empty bank (a first import of a million rows) holds nothing.
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS known_fakes_import_wanted"
        " (n INTEGER, pdq TEXT, phash TEXT, dhash TEXT)"
    )
    db.execute("DELETE FROM temp.known_fakes_import_wanted")
    db.conn.executemany(
        "INSERT INTO temp.known_fakes_import_wanted VALUES (?, ?, ?, ?)",
        [(n, *triple) for n, key in wanted.items() for triple in key],
    )
    # The bank is scanned once, each row looked up in the list's own index: the bank keeps
    # no index on its hashes (it would grow the file by half for a lookup only imports make).
    db.execute(
        "CREATE INDEX IF NOT EXISTS temp.known_fakes_import_wanted_hashes"
        " ON known_fakes_import_wanted (pdq, phash, dhash)"
    )
    held: dict[tuple[int, int], int] = {}
    cursor = db.execute(
        "SELECT DISTINCT w.n, h.fake_id, w.pdq, w.phash, w.dhash FROM known_fake_hashes h"
        " JOIN temp.known_fakes_import_wanted w"
        " ON w.pdq IS h.pdq AND w.phash IS h.phash AND w.dhash IS h.dhash"
        # Only a confirmed entry holds a picture: one pending or retired here does not match,
        # and a partner's confirmed entry for it must not be skipped for it.
        " JOIN known_fakes f ON f.id = h.fake_id AND f.status = 'confirmed'"
    )
    for n, fake_id, *_ in cursor:
        held[n, fake_id] = held.get((n, fake_id), 0) + 1
    found: dict[int, int] = {}
    for (n, fake_id), count in sorted(held.items()):
        if count == len(wanted[n]):
            found.setdefault(n, fake_id)
    db.execute("DROP TABLE IF EXISTS temp.known_fakes_import_wanted")
    return found


def _hex(region: RegionHash, kind: HashKind) -> str | None:
    value = region.hashes.get(kind)
    return value.hex() if value is not None else None


def apply_staged(db: Database) -> list[int]:
    """Move the staged entries into the bank (inside the write transaction): ids follow the
    bank's highest, in the list's order, as one insert each would have given them."""
    base = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM known_fakes").fetchone()[0])
    count = int(db.execute("SELECT COUNT(*) FROM temp.known_fakes_import").fetchone()[0])
    db.execute(
        "INSERT INTO known_fakes (id, label, person, campaign, source, status, added_by,"
        " added_at) SELECT ? + n, label, person, campaign, source, status, added_by, added_at"
        " FROM temp.known_fakes_import ORDER BY n",
        [base],
    )
    db.execute(
        "INSERT INTO known_fake_hashes (fake_id, region, frame, pdq, phash, dhash, quality)"
        " SELECT ? + n, region, frame, pdq, phash, dhash, quality"
        " FROM temp.known_fake_hashes_import ORDER BY rowid",
        [base],
    )
    if count:  # servers reload the bank when its version moves
        db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ?",
            [queries.VERSION_KEY],
        )
    return list(range(base + 1, base + count + 1))


def drop_staged(db: Database) -> None:
    db.execute("DROP TABLE IF EXISTS temp.known_fakes_import")
    db.execute("DROP TABLE IF EXISTS temp.known_fake_hashes_import")
