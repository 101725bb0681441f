"""Moderators' new-case cards: their Confirm and Reject buttons, and every other moderator's
copy of a card updated once one of them (or the web page) decided the case.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.api import FeatureMissing, KeyRefused, Refused, ServerUnavailable
from bot.handlers.errors import log_key_refused
from bot.handlers.services import services, user_lang
from bot.texts import T, t

log = logging.getLogger("fakewatch.bot")


def case_buttons(case_id: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("btn.confirm", lang), callback_data=f"m:confirm:{case_id}"),
                InlineKeyboardButton(t("btn.reject", lang), callback_data=f"m:reject:{case_id}"),
            ]
        ]
    )


async def on_moderator_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services(context)
    lang = user_lang(svc, update)
    if query.from_user.id not in svc.config.moderator_ids:
        await query.answer(t("not_moderator", lang), show_alert=True)
        return
    _, action, raw_id = [*query.data.split(":", 2), "", ""][:3]
    if action not in ("confirm", "reject") or not raw_id.isdigit():
        await query.answer()
        return
    case_id = int(raw_id)
    decided = False
    decided_as = ""
    try:
        # The card was shown for a pending case (``cases_once`` shows only those): a second
        # moderator's stale button must not reverse the first one's decision.
        await svc.client.decide_case(
            case_id,
            action,
            f"via Telegram by moderator {query.from_user.id}",
            expect_status="pending",
            lang=lang,
        )
        words = t("mod_done", lang, case_id=case_id, action=t(f"mod.{action}", lang))
        decided = True
    except Refused as exc:
        words = _mod_refusal(exc, case_id, lang)
        status = str(exc.body.get("case_status") or "")
        if exc.code == "case_state" and f"status.{status}" in T:
            decided_as = f"status:{status}"  # decided elsewhere (another chat, the web page)
    except FeatureMissing:
        words = t("feature_off", lang)
    except ServerUnavailable:
        words = t("server_down_action", lang)
    await query.answer()
    shown = query.message if isinstance(query.message, Message) else None
    if shown is not None:
        await shown.edit_text(((shown.text or "") + "\n\n" + words).strip())
    if decided:
        await _tell_other_moderators(context, case_id, f"action:{action}", shown)
    elif decided_as:
        await _tell_other_moderators(context, case_id, decided_as, shown)


def _mod_refusal(exc: Refused, case_id: int, lang: str) -> str:
    """Why a moderator's button did nothing, in a sentence (never a bare code)."""
    if exc.code == "case_state":
        status = str(exc.body.get("case_status") or "")
        if f"status.{status}" in T:
            return t("mod_already", lang, case_id=case_id, status=t(f"status.{status}", lang))
    if exc.status == 404:
        return t("mod_gone", lang, case_id=case_id)
    if isinstance(exc, KeyRefused):
        log_key_refused(exc, "moderation")
        return t("mod_key", lang, case_id=case_id)
    return t("mod_failed", lang, case_id=case_id, why=exc.message or exc.code or exc.status)


async def _tell_other_moderators(
    context: ContextTypes.DEFAULT_TYPE, case_id: int, outcome: str, shown: Message | None
) -> None:
    """Every other moderator's card for this case says it was decided (``action:confirm``: by
    a moderator here; ``status:rejected``: found so, decided elsewhere) and loses its buttons."""
    how, _, what = outcome.partition(":")
    for chat_id, message_id, lang, text in services(context).mod_cards.pop(case_id):
        if shown is not None and (chat_id, message_id) == (shown.chat_id, shown.message_id):
            continue
        if how == "action":
            words = t("mod_by_other", lang, case_id=case_id, action=t(f"mod.{what}", lang))
        else:
            words = t("mod_now", lang, case_id=case_id, status=t(f"status.{what}", lang))
        with contextlib.suppress(TelegramError):
            await context.bot.edit_message_text(text + "\n\n" + words, chat_id, message_id)
