"""``fakewatch persons add/list/show/edit/retire/enrol``: the registry from the command line.

Same checks and the same SQL as ``/v1/persons``; a running server picks the change up within
``FAKEWATCH_LISTS_REFRESH_S``. ``enrol`` reads a photo, keeps only its face embedding.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.settings import Settings
from server.storage.database import immediate

ACTOR = "cli"


def add_commands(commands: Any, db_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    persons = commands.add_parser(
        "persons",
        help="protected persons (faces and names scammers impersonate)",
        description="The protected-person registry behind impersonation checks.",
    ).add_subparsers(dest="persons_command", metavar="SUBCOMMAND", required=True)

    add = persons.add_parser("add", help="register a person; prints the new id")
    add.add_argument("name", help="the name scammers use, e.g. 张文宏 or Elon Musk")
    _field_flags(add)
    add.set_defaults(handler=persons_add)

    listing = persons.add_parser("list", help="list persons")
    listing.add_argument("--all", action="store_true", help="include retired persons")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=persons_list)

    show = persons.add_parser("show", help="one person with every revision (JSON)")
    show.add_argument("id", type=int, help="the person's id (`persons list`)")
    show.set_defaults(handler=persons_show)

    edit = persons.add_parser(
        "edit", help="change fields; a list flag given replaces that list (old values kept)"
    )
    edit.add_argument("id", type=int, help="the person's id (`persons list`)")
    edit.add_argument("--name", help="a new main name")
    _field_flags(edit)
    edit.set_defaults(handler=persons_edit)

    retire = persons.add_parser("retire", help="stop using a person (record and history kept)")
    retire.add_argument("id", type=int, help="the person's id (`persons list`)")
    retire.set_defaults(handler=persons_retire)

    enrol = persons.add_parser(
        "enrol", help="add a reference face from a photo with exactly one face (photo not kept)"
    )
    enrol.add_argument("id", type=int, help="the person's id (`persons list`)")
    enrol.add_argument(
        "photo", type=Path, metavar="PHOTO", help="a JPEG/PNG/WebP photo showing only them"
    )
    enrol.set_defaults(handler=persons_enrol)

    imported = persons.add_parser(
        "import",
        help="add persons from a JSON file, or FakeWatch's starter list (--starter)",
        description='Add the persons of a file ({"persons": [{"name": ..., "aliases": [...],'
        ' "official_domains": [...], ...}]}, the fields of POST /v1/persons) or of the starter'
        " list FakeWatch ships: names scams borrow most, with aliases in Chinese and English and"
        " official sites, no faces. A person whose name or alias is already registered is"
        " skipped, so importing again adds only what is new.",
    )
    source = imported.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="a persons JSON file")
    source.add_argument(
        "--starter", action="store_true", help="the starter list (server/data/starter_persons.json)"
    )
    imported.set_defaults(handler=persons_import)

    for sub in (add, listing, show, edit, retire, enrol, imported):
        db_flags(sub)


def _field_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--alias",
        action="append",
        dest="aliases",
        metavar="NAME",
        help="another name or spelling (repeat for several)",
    )
    parser.add_argument("--description", help="who they are, shown to moderators")
    parser.add_argument(
        "--domain",
        action="append",
        dest="official_domains",
        metavar="DOMAIN",
        help="an official site of theirs (repeat for several); links there are not impersonation",
    )
    parser.add_argument(
        "--account",
        action="append",
        dest="official_accounts",
        metavar="ACCOUNT",
        help="@handle, platform:handle (weibo:张文宏) or a profile URL",
    )
    parser.add_argument("--never", action="append", metavar="TEXT", help="what they never do")


def _given_fields(args: argparse.Namespace) -> dict[str, Any]:
    names = ("name", "aliases", "description", "official_domains", "official_accounts", "never")
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _checked(fields: dict[str, Any], settings: Settings, *, partial: bool) -> dict[str, Any]:
    from server.commands import CommandError
    from server.persons.records import check_fields
    from server.persons.registry import PersonInvalid
    from server.scoring.resources import Resources

    try:
        return check_fields(fields, Resources.load(settings).parser, partial=partial)
    except PersonInvalid as exc:
        raise CommandError(str(exc)) from None


def _db(settings: Settings) -> Any:
    from server.storage.database import connect

    return connect(settings.db)


def persons_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.persons import store

    fields = _checked(_given_fields(args), settings, partial=False)
    db = _db(settings)
    with immediate(db):
        person_id = store.insert_person(db, fields, actor=ACTOR)
    print(person_id)
    return 0


def persons_import(args: argparse.Namespace, settings: Settings) -> int:
    from server.commands import CommandError
    from server.persons.starter import PersonsFileError, import_persons, read_persons, starter_path
    from server.scoring.resources import Resources

    path = starter_path() if args.starter else args.file
    try:
        records = read_persons(path, Resources.load(settings).parser)
    except PersonsFileError as exc:
        raise CommandError(str(exc)) from None
    db = _db(settings)
    with immediate(db):
        done = import_persons(db, records, actor=ACTOR)
    print(f"added {len(done.added)} persons: " + (", ".join(n for _, n in done.added) or "-"))
    if done.skipped:
        held = ", ".join(f"{name} (#{pid} {registered})" for name, pid, registered in done.skipped)
        print(f"skipped {len(done.skipped)} already registered: {held}")
    return 0


def persons_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.persons import store

    rows = store.person_rows(_db(settings), include_retired=args.all, limit=1_000_000)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        state = " (retired)" if row["retired"] else ""
        aliases = ", ".join(row["aliases"])
        official = ", ".join([*row["official_domains"], *row["official_accounts"]]) or "-"
        print(
            f"{row['id']}\t{row['name']}{state}\taliases: {aliases or '-'}\t"
            f"faces: {row['faces']}\tofficial: {official}"
        )
    return 0


def persons_show(args: argparse.Namespace, settings: Settings) -> int:
    from server.commands import CommandError
    from server.persons import store

    db = _db(settings)
    record = store.person_record(db, args.id)
    if record is None:
        raise CommandError(f"no person with id {args.id}")
    record["revisions"] = store.revisions(db, args.id)
    print(json.dumps(record, ensure_ascii=False, indent=2))
    return 0


def persons_edit(args: argparse.Namespace, settings: Settings) -> int:
    from server.commands import CommandError
    from server.persons import store

    changes = _checked(_given_fields(args), settings, partial=True)
    db = _db(settings)
    with immediate(db):
        done = store.update_person(db, args.id, changes, actor=ACTOR)
    if not done:
        raise CommandError(f"no active person with id {args.id}")
    print(f"person {args.id} updated")
    return 0


def persons_retire(args: argparse.Namespace, settings: Settings) -> int:
    from server.commands import CommandError
    from server.persons import store

    db = _db(settings)
    with immediate(db):
        done = store.retire_person(db, args.id, actor=ACTOR)
    if not done:
        raise CommandError(f"no active person with id {args.id}")
    print(f"person {args.id} retired (record and history kept)")
    return 0


def persons_enrol(args: argparse.Namespace, settings: Settings) -> int:
    from server.commands import CommandError
    from server.errors import ApiError
    from server.media.decode import DecodeLimits, decode_media
    from server.media.faces import FaceDetector
    from server.persons import store
    from server.persons.embed import FaceEmbedder
    from server.persons.enrol import enrol_photo
    from server.scoring.resources import Resources

    db = _db(settings)
    record = store.person_record(db, args.id)
    if record is None or record["retired"]:
        raise CommandError(f"no active person with id {args.id}")
    limits = DecodeLimits.from_settings(settings)
    try:
        size = args.photo.stat().st_size
        if size > limits.max_bytes:
            raise CommandError(f"{args.photo} is larger than {limits.max_bytes} bytes")
        data = args.photo.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {args.photo}: {exc.strerror}") from None
    try:
        item = decode_media(data, limits)
        detector = FaceDetector(Resources.load(settings).models.get("yunet"))
        enrolment = enrol_photo(item, detector, FaceEmbedder())
    except ApiError as exc:
        raise CommandError(f"{args.photo}: {exc.message} ({exc.code})") from None
    other = store.load_index(db, settings.face_match_distance).match_face(enrolment.vector)
    if other is not None and other.person.id != args.id:
        raise CommandError(
            f"{args.photo}: this face already matches person {other.person.id}"
            f" ({other.person.name}, similarity {other.similarity:.2f})"
            " (enrol_face_of_another_person)"
        )
    with immediate(db):
        added = store.add_face(
            db,
            args.id,
            enrolment.vector,
            photo_sha256=enrolment.photo_sha256,
            face_pixels=enrolment.face_pixels,
            actor=ACTOR,
        )
    assert added is not None
    face_id, created = added
    print(f"face {face_id} {'enrolled' if created else 'already enrolled'} for person {args.id}")
    return 0
