"""``fakewatch community``: the retention purge and a look at the queue from the shell.

``fakewatch community purge`` enforces ``FAKEWATCH_REPORT_RETENTION_DAYS``: report texts,
seen-on URLs, platforms and hashes older than that are blanked (cases keep their counts and
decisions, so confirmed items stay traceable), kept media files are deleted, and expired
retroactive-alert subscriptions go. Run it daily (cron or a systemd timer); it is idempotent.
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


def purge_reports(args: argparse.Namespace, settings: Settings) -> int:
    from server.community import store
    from server.storage import queries
    from server.storage.database import connect

    days = args.days if args.days is not None else settings.report_retention_days
    if days < 0:
        print("fakewatch: --days must be 0 or more")
        return 2
    db = connect(settings.db)
    with immediate(db):
        result = store.purge(db, report_days=days, subscription_now=queries.now_iso())
        queries.audit(
            db,
            actor="cli",
            action="reports.purge",
            target="reports",
            details={k: v for k, v in result.items() if k != "media"},
        )
    media_dir = settings.db.parent / "report_media"
    deleted = 0
    for name in result.pop("media"):
        path = media_dir / name
        if path.is_file() and path.parent == media_dir:
            path.unlink()
            deleted += 1
    print(json.dumps({**result, "media_deleted": deleted, "days": days}))
    return 0


def case_counts(args: argparse.Namespace, settings: Settings) -> int:
    from server.community import store
    from server.storage.database import connect

    print(json.dumps(store.case_counts(connect(settings.db)), sort_keys=True))
    return 0
