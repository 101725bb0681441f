"""Asking the server about a message's parts (links, text, media) at once: the download of a
picture or video from Telegram, and which failure to tell when nothing could be checked.

Shared by private checks and the group guard; the verdict is the server's, never ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
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
from bot.render import Checked, Part, defang, short_label
from bot.texts import t
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
        sent = parts.links + parts.shown_only
        results = await svc.client.check_links(sent, lang)
        if parts.site_only_links:
            checked.notes.append("links_site_only")
        by_url = dict(zip(sent, results, strict=False))
        elsewhere = {
            target: hosts
            for shown, target in parts.shown
            if (hosts := _goes_elsewhere(shown, by_url.get(shown), by_url.get(target)))
        }
        for url in parts.links:
            if url not in by_url:
                continue
            label = short_label("link", url, lang)
            if url in elsewhere:
                checked.disguised.append(elsewhere[url])
                label = t("link_shown_as", lang, label=label, shown=defang(elsewhere[url][0]))
            item = {"kind": "link", "value": url}
            checked.parts.append(Part("link", label, by_url[url], item))
            checked.report_items.append(item)
        for url in parts.shown_only:
            # Not a link of the message: listed only when the server flags it, never as a
            # checked, clean link (clicking the words opens their target, checked above).
            verdict = by_url.get(url) or {}
            if verdict.get("verdict") in ("likely_scam", "suspicious"):
                label = t("shown_address", lang, host=defang(urlsplit(url).hostname or url))
                item = {"kind": "link", "value": url}
                checked.parts.append(Part("link", label, verdict, item))
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
            notice = _media_notice(exc)
            if notice is None:
                raise
            if notice == "media_unsupported" and not parts.media.as_file:
                # A photo or video Telegram made (JPEG, MP4) in a format the server does not
                # take is a damaged one: "send it as a photo" would not help.
                notice = "bad_media"
            raise Notice(notice) from None
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


def _goes_elsewhere(shown: str, shown_verdict: Any, target_verdict: Any) -> tuple[str, str] | None:
    """``(shown host, target host)`` when a text link's words show one site and the link goes
    to another, as the server read the two addresses (their registrable domains, after the
    redirectors it unwraps: the bot keeps no suffix list); ``None`` when it is the same site,
    or either address could not be read."""

    def read(verdict: Any) -> tuple[str, str] | None:
        normal = verdict.get("normalized") if isinstance(verdict, dict) else None
        if not isinstance(normal, dict) or "error" in verdict:
            return None
        site, host = normal.get("registrable_domain"), normal.get("host")
        return (str(site), str(host)) if site and host else None

    shown_read, target_read = read(shown_verdict), read(target_verdict)
    if shown_read is None or target_read is None or shown_read[0] == target_read[0]:
        return None
    # The shown host as written (it is what the person saw); the target as the server reads
    # it (punycode shows a look-alike letter, and a redirector's destination is where it goes).
    return urlsplit(shown).hostname or shown_read[1], target_read[1]


#: The server's stable codes for a file it will not check, and what the person is told: what
#: to send instead (``media_unsupported``: a BMP or TIFF sent as a file), never "damaged".
MEDIA_NOTICES = {
    "media_unsupported": "media_unsupported",
    "media_too_large": "media_too_large",
    "media_too_many_pixels": "media_too_many_pixels",
    "media_too_long": "media_too_long",
    "media_empty": "bad_media",
    "media_unreadable": "bad_media",
}


def _media_notice(exc: Refused) -> str | None:
    """The notice for a media check the server refused; ``None``: not about the file."""
    if exc.code in MEDIA_NOTICES:
        return MEDIA_NOTICES[exc.code]
    if exc.status == 413:
        return "media_too_large"
    if exc.code.startswith("media_") or exc.status in (400, 415):
        return "bad_media"  # a code newer than this bot: still about the file
    return None


def _failure_rank(exc: Notice | ServerError) -> int:
    """Which failure to tell when nothing could be checked: what the person can act on first."""
    if isinstance(exc, Notice):
        return 0
    if isinstance(exc, Refused) and exc.status == 429:
        return 1
    if isinstance(exc, ServerUnavailable):
        return 2
    return 3
