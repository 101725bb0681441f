"""Run the real bot (PTB's Application, its HTTP stack and long polling) against the fake
Bot API and a real FakeWatch server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.runner import BotRunner, Intervals
from server.settings import Settings
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.server import ADMIN_KEY

#: Loops poll quickly so tests wait for the behaviour, not for the timer.
FAST = Intervals(alerts_s=0.2, cases_s=0.2, relay_s=0.2, poll_timeout_s=1, missing_s=0.5)


def bot_settings(data_dir: Path, fake: FakeTelegram, server_url: str, **extra: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        telegram_token=TOKEN,
        telegram_api_url=fake.url,
        server_url=server_url,
        api_key=extra.pop("api_key", ADMIN_KEY),
        **extra,
    )


@contextlib.asynccontextmanager
async def running_bot(
    data_dir: Path, server_url: str, *, fake: FakeTelegram | None = None, **extra: str
) -> AsyncIterator[tuple[FakeTelegram, BotRunner]]:
    """The fake Bot API and the bot; both stopped (the bot first) on exit."""
    own_fake = fake is None
    fake = fake or FakeTelegram()
    if own_fake:
        await fake.start()
    runner = BotRunner(bot_settings(data_dir, fake, server_url, **extra), FAST)
    await runner.start()
    try:
        yield fake, runner
    finally:
        await runner.stop()
        if own_fake:
            await fake.stop()
