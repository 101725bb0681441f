"""``fakewatch``: serve the API, check links offline, import feeds, manage keys, back up.

The environment is read here, once, into ``Settings``; flags override it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from server import __version__
from server.settings import SETTINGS, Settings, SettingsError, given_as, load_settings

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _settings_epilog() -> str:
    lines = ["settings (environment variables; flags override them):"]
    for s in SETTINGS:
        default = "(unset)" if s.secret or s.default == "" else repr(s.default)
        lines.append(f"  {s.env:<40} {s.help} Default: {default}.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakewatch",
        description="FakeWatch: explained verdicts on scam links, media and messages.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_settings_epilog(),
    )
    parser.add_argument("--version", action="version", version=f"fakewatch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the HTTP API",
        description="Run the HTTP API. Prints 'READY http://HOST:PORT' once listening (and, "
        "under systemd's Type=notify, sends READY=1 to NOTIFY_SOCKET); SIGTERM stops it cleanly "
        "(STOPPING=1).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_settings_epilog(),
    )
    serve.add_argument("--host", help="address to bind (FAKEWATCH_HOST, default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, help="port to bind, 0 for any free one (FAKEWATCH_PORT, default 8470)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes sharing the port, for more than one core; Linux only; rate "
        "limits and /metrics then count per process (FAKEWATCH_WORKERS, default 1)",
    )
    _db_flags(serve)
    serve.add_argument(
        "--open-checks",
        action="store_true",
        default=None,
        help="allow checks without a key (rate-limited per IP, per worker with --workers)",
    )

    check = commands.add_parser(
        "check",
        help="check links without a server",
        description="Check links with the same detectors and lists as the server, and explain the verdict.",
    )
    check.add_argument("urls", nargs="*", metavar="URL", help="one or more links to judge")
    check.add_argument(
        "--from",
        dest="from_file",
        metavar="FILE",
        help="judge the links of a file, one a line ('-' reads stdin; UTF-8 or UTF-16; blank"
        " lines and # comments skipped; a line that is not one link has its links extracted,"
        " defanged ones too) and print one row per link, in input order: line number, verdict,"
        " score, link and the strongest reason, tab-separated (with --json: the line number"
        " and the API's verdict object, one JSON object a line); from a pipe, rows come out"
        " as soon as the input pauses (tail -f works). A summary goes to stderr",
    )
    check.add_argument(
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="with --from: processes judging links, each loading the detectors once (about a"
        " second and ~190 MB, more as caches fill); never more than one per 1,000 lines or 64"
        " (default 0: one per core this process may use; one for a pipe or a terminal)",
    )
    check.add_argument("--json", action="store_true", help="print the API's JSON instead of text")
    check.add_argument(
        "--lang",
        default="en",
        help="language of the explanations, as the API takes it: en, zh, zh-TW or zh-HK"
        " (default en; other languages get English)",
    )
    _db_flags(check)

    feeds = commands.add_parser("feeds", help="import and list blocklist feeds").add_subparsers(
        dest="feeds_command", metavar="SUBCOMMAND", required=True
    )
    feed_import = feeds.add_parser(
        "import",
        help="import a feed from a file or an http(s) URL",
        description="Import a blocklist feed. Re-importing is idempotent; entries gone from the feed are retired.",
    )
    feed_import.add_argument("source", metavar="SOURCE", help="a file path or an http(s) URL")
    feed_import.add_argument(
        "--format",
        required=True,
        dest="fmt",
        metavar="F",
        help="polkadot, metamask, scamsniffer, plain, urlhaus, phishtank-json, phishtank-csv or openphish",
    )
    feed_import.add_argument("--name", help="the feed's name (default: the format)")
    feed_import.add_argument(
        "--list",
        dest="action",
        choices=("block", "allow"),
        default="block",
        help="import as a blocklist (default) or an allowlist",
    )
    _db_flags(feed_import)
    feeds_list = feeds.add_parser("list", help="list imported feeds")
    _db_flags(feeds_list)

    keys = commands.add_parser("keys", help="create, list and revoke API keys").add_subparsers(
        dest="keys_command", metavar="SUBCOMMAND", required=True
    )
    key_create = keys.add_parser("create", help="create a key (printed once, stored hashed)")
    key_create.add_argument(
        "--role",
        choices=("client", "moderator", "admin"),
        default="client",
        help="client: checks and reports (default); moderator: also list entries, reports and "
        "known fakes; admin: also keys. Each role includes the ones before it",
    )
    key_create.add_argument("--label", default="", help="a note to tell keys apart")
    _db_flags(key_create)
    key_list = keys.add_parser("list", help="list keys (prefixes only)")
    _db_flags(key_list)
    key_revoke = keys.add_parser("revoke", help="revoke a key by id")
    key_revoke.add_argument("id", type=int, help="the key's id, as `keys list` shows it")
    _db_flags(key_revoke)

    lists = commands.add_parser("lists", help="operator allow and block entries").add_subparsers(
        dest="lists_command", metavar="SUBCOMMAND", required=True
    )
    for action in ("allow", "block"):
        sub = lists.add_parser(action, help=f"add a domain to the operator {action}list")
        sub.add_argument(
            "domain",
            help="a host name, e.g. claim-gift.top; its subdomains match too, its parent does not",
        )
        sub.add_argument("--note", default="", help="why, for the next operator")
        _db_flags(sub)
    lists_list = lists.add_parser(
        "list", help="the operator's active entries with their ids (what `lists remove` takes)"
    )
    lists_list.add_argument("--action", choices=("allow", "block"), help="only this action")
    _db_flags(lists_list)
    lists_remove = lists.add_parser(
        "remove", help="retire an operator entry by id (feed, community and peer entries refuse)"
    )
    lists_remove.add_argument("id", type=int, help="the entry's id, as `lists list` shows it")
    _db_flags(lists_remove)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", metavar="SUBCOMMAND", required=True
    )
    backup = db.add_parser(
        "backup", help="write a consistent copy of the database (safe while serving)"
    )
    backup.add_argument("dest", type=Path, metavar="DEST", help="the file to write")
    _db_flags(backup)
    restore = db.add_parser(
        "restore",
        help="replace the database with a backup (stop the server first)",
        description="Check BACKUP (integrity, a FakeWatch database this version knows) and put "
        "a copy of it in place of the database. Refused while a server uses the database: stop "
        "it first. Stale -wal/-shm files of a crashed server are moved aside with the replaced "
        "database (kept as DB.replaced-TIME), so they cannot be replayed onto the backup.",
    )
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="a file `db backup` wrote")
    _db_flags(restore)

    for module_name in FEATURE_COMMANDS:
        importlib.import_module(module_name).add_commands(commands, _db_flags)
    _name_commands(parser, "")
    return parser


def _name_commands(parser: argparse.ArgumentParser, path: str) -> None:
    """Give every leaf command its full name (``keys list``) as ``args.command_name``: the
    key of ``DATABASE_USE``."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        parser.set_defaults(command_name=path)
    for action in subparsers:
        for name, sub in action.choices.items():
            _name_commands(sub, f"{path} {name}".strip())


#: What each command does with the database (``--db``, else DATA_DIR/fakewatch.db), checked
#: in ``main`` before the command runs, so a bad path is one line and never a traceback:
#:  - CREATES: it writes, and makes the database (and its folder) when there is none, or
#:    in an empty file; another program's SQLite database (tables, none of them FakeWatch's)
#:    is refused, never migrated;
#:  - EXISTING: it reads, or changes what must already be there: a database that is missing
#:    (a mistyped --db), an empty file or any SQLite file that is not FakeWatch's is
#:    refused and nothing is created or changed;
#:  - OPTIONAL: it uses the database when there is one (``check``), never creates it; a
#:    file there must be FakeWatch's database, as for EXISTING;
#:  - REPLACES: it puts another file in its place (``db restore``): whatever is there now,
#:    a damaged file included, is moved aside, not read;
#:  - DATA_DIR: it keeps its own state in the data folder (the bot's bot.db), not the database.
#: ``tests/test_cli_boundaries.py`` fails when a command is missing here.
CREATES, EXISTING, OPTIONAL, REPLACES, DATA_DIR = (
    "creates",
    "existing",
    "optional",
    "replaces",
    "data_dir",
)
DATABASE_USE: dict[str, str] = {
    "serve": CREATES,
    "check": OPTIONAL,
    "feeds import": CREATES,
    "feeds list": EXISTING,
    "keys create": CREATES,
    "keys list": EXISTING,
    "keys revoke": EXISTING,
    "lists allow": CREATES,
    "lists block": CREATES,
    "lists list": EXISTING,
    "lists remove": EXISTING,
    "db backup": EXISTING,
    "db restore": REPLACES,
    "bot": DATA_DIR,
    "persons add": CREATES,
    "persons list": EXISTING,
    "persons show": EXISTING,
    "persons edit": EXISTING,
    "persons retire": EXISTING,
    "persons enrol": EXISTING,
    "persons import": CREATES,
    "known-fakes add": CREATES,
    "known-fakes list": EXISTING,
    "known-fakes retire": EXISTING,
    "known-fakes confirm": EXISTING,
    "known-fakes import": CREATES,
    "known-fakes export": EXISTING,
    "known-fakes check": EXISTING,
    "known-fakes rehash": EXISTING,
    "community purge": EXISTING,
    "community counts": EXISTING,
    "community unchecked-bank": EXISTING,
    "federation pull": CREATES,
    "federation peers add": CREATES,
    "federation peers list": EXISTING,
    "federation peers remove": EXISTING,
    "federation sync": EXISTING,
}


def check_paths(command: str, settings: Settings, flags: Mapping[str, Any]) -> None:
    """Check the data folder and the database for ``command`` (see ``DATABASE_USE``) before it
    runs; creates and changes nothing. A path to correct raises ``SettingsError`` naming the
    flag or variable that gave it; a file that is no database raises ``DatabaseUnusable``.
    ``flags`` are the command line's settings (``None``: not given)."""
    from server.storage.database import DatabasePathError, check_database_path, check_folder_path

    use = DATABASE_USE.get(command, CREATES)
    data_dir_from = given_as("data_dir", flags)
    if flags.get("data_dir") is None and not os.environ.get(data_dir_from):
        data_dir_from = ""  # the default, ./var
    db_from = given_as("db", flags)
    if flags.get("db") is None and not os.environ.get(db_from):
        db_from = data_dir_from
    if data_dir_from or use == DATA_DIR:
        try:
            check_folder_path(settings.data_dir, writes=use == DATA_DIR)
        except DatabasePathError as exc:
            raise SettingsError(exc.describe(_source(data_dir_from, "data folder"))) from None
    if use != DATA_DIR:
        try:
            check_database_path(
                settings.db,
                must_exist=use == EXISTING,
                writes=use == CREATES,
                header=use != REPLACES,
                must_be_fakewatch=use in (EXISTING, OPTIONAL),
            )
        except DatabasePathError as exc:
            raise SettingsError(exc.describe(_source(db_from, "data folder"))) from None


def check_arguments(command: str, args: argparse.Namespace, settings: Settings) -> str:
    """What is wrong with an argument that a creating command would only find out after it
    made the database ('' when nothing is found): checked before anything is created."""
    if command == "known-fakes add":
        for file in args.files:
            try:
                with open(file, "rb"):
                    pass
            except OSError as exc:
                return f"{file}: {exc.strerror or exc}"
    if command == "federation pull" and not args.key:
        try:
            new = settings.db.stat().st_size == 0
        except FileNotFoundError:
            new = True
        except OSError:
            new = False
        if new:  # no peer can be pinned yet
            return "the first pull needs --key (the peer's GET /v1/federation/key)"
    return ""


def _source(given_by: str, default: str) -> str:
    """``from --db`` or ``from FAKEWATCH_DB``; for a default, what it is."""
    if given_by:
        return f"from {given_by}"
    return f"the default {default}: --data-dir and FAKEWATCH_DATA_DIR are unset"


#: Modules that add their own subcommands: each has ``add_commands(commands, db_flags)``,
#: which adds parsers to the ``commands`` subparsers and binds each to its function with
#: ``set_defaults(handler=fn)``, ``fn(args, settings) -> exit code``. One line per feature.
FEATURE_COMMANDS: tuple[str, ...] = (
    "bot.cli",
    "server.persons.cli",
    "server.media.cli",
    "server.community.cli",
    "server.federation.cli",
)


def _db_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="SQLite file (FAKEWATCH_DB, default DATA_DIR/fakewatch.db)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="data folder (FAKEWATCH_DATA_DIR, default ./var)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    flags = {
        "data_dir": args.data_dir,
        "db": args.db,
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "open_checks": getattr(args, "open_checks", None),
        "workers": getattr(args, "workers", None),
    }
    try:
        settings = load_settings(overrides=flags)
        check_paths(args.command_name, settings, flags)
    except SettingsError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except sqlite3.DatabaseError as exc:  # DatabaseUnusable: a file that is no database
        return _fail(f"cannot open the database {settings.db}: {exc}", EXIT_ERROR)
    wrong = check_arguments(args.command_name, args, settings)
    if wrong:
        return _fail(wrong, EXIT_USAGE if args.command_name == "federation pull" else EXIT_ERROR)
    from server.commands import CommandError, run_command  # deferred: keeps --help fast

    try:
        return run_command(args, settings)
    except CommandError as exc:
        return _fail(str(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`fakewatch check ... | head`): nothing went wrong here. Point
        # stdout at /dev/null so Python's flush at exit does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _fail(message: str, code: int) -> int:
    """Print ``fakewatch: MESSAGE`` on stderr and return ``code``; a worker of ``serve
    --workers N`` that fails before READY hands the line to its supervisor instead, which
    prints it once for the group."""
    from server.serve_workers import tell_supervisor

    if not tell_supervisor(message):
        print(f"fakewatch: {message}", file=sys.stderr)
    return code
