"""What the community features hold in the app: the batched report writer, flood limits, the
salt reporter identities are hashed with, and the webhook deliverer. Created in
``community_lifecycle`` (a ``cleanup_ctx`` that runs after the app's own: the database exists)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.alerts.webhooks import WebhookDeliverer
from server.api.ratelimit import RateLimiter
from server.api.state import DB, ENGINE, SETTINGS
from server.community.ingest import ReportWriter
from server.community.kept_media import MediaQuota, folder_for
from server.community.reputation import BrigadeRule
from server.federation.sync import Scheduler
from server.web.sessions import Sessions, csrf_secret

PSEUDONYM_CACHE = 50_000


@dataclass
class Community:
    writer: ReportWriter
    salt: bytes
    per_ip: RateLimiter
    per_reporter: RateLimiter
    #: Reports per minute from one client key, whatever ``reporter`` ids it sends.
    per_key: RateLimiter
    #: Total size of kept report media (FAKEWATCH_REPORT_MEDIA_QUOTA_BYTES).
    media_quota: MediaQuota
    deliverer: WebhookDeliverer
    #: Registrable domains of the top-sites list: a report on one of them is about one page.
    popular: frozenset[str]
    #: Moderator web-page sign-ins (in the database).
    sessions: Sessions
    #: Report files being decoded now (``server/api/reports.py`` admits REPORT_DECODES).
    report_decodes: int = 0
    #: Set when an alert is written, so webhook delivery starts at once instead of on its tick.
    alerted: asyncio.Event = field(default_factory=asyncio.Event)

    #: Recent pseudonyms: the same IPs and reporter ids come back, and an HMAC per request
    #: shows in the ingest profile.
    _pseudonyms: dict[str, str] = field(default_factory=dict)

    def pseudonym(self, value: str) -> str:
        """A stable, non-reversible id for an IP or a client-given reporter id."""
        known = self._pseudonyms.get(value)
        if known is None:
            known = hmac.new(self.salt, value.encode(), hashlib.sha256).hexdigest()[:20]
            if len(self._pseudonyms) >= PSEUDONYM_CACHE:
                self._pseudonyms.clear()
            self._pseudonyms[value] = known
        return known


COMMUNITY = web.AppKey("community", Community)


def _salt(db: SqliteDb) -> str:
    row = db.execute("SELECT value FROM meta WHERE key = 'reporter_salt'").fetchone()
    if row:
        return str(row[0])
    salt = secrets.token_hex(32)
    db.execute("INSERT INTO meta (key, value) VALUES ('reporter_salt', ?)", [salt])
    return salt


async def community_lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings, db = app[SETTINGS], app[DB]
    salt = await db.write(_salt)
    csrf = await db.write(csrf_secret)
    writer = ReportWriter(
        db,
        settings.report_batch_wait_ms / 1000,
        BrigadeRule(
            window_s=settings.brigade_window_s, min_reporters=settings.brigade_min_reporters
        ),
        media_folder=folder_for(settings.db),
    )
    event = asyncio.Event()
    deliverer = WebhookDeliverer(settings, db, event)
    app[COMMUNITY] = Community(
        writer=writer,
        salt=bytes.fromhex(salt),
        per_ip=RateLimiter(settings.anonymous_reports_per_minute),
        per_reporter=RateLimiter(settings.reporter_reports_per_minute),
        per_key=RateLimiter(settings.key_reports_per_minute),
        media_quota=MediaQuota(folder_for(settings.db), settings.report_media_quota_bytes),
        deliverer=deliverer,
        popular=frozenset(app[ENGINE].resources.top_sites),
        sessions=Sessions(db, csrf),
        alerted=event,
    )
    federation = Scheduler(db, settings)
    writer.start()  # every process: its writes are SQLite transactions, safe side by side
    if settings.scheduled_jobs:  # one process of `serve --workers N` (server/serve_workers.py)
        await deliverer.start()
        federation.start()
    try:
        yield
    finally:
        await federation.stop()
        await deliverer.stop()
        await writer.stop()
