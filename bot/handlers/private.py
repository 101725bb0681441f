"""Checks in a private chat: every message (a group's goes to the guard), and /check; each
person's checks run one at a time, in order, with a few waiting.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.ext import ContextTypes

from bot.api import KeyRefused, Refused, ServerUnavailable
from bot.handlers.checks import check_parts
from bot.handlers.errors import log_key_refused
from bot.handlers.guard import guard_message
from bot.handlers.limits import CHECKS_WAITING
from bot.handlers.notice import Notice
from bot.handlers.parts import Parts, _bare_links, _capped, _fit_text, parts_of
from bot.handlers.services import services, user_lang
from bot.handlers.watches import _watch
from bot.render import verdict_buttons, verdict_message
from bot.texts import t

log = logging.getLogger("fakewatch.bot")


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await guard_message(update, context, message)
        return
    if chat.type != ChatType.PRIVATE:
        return
    await answer_check(
        update, context, message, parts_of(message, services(context).config.max_text_chars)
    )


async def answer_check(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, parts: Parts
) -> None:
    svc = services(context)
    lang = user_lang(svc, update)
    if parts.unsupported:
        await message.reply_text(t("unsupported", lang))
        return
    user = update.effective_user
    who = f"u:{user.id if user else message.chat_id}"
    wait = svc.per_user.take(who)
    if wait:
        await message.reply_text(t("slow_down", lang, seconds=wait))
        return
    # One check at a time each, in the order sent (a multi-select forward arrives as several
    # updates at once): a person cannot hold every handler slot, or the memory of many
    # downloads, while everyone else waits; past a few waiting they are told once.
    turn = svc.turns.setdefault(who, asyncio.Lock())
    queued = turn.locked() or bool(svc.waiting.get(who))
    if queued and svc.waiting.get(who, 0) >= CHECKS_WAITING:
        if who not in svc.told_busy:
            svc.told_busy.add(who)
            await message.reply_text(t("still_checking", lang))
        return
    svc.waiting[who] = svc.waiting.get(who, 0) + 1
    run = _in_turn(update, context, message, parts, lang, who, turn, queued=queued)
    if queued:
        # The wait for the turn happens in a task, not in this handler: PTB runs only
        # CONCURRENT_UPDATES handlers for everyone, and a few people's multi-select forwards
        # waiting in them would leave none for anyone else's /help or a moderator's button.
        context.application.create_task(run, update=update)
        return
    await run


async def _in_turn(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    parts: Parts,
    lang: str,
    who: str,
    turn: asyncio.Lock,
    *,
    queued: bool,
) -> None:
    """One check in the person's turn (``svc.waiting`` already counts it)."""
    svc = services(context)
    try:
        async with turn:
            svc.waiting[who] -= 1
            await _answer_check(update, context, message, parts, lang, quote=queued)
    finally:
        if not turn.locked() and not svc.waiting.get(who):
            svc.turns.pop(who, None)
            svc.waiting.pop(who, None)
            svc.told_busy.discard(who)


async def _answer_check(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    parts: Parts,
    lang: str,
    *,
    quote: bool = False,
) -> None:
    """``quote``: the check waited behind others, so its answer quotes the message it is for."""
    svc = services(context)
    if parts.media is not None:
        # "typing…" while the file downloads; not awaited, so it adds no round trip.
        context.application.create_task(
            context.bot.send_chat_action(message.chat_id, ChatAction.TYPING), update=update
        )
    try:
        checked = await check_parts(context, parts, lang, with_text=True)
    except Notice as notice:
        await message.reply_text(t(notice.key, lang))
        return
    except ServerUnavailable as exc:
        log.warning("server unavailable", extra={"error": type(exc).__name__, "cause": str(exc)})
        await message.reply_text(t("server_down", lang))
        return
    except KeyRefused as exc:
        # The bot's own key (wrong, revoked, or without the role): the operator's to fix,
        # never the person's message, and not an outage either.
        log_key_refused(exc, "check")
        await message.reply_text(t("key_refused_check", lang))
        return
    except Refused as exc:
        log.warning("server refused a check", extra={"code": exc.code, "status": exc.status})
        if exc.status == 429:
            await message.reply_text(t("slow_down", lang, seconds=exc.retry_after or 60))
        else:
            # Up and answering, but not taking this message: not "unreachable".
            await message.reply_text(t("check_refused", lang, code=exc.code or exc.status))
        return
    if not checked.parts:
        if checked.unchecked_links:
            await message.reply_text(t("links_unchecked", lang, count=checked.unchecked_links))
        elif checked.missing:
            await message.reply_text(t("feature_off", lang))
        else:
            await message.reply_text(t("nothing_to_check", lang))
        return
    checked.chat_id = message.chat_id
    checked.owner = user.id if (user := update.effective_user) else None
    ref = svc.recent.add(checked)
    sent = await message.reply_text(
        verdict_message(checked, lang), reply_markup=verdict_buttons(ref, lang), do_quote=quote
    )
    checked.message_id = sent.message_id
    # A check queued behind others can finish while the bot stops: its watch is not started then.
    if checked.verdict != "likely_scam" and context.application.running:
        context.application.create_task(_watch(svc, checked, message.chat_id), update=update)


async def cmd_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    raw = " ".join(context.args or [])
    links = _bare_links(raw)
    if not links and re.fullmatch(r"[\w.-]+\.[a-z]{2,}(/\S*)?", raw.strip(), re.IGNORECASE):
        links = ["http://" + raw.strip()]  # "/check paypa1.com" means the site
    links, skipped, site_only = _capped(list(dict.fromkeys(links)))
    text, cut = _fit_text(raw, services(context).config.max_text_chars)
    parts = Parts(links, text, None, False, skipped, site_only, cut)
    if not raw.strip():
        await message.reply_text(t("nothing_to_check", user_lang(services(context), update)))
        return
    if links and raw.strip() in (links[0], links[0].removeprefix("http://")):
        parts.text = ""
    await answer_check(update, context, message, parts)
