"""Who may change what the bot does in a group (its admins, or the group itself posting
anonymously), and whether the bot is an admin there (cached, kept current by
``my_chat_member`` updates).

Asked by the group guard and by the commands that change a group's settings.
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers.limits import ADMIN_CACHE_S
from bot.handlers.services import Services, services
from bot.texts import lang_from_telegram, t


def _note_admin_lang(svc: Services, update: Update) -> None:
    """A group admin just set the bot up: the group reads their language until /lang."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and user:
        svc.state.note_seen_lang(chat.id, lang_from_telegram(user.language_code))


async def _may_change_group(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    refusal: str = "group_admins_only",
) -> bool:
    """In a group only its admins change what the bot does for everyone (alerts, language);
    anyone may in a private chat. Says so to a member who may not."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return True
    if message is not None and message.sender_chat is not None:
        # An admin posting anonymously speaks as the group itself (from GroupAnonymousBot);
        # only admins can. A linked channel's post is not an admin's command.
        return message.sender_chat.id == chat.id
    if user is not None and await _is_admin(context, chat.id, user.id):
        _note_admin_lang(services(context), update)
        return True
    if message is not None:
        await message.reply_text(t(refusal, lang))
    return False


async def _is_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def bot_is_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> bool:
    svc = services(context)
    cached = svc.bot_admin.get(chat_id)
    now = asyncio.get_running_loop().time()
    if cached is not None and now - cached[1] < ADMIN_CACHE_S:
        return cached[0]
    admin = await _is_admin(context, chat_id, context.bot.id)
    svc.bot_admin[chat_id] = (admin, now)
    return admin


async def on_my_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Promoted, demoted, added or removed: remember it without asking Telegram again."""
    change = update.my_chat_member
    if change is None:
        return
    admin = change.new_chat_member.status in (
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    )
    svc = services(context)
    svc.bot_admin[change.chat.id] = (admin, asyncio.get_running_loop().time())
    if admin and change.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        # Whoever made the bot an admin set it up for this group: their language is the
        # group's until someone types /lang.
        svc.state.note_seen_lang(change.chat.id, lang_from_telegram(change.from_user.language_code))
