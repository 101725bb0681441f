"""The group guard: links and media posted in a group are checked (never the conversation),
and a ``likely_scam`` is warned about or deleted; /guard sets the mode.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.api import KeyRefused, ServerError
from bot.handlers.admins import _may_change_group, bot_is_admin
from bot.handlers.checks import check_parts
from bot.handlers.errors import log_key_refused
from bot.handlers.limits import GUARD_IN_FLIGHT_PER_SENDER
from bot.handlers.notice import Notice
from bot.handlers.parts import _user_id, parts_of
from bot.handlers.services import Services, group_lang, services, user_lang
from bot.render import defang
from bot.state import GUARD_MODES
from bot.texts import lang_from_telegram, t

log = logging.getLogger("fakewatch.bot")


async def guard_message(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message
) -> None:
    """Check links and media posted in a group; warn (or delete) on ``likely_scam``.

    Only links and media are sent to the server: people's conversation in a group is not ours
    to send anywhere.
    """
    svc = services(context)
    chat_id = message.chat_id
    mode = svc.state.guard(chat_id)
    if mode == "off":
        return
    parts = parts_of(message, svc.config.max_text_chars)
    if not parts.links and parts.media is None and not parts.skipped_links:
        _heard(svc, chat_id, message)
        return
    if not await bot_is_admin(context, chat_id):
        return
    lang = group_lang(svc, chat_id)
    sender = message.sender_chat.id if message.sender_chat else _user_id(message)
    who = f"g:{chat_id}:{sender}"
    busy = svc.guard_in_flight.get(who, 0) >= GUARD_IN_FLIGHT_PER_SENDER
    if busy or svc.per_sender.take(who) or svc.per_group.take(f"g:{chat_id}"):
        log.info("guard rate limit", extra={"chat_id": chat_id})
        if not svc.notices.take(f"g:{chat_id}"):
            # Unchecked is said out loud: a flood is exactly when a scam link slips in.
            with contextlib.suppress(TelegramError):
                await message.reply_text(t("guard_unchecked", lang))
        return
    svc.guard_in_flight[who] = svc.guard_in_flight.get(who, 0) + 1
    try:
        checked = await check_parts(context, parts, lang, with_text=False)
    except (Notice, ServerError) as exc:
        if isinstance(exc, KeyRefused):
            log_key_refused(exc, "group guard")
        else:
            log.info(
                "guard could not check", extra={"chat_id": chat_id, "error": type(exc).__name__}
            )
        busy_media = isinstance(exc, Notice) and exc.key == "media_busy"
        if busy_media and not svc.notices.take(f"g:{chat_id}"):
            with contextlib.suppress(TelegramError):
                await message.reply_text(t("guard_media_busy", lang))
        return
    finally:
        svc.guard_in_flight[who] -= 1
        if not svc.guard_in_flight[who]:
            del svc.guard_in_flight[who]
    if checked.verdict != "likely_scam":
        _heard(svc, chat_id, message)
        if checked.unchecked_links and not svc.notices.take(f"g:{chat_id}"):
            # Padding a message with links must not buy silence for the one past the cap, nor
            # may it make the bot noisy: the group's one notice a minute, like the others.
            with contextlib.suppress(TelegramError):
                await message.reply_text(
                    t("guard_links_unchecked", lang, count=checked.unchecked_links)
                )
        return
    worst = checked.worst
    summary = defang(str(worst.verdict.get("summary", ""))) if worst else ""
    if mode == "delete":
        try:
            await message.delete()
            # The sender's name is not repeated: a scammer picks it ("Support: t.me/...").
            await context.bot.send_message(chat_id, t("guard_deleted", lang))
            return
        except (BadRequest, Forbidden):
            pass  # no right to delete here: warn instead
    checked.chat_id = chat_id
    ref = svc.recent.add(checked)
    sent = await message.reply_text(
        t("guard_warning", lang) + ("\n" + summary if summary else ""),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t("btn.why", lang), callback_data=f"w:{ref}")]]
        ),
    )
    checked.message_id = sent.message_id


def _heard(svc: Services, chat_id: int, message: Message) -> None:
    """A member's message that was not flagged: while no admin was seen, the group reads
    their language."""
    user = message.from_user
    if user is None or user.is_bot or not user.language_code:
        return
    svc.state.note_seen_lang_if_unset(chat_id, lang_from_telegram(user.language_code))


async def cmd_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    lang = user_lang(svc, update)
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await message.reply_text(t("groups_only", lang))
        return
    arg = (context.args or [""])[0].lower()
    if arg in GUARD_MODES:
        # The same rule as /subscribe and /lang: admins, including one posting anonymously.
        if not await _may_change_group(update, context, lang, "guard_admins_only"):
            return
        svc.state.set_guard(chat.id, arg)
    mode = svc.state.guard(chat.id)
    await message.reply_text(t("guard_status", lang, mode=t(f"guard.{mode}", lang)))
