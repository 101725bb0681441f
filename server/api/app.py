"""``create_app(settings)``: the aiohttp application and its lifecycle.

Start-up (in ``cleanup_ctx``): open the database, build the engine off the event loop, start
the task that reloads lists changed by another process. Shut-down undoes it in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

import server.api.known_fakes as known_fakes_api
from server.api import admin, checks, meta, prefixes
from server.api import alerts as alerts_api
from server.api import appeals as appeals_api
from server.api import cases as cases_api
from server.api import federation as federation_api
from server.api import media as media_api
from server.api import pages as pages_api
from server.api import persons as persons_api
from server.api import relay as relay_api
from server.api import reports as reports_api
from server.api import text as text_api
from server.api.auth import Authenticator
from server.api.metrics import Metrics
from server.api.middleware import request_middleware
from server.api.state import AUTH, CPU, DB, ENGINE, METRICS, SETTINGS
from server.api.traditional import traditional_chinese
from server.community.runtime import community_lifecycle
from server.engine import Engine
from server.gc_policy import GcPolicy
from server.persons.store import persons_version
from server.settings import Settings
from server.storage import known_fakes as known_fakes_queries
from server.storage import queries
from server.storage.database import Database
from server.web.case_links import case_links_lifecycle

log = logging.getLogger("fakewatch.app")

#: Threads for CPU work. Two cores: more threads would only queue on the GIL.
CPU_THREADS = 2
#: Niceness added to the CPU threads (Linux sets it per thread): when a core is contended the
#: event loop's thread runs first, so /healthz and cheap requests stay fast while media checks
#: saturate both cores (bench/media_speed.py healthz).
CPU_THREAD_NICENESS = 10
#: How often a thread holding the GIL is asked to hand it over (CPython's default is 5 ms):
#: the event loop waits at most this long for the GIL each time it wakes up, instead of 5 ms.
GIL_SWITCH_INTERVAL_S = 0.001
#: Room for multipart boundaries and form fields around one media file.
MULTIPART_OVERHEAD = 65_536


def create_app(settings: Settings) -> web.Application:
    # Media uploads are the largest bodies; JSON bodies are held to max_body_bytes in body.py.
    app = web.Application(
        middlewares=[request_middleware, traditional_chinese],
        client_max_size=max(settings.max_body_bytes, settings.max_media_bytes + MULTIPART_OVERHEAD),
    )
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(_lifecycle)
    app.add_routes(meta.routes)
    app.add_routes(checks.routes)
    app.add_routes(admin.routes)
    app.add_routes(reports_api.routes)
    app.add_routes(cases_api.routes)
    app.add_routes(alerts_api.routes)
    app.add_routes(pages_api.routes)
    app.add_routes(appeals_api.routes)
    app.add_routes(federation_api.routes)
    app[federation_api.FEED_CACHE] = federation_api.FeedCache()
    app.cleanup_ctx.append(community_lifecycle)  # after _lifecycle: needs the database
    app.cleanup_ctx.append(case_links_lifecycle)  # public case page addresses
    app.add_routes(relay_api.routes)
    app.add_routes(persons_api.routes)
    app.add_routes(media_api.routes)
    app[media_api.MEDIA_SLOTS] = media_api.MediaSlots(settings.max_media_checks)
    app.add_routes(text_api.routes)
    app.add_routes(known_fakes_api.routes)
    prefixes.install(app)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    loop = asyncio.get_running_loop()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    cpu = ThreadPoolExecutor(
        max_workers=CPU_THREADS, thread_name_prefix="cpu", initializer=_lower_priority
    )
    db = await loop.run_in_executor(cpu, Database, settings.db)
    engine = await db.read(lambda conn: Engine.build(settings, conn))
    app[CPU] = cpu
    app[DB] = db
    app[ENGINE] = engine
    app[AUTH] = Authenticator(settings, db)
    # Lists, indexes and models are built once and live as long as the process, and the
    # caches fill with long-lived entries: keep all of them out of the cyclic collector's
    # full passes, which would otherwise walk them again and stall every request behind each
    # pass (server/gc_policy.py).
    collector = GcPolicy(settings.gc_freeze_s, settings.gc_sweep_s)
    collector.start()
    app[METRICS].watch_gc(collector.watch)
    refresher = asyncio.create_task(_refresh_lists(app))
    if not settings.public_url:
        # Links this server hands on (relay items a bot delivers to a chat, alert pages) then
        # name the address it listens on: loopback, or a proxy's upstream, reaches nobody else.
        log.warning(
            "FAKEWATCH_PUBLIC_URL is not set: verdict links sent to chats name this server's"
            " own listening address; set it to the address people reach this server at"
        )
    log.info(
        "ready",
        extra={
            "lists_version": engine.lists_version,
            "list_entries": engine.resources.lists.current.size,
        },
    )
    try:
        yield
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        await loop.run_in_executor(None, db.close)
        cpu.shutdown(wait=True)
        await collector.stop()


def _lower_priority() -> None:
    """Run in each CPU thread as it starts: nice this thread only (Linux per-thread nice),
    relative to the process's own niceness."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            thread = threading.get_native_id()
            current = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(19, current + CPU_THREAD_NICENESS))


async def _refresh_lists(app: web.Application) -> None:
    """Pick up list changes made by another process (``fakewatch feeds import``)."""
    settings, db, engine = app[SETTINGS], app[DB], app[ENGINE]
    while True:
        await asyncio.sleep(settings.lists_refresh_s)
        try:
            version = await db.read(queries.lists_version)
            if version != engine.lists_version:
                await db.read(engine.reload_lists)
            # The protected-person registry, changed by `fakewatch persons ...`.
            if await db.read(persons_version) != engine.persons_version:
                await db.read(engine.reload_persons)
            # The known-fakes bank, changed by `fakewatch known-fakes ...` or another server.
            if await db.read(known_fakes_queries.version) != engine.known_fakes_version:
                await db.read(engine.reload_known_fakes)
        except Exception:
            log.exception("list refresh failed; keeping the current lists")
