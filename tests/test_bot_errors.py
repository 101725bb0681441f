"""When part of a message cannot be checked: the rest still gets its verdict, a refusal is not
called an outage, and the log keeps each cause without the token, the key or the message.
Real python-telegram-bot against the fake Bot API, a real server with a small text limit."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bot import running_bot
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.server import RunningServer, cli_env, start_server

SCAM = "https://polkadot-dot.info/claim"
ANN, BEN = 701, 702
ROOT = Path(__file__).resolve().parents[1]
WORDS = "Dear customer, your parcel is waiting at the depot, confirm your address today please."


@pytest.fixture(scope="module")
def short_text_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that takes at most 60 characters of text: longer words get a 400."""
    running = start_server(
        tmp_path_factory.mktemp("short-text"), env={"FAKEWATCH_MAX_TEXT_CHARS": "60"}
    )
    yield running
    running.stop()


def test_a_refused_part_leaves_the_others_verdicts_and_is_not_called_an_outage(
    short_text_server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, short_text_server.url) as (fake, _):
            fake.message(ANN, ANN, f"{WORDS} {SCAM}")
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert reply.text.startswith("🚨 Likely a scam")
            assert "Message text: not checked this time" in reply.text

            mark = len(fake.calls)
            fake.message(BEN, BEN, WORDS)  # the words alone: refused, and said so
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            assert said.text.startswith("Sorry, the checking service refused this message")
            assert "isn't reachable" not in said.text

            mark = len(fake.calls)
            fake.add_file("broken", b"this is not a picture at all")
            broken = {"file_id": "broken", "file_unique_id": "ubroken", "width": 9, "height": 9}
            fake.message(ANN, ANN, photo=[broken], caption=f"claim {SCAM}")
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert reply.text.startswith("🚨 Likely a scam")
            assert "I couldn't read this file" in reply.text

            mark = len(fake.calls)
            fake.message(BEN, BEN, "www." + "a" * 4086 + ".com")  # over the server's 4096
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            assert "1 more link(s) in this message were not checked" in said.text

    asyncio.run(scenario())


def test_the_bots_log_keeps_each_cause_and_never_the_token_key_or_message(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    api_key = "bot-key-never-logged-0123456789"
    words = "my-pin-is-4321 please help"
    log_path = tmp_path / "bot.log"

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        env = cli_env(
            {
                "FAKEWATCH_TELEGRAM_TOKEN": TOKEN,
                "FAKEWATCH_TELEGRAM_API_URL": fake.url,
                "FAKEWATCH_SERVER_URL": f"http://127.0.0.1:{closed_port}",
                "FAKEWATCH_API_KEY": api_key,
                "FAKEWATCH_DATA_DIR": str(tmp_path),
                "FAKEWATCH_LOG_LEVEL": "info",
            }
        )
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "server",
                "bot",
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        try:
            await fake.wait_for("getMe", within=30)
            fake.message(ANN, ANN, f"{words} {SCAM}")
            sorry = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, within=30)
            assert sorry.text.startswith("Sorry, the checking service isn't reachable")
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
            await fake.stop()

    asyncio.run(scenario())
    logged = log_path.read_text(encoding="utf-8", errors="replace")
    records = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    down = [r for r in records if r.get("msg") == "server unavailable"]
    assert down and down[0]["cause"] == "ClientConnectorError", logged
    for secret in (TOKEN.split(":")[1], api_key, words, "polkadot-dot"):
        assert secret not in logged
