"""Simple commands: /start /help /privacy, /lang (and its buttons), /subscribe /unsubscribe,
/link /unlink, and the answer to a command nobody knows.

Each is a sentence or one setting; in a group, the settings are its admins' to change.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.api import FeatureMissing, KeyRefused, ServerError
from bot.handlers.admins import _is_admin, _may_change_group
from bot.handlers.errors import log_key_refused
from bot.handlers.services import services, user_lang
from bot.texts import LANG_NAMES, LANGS, t


async def cmd_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "unknown_command")


async def cmd_text(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(t(key, user_lang(services(context), update)))


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "start")


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "help")


async def cmd_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "privacy")


async def cmd_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    wanted = {code.lower(): code for code in LANGS}
    arg = (context.args or [""])[0].lower().replace("_", "-")
    aliases = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant"}
    chosen = wanted.get(arg) or aliases.get(arg)
    if chosen:
        if not await _may_change_group(update, context, user_lang(svc, update)):
            return
        svc.state.set_lang(chat.id, chosen)
        await message.reply_text(t("lang_set", chosen))
        return
    rows = [[InlineKeyboardButton(LANG_NAMES[c], callback_data=f"l:{c}")] for c in LANGS]
    await message.reply_text(
        t("lang_choose", user_lang(svc, update)), reply_markup=InlineKeyboardMarkup(rows)
    )


async def on_lang_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    chosen = query.data.removeprefix("l:")
    if chosen not in LANGS:
        await query.answer()
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and not await _is_admin(
        context, chat.id, query.from_user.id
    ):
        lang = user_lang(services(context), update)
        await query.answer(t("group_admins_only", lang), show_alert=True)
        return
    services(context).state.set_lang(chat.id, chosen)
    await query.answer()
    await context.bot.send_message(chat.id, t("lang_set", chosen))


async def cmd_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _subscription(update, context, True)


async def cmd_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _subscription(update, context, False)


async def _subscription(update: Update, context: ContextTypes.DEFAULT_TYPE, on: bool) -> None:
    svc = services(context)
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    lang = user_lang(svc, update)
    if not await _may_change_group(update, context, lang):
        return
    svc.state.set_subscribed(chat.id, on, lang)
    await update.effective_message.reply_text(t("subscribed" if on else "unsubscribed", lang))


async def cmd_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    lang = user_lang(svc, update)
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(t("private_only", lang))
        return
    try:
        code = await svc.client.relay_code(chat.id)
    except FeatureMissing:
        await message.reply_text(t("feature_off", lang))
        return
    except KeyRefused as exc:
        log_key_refused(exc, "/link")
        await message.reply_text(t("key_refused_action", lang))
        return
    except ServerError:
        await message.reply_text(t("server_down_action", lang))
        return
    await message.reply_text(t("link_code", lang, code=code["code"]))


async def cmd_unlink(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    lang = user_lang(svc, update)
    try:
        count = await svc.client.relay_unlink(chat.id)
    except FeatureMissing:
        await message.reply_text(t("feature_off", lang))
        return
    except KeyRefused as exc:
        log_key_refused(exc, "/unlink")
        await message.reply_text(t("key_refused_action", lang))
        return
    except ServerError:
        await message.reply_text(t("server_down_action", lang))
        return
    await message.reply_text(
        t("unlinked", lang, count=count) if count else t("unlinked_none", lang)
    )
