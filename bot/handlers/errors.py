"""The one error handler: what failed is logged, never what was in the update (it may be a
victim's message).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

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
