"""``fakewatch federation pull URL --name N --key PUBKEY --trust block|review``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from server.settings import Settings


def add_commands(commands: Any, db_flags: Callable[[argparse.ArgumentParser], None]) -> None:
    federation = commands.add_parser(
        "federation", help="share confirmed items with other FakeWatch instances"
    ).add_subparsers(dest="federation_command", metavar="SUBCOMMAND", required=True)
    pull = federation.add_parser(
        "pull",
        help="fetch a peer's signed feed and apply it with a trust level",
        description="Fetch changes since the last pull from a peer's /v1/federation/feed, check"
        " the Ed25519 signature against the peer's pinned key, and apply them.",
    )
    pull.add_argument("url", help="the peer's feed URL, e.g. https://peer/v1/federation/feed")
    pull.add_argument("--name", required=True, help="a short name for the peer (list peer:NAME)")
    pull.add_argument(
        "--key", help="the peer's public key (GET /v1/federation/key); required the first time"
    )
    pull.add_argument(
        "--trust",
        choices=("block", "review"),
        default="review",
        help="block: list its items at once; review: queue them for our moderators (default)",
    )
    db_flags(pull)
    pull.set_defaults(handler=pull_feed)


def pull_feed(args: argparse.Namespace, settings: Settings) -> int:
    from server.federation.feed import FeedSignatureError, open_envelope
    from server.federation.pull import apply, peer_state, pin_key
    from server.feeds.errors import FetchError
    from server.feeds.fetch import read_source
    from server.storage.database import connect

    db = connect(settings.db)
    version, pinned = peer_state(db, args.name)
    key = args.key or pinned
    if not key:
        print("fakewatch: the first pull needs --key (the peer's GET /v1/federation/key)")
        return 2
    if pinned and args.key and args.key != pinned:
        print("fakewatch: --key differs from the key pinned for this peer; refusing")
        return 1
    totals: dict[str, int] = {}
    for _ in range(1000):  # pages of 5,000 changes
        sep = "&" if "?" in args.url else "?"
        # A URL is asked for the changes since our version; a file is a saved page as it is.
        is_url = args.url.startswith(("http://", "https://"))
        source = f"{args.url}{sep}since={version}" if is_url else args.url
        try:
            raw = read_source(
                source,
                max_bytes=settings.feed_max_bytes,
                timeout_s=settings.feed_timeout_s,
            )
            data = open_envelope(raw, key)
        except (FetchError, FeedSignatureError) as exc:
            print(f"fakewatch: {args.name}: {exc}")
            return 1
        with db.atomic():
            done = apply(db, args.name, args.url, args.trust, data)
            pin_key(db, args.name, key)
        for k, v in done.items():
            totals[k] = totals.get(k, 0) + v
        version = int(data.get("version", version))
        if not data.get("more"):
            break
    print(json.dumps({"peer": args.name, "version": version, **totals}))
    return 0
