"""Pushing alerts to webhook subscribers, in order, at least once.

Each webhook has a cursor (the last alert it acknowledged with a 2xx) and a delivery loop of
its own, so a slow or failing receiver delays only itself: a shared round would make every
webhook wait for the slowest one's batch (up to ``BATCH`` × the timeout). A supervisor wakes
when an alert is written (an ``asyncio.Event``) or every ``TICK_S``, starts a loop for each
new webhook, stops those of removed ones, and wakes them all; each loop sends what lies past
its cursor and moves the cursor only on success; a failing webhook backs off exponentially
and is retried with the same delivery ids (receivers de-duplicate on them). At most
``MAX_SENDING`` requests are in flight at once, over all webhooks. Redirects are not followed:
the signed body goes to the registered URL only. Non-public targets are refused at every
delivery unless ``FAKEWATCH_WEBHOOK_ALLOW_PRIVATE`` (see ``targets``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import aiohttp

from server.alerts import store
from server.alerts.links import with_base
from server.alerts.signing import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from server.alerts.targets import GuardedResolver, PrivateTarget, check_literal
from server.settings import Settings
from server.storage.database import Database

log = logging.getLogger("fakewatch.webhooks")

TICK_S = 5.0
BATCH = 50
MAX_BACKOFF_S = 600.0
#: Requests in flight at once over all webhooks (each webhook sends one at a time).
MAX_SENDING = 16


class WebhookDeliverer:
    def __init__(self, settings: Settings, db: Database, event: asyncio.Event) -> None:
        self._settings = settings
        self._db = db
        self._event = event
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._loops: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._sending = asyncio.Semaphore(MAX_SENDING)
        self._retry_at: dict[int, float] = {}
        self._failures: dict[int, int] = {}

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self._settings.webhook_timeout_s)
        connector = (
            None
            if self._settings.webhook_allow_private
            else aiohttp.TCPConnector(resolver=GuardedResolver())
        )
        self._session = aiohttp.ClientSession(timeout=timeout, trust_env=False, connector=connector)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t, _ in self._loops.values()]
        if self._task is not None:
            tasks.append(self._task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), TICK_S)
            self._event.clear()
            try:
                await self.wake_all()
            except Exception:
                log.exception("webhook supervisor failed; retrying on the next tick")

    async def wake_all(self) -> None:
        """Match the loops to the active webhooks, then wake every loop."""
        hooks = {hook[0]: hook for hook in await self._db.read(store.active_webhooks)}
        for webhook_id in [w for w in self._loops if w not in hooks]:
            task, _ = self._loops.pop(webhook_id)
            task.cancel()
            self._retry_at.pop(webhook_id, None)
            self._failures.pop(webhook_id, None)
        for webhook_id, (_, url, secret, cursor) in hooks.items():
            if webhook_id not in self._loops:
                wake = asyncio.Event()
                task = asyncio.create_task(self._loop(webhook_id, url, secret, cursor, wake))
                self._loops[webhook_id] = (task, wake)
        for _, wake in self._loops.values():
            wake.set()

    async def _loop(
        self, webhook_id: int, url: str, secret: str, cursor: int, wake: asyncio.Event
    ) -> None:
        """One webhook's deliveries; only this loop moves its cursor, so it keeps it."""
        while True:
            await wake.wait()
            wake.clear()
            try:
                cursor, more = await self._deliver(webhook_id, url, secret, cursor)
            except Exception:
                log.exception("webhook delivery failed; retrying on the next tick")
                continue
            if more:  # a full batch went through: there may be more waiting
                wake.set()

    async def _deliver(
        self, webhook_id: int, url: str, secret: str, cursor: int
    ) -> tuple[int, bool]:
        """Send up to ``BATCH`` alerts past ``cursor``; the new cursor, and whether a whole
        batch was delivered."""
        if time.monotonic() < self._retry_at.get(webhook_id, 0.0):
            return cursor, False
        assert self._session is not None
        alerts = await self._db.read(lambda db: store.pending_for(db, cursor, BATCH))
        # The link as ``GET /v1/alerts`` gives it when FAKEWATCH_PUBLIC_URL is set; without
        # it there is no request to take an origin from, and the stored path goes as is.
        base = self._settings.public_url
        for alert_id, payload in alerts:
            delivery_id = f"{webhook_id}-{alert_id}"
            alert = {"id": alert_id, **with_base(json.loads(payload), base)}
            body = json.dumps(
                {"delivery": delivery_id, "alert": alert}, ensure_ascii=False
            ).encode()
            headers = {
                "Content-Type": "application/json",
                DELIVERY_HEADER: delivery_id,
                SIGNATURE_HEADER: sign(secret, delivery_id, body),
            }
            try:
                if not self._settings.webhook_allow_private:
                    check_literal(url)  # IP literals never reach the resolver
                async with (
                    self._sending,
                    self._session.post(
                        url, data=body, headers=headers, allow_redirects=False
                    ) as response,
                ):
                    ok = 200 <= response.status < 300
                    error = f"HTTP {response.status}"
            except PrivateTarget as exc:
                ok, error = False, f"refused: {exc}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                ok, error = False, type(exc).__name__
            if not ok:
                failures = self._failures.get(webhook_id, 0) + 1
                self._failures[webhook_id] = failures
                self._retry_at[webhook_id] = time.monotonic() + min(MAX_BACKOFF_S, 2.0**failures)
                await self._db.write(lambda db, e=error: store.failed(db, webhook_id, e))  # type: ignore[misc]
                return cursor, False
            self._failures.pop(webhook_id, None)
            self._retry_at.pop(webhook_id, None)
            await self._db.write(lambda db, a=alert_id: store.advance(db, webhook_id, a))  # type: ignore[misc]
            cursor = alert_id
        return cursor, len(alerts) == BATCH
