"""``fakewatch community``: the retention purge and a look at the queue from the shell.

``fakewatch community purge`` enforces ``FAKEWATCH_REPORT_RETENTION_DAYS``: report texts,
seen-on URLs, platforms and hashes older than that are blanked (cases keep their counts and
decisions, so confirmed items stay traceable), kept media files are deleted, and expired
retroactive-alert subscriptions go. Media files no report points to (older than an hour: left
by a crash, or by versions that wrote files before storing the report) are deleted too. Run it daily (cron or a systemd timer); it is idempotent.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from server.settings import Settings
from server.storage.database import immediate


def add_commands(commands: Any, db_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    community = commands.add_parser(
        "community",
        help="community reports: retention purge, queue counts",
        description="Community reports and cases.",
    ).add_subparsers(dest="community_command", metavar="SUBCOMMAND", required=True)

    purge = community.add_parser(
        "purge", help="blank report details and delete kept media past the retention period"
    )
    purge.add_argument(
        "--days", type=int, help="retention in days (default: FAKEWATCH_REPORT_RETENTION_DAYS)"
    )
    db_flags(purge)
    purge.set_defaults(handler=purge_reports)

    counts = community.add_parser("counts", help="cases per status (JSON)")
    db_flags(counts)
    counts.set_defaults(handler=case_counts)

    unchecked = community.add_parser(
        "unchecked-bank",
        help="confirmed media cases banked without any report proving the server saw the picture",
        description="List (JSON) the known-fakes entries that confirmed media cases put in the"
        " bank although none of their reports carries a hash this server computed from the"
        " picture (banked before only such hashes were, from hashes a reporter's app sent, or"
        " from a file report whose file was not kept). Nothing is changed: review each and"
        " retire the doubtful ones (POST /v1/cases/{id}/retire).",
    )
    db_flags(unchecked)
    unchecked.set_defaults(handler=unchecked_bank)


def purge_reports(args: argparse.Namespace, settings: Settings) -> int:
    from server.community import kept_media, store
    from server.storage import queries
    from server.storage.database import connect

    days = args.days if args.days is not None else settings.report_retention_days
    if days < 0:
        print("fakewatch: --days must be 0 or more")
        return 2
    db = connect(settings.db)
    media_dir = kept_media.folder_for(settings.db)
    deleted = 0
    # Files are deleted under the write lock: no report can commit a reference to one of them
    # meanwhile (a report of an already kept picture touches its file, restarting its grace).
    with immediate(db):
        result = store.purge(db, report_days=days, subscription_now=queries.now_iso())
        for name in result.pop("media"):
            path = media_dir / name
            if path.is_file() and path.parent == media_dir:
                path.unlink()
                deleted += 1
        orphans = kept_media.orphans(media_dir, store.media_paths(db))
        for path in orphans:
            path.unlink(missing_ok=True)
        result["media_orphans_deleted"] = len(orphans)
        queries.audit(
            db, actor="cli", action="reports.purge", target="reports", details=dict(result)
        )
    print(json.dumps({**result, "media_deleted": deleted, "days": days}))
    return 0


def case_counts(args: argparse.Namespace, settings: Settings) -> int:
    from server.community import store
    from server.storage.database import connect

    print(json.dumps(store.case_counts(connect(settings.db)), sort_keys=True))
    return 0


def unchecked_bank(args: argparse.Namespace, settings: Settings) -> int:
    from server.community import store
    from server.storage.database import connect

    print(json.dumps(store.unchecked_bank_entries(connect(settings.db)), ensure_ascii=False))
    return 0
