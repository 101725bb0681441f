"""``fakewatch known-fakes add/list/retire/confirm/import/export/check``: the bank from the
command line. Same hashing and SQL as ``/v1/known-fakes``; a running server picks changes up
within ``FAKEWATCH_LISTS_REFRESH_S``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.settings import Settings
from server.storage.database import immediate

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

    for sub in (add, listing, retire, confirm, imp, exp, check):
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
    ids = import_entries(db, entries, ACTOR)
    print(f"imported {len(ids)} known fakes ({sum(len(e.hashes) for e in entries)} hash rows)")
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
