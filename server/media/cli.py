"""``fakewatch known-fakes add/list/retire/confirm/import/export/check/rehash``: the bank
from the command line. Same hashing and SQL as ``/v1/known-fakes``; a running server picks
changes up within ``FAKEWATCH_LISTS_REFRESH_S``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.settings import Settings
from server.storage.database import immediate

if TYPE_CHECKING:
    from sqlite_utils import Database

    from server.media.bank import KnownFake
    from server.media.decode import DecodeLimits
    from server.scoring.resources import Resources
    from server.storage.known_fakes import EntryRows

ACTOR = "cli"


def add_commands(commands: Any, db_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    bank = commands.add_parser(
        "known-fakes",
        help="the bank of known fake images and videos (hashes only)",
        description="Add, list, retire, import and export known fakes.",
    ).add_subparsers(dest="known_fakes_command", metavar="SUBCOMMAND", required=True)

    add = bank.add_parser("add", help="hash media files into the bank; prints one id per file")
    add.add_argument(
        "files", type=Path, nargs="+", metavar="FILE", help="pictures or videos of the fake"
    )
    add.add_argument("--label", required=True, help="what the fake is (shown in verdicts)")
    add.add_argument("--person", help="the impersonated person, if any")
    add.add_argument("--campaign", help="the scam campaign it belongs to, if known")
    add.add_argument("--source", help="where it was reported (a report id, a URL)")
    add.add_argument("--pending", action="store_true", help="add as pending (not matched yet)")
    add.set_defaults(handler=known_fakes_add)

    listing = bank.add_parser("list", help="list entries (JSON lines)")
    listing.add_argument(
        "--status", choices=("confirmed", "pending", "retired"), help="only entries with it"
    )
    listing.set_defaults(handler=known_fakes_list)

    retire = bank.add_parser("retire", help="stop matching an entry (kept for the record)")
    retire.add_argument("id", type=int, help="the entry's id (`known-fakes list`)")
    retire.set_defaults(handler=known_fakes_retire)

    confirm = bank.add_parser("confirm", help="a pending entry starts matching")
    confirm.add_argument("id", type=int, help="the entry's id (`known-fakes list`)")
    confirm.set_defaults(handler=known_fakes_confirm)

    imp = bank.add_parser(
        "import", help="import a hash list (our JSON, ThreatExchange-style CSV, or PDQ lines)"
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the hash list to read")
    imp.add_argument("--label", default="imported hash", help="label for rows without one")
    imp.add_argument("--source", help="source for rows without one")
    imp.set_defaults(handler=known_fakes_import)

    exp = bank.add_parser("export", help="print the bank as a hash list")
    exp.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="json (ours, default) or csv (ThreatExchange-style, with PDQ hex)",
    )
    exp.add_argument(
        "--status", choices=("confirmed", "pending", "retired"), help="only entries with it"
    )
    exp.set_defaults(handler=known_fakes_export)

    check = bank.add_parser("check", help="match media files against the bank (JSON lines)")
    check.add_argument(
        "files", type=Path, nargs="+", metavar="FILE", help="pictures or videos to match"
    )
    check.set_defaults(handler=known_fakes_check)

    rehash = bank.add_parser(
        "rehash",
        help="hash kept media files again with today's hashing",
        description=(
            "Hash each entry's (retired ones too) kept media file (FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA,"
            " DATA_DIR/known_fakes/) again with the current hashing -- inner face regions,"
            " mirrors and turned copies, face embeddings -- and replace that entry's hash rows"
            " and face embeddings in one transaction per entry. Id, label, person, campaign,"
            " source and status stay. An entry whose file is missing, damaged or no longer"
            " decodes keeps its old rows; hash-only entries (imported lists, community cases)"
            " have no media and are skipped. A running server picks the changes up within"
            " FAKEWATCH_LISTS_REFRESH_S."
        ),
        epilog=(
            "Prints one line per entry (id, hash rows and faces before -> after, or why it was"
            " skipped) and a summary; hash-only entries are only counted unless named with"
            " --id. Exit status 1 when an entry could not be re-hashed."
        ),
    )
    rehash.add_argument(
        "--id",
        type=int,
        action="append",
        dest="ids",
        metavar="N",
        help="only this entry (repeat for several; default: every entry)",
    )
    rehash.add_argument(
        "--dry-run",
        action="store_true",
        help="hash and report what would change, write nothing",
    )
    rehash.set_defaults(handler=known_fakes_rehash)

    for sub in (add, listing, retire, confirm, imp, exp, check, rehash):
        db_flags(sub)


def _db(settings: Settings) -> Any:
    from server.storage.database import connect

    return connect(settings.db)


def _read(path: Path, limit: int) -> bytes:
    from server.commands import CommandError

    try:
        size = path.stat().st_size
        if size > limit:
            raise CommandError(f"{path}: {size} bytes, over FAKEWATCH_MAX_MEDIA_BYTES ({limit})")
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: {exc.strerror}") from None


def known_fakes_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.errors import MediaError
    from server.media.bank import Status
    from server.media.decode import DecodeLimits
    from server.media.enrol import EnrolError, hash_for_bank, keep_media
    from server.scoring.resources import Resources
    from server.storage import known_fakes as queries

    resources = Resources.load(settings)
    limits = DecodeLimits.from_settings(settings)
    db = _db(settings)
    failed = 0
    for path in args.files:
        data = _read(path, settings.max_media_bytes)
        try:
            hashed = hash_for_bank(data, limits, resources)
        except (MediaError, EnrolError) as exc:
            print(
                f"{path}: {getattr(exc, 'code', 'media_low_information')}: {exc}", file=sys.stderr
            )
            failed += 1
            continue
        with immediate(db):
            fake_id = queries.add(
                db,
                label=args.label,
                added_by=ACTOR,
                hashes=hashed.regions,
                status=Status.PENDING if args.pending else Status.CONFIRMED,
                person=args.person,
                campaign=args.campaign,
                source=args.source,
                media_sha256=hashed.sha256,
                media_format=hashed.format,
                timestamps=hashed.timestamps,
                ai_labels=hashed.ai_labels,
                faces=hashed.faces,
            )
        if settings.known_fakes_keep_media:
            keep_media(settings.data_dir, hashed, data)
        print(fake_id)
    return 1 if failed else 0


def known_fakes_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.media.bank import Status
    from server.storage import known_fakes as queries

    status = Status(args.status) if args.status else None
    after = 0
    db = _db(settings)
    while True:
        page = queries.listing(db, status=status, limit=1000, after_id=after)
        for entry in page:
            print(json.dumps(entry.describe(), ensure_ascii=False))
        if len(page) < 1000:
            return 0
        after = page[-1].id


def _set_status(fake_id: int, settings: Settings, status_name: str) -> int:
    from server.commands import CommandError
    from server.media.bank import Status
    from server.storage import known_fakes as queries

    db = _db(settings)
    with immediate(db):
        entry = queries.set_status(db, fake_id, Status(status_name))
    if entry is None:
        raise CommandError(f"no known fake with id {fake_id}")
    print(json.dumps(entry.describe(), ensure_ascii=False))
    return 0


def known_fakes_retire(args: argparse.Namespace, settings: Settings) -> int:
    return _set_status(args.id, settings, "retired")


def known_fakes_confirm(args: argparse.Namespace, settings: Settings) -> int:
    return _set_status(args.id, settings, "confirmed")


def known_fakes_import(args: argparse.Namespace, settings: Settings) -> int:
    from server.commands import CommandError
    from server.media.exchange import ImportFormatError, import_entries, parse

    try:
        text = args.file.read_text(encoding="utf-8")
        entries = parse(text, default_label=args.label, default_source=args.source)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{args.file}: cannot read: {exc}") from None
    except ImportFormatError as exc:
        raise CommandError(f"{args.file}: {exc}") from None
    db = _db(settings)
    # Staged first, then one short write transaction: a running server's writers barely wait.
    done = import_entries(db, entries, ACTOR)
    print(f"imported {len(done.ids)} known fakes ({done.hash_rows} hash rows)")
    if done.duplicates:
        shown = ", ".join(f"entry {n} = #{fake_id}" for n, fake_id in done.duplicates[:5])
        more = f", and {len(done.duplicates) - 5} more" if len(done.duplicates) > 5 else ""
        print(
            f"skipped {len(done.duplicates)} already in the bank (every hash held by one"
            f" entry: {shown}{more})"
        )
    return 0


def known_fakes_export(args: argparse.Namespace, settings: Settings) -> int:
    from server.media.bank import Status
    from server.media.exchange import export_csv, export_json

    status = Status(args.status) if args.status else None
    db = _db(settings)
    if args.format == "csv":
        sys.stdout.write(export_csv(db, status))
    else:
        print(json.dumps(export_json(db, status), ensure_ascii=False, indent=1))
    return 0


def known_fakes_check(args: argparse.Namespace, settings: Settings) -> int:
    from server.detectors.known_fakes import KnownFakesDetector, describe_match
    from server.errors import MediaError
    from server.media.decode import DecodeLimits, decode_media
    from server.scoring.resources import Resources
    from server.storage import known_fakes as queries

    resources = Resources.load(settings)
    resources.known_fakes.swap(queries.load_index(_db(settings)))
    detector = KnownFakesDetector(resources)
    limits = DecodeLimits.from_settings(settings)
    for path in args.files:
        try:
            item = decode_media(_read(path, settings.max_media_bytes), limits)
        except MediaError as exc:
            print(json.dumps({"file": str(path), "error": exc.code, "message": exc.message}))
            continue
        stamps = {f.index: f.timestamp_s for f in item.frames}
        found = [
            describe_match(fake, match, stamps.get(match.frame) if item.is_video else None)
            for fake, match in detector.matches(item)
        ]
        print(json.dumps({"file": str(path), "matches": found}, ensure_ascii=False))
    return 0


_SHA256 = re.compile(r"[0-9a-f]{64}")

#: What ``rehash`` did with an entry (``Rehashed.outcome``), in the order the summary counts them.
REHASHED, WOULD_REHASH, UNCHANGED, NO_MEDIA, HASH_ONLY, FAILED = (
    "rehashed",
    "would rehash",
    "unchanged",
    "no kept media",
    "hash-only",
    "failed",
)


def kept_media(data_dir: Path, sha256: str) -> Path | None:
    """The file ``keep_media`` stored for this content hash (any extension), or ``None``."""
    if not _SHA256.fullmatch(sha256):
        return None
    found = sorted(p for p in (data_dir / "known_fakes").glob(f"{sha256}.*") if p.is_file())
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Rehashed:
    """What ``rehash`` did with one entry. Only ``REHASHED`` wrote anything; every other
    outcome left its rows as they were. ``rows``/``faces``: counts before and after, where
    the file was hashed."""

    id: int
    outcome: str
    rows: tuple[int, int] | None = None
    faces: tuple[int, int] | None = None
    reason: str = ""

    def line(self) -> str:
        text = f"{self.id}: {self.outcome}"
        if self.rows is not None and self.faces is not None:
            text += (
                f", rows {self.rows[0]} \u2192 {self.rows[1]},"
                f" faces {self.faces[0]} \u2192 {self.faces[1]}"
            )
        return f"{text} ({self.reason})" if self.reason else text


def known_fakes_rehash(args: argparse.Namespace, settings: Settings) -> int:
    from server.media.decode import DecodeLimits
    from server.scoring.resources import Resources

    db = _db(settings)
    limits = DecodeLimits.from_settings(settings)
    resources: list[Resources] = []  # the models, loaded once the first kept file is found
    counts = dict.fromkeys((REHASHED, WOULD_REHASH, UNCHANGED, NO_MEDIA, HASH_ONLY, FAILED), 0)
    for entry in _entries(db, args.ids):
        if isinstance(entry, int):
            result = Rehashed(entry, FAILED, reason="no known fake with this id")
        elif entry.media_sha256 is None:
            result = Rehashed(
                entry.id, HASH_ONLY, reason="an imported list or a community case: no media"
            )
        else:
            path = kept_media(settings.data_dir, entry.media_sha256)
            if path is None:
                result = Rehashed(
                    entry.id,
                    NO_MEDIA,
                    reason=f"no {entry.media_sha256[:12]}\u2026 in"
                    f" {settings.data_dir / 'known_fakes'}; old rows kept",
                )
            else:
                if not resources:
                    resources.append(Resources.load(settings))
                result = _rehash_entry(
                    db, entry, path, settings, limits, resources[0], dry_run=args.dry_run
                )
        counts[result.outcome] += 1
        # A whole bank of imported hash lists would drown the rest: named ones only.
        if result.outcome != HASH_ONLY or args.ids:
            print(result.line(), flush=True)
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n)
    print(f"{summary or 'no entries'}{' (dry run: nothing written)' if args.dry_run else ''}")
    if counts[NO_MEDIA]:
        print(
            "Entries without a kept file keep their old rows until they are added again:"
            " `fakewatch known-fakes add FILE --label ...` (with"
            " FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA=1 to keep the file for the next rehash),"
            " then `fakewatch known-fakes retire OLD_ID`.",
            file=sys.stderr,
        )
    return 1 if counts[FAILED] else 0


def _entries(db: Database, ids: list[int] | None) -> Iterator[KnownFake | int]:
    """The named entries (an id not in the bank as itself), or every one, a page at a time:
    a bank of millions stays out of memory, and no read is open while an entry is written."""
    from server.storage import known_fakes as queries

    if ids:
        for fake_id in dict.fromkeys(ids):
            yield queries.get(db, fake_id) or fake_id
        return
    after = 0
    while page := queries.listing(db, status=None, limit=1000, after_id=after):
        yield from page
        after = page[-1].id


def _rehash_entry(
    db: Database,
    entry: KnownFake,
    path: Path,
    settings: Settings,
    limits: DecodeLimits,
    resources: Resources,
    *,
    dry_run: bool,
) -> Rehashed:
    """Hash one entry's kept file and, unless ``dry_run``, swap its rows in one write
    transaction. Every failure before the swap leaves the old rows as they were."""
    from server.errors import MediaError
    from server.media.enrol import EnrolError, hash_for_bank
    from server.storage import known_fakes as queries
    from server.storage import queries as audit_queries

    try:
        size = path.stat().st_size
        if size > settings.max_media_bytes:
            reason = f"{path.name}: {size} bytes, over FAKEWATCH_MAX_MEDIA_BYTES; old rows kept"
            return Rehashed(entry.id, FAILED, reason=reason)
        data = path.read_bytes()
    except OSError as exc:
        return Rehashed(entry.id, FAILED, reason=f"{path}: {exc.strerror}; old rows kept")
    if hashlib.sha256(data).hexdigest() != entry.media_sha256:
        reason = f"{path.name} no longer has the sha256 it was kept by (damaged?); old rows kept"
        return Rehashed(entry.id, FAILED, reason=reason)
    try:
        hashed = hash_for_bank(data, limits, resources)
    except (MediaError, EnrolError) as exc:
        code = getattr(exc, "code", "media_low_information")
        return Rehashed(entry.id, FAILED, reason=f"{code}: {exc}; old rows kept")
    new = queries.rows_for(hashed.regions, hashed.timestamps, hashed.faces)
    if dry_run:
        old = queries.stored_rows(db, entry.id)
        return _compared(entry, old, new, hashed.ai_labels, WOULD_REHASH)
    with immediate(db):
        # Read again under the write lock: the server may have changed it since.
        current = queries.get(db, entry.id)
        if current is None or current.media_sha256 != entry.media_sha256:
            return Rehashed(entry.id, FAILED, reason="the entry changed meanwhile; run again")
        old = queries.stored_rows(db, entry.id)
        result = _compared(current, old, new, hashed.ai_labels, REHASHED)
        if result.outcome == REHASHED:
            queries.replace_rows(db, entry.id, new, hashed.ai_labels)
            audit_queries.audit(
                db,
                actor=ACTOR,
                action="known_fake.rehash",
                target=f"known_fake:{entry.id}",
                details={"rows": list(result.rows or ()), "faces": list(result.faces or ())},
            )
    return result


def _compared(
    entry: KnownFake, old: EntryRows, new: EntryRows, ai_labels: tuple[str, ...], outcome: str
) -> Rehashed:
    same = old.same_as(new) and entry.ai_labels == ai_labels
    return Rehashed(
        entry.id,
        UNCHANGED if same else outcome,
        rows=(len(old.hashes), len(new.hashes)),
        faces=(len(old.faces), len(new.faces)),
    )
