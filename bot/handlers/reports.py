"""Sending one report to the server: a link or text, or a picture or video fetched again from
Telegram; the case id, or ``None`` (logged) when it could not be sent. Each case id is kept in
the bot's state with the reporter's chat and language (``BotState.note_filed``): the reporter
hears the decision (``bot.outcomes``).

Shared by the "Report" button under a verdict and the /report conversation.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram.ext import ContextTypes

from bot.api import KeyRefused, Refused, ServerError
from bot.handlers.checks import _download
from bot.handlers.errors import log_key_refused
from bot.handlers.notice import Notice
from bot.handlers.parts import Media
from bot.handlers.services import Services, services
from bot.texts import t

log = logging.getLogger("fakewatch.bot")


async def _report_media(
    context: ContextTypes.DEFAULT_TYPE,
    media: Media,
    user_id: int,
    category: str = "other",
    extra: dict[str, Any] | None = None,
    *,
    lang: str,
) -> str | None:
    """Report a picture or video: fetched again from Telegram, sent with the report.

    The server keeps the file itself only when ``consent.keep_media`` says so; otherwise it
    keeps the fingerprints (hashes) and drops the bytes. ``KeyRefused`` as ``_report``.
    """
    svc = services(context)
    report = {
        "kind": "media",
        "category": category,
        "reporter": f"telegram:{user_id}",
        **(extra or {}),
    }
    try:
        async with svc.media_slots.turn():
            payload = await _download(context, media)
            result = await svc.client.report_media(
                report, payload, media.filename, media.content_type
            )
            del payload
    except (Notice, ServerError) as exc:
        _log_failure("media report failed", exc)
        if isinstance(exc, KeyRefused):
            raise
        return None
    return _filed(svc, user_id, result, lang)


async def _report(
    svc: Services,
    items: list[dict[str, Any]],
    user_id: int,
    category: str,
    extra: dict[str, Any],
    *,
    lang: str,
) -> str | None:
    """Send one report; the case id, or ``None`` when it could not be sent (``KeyRefused``
    when the server refused the bot's key: the person is told the bot is misconfigured)."""
    if not items:
        return None
    body = {**items[0], "category": category, "reporter": f"telegram:{user_id}", **extra}
    try:
        result = await svc.client.report(body)
    except ServerError as exc:
        _log_failure("report failed", exc)
        if isinstance(exc, KeyRefused):
            raise
        return None
    return _filed(svc, user_id, result, lang)


def _filed(svc: Services, chat_id: int, result: dict[str, Any], lang: str) -> str:
    """The case id the server filed the report under, remembered for the reporter's chat (a
    private chat: its id is the person's) with the language they used."""
    case_id = result.get("case_id", result.get("id"))
    if isinstance(case_id, int) and not isinstance(case_id, bool):
        svc.state.note_filed(chat_id, case_id, lang, time.time())
        return str(case_id)
    log.warning("report answer without a case id", extra={"got": type(case_id).__name__})
    return str(case_id if case_id is not None else "?")


def _log_failure(what: str, exc: Exception) -> None:
    """A refused key is the operator's to fix (an error), anything else a warning."""
    if isinstance(exc, KeyRefused):
        log_key_refused(exc, what)
        return
    status = exc.status if isinstance(exc, Refused) else 0
    extra = {"error": type(exc).__name__, "code": getattr(exc, "code", ""), "status": status}
    log.warning(what, extra=extra)


def _report_words(case_id: str | None, lang: str) -> str:
    return t("report_failed", lang) if case_id is None else t("reported", lang, case_id=case_id)
