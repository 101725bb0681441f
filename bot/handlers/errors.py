"""The one error handler: what failed is logged, never what was in the update (it may be a
victim's message); and the one error line for a key the server refuses.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.api import KEY_SETTING, ROLE_NEEDED, KeyRefused

log = logging.getLogger("fakewatch.bot")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed, never what was in the update (it may be a victim's message)."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler failed",
        extra={
            "update_id": update_id,
            "error": type(context.error).__name__,
            # Telegram's own words ("Forbidden: bot was blocked by the user"), never ours.
            "cause": str(context.error)[:300] if isinstance(context.error, TelegramError) else "",
        },
        exc_info=context.error if not isinstance(context.error, TelegramError) else None,
    )


def log_key_refused(exc: KeyRefused, during: str) -> None:
    """The server refused the bot's key: an error for the operator naming the setting and the
    role it needs (never the key), whatever the bot was doing; the person is told the bot is
    misconfigured, not that the server is down."""
    log.error(
        f"the server refused the bot's API key: {KEY_SETTING} must be a {ROLE_NEEDED} key",
        extra={"during": during, "why": exc.why, "code": exc.code, "status": exc.status},
    )
