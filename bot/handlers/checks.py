"""Asking the server about a message's parts (links, text, media) at once: the download of a
picture or video from Telegram, and which failure to tell when nothing could be checked.

Shared by private checks and the group guard; the verdict is the server's, never ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit, urlunsplit

from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.api import (
    DownloadFailed,
    FeatureMissing,
    FileTooBig,
    Refused,
    ServerError,
    ServerUnavailable,
)
from bot.config import TELEGRAM_DOWNLOAD_LIMIT
from bot.handlers.notice import Notice
from bot.handlers.parts import _BARE_URL, Media, Parts
from bot.handlers.services import services
from bot.render import Checked, Part, short_label
from server.community.items import MAX_TEXT_LENGTH as REPORT_TEXT

log = logging.getLogger("fakewatch.bot")


async def _download(context: ContextTypes.DEFAULT_TYPE, media: Media) -> bytearray:
    """The file, in memory: callers hold a ``media_slots`` turn until they are done with it."""
    if media.size is not None and media.size > TELEGRAM_DOWNLOAD_LIMIT:
        raise Notice("too_big")
    try:
        file = await context.bot.get_file(media.file_id)
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise Notice("too_big") from None
        raise Notice("bad_media") from None
    if file.file_size is not None and file.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        raise Notice("too_big")
    if not file.file_path:
        raise Notice("bad_media")
    # Streamed into one buffer and cut at the limit (PTB's download reads the whole body and
    # copies it). ``file_path`` is the full URL, token included: it is never logged.
    parts = urlsplit(file.file_path)
    url = urlunsplit(parts._replace(path=quote(parts.path)))
    try:
        return await services(context).client.fetch_file(url, TELEGRAM_DOWNLOAD_LIMIT)
    except FileTooBig:
        raise Notice("too_big") from None
    except DownloadFailed:
        raise Notice("bad_media") from None


async def check_parts(
    context: ContextTypes.DEFAULT_TYPE,
    parts: Parts,
    lang: str,
    *,
    with_text: bool,
) -> Checked:
    """Ask the server about each part at once. A part that fails (a 4xx for it alone, the
    server down for it, a file Telegram won't give) is listed as not checked beside the others'
    verdicts; only when no part could be checked is the most telling failure raised."""
    svc = services(context)
    checked = Checked(parts=[], unchecked_links=parts.skipped_links)

    async def links() -> None:
        if not parts.links:
            return
        results = await svc.client.check_links(parts.links, lang)
        if parts.site_only_links:
            checked.notes.append("links_site_only")
        for url, verdict in zip(parts.links, results, strict=False):
            item = {"kind": "link", "value": url}
            checked.parts.append(Part("link", short_label("link", url, lang), verdict, item))
            checked.report_items.append(item)

    async def text() -> None:
        if not with_text or not parts.text.strip():
            return
        # The links were checked on their own; what is left is the message's words.
        words = _BARE_URL.sub(" ", parts.text).strip()
        if not words:
            return
        try:
            verdict = await svc.client.check_text(parts.text, lang)
        except FeatureMissing:
            if not parts.links:
                checked.missing.append("text")
            return
        item = {"kind": "text", "value": parts.text[:REPORT_TEXT]}
        checked.parts.append(Part("text", short_label("text", "", lang), verdict, item))
        checked.report_items.append(item)
        if parts.text_cut:
            checked.notes.append("text_cut")
            checked.note_values["half"] = parts.text_cut

    async def media() -> None:
        if parts.media is None:
            return
        try:
            async with svc.media_slots.turn():
                payload = await _download(context, parts.media)
                try:
                    verdict = await svc.client.check_media(
                        payload, parts.media.filename, parts.media.content_type, lang
                    )
                finally:
                    del payload
        except Refused as exc:
            if exc.code.startswith("media_too") or exc.status == 413:
                raise Notice("too_big") from None
            if exc.code.startswith("media_") or exc.status in (400, 415):
                raise Notice("bad_media") from None
            raise
        checked.parts.append(Part("media", short_label("media", "", lang), verdict))
        checked.media = parts.media

    failures: list[tuple[str, Notice | ServerError]] = []

    async def guarded(kind: str, check: Callable[[], Awaitable[None]]) -> None:
        try:
            await check()
        except FeatureMissing:
            checked.missing.append(kind)
        except (Notice, ServerError) as exc:
            # Keep the failure, not its frames: they hold the downloaded file (up to 20 MB),
            # and a kept traceback would hold it until a full garbage collection.
            exc.__traceback__ = exc.__context__ = None
            failures.append((kind, exc))
            if not isinstance(exc, Notice):
                log.warning(
                    "part not checked",
                    extra={
                        "part": kind,
                        "error": type(exc).__name__,
                        "cause": str(exc),
                        "code": getattr(exc, "code", ""),
                        "status": getattr(exc, "status", 0),
                    },
                )

    await asyncio.gather(guarded("link", links), guarded("text", text), guarded("media", media))
    if failures and not checked.parts:
        worst = min((exc for _, exc in failures), key=_failure_rank)
        failures.clear()
        raise worst
    for kind, exc in failures:
        if isinstance(exc, Notice):
            checked.notes.append(exc.key)
        else:
            checked.failed.append(kind)
    return checked


def _failure_rank(exc: Notice | ServerError) -> int:
    """Which failure to tell when nothing could be checked: what the person can act on first."""
    if isinstance(exc, Notice):
        return 0
    if isinstance(exc, Refused) and exc.status == 429:
        return 1
    if isinstance(exc, ServerUnavailable):
        return 2
    return 3
