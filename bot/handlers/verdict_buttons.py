"""What the buttons under a verdict do: "Why?" (all the reasons) and "Report" (the parts
behind the warning, reported by the person who asked; the bot remembers which case each
report was filed under, so the person hears the moderators' decision: ``bot.outcomes``).
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.api import KeyRefused
from bot.handlers.reports import _report, _report_media, _report_words
from bot.handlers.services import group_lang, services, user_lang
from bot.render import verdict_message
from bot.texts import t


async def on_verdict_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services(context)
    shown_in = query.message
    group = shown_in is not None and shown_in.chat.type != ChatType.PRIVATE
    # Under the guard's warning, the group's language: the reasons were asked for in it.
    lang = group_lang(svc, shown_in.chat.id) if group and shown_in else user_lang(svc, update)
    action, _, ref = query.data.partition(":")
    checked = svc.recent.get(ref)
    if (
        checked is None
        or shown_in is None
        or shown_in.chat.id != checked.chat_id
        or (checked.message_id is not None and shown_in.message_id != checked.message_id)
    ):
        # Unknown, expired, or a ref pressed under a message it was never shown with.
        await query.answer(t("expired", lang), show_alert=True)
        return
    wait = svc.per_button.take(f"b:{query.from_user.id}")
    if wait:
        await query.answer(t("slow_down", lang, seconds=wait), show_alert=True)
        return
    if action == "r" and query.from_user.id != checked.owner:
        # Report belongs to the person who asked, in their private chat.
        await query.answer(t("not_your_check", lang), show_alert=True)
        return
    if action == "w":
        if shown_in.chat.type != ChatType.PRIVATE:
            if checked.why_posted:
                # Once in the group is enough; more presses must not flood it.
                await query.answer(t("why_above", lang), show_alert=True)
                return
            checked.why_posted = True
        await query.answer()
        await context.bot.send_message(
            shown_in.chat.id, verdict_message(checked, lang, all_reasons=True)
        )
    elif action == "r":
        if checked.reported:
            await query.answer(t("already_reported", lang), show_alert=True)
            return
        checked.reported = True  # before the first await: a double tap files once
        await query.answer()
        # The parts behind the warning, not the message's first link: a scam that opens with
        # a well-known site must not aim every victim's report at that site.
        case_ids: list[str] = []
        try:
            for part in checked.to_report():
                if part.kind == "media" and checked.media is not None:
                    case_id = await _report_media(
                        context, checked.media, query.from_user.id, lang=lang
                    )
                elif part.item is not None:
                    case_id = await _report(
                        svc, [part.item], query.from_user.id, "other", {}, lang=lang
                    )
                else:
                    continue
                if case_id is not None:
                    case_ids.append(case_id)
        except KeyRefused:
            checked.reported = bool(case_ids)  # nothing filed: the button works once it is fixed
            await context.bot.send_message(query.from_user.id, t("key_refused_action", lang))
            return
        words = _report_words(", ".join(case_ids) if case_ids else None, lang)
        await context.bot.send_message(query.from_user.id, words)
    else:
        # "f" was "Looks fine to me" (removed: it sent nothing anywhere); a press on a message
        # shown before the upgrade is answered, not left spinning.
        await query.answer(t("expired", lang), show_alert=True)
