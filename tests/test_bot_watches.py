"""Retroactive alerts from checked links: the bot key's subscriptions are shared by every chat,
so one chat gets a bounded share and a full key is said out loud in the log. Real
python-telegram-bot against the fake Bot API, real servers and their SQLite files."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.handlers import WATCHES_PER_CHAT, WATCHES_PER_MESSAGE
from tests.support.bot import running_bot
from tests.support.server import RunningServer, start_server

ANN, BEN = 7101, 7102


def _subscriptions(server: RunningServer, subscriber: str) -> int:
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT COUNT(*) FROM alert_subscriptions WHERE subscriber = ?", [subscriber]
        ).fetchone()
    return int(row[0])


def _settled(server: RunningServer, subscriber: str, quiet_s: float = 0.5) -> int:
    """The subscriber's count once it stopped changing for ``quiet_s``."""
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        now = _subscriptions(server, subscriber)
        if now != last:
            last, since = now, time.monotonic()
        time.sleep(0.1)
    return last


def test_one_chat_gets_a_bounded_share_of_the_bots_alert_subscriptions(
    server: RunningServer, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            for m in range(5):
                links = " ".join(f"https://shop{m}x{i}-{run}.com/item" for i in range(6))
                mark = len(fake.calls)
                fake.message(ANN, ANN, f"are these real? {links}")
                await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
                if m == 0:
                    first = await asyncio.to_thread(_settled, server, f"telegram:{ANN}")
                    assert first == WATCHES_PER_MESSAGE  # a few per message, not all six
            live = await asyncio.to_thread(_settled, server, f"telegram:{ANN}")
            assert live == WATCHES_PER_CHAT

    asyncio.run(scenario())


def test_a_full_key_pauses_the_watches_with_a_warning_instead_of_failing_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    small = start_server(
        tmp_path / "srv",
        env={
            "FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY": "2",
            "FAKEWATCH_ALERT_SUBSCRIPTION_DAYS": "7",
        },
    )
    caplog.set_level(logging.INFO, logger="fakewatch.bot")

    async def scenario() -> None:
        async with running_bot(tmp_path / "bot", small.url) as (fake, _):
            links = " ".join(f"https://quiet{i}-shop.com/item" for i in range(3))
            fake.message(ANN, ANN, links)
            await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            await asyncio.to_thread(_settled, small, f"telegram:{ANN}")
            mark = len(fake.calls)
            fake.message(BEN, BEN, "https://another-shop.com/item")
            await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            await asyncio.to_thread(_settled, small, f"telegram:{BEN}")

    try:
        asyncio.run(scenario())
        assert _subscriptions(small, f"telegram:{ANN}") == 2
        assert _subscriptions(small, f"telegram:{BEN}") == 0
        # The bot frees a chat's share when the server drops the subscriptions (its 7 days
        # here), not after a lifetime it assumed.
        with sqlite3.connect(f"file:{small.db}?mode=ro", uri=True) as db:
            ends = db.execute(
                "SELECT expires_at FROM alert_subscriptions WHERE subscriber = ?",
                [f"telegram:{ANN}"],
            ).fetchall()
        server_ends = sorted(
            datetime.fromisoformat(end).replace(tzinfo=UTC).timestamp() for (end,) in ends
        )
        with sqlite3.connect(tmp_path / "bot" / "bot.db") as db:
            bot_ends = sorted(e for (e,) in db.execute("SELECT expires FROM watches"))
        assert bot_ends == server_ends
        assert abs(bot_ends[0] - (time.time() + 7 * 86400)) < 600
    finally:
        small.stop()
    full = [r for r in caplog.records if r.levelno == logging.WARNING and "paused" in r.msg]
    assert len(full) == 1  # said once, then no more asking while the key is full
    assert getattr(full[0], "code", "") == "alert_subscriptions_full"
    assert getattr(full[0], "retry_after", 0) > 0
