"""Federation work the running server does on its own: pull every configured peer's feed, and
send our moderators' decisions on peers' items back to them.

Peers are rows of ``federation_peers`` (``fakewatch federation peers add NAME URL --key K
--trust T``): a feed URL, the pinned Ed25519 key and a trust level. With
``FAKEWATCH_FEDERATION_PULL_INTERVAL_S`` > 0 the server runs ``sync_once`` on that interval;
``fakewatch federation sync`` runs it once from the command line. A peer that fails (down,
bad signature, too large) is logged and skipped; the others are still pulled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp

from server.federation import feedback
from server.federation.feed import FeedSignatureError, open_envelope
from server.federation.pull import apply, brigade_rule, pin_key
from server.feeds.errors import FetchError
from server.feeds.fetch import USER_AGENT, fetch_url
from server.settings import Settings
from server.storage.database import Database

log = logging.getLogger("fakewatch.federation")

#: Pages of 5,000 changes one peer may send in one sync (the rest comes next time).
MAX_PAGES = 20
#: Bytes of one page: 5,000 changes of at most 4,096 characters each fit in about 21 MB.
PAGE_MAX_BYTES = 32 * 1024 * 1024
#: Feedback rows read at a time, and pages sent in one round (the rest waits for the next).
FEEDBACK_PAGE = 100
MAX_FEEDBACK_PAGES = 20


def _peers(db: Any) -> list[dict[str, Any]]:
    cursor = db.execute(
        "SELECT name, url, trust, key, version FROM federation_peers"
        " WHERE key != '' AND (url LIKE 'http://%' OR url LIKE 'https://%') ORDER BY name"
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor]


async def pull_peer(
    db: Database, session: aiohttp.ClientSession, settings: Settings, peer: dict[str, Any]
) -> dict[str, int]:
    version = int(peer["version"])
    totals: dict[str, int] = {}
    for _ in range(MAX_PAGES):
        sep = "&" if "?" in peer["url"] else "?"
        raw = await fetch_url(
            f"{peer['url']}{sep}since={version}",
            max_bytes=min(settings.feed_max_bytes, PAGE_MAX_BYTES),
            timeout_s=settings.feed_timeout_s,
            session=session,
            # A peer is another organisation: its feed URL must not send our server to
            # 127.0.0.1, the LAN or cloud metadata (its URL itself is the operator's choice).
            private_redirects=settings.federation_allow_private,
        )
        data = await asyncio.get_running_loop().run_in_executor(
            None, open_envelope, raw, peer["key"]
        )

        def write(conn: Any, page: dict[str, Any] = data) -> dict[str, int]:
            done = apply(
                conn, peer["name"], peer["url"], peer["trust"], page, brigade_rule(settings)
            )
            pin_key(conn, peer["name"], peer["key"])
            return done

        done = await db.write(write)
        for k, v in done.items():
            totals[k] = totals.get(k, 0) + v
        version = int(data.get("version", version))
        if not data.get("more"):
            break
    return totals


def _mark(conn: Any, row: dict[str, Any], error: str | None, permanent: bool) -> None:
    feedback.mark(conn, row, error, permanent=permanent)
    if error is not None and not permanent:
        feedback.back_off_peer(conn, row, error)


async def send_feedback(
    db: Database, session: aiohttp.ClientSession, settings: Settings, instance: str
) -> dict[str, int]:
    """POST the due feedback rows. A refusal that resending cannot change (``feedback.
    PERMANENT_STATUSES``, a peer without an endpoint) is given up on with an audit row; any
    other failure is retried with a growing delay, so dead rows never hold up the live ones."""
    sent = failed = gave_up = 0
    down: set[str] = set()  # one failure per peer and round: the rest waits for the next one
    # Every row of a page ends sent, given up or backed off (with all of its peer's due rows),
    # so the next page holds other rows: a dead peer's queue never hides a live peer's.
    for _ in range(MAX_FEEDBACK_PAGES):
        rows = await db.read(lambda conn: feedback.pending(conn, FEEDBACK_PAGE))
        for row in rows:
            if row["peer"] in down:
                continue
            url = feedback.feedback_url(row["url"])
            error: str | None = None
            permanent = False
            if url is None:
                error, permanent = "the peer is read from a file: no feedback endpoint", True
            else:
                body = await db.write(
                    lambda conn, r=row: feedback.envelope(conn, r, instance)  # type: ignore[misc]
                )
                try:
                    async with session.post(
                        url,
                        data=body,
                        headers={"Content-Type": "application/json"},
                        timeout=aiohttp.ClientTimeout(total=settings.feed_timeout_s),
                        allow_redirects=False,
                    ) as response:
                        if not 200 <= response.status < 300:
                            error = f"HTTP {response.status}"
                            permanent = response.status in feedback.PERMANENT_STATUSES
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    error = type(exc).__name__
            await db.write(
                lambda conn, r=row, e=error, p=permanent: _mark(conn, r, e, p)  # type: ignore[misc]
            )
            if error is None:
                sent += 1
            elif permanent:
                gave_up += 1
                log.warning(
                    "federation feedback refused for good; not resent",
                    extra={"peer": row["peer"], "error": error},
                )
            else:
                failed += 1
                down.add(row["peer"])
                log.warning(
                    "federation feedback not delivered; retried later",
                    extra={"peer": row["peer"], "error": error},
                )
        if len(rows) < FEEDBACK_PAGE:
            break
    return {"feedback_sent": sent, "feedback_failed": failed, "feedback_gave_up": gave_up}


async def sync_once(db: Database, settings: Settings) -> dict[str, Any]:
    """Pull every configured peer, then send pending feedback; what happened, per peer."""
    instance = settings.public_url or "unnamed FakeWatch instance"
    report: dict[str, Any] = {}
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, trust_env=False
    ) as session:
        for peer in await db.read(_peers):
            try:
                report[peer["name"]] = await pull_peer(db, session, settings, peer)
            except (FetchError, FeedSignatureError) as exc:
                report[peer["name"]] = {"error": str(exc)}
                log.warning(
                    "federation pull failed", extra={"peer": peer["name"], "error": str(exc)}
                )
            except Exception as exc:
                # Whatever else one peer's page breaks, the other peers and the feedback still
                # go: a bug with one peer must not stop federation with all of them.
                error = f"{type(exc).__name__}: {exc}"[:300]
                report[peer["name"]] = {"error": error}
                log.warning(
                    "federation pull failed unexpectedly",
                    extra={"peer": peer["name"], "error": error},
                    exc_info=True,
                )
        report["feedback"] = await send_feedback(db, session, settings, instance)
    return report


async def run_forever(db: Database, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.federation_pull_interval_s)
        try:
            done = await sync_once(db, settings)
            log.info("federation sync", extra={"result": done})
        except Exception:
            log.exception("federation sync failed; retrying on the next interval")


class Scheduler:
    """The server's federation loop (off when the interval is 0)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db, self._settings = db, settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._settings.federation_pull_interval_s > 0:
            self._task = asyncio.create_task(run_forever(self._db, self._settings))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
