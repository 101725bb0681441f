"""What each ``fakewatch`` subcommand does (argument parsing lives in ``cli.py``)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import signal
import sqlite3
import stat
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

from server.cli import EXIT_OK
from server.settings import Settings
from server.storage.database import DatabaseUnusable, immediate


class CommandError(Exception):
    """A command failed for a reason the user can act on; printed without a traceback."""


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def serve_forever(settings: Settings) -> int:
    """Bind, print READY, serve until SIGTERM or SIGINT, shut down cleanly."""
    from server.storage.backup import BackupError, hold_server_lock

    try:
        # Shared by every server process (and `--workers` worker) for its lifetime: `db
        # restore` takes it exclusively, so it never swaps the file under a running server.
        lock_fd = hold_server_lock(settings.db)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot create the lock file beside {settings.db}: {exc}") from None
    try:
        return _serve(settings)
    finally:
        os.close(lock_fd)


def _serve(settings: Settings) -> int:
    from aiohttp import web

    from server import logs
    from server.api.app import create_app
    from server.api.state import DB
    from server.serve_workers import sd_notify

    if settings.workers > 1:
        from server.serve_workers import supervise

        return supervise(settings)
    supervisor = os.environ.get("FAKEWATCH_SUPERVISOR_PID", "")
    if settings.reuse_port and supervisor.isdigit():  # a worker of `serve --workers N`
        from server.serve_workers import die_with_supervisor

        die_with_supervisor(int(supervisor))
    logs.configure(settings.log_level)
    keep_data_dir_private(settings)

    async def run() -> None:
        started = time.monotonic()
        app = create_app(settings)
        # A 4096-character URL of Chinese text is ~36 KB once percent-encoded: let the request
        # line through to our own validation, which answers in the JSON error shape.
        runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=5.0,
            max_line_size=MAX_REQUEST_LINE,
            max_field_size=MAX_HEADER_FIELD,
        )
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=settings.reuse_port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise CommandError(
                f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
            ) from None
        host, port = _bound_address(runner)
        print(f"READY http://{host}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # systemd (Type=notify); a worker of `serve --workers` has no NOTIFY_SOCKET.
        sd_notify(f"READY=1\nSTATUS=READY http://{host}:{port}")
        await stop.wait()
        sd_notify("STOPPING=1")
        database = app[DB]
        database.checkpoint_on_close = _owns_checkpoint()
        await runner.cleanup()  # closes the database: the WAL checkpoint (Database.close)
        logging.getLogger("fakewatch.serve").info(
            "stopped",
            extra={
                "event": "stopped",
                "uptime_s": round(time.monotonic() - started, 1),
                "requests": _requests_served(app),
                "wal_checkpoint": database.checkpointed,
            },
        )

    try:
        asyncio.run(run())
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"cannot open the database {settings.db}: {exc}") from None
    return EXIT_OK


def keep_data_dir_private(settings: Settings) -> None:
    """Warn in the log when an existing data folder lets other users in (a missing one is
    made 0700 by whatever first writes in it: the database, its lock). It is never changed:
    ``FAKEWATCH_DATA_DIR`` may name a shared folder (``/tmp``, a home folder)."""
    from server.storage.database import warn_if_open

    warn_if_open(settings.data_dir)


def _owns_checkpoint() -> bool:
    """Whether this process checkpoints the WAL when it stops: a single server does; of
    `serve --workers N` only the first worker, which the supervisor stops last."""
    if not os.environ.get("FAKEWATCH_SUPERVISOR_PID", "").isdigit():
        return True
    return os.environ.get("FAKEWATCH_WORKER_INDEX", "0") == "0"


def _requests_served(app: Any) -> int:
    """Requests answered since start (every status), from the request counter."""
    from server.api.state import METRICS

    return int(
        sum(
            sample.value
            for metric in app[METRICS].requests.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


def _bound_address(runner: Any) -> tuple[str, int]:
    for site_server in runner.addresses:
        host, port = site_server[0], site_server[1]
        return (f"[{host}]" if ":" in host else host), port
    raise CommandError("the server did not report a listening address")


#: Longest request line and header field the HTTP parser accepts (aiohttp's default: 8190).
MAX_REQUEST_LINE = 65_536
MAX_HEADER_FIELD = 16_384


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run the chosen command. A model that cannot be loaded (``ModelError``, raised while a
    command or the server starts) becomes one line naming FAKEWATCH_MODELS_DIR; a database
    that cannot be opened or created (``DatabaseUnusable``), one line naming it."""
    try:
        return _run_command(args, settings)
    except DatabaseUnusable as exc:
        # ``cli.main`` checked the path first; this is what changed since, or a database
        # that SQLite itself refuses (``connect``), whichever command opened it.
        raise CommandError(exc.describe()) from None
    except Exception as exc:
        # Only a command that loaded models can raise ModelError, so its module is imported
        # by then; importing it here would load onnxruntime for `keys list` too.
        models = sys.modules.get("server.onnx_runtime")
        if models is None or not isinstance(exc, models.ModelError):
            raise
        raise CommandError(models_unusable(str(exc), settings)) from None


def models_unusable(problem: str, settings: Settings) -> str:
    """What to do when the models folder is missing or broken (``fakewatch serve`` and
    every command that loads a model print it and exit 1)."""
    if settings.models_dir:
        where = f"FAKEWATCH_MODELS_DIR is {settings.models_dir}"
    else:
        from server.onnx_runtime import default_models_dir

        where = f"FAKEWATCH_MODELS_DIR is unset, so the installed {default_models_dir()}"
    return (
        f"cannot load the models: {problem} ({where}); set FAKEWATCH_MODELS_DIR to the folder "
        "holding ai_face/, scam_domain/, scam_text/ and yunet/ (a checkout's models/), or unset "
        "it to use the models installed with FakeWatch"
    )


def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    handler = getattr(args, "handler", None)
    if handler is not None:  # a feature's own subcommand (see cli.FEATURE_COMMANDS)
        return int(handler(args, settings))
    command = args.command
    if command == "serve":
        return serve_forever(settings)
    if command == "check":
        return check(args, settings)
    if command == "feeds":
        return (
            feeds_import(args, settings) if args.feeds_command == "import" else feeds_list(settings)
        )
    if command == "keys":
        return {"create": keys_create, "list": keys_list, "revoke": keys_revoke}[args.keys_command](
            args, settings
        )
    if command == "lists":
        chosen = {"remove": lists_remove, "list": lists_list}.get(args.lists_command, lists_add)
        return chosen(args, settings)
    if command == "db":
        return (db_restore if args.db_command == "restore" else db_backup)(args, settings)
    raise CommandError(f"unknown command {command!r}")


def _open(settings: Settings) -> Any:
    from server.storage.database import connect

    try:
        return connect(settings.db)
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"cannot open the database {settings.db}: {exc}") from None


# --- check -----------------------------------------------------------------------------------


def check(args: argparse.Namespace, settings: Settings) -> int:
    if args.from_file is not None:
        if args.urls:
            raise CommandError("give links on the command line or --from FILE, not both")
        return check_many(args, settings)
    if not args.urls:
        raise CommandError("give one or more links to check, or --from FILE (one link a line)")
    if args.jobs:
        raise CommandError("--jobs goes with --from FILE")
    from server.engine import Engine
    from server.i18n import VERDICT_NAMES, chinese_script, negotiate, pick
    from server.traditional import convert_verdicts, to_traditional

    db = _open(settings) if settings.db.exists() else None
    engine = Engine.build(settings, db)
    # The tags the API takes: zh-TW / zh-HK get Traditional sentences, as over HTTP.
    lang = negotiate(args.lang, None)
    region = chinese_script(args.lang, None)
    rendered = engine.render_links(engine.check_links_sync(args.urls), lang)
    if region is not None:
        convert_verdicts(rendered, region)
    if args.json:
        print_json({"results": rendered})
        return EXIT_OK
    for item in rendered:
        name = pick(VERDICT_NAMES, item["verdict"], lang)
        if region is not None:
            name = to_traditional(name, region)
        print(item["url"])
        print(f"  {name.upper()} (verdict {item['verdict']}, score {item['score']:.2f})")
        print(textwrap.fill(item["summary"], width=96, initial_indent="  ", subsequent_indent="  "))
        for reason in item["reasons"]:
            print(f"  - [{reason['detector']}] {reason['message']}")
            facts = _facts(reason["details"])
            if facts:
                print(
                    textwrap.fill(
                        facts, width=96, initial_indent="      ", subsequent_indent="      "
                    )
                )
        print()
    return EXIT_OK


def check_many(args: argparse.Namespace, settings: Settings) -> int:
    """``check --from FILE``: see ``server/bulk.py``."""
    from server.bulk import (
        CHUNK,
        BulkChecker,
        BulkError,
        Tally,
        default_jobs,
        read_lines,
        text_stream,
    )

    if args.jobs < 0:
        raise CommandError("--jobs must be 0 (one per core) or more")
    jobs = args.jobs or default_jobs()
    name = "stdin" if args.from_file == "-" else args.from_file
    try:
        source = sys.stdin.buffer if args.from_file == "-" else open(args.from_file, "rb")  # noqa: SIM115
        text = text_stream(source)
    except OSError as exc:
        raise CommandError(f"cannot read {name}: {exc.strerror or exc}") from None

    def reading() -> Iterator[tuple[int, str]]:
        try:
            yield from read_lines(text, settings.max_url_length)
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror or exc}") from None

    # SIGTERM (kill, docker stop) unwinds like Ctrl-C: the workers are stopped and their
    # semaphores released, exit status 143.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    tally = Tally()
    out = sys.stdout.buffer
    began = time.perf_counter()
    try:
        lines: Iterator[tuple[int, str]] = reading()
        # A pipe or a terminal may pause (`tail -f`): rows come out as lines arrive, and by
        # default one process judges them (no worker start-up before the first verdict).
        live = not stat.S_ISREG(os.fstat(source.fileno()).st_mode)
        if live:
            jobs = args.jobs or 1
        elif jobs > 1:
            # No more workers than chunks: each takes a second and ~190 MB to load the
            # detectors (VmHWM at 5,000 links; more as its caches fill), and a short list is
            # judged sooner in this process.
            first = list(itertools.islice(lines, jobs * CHUNK))
            jobs = max(1, min(jobs, -(-len(first) // CHUNK)))
            lines = itertools.chain(first, lines)
        with BulkChecker(
            settings, jobs=jobs, lang=args.lang, fmt="jsonl" if args.json else "tsv"
        ) as bulk:
            loaded = time.perf_counter() - began
            for rows in bulk.run(lines, tally, live=live):
                try:
                    out.write(rows)
                    out.flush()
                except BrokenPipeError:
                    raise
                except OSError as exc:
                    raise CommandError(f"cannot write the output: {exc.strerror or exc}") from None
    except BulkError as exc:
        raise CommandError(str(exc)) from None
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    print(_bulk_summary(tally, loaded, jobs), file=sys.stderr)
    if len(tally.lists_versions) > 1:
        print(
            "fakewatch: the lists changed while the check ran (versions"
            f" {', '.join(map(str, sorted(tally.lists_versions)))}): some links were judged"
            " against the newer lists; run it again for one version",
            file=sys.stderr,
        )
    return EXIT_OK


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _bulk_summary(tally: Any, loaded: float, jobs: int) -> str:
    counts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(tally.verdicts.items()))
    summary = (
        f"checked {tally.links} link{'' if tally.links == 1 else 's'} in"
        f" {loaded + tally.seconds:.1f} s ({loaded:.1f} s loading the detectors, then"
        f" {tally.rate:,.0f} a second with {jobs} process{'es' if jobs > 1 else ''})"
    )
    if counts:
        summary += f": {counts}"
    if tally.lines_without_link:
        n = tally.lines_without_link
        summary += f"; {n} line{' held' if n == 1 else 's held'} no readable link"
    return summary


def _facts(details: dict[str, Any]) -> str:
    parts = []
    for key, value in details.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = "; ".join(", ".join(f"{k}={v}" for k, v in d.items()) for d in value)
        parts.append(f"{key}={value}")
    return "  ".join(parts)


# --- feeds -----------------------------------------------------------------------------------


def feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    from server.feeds.errors import FeedError
    from server.feeds.fetch import read_source
    from server.feeds.importer import import_feed
    from server.scoring.resources import Resources

    progress = _ProgressBar() if sys.stderr.isatty() else None
    try:
        data = read_source(
            args.source, max_bytes=settings.feed_max_bytes, timeout_s=settings.feed_timeout_s
        )
        resources = Resources.load(settings)
        summary = import_feed(
            _open(settings),
            data,
            name=args.name or args.fmt,
            fmt=args.fmt,
            source=args.source,
            action=args.action,
            parser=resources.parser,
            popular=frozenset(resources.top_sites),
            progress=progress,
        )
    except FeedError as exc:
        raise CommandError(str(exc)) from None
    finally:
        if progress is not None:
            progress.close()
    print(summary.describe())
    return EXIT_OK


class _ProgressBar:
    """A one-line progress bar on stderr for imports of more than a few thousand entries."""

    def __init__(self) -> None:
        self._shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < 5000:
            return
        percent = done * 100 // max(total, 1)
        if percent != self._shown:
            self._shown = percent
            filled = percent * 30 // 100
            sys.stderr.write(
                f"\r  [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}%  {done}/{total}"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self._shown >= 0:
            sys.stderr.write("\n")


def feeds_list(settings: Settings) -> int:
    from server.storage import queries

    rows = queries.feed_rows(_open(settings))
    if not rows:
        print("No feeds imported yet. Try: fakewatch feeds import FILE_OR_URL --format plain")
    for row in rows:
        print(
            f"{row['name']}: {row['entries']} entries ({row['format']}, {row['action']}list) from "
            f"{row['source']}, imported {row['imported_at']}"
        )
    return EXIT_OK


# --- keys ------------------------------------------------------------------------------------


def keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from server.keys import hash_key, key_prefix, new_key
    from server.storage import queries

    db = _open(settings)
    key = new_key()
    with immediate(db):
        key_id = queries.insert_api_key(
            db, key_hash=hash_key(key), prefix=key_prefix(key), role=args.role, label=args.label
        )
        queries.audit(
            db,
            actor="cli",
            action="key.create",
            target=f"key:{key_id}",
            details={"role": args.role},
        )
    print(f"Created {args.role} key #{key_id}. It is shown once; store it now:")
    print(key)
    return EXIT_OK


def keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage import queries

    rows = queries.api_key_rows(_open(settings))
    if not rows:
        print("No keys yet. Create one with: fakewatch keys create --role client")
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        print(
            f"#{row['id']}  {row['prefix']}…  {row['role']:<9}  {state:<28}  {row['label'] or ''}"
        )
    return EXIT_OK


def keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage import queries

    db = _open(settings)
    with immediate(db):
        done = queries.revoke_api_key(db, args.id)
        if done:
            queries.audit(db, actor="cli", action="key.revoke", target=f"key:{args.id}", details={})
    if not done:
        raise CommandError(f"no active key with id {args.id}")
    print(f"Revoked key #{args.id}. A running server stops accepting it within 2 s.")
    return EXIT_OK


# --- lists -----------------------------------------------------------------------------------


def lists_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.links.url import InvalidUrl
    from server.scoring.resources import Resources
    from server.storage import queries

    resources = Resources.load(settings)
    try:
        host = resources.parser.parse_host(args.domain)
    except InvalidUrl as exc:
        raise CommandError(f"{args.domain!r}: {exc}") from None
    if host.is_ip or resources.suffixes.is_suffix(host.ascii):
        raise CommandError(f"{host.ascii} is an IP address or a public suffix; list a domain name")
    db = _open(settings)
    now = queries.now_iso()
    with immediate(db):
        entry_id, created = queries.upsert_list_entry(
            db,
            list_name="operator",
            action=args.lists_command,
            kind="domain",
            value=host.ascii,
            source="operator (cli)",
            added_at=now,
            seen_at=now,
            note=args.note or None,
        )
        queries.bump_lists_version(db)
        queries.audit(
            db,
            actor="cli",
            action=f"list.{args.lists_command}",
            target=host.ascii,
            details={"entry_id": entry_id},
        )
    verb = "Added" if created else "Already listed:"
    print(f"{verb} {host.ascii} on the operator {args.lists_command}list (entry #{entry_id}).")
    return EXIT_OK


def lists_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage import queries

    db = _open(settings)
    rows: list[dict[str, Any]] = []
    while True:  # every active entry, a page at a time
        page = queries.list_entry_rows(
            db,
            list_name=queries.OPERATOR_LIST,
            action=args.action,
            limit=1000,
            offset=len(rows),
        )
        rows.extend(page)
        if len(page) < 1000:
            break
    if not rows:
        print("No operator entries. Add one with: fakewatch lists allow|block DOMAIN")
    for row in rows:
        note = f"  {row['note']}" if row["note"] else ""
        print(f"#{row['id']}  {row['action']:<5}  {row['value']}  added {row['added_at']}{note}")
    return EXIT_OK


def lists_remove(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage import queries

    db = _open(settings)
    with immediate(db):
        try:
            done = queries.remove_operator_entry(db, args.id)
        except queries.NotAnOperatorEntry as exc:
            raise CommandError(str(exc)) from None
        if done:
            queries.bump_lists_version(db)
            queries.audit(
                db, actor="cli", action="list.remove", target=f"entry:{args.id}", details={}
            )
    if not done:
        raise CommandError(f"no active list entry with id {args.id}")
    print(f"Retired list entry #{args.id}.")
    return EXIT_OK


# --- db --------------------------------------------------------------------------------------


def db_backup(args: argparse.Namespace, settings: Settings) -> int:
    """SQLite's online backup: a consistent copy even while the server writes."""
    from server.storage.backup import BackupError, backup

    try:
        backup(settings.db, args.dest)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"Backed up {settings.db} to {args.dest} (integrity check: ok, mode 0600).")
    return EXIT_OK


def db_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Replace the database with a checked copy of a backup; refused while a server runs."""
    from server.storage.backup import BackupError, restore

    try:
        _check_backup(args.backup)  # before `restore` makes the folder and the lock file
        applied, aside = restore(args.backup, settings.db)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    from sqlite_utils import Database

    from server.storage.migrations import migrations

    restored = Database(settings.db)
    try:
        newer = len(migrations.pending(restored))  # read-only
    finally:
        restored.close()
    later = (
        f"; {newer} newer ones are applied when the server opens it" if newer else ", all of them"
    )
    print(
        f"Restored {settings.db} from {args.backup} "
        f"(integrity check: ok, {applied} migrations{later})."
    )
    if aside is not None:
        print(f"The database it replaced is kept as {aside}; delete it once all looks right.")
    return EXIT_OK


def _check_backup(backup_file: Any) -> None:
    """Raise ``BackupError`` when ``backup_file`` is plainly no FakeWatch backup (not an
    SQLite file, or not FakeWatch's database, or a newer FakeWatch's), with the words
    ``restore`` uses, before it creates anything; ``restore`` checks everything again on its
    copy (integrity included). A file it cannot read is left to ``restore`` to report."""
    from server.storage.backup import BackupError, _fakewatch_migrations
    from server.storage.database import SQLITE_HEADER, read_only_uri

    what = f"reading the backup {backup_file}"
    try:
        if not backup_file.is_file():
            return
        with backup_file.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError:
        return
    if head != SQLITE_HEADER:
        found = "it is an empty file" if not head else "it does not start with SQLite's header"
        raise BackupError(f"{what}: file is not a database ({found}); nothing was done")
    uri = read_only_uri(backup_file)
    if not os.path.exists(f"{backup_file}-wal"):
        uri += "&immutable=1"  # as `restore` reads it: nothing is created beside it
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            _fakewatch_migrations(conn, what)
        finally:
            conn.close()
    except sqlite3.Error:
        return
