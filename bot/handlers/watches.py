"""Retroactive alerts: after a check whose verdict was not ``likely_scam``, ask the server to
tell the chat if one of its links becomes known as a scam.

Kept apart from the private check that starts them: most of this code is about the
server's per-key budget of subscriptions, which every chat shares.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

from bot.api import KeyRefused, Refused, ServerError
from bot.handlers.errors import log_key_refused
from bot.handlers.limits import (
    WATCH_DAYS_UNSAID,
    WATCH_PAUSE_S,
    WATCHES_PER_CHAT,
    WATCHES_PER_MESSAGE,
)
from bot.handlers.services import Services
from bot.render import Checked

log = logging.getLogger("fakewatch.bot")


def _watch_candidates(checked: Checked) -> list[dict[str, Any]]:
    """Links worth a retroactive alert, most doubtful first: not already a likely scam (the
    person was warned) and not unchecked."""
    order = {"suspicious": 0, "no_known_signals": 1}
    links = [p for p in checked.parts if p.kind == "link" and p.item and p.name in order]
    links.sort(key=lambda p: order[p.name])
    return [p.item for p in links if p.item][:WATCHES_PER_MESSAGE]


async def _watch(svc: Services, checked: Checked, chat_id: int) -> None:
    """Not (yet) known as a scam: ask the server to tell this chat if that changes.

    The server caps live subscriptions per API key, and every chat shares the bot's key: each
    chat gets a few per message and ``WATCHES_PER_CHAT`` live at once, a link is asked about
    once, and a full key pauses asking (logged as a warning) instead of failing on every check.
    """
    loop = asyncio.get_running_loop()
    if loop.time() < svc.watch_paused_until:
        return
    now = time.time()
    for item in _watch_candidates(checked):
        key = hashlib.sha256(str(item.get("value", "")).encode()).hexdigest()
        if not svc.state.reserve_watch(
            chat_id, key, now, now + WATCH_DAYS_UNSAID * 86400, WATCHES_PER_CHAT
        ):
            continue
        try:
            expires = await svc.client.watch(item, f"telegram:{chat_id}")
        except Refused as exc:
            svc.state.release_watch(chat_id, key)
            if exc.status == 429:
                wait = min(exc.retry_after or WATCH_PAUSE_S, WATCH_PAUSE_S)
                svc.watch_paused_until = loop.time() + wait
                log.warning(
                    "retroactive alerts paused: the server holds all this key's subscriptions",
                    extra={"code": exc.code, "retry_after": exc.retry_after, "pause_s": wait},
                )
            elif isinstance(exc, KeyRefused):
                log_key_refused(exc, "retroactive alert")
            else:
                log.info(
                    "retroactive alert refused", extra={"code": exc.code, "status": exc.status}
                )
            return
        except ServerError as exc:
            svc.state.release_watch(chat_id, key)
            log.info("retroactive alert not set", extra={"error": type(exc).__name__})
            return
        if expires is not None:
            svc.state.watch_expires(chat_id, key, expires)
