"""``fakewatch federation pull URL --name N --key PUBKEY --trust block|review``;
``fakewatch federation peers add|list|remove`` (the peers a running server pulls on
``FAKEWATCH_FEDERATION_PULL_INTERVAL_S``); ``fakewatch federation sync`` (pull every peer and
send pending feedback once)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from server.settings import Settings
from server.storage.database import immediate


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
        help="block: list its items at once; review: queue them for our moderators (default:"
        " the trust recorded for this peer, review for a new one)",
    )
    db_flags(pull)
    pull.set_defaults(handler=pull_feed)

    peers = federation.add_parser(
        "peers", help="the peers the server pulls on its own (and sends feedback to)"
    ).add_subparsers(dest="peers_command", metavar="ACTION", required=True)
    add = peers.add_parser("add", help="add or update a peer: feed URL, pinned key, trust")
    add.add_argument("name", help="a short name for the peer (list peer:NAME)")
    add.add_argument("url", help="the peer's feed URL, e.g. https://peer/v1/federation/feed")
    add.add_argument("--key", required=True, help="the peer's public key (GET /v1/federation/key)")
    add.add_argument(
        "--trust",
        choices=("block", "review"),
        default="review",
        help="block: list its items at once; review: queue them for our moderators (default)",
    )
    db_flags(add)
    add.set_defaults(handler=add_peer)
    listing = peers.add_parser("list", help="configured peers, their version and pending feedback")
    db_flags(listing)
    listing.set_defaults(handler=list_peers)
    remove = peers.add_parser("remove", help="stop pulling a peer (what it sent stays)")
    remove.add_argument("name", help="the peer's short name (`federation peers list`)")
    db_flags(remove)
    remove.set_defaults(handler=remove_peer)

    sync = federation.add_parser(
        "sync", help="pull every configured peer and send pending feedback, once"
    )
    db_flags(sync)
    sync.set_defaults(handler=sync_peers)


def add_peer(args: argparse.Namespace, settings: Settings) -> int:
    import base64

    from server.storage import queries
    from server.storage.database import connect

    try:
        if len(base64.b64decode(args.key, validate=True)) != 32:
            raise ValueError
    except ValueError:
        print("fakewatch: --key must be the base64 Ed25519 key of GET /v1/federation/key")
        return 2
    if not args.url.startswith(("http://", "https://")):
        print("fakewatch: a peer the server pulls needs an http(s) feed URL")
        return 2
    db = connect(settings.db)
    with immediate(db):
        db.execute(
            "INSERT INTO federation_peers (name, url, trust, key) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET url = excluded.url, trust = excluded.trust,"
            " key = excluded.key",
            [args.name, args.url, args.trust, args.key],
        )
        queries.audit(
            db,
            actor="cli",
            action="federation.peer.add",
            target=f"peer:{args.name}",
            details={"url": args.url, "trust": args.trust},
        )
    print(json.dumps({"peer": args.name, "url": args.url, "trust": args.trust}))
    return 0


def list_peers(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage.database import connect

    db = connect(settings.db)
    rows = db.execute(
        "SELECT p.name, p.url, p.trust, p.version, p.pulled_at,"
        " (SELECT COUNT(*) FROM federation_feedback_out o WHERE o.peer = p.name"
        "  AND o.sent_at IS NULL AND o.gave_up_at IS NULL) FROM federation_peers p ORDER BY p.name"
    ).fetchall()
    keys = ("name", "url", "trust", "version", "pulled_at", "feedback_pending")
    print(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
    return 0


def remove_peer(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage.database import connect

    db = connect(settings.db)
    with immediate(db):
        gone = db.execute("DELETE FROM federation_peers WHERE name = ?", [args.name]).rowcount
    if not gone:
        print(f"fakewatch: no peer named {args.name}")
        return 1
    print(json.dumps({"removed": args.name}))
    return 0


def sync_peers(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from server.federation.sync import sync_once
    from server.storage.database import Database

    async def run() -> dict[str, Any]:
        db = Database(settings.db)
        try:
            return await sync_once(db, settings)
        finally:
            db.close()

    print(json.dumps(asyncio.run(run())))
    return 0


def pull_feed(args: argparse.Namespace, settings: Settings) -> int:
    from server.federation.feed import FeedSignatureError, open_envelope
    from server.federation.pull import apply, brigade_rule, peer_state, pin_key
    from server.feeds.errors import FetchError
    from server.feeds.fetch import read_source
    from server.storage.database import connect

    db = connect(settings.db)
    version, pinned, recorded = peer_state(db, args.name)
    # A pull without --trust keeps the peer's trust: a manual pull of a `block` peer must not
    # quietly turn it into a `review` one (and the next pulls with it).
    trust = args.trust or recorded or "review"
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
        with immediate(db):
            done = apply(db, args.name, args.url, trust, data, brigade_rule(settings))
            pin_key(db, args.name, key)
        for k, v in done.items():
            totals[k] = totals.get(k, 0) + v
        version = int(data.get("version", version))
        if not data.get("more"):
            break
    print(json.dumps({"peer": args.name, "trust": trust, "version": version, **totals}))
    return 0
