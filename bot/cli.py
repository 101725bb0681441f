"""``fakewatch bot``: run the Telegram bot (long polling or a webhook) against a FakeWatch
server."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from server.logs import JsonFormatter
from server.settings import Settings, SettingsError


class RedactingJsonFormatter(JsonFormatter):
    """The server's JSON log lines, with the bot's secrets replaced wherever they appear."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Longest first, so the token goes whole before its secret half is looked for.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self._secrets:
            line = line.replace(secret, "[redacted]")
        return line


def add_commands(commands: Any, db_flags: Any) -> None:
    parser = commands.add_parser(
        "bot",
        help="run the Telegram bot",
        description=(
            "Run the Telegram bot. Needs FAKEWATCH_TELEGRAM_TOKEN, FAKEWATCH_SERVER_URL and "
            "FAKEWATCH_API_KEY (a moderator key); moderators in FAKEWATCH_MODERATOR_IDS get "
            "new cases. Updates come by long polling, or by webhook when "
            "FAKEWATCH_TELEGRAM_WEBHOOK_URL (https) is set: the bot then listens on "
            "FAKEWATCH_TELEGRAM_WEBHOOK_LISTEN (default 127.0.0.1:8443) behind your https "
            "proxy. Its state is DATA_DIR/bot.db."
        ),
    )
    db_flags(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runner import run_bot  # deferred: keeps `fakewatch --help` fast

    handler = logging.StreamHandler()
    # JSON lines like the server's: every ``extra`` field (error type, code, status) and the
    # traceback stay in the record. The token and the API key are cut out of whatever is
    # written, a traceback or a library's message included.
    handler.setFormatter(
        RedactingJsonFormatter(
            [settings.telegram_token, settings.telegram_token.partition(":")[2], settings.api_key]
        )
    )
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
    # httpx logs every request URL, and a Bot API URL holds the token; PTB's debug output
    # prints whole updates (people's messages). Neither goes below INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    level = logging.getLevelName(settings.log_level.upper())
    logging.getLogger("telegram").setLevel(max(logging.INFO, int(level)))
    try:
        asyncio.run(run_bot(settings))
    except SettingsError as exc:
        print(f"fakewatch bot: {exc}", file=sys.stderr)
        return 2
    return 0
