"""``install``: every handler registered on the Application, in order (the first match in a
group wins), and the /report conversation in a group of its own before the others.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.handlers.admins import on_my_member
from bot.handlers.commands import (
    cmd_help,
    cmd_lang,
    cmd_link,
    cmd_privacy,
    cmd_start,
    cmd_subscribe,
    cmd_unknown,
    cmd_unlink,
    cmd_unsubscribe,
    on_lang_button,
)
from bot.handlers.errors import on_error
from bot.handlers.guard import cmd_guard
from bot.handlers.moderators import on_moderator_button
from bot.handlers.private import cmd_check, on_message
from bot.handlers.report_flow import (
    CATEGORY,
    CONSENT,
    KEEP,
    REPORTABLE,
    WHAT,
    WHERE,
    _consumes,
    cmd_cancel,
    cmd_report_elsewhere,
    report_cancel,
    report_category,
    report_consent,
    report_keep,
    report_other_command,
    report_start,
    report_what,
    report_where,
)
from bot.handlers.verdict_buttons import on_verdict_button


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler (order matters: the first match in a group wins)."""
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat and user, not per message:
        # that is what a short guided conversation wants.
        warnings.simplefilter("ignore")
        report = ConversationHandler(
            entry_points=[CommandHandler("report", _consumes(report_start), filters=private)],
            states={
                WHAT: [MessageHandler(REPORTABLE, _consumes(report_what))],
                WHERE: [MessageHandler(filters.TEXT & ~filters.COMMAND, _consumes(report_where))],
                CATEGORY: [CallbackQueryHandler(_consumes(report_category), pattern=r"^c:")],
                KEEP: [CallbackQueryHandler(_consumes(report_keep), pattern=r"^keep:(yes|no)$")],
                CONSENT: [CallbackQueryHandler(_consumes(report_consent), pattern=r"^k:")],
            },
            fallbacks=[
                CommandHandler("cancel", _consumes(report_cancel)),
                MessageHandler(filters.COMMAND, _consumes(report_other_command)),
            ],
            per_message=False,
            # /report again starts afresh instead of being taken as "another command".
            allow_reentry=True,
        )
    # A group of its own, before the others: an update the flow does not take (or passes on:
    # another command, a forward to check) reaches the ordinary handlers below.
    application.add_handler(report, group=-1)
    for name, callback in (
        ("start", cmd_start),
        ("help", cmd_help),
        ("privacy", cmd_privacy),
        ("check", cmd_check),
        ("lang", cmd_lang),
        ("subscribe", cmd_subscribe),
        ("unsubscribe", cmd_unsubscribe),
        ("link", cmd_link),
        ("unlink", cmd_unlink),
        ("guard", cmd_guard),
        ("report", cmd_report_elsewhere),
        ("cancel", cmd_cancel),
    ):
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CallbackQueryHandler(on_verdict_button, pattern=r"^[rfw]:"))
    application.add_handler(CallbackQueryHandler(on_lang_button, pattern=r"^l:"))
    application.add_handler(CallbackQueryHandler(on_moderator_button, pattern=r"^m:"))
    application.add_handler(ChatMemberHandler(on_my_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(
        MessageHandler(
            (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE) & ~filters.COMMAND,
            on_message,
        )
    )
    # Last: a command nobody above knows gets an answer in private (in a group it may be
    # another bot's).
    application.add_handler(
        MessageHandler(filters.COMMAND & private & filters.UpdateType.MESSAGE, cmd_unknown)
    )
    application.add_error_handler(on_error)
