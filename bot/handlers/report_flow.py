"""/report: what, where, category, consent.

A short guided conversation in a private chat, in a handler group of its own before the
others: it takes only the answers to its questions and passes anything else on (a command,
a forward to check); it ends after ``REPORT_TIMEOUT_S`` without an answer, said out loud.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, ConversationHandler, filters

from bot.api import KeyRefused
from bot.config import TELEGRAM_DOWNLOAD_LIMIT
from bot.handlers.commands import cmd_text
from bot.handlers.parts import Media, _links, _media, _user_id
from bot.handlers.reports import _report, _report_media, _report_words
from bot.handlers.services import services, user_lang
from bot.texts import t
from server.community.items import MAX_TEXT_LENGTH as REPORT_TEXT

CATEGORIES = ("investment", "giveaway", "celebrity", "romance", "official", "shopping", "other")
WHAT, WHERE, CATEGORY, KEEP, CONSENT = range(5)
#: What the first /report step accepts: a link or message, or the picture or video itself.
REPORTABLE = (
    (filters.TEXT & ~filters.COMMAND)
    | filters.PHOTO
    | filters.VIDEO
    | filters.ANIMATION
    | filters.Document.IMAGE
    | filters.Document.VIDEO
)


#: A state callback's answer meaning "not mine after all": the flow ends and the update goes
#: on to the ordinary handlers (a command runs, a forward or link is checked).
PASS_ON = -10


def _consumes(
    callback: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[int]],
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, int]]:
    """The /report flow runs in a handler group before the others: what it takes, it stops
    (``ApplicationHandlerStop``); what it passes on, the other handlers answer."""

    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        state = await callback(update, context)
        if state == PASS_ON:
            return ConversationHandler.END
        raise ApplicationHandlerStop(state)

    return run


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    return cast(dict[str, Any], context.user_data)


def _report_live(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """The person's /report is still waiting for them (not timed out, not ended)."""
    draft = _draft(context)
    started = draft.get("started")
    return isinstance(started, float) and (
        time.monotonic() - started < services(context).report_timeout_s
    )


def _end_report(context: ContextTypes.DEFAULT_TYPE, user_id: int | None) -> None:
    _draft(context).clear()
    timer = services(context).report_timers.pop(user_id, None) if user_id else None
    if timer is not None:
        timer.cancel()


def _arm_report_timer(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int, lang: str
) -> None:
    """Ten minutes without an answer end the report, said out loud: the person's next
    forward must get a verdict, not be taken as the answer to an old question."""
    svc = services(context)
    _end_report(context, user_id)
    token = secrets.token_hex(8)
    _draft(context).update(token=token, started=time.monotonic())
    application = context.application

    def expire() -> None:
        svc.report_timers.pop(user_id, None)
        data = application.user_data.get(user_id)
        if not data or data.get("token") != token:
            return
        data.clear()
        application.create_task(_say_timed_out(context, chat_id, lang))

    svc.report_timers[user_id] = asyncio.get_running_loop().call_later(svc.report_timeout_s, expire)


async def _say_timed_out(context: ContextTypes.DEFAULT_TYPE, chat_id: int, lang: str) -> None:
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat_id, t("report_timed_out", lang))


async def report_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    lang = user_lang(services(context), update)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return ConversationHandler.END
    _arm_report_timer(context, user.id, message.chat_id, lang)
    await message.reply_text(t("report_what", lang))
    return WHAT


async def report_what(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    assert message is not None
    if not _report_live(context):
        _end_report(context, _user_id(message))
        return PASS_ON  # the report timed out: this is something to check
    links = _links(message)
    draft = _draft(context)
    media = _media(message)
    if media is not None and media.size is not None and media.size > TELEGRAM_DOWNLOAD_LIMIT:
        # Said now, not after four more questions: bots cannot fetch files this large.
        await message.reply_text(t("too_big", user_lang(services(context), update)))
        return WHAT
    if media is not None:
        draft["media"] = media
        draft["item"] = {"kind": "media"}
    elif links:
        draft["item"] = {"kind": "link", "value": links[0]}
    else:
        draft["item"] = {"kind": "text", "value": (message.text or "")[:REPORT_TEXT]}
    await message.reply_text(t("report_where", user_lang(services(context), update)))
    return WHERE


async def report_where(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    assert message is not None
    lang = user_lang(services(context), update)
    if not _report_live(context):
        _end_report(context, _user_id(message))
        return PASS_ON
    if message.forward_origin is not None or _media(message) is not None:
        # A forward or a picture is not "where I saw it": the person moved on to something they
        # want checked. It gets its verdict; the unfinished report is dropped, and said so.
        # Typed text is the answer even with a link in it: the group's or page's link is the
        # best answer to "where".
        _end_report(context, _user_id(message))
        await message.reply_text(t("report_left", lang))
        return PASS_ON
    draft = _draft(context)
    draft["where"] = (message.text or "")[:100]
    seen_links = _links(message)
    if seen_links:
        draft["where_url"] = seen_links[0][:2000]
    rows = [
        [InlineKeyboardButton(t(f"category.{c}", lang), callback_data=f"c:{c}")] for c in CATEGORIES
    ]
    await message.reply_text(t("report_category", lang), reply_markup=InlineKeyboardMarkup(rows))
    return CATEGORY


async def _stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A button of a report that timed out or ended."""
    query = update.callback_query
    assert query is not None
    _end_report(context, query.from_user.id)
    await query.answer(t("report_timed_out", user_lang(services(context), update)), show_alert=True)
    return ConversationHandler.END


async def report_category(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _report_live(context):
        return await _stale_button(update, context)
    await query.answer()
    category = query.data.removeprefix("c:")
    _draft(context)["category"] = category if category in CATEGORIES else "other"
    lang = user_lang(services(context), update)
    if "media" in _draft(context):
        buttons = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t("yes_keep", lang), callback_data="keep:yes")],
                [InlineKeyboardButton(t("no_keep", lang), callback_data="keep:no")],
            ]
        )
        await context.bot.send_message(
            query.from_user.id, t("report_keep", lang), reply_markup=buttons
        )
        return KEEP
    await _ask_consent(context, query.from_user.id, lang)
    return CONSENT


async def report_keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Media only: may the moderators keep the file, or only its fingerprints?"""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _report_live(context):
        return await _stale_button(update, context)
    await query.answer()
    _draft(context)["keep_media"] = query.data == "keep:yes"
    await _ask_consent(context, query.from_user.id, user_lang(services(context), update))
    return CONSENT


async def _ask_consent(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str) -> None:
    buttons = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t("yes_share", lang), callback_data="k:yes")],
            [InlineKeyboardButton(t("no_share", lang), callback_data="k:no")],
        ]
    )
    await context.bot.send_message(user_id, t("report_consent", lang), reply_markup=buttons)


async def report_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    # Take the draft before the first await: updates run concurrently, and a second tap on
    # the same buttons must find nothing to send (one report, not two).
    live = _report_live(context)
    draft = dict(_draft(context))
    _end_report(context, query.from_user.id)
    if "item" not in draft:
        await query.answer()
        return ConversationHandler.END
    if not live:
        draft.clear()
        return await _stale_button(update, context)
    await query.answer()
    svc = services(context)
    lang = user_lang(svc, update)
    consent = {"share_with_authorities": query.data == "k:yes"}
    extra: dict[str, Any] = {"consent": consent}
    if draft.get("where"):
        extra["seen_on"] = {"platform": draft["where"]}
        if draft.get("where_url"):
            extra["seen_on"]["url"] = draft["where_url"]
    category = draft.get("category", "other")
    media = draft.get("media")
    try:
        if isinstance(media, Media):
            consent["keep_media"] = bool(draft.get("keep_media"))
            case_id = await _report_media(
                context, media, query.from_user.id, category, extra, lang=lang
            )
        else:
            case_id = await _report(
                svc, [draft["item"]], query.from_user.id, category, extra, lang=lang
            )
        words = _report_words(case_id, lang)
    except KeyRefused:
        words = t("key_refused_action", lang)
    await context.bot.send_message(query.from_user.id, words)
    return ConversationHandler.END


async def report_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    _end_report(context, update.effective_user.id if update.effective_user else None)
    if update.effective_message:
        await update.effective_message.reply_text(
            t("report_cancelled", user_lang(services(context), update))
        )
    return ConversationHandler.END


async def report_other_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Another command in the middle of a report: the report ends (said so), then the command
    runs as it would have."""
    await report_cancel(update, context)
    return PASS_ON


async def cmd_report_elsewhere(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report outside a private chat (the flow asks for the item and consent privately)."""
    await cmd_text(update, context, "private_only")


async def cmd_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "nothing_to_cancel")
