"""A bot whose key the server refuses (wrong, revoked, or a client key where it needs a
moderator key) is not a bot whose server is down: it does not start, with one line naming the
setting and the role it needs; refused at run time, it logs an error naming the setting (never
the key) and tells people the bot is misconfigured, not "try again in a few minutes".

The real ``fakewatch bot`` process and the real python-telegram-bot against the fake Bot API,
and a real server."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot.texts import t
from tests.support.bot import running_bot
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram
from tests.support.server import RunningServer, cli_env

ANN, BEN = 4101, 4102
ROOT = Path(__file__).resolve().parents[1]
SCAM = "https://polkadot-dot.info/claim"


def _buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def _new_key(server: RunningServer, role: str) -> tuple[int, str]:
    made = server.request("POST", "/v1/keys", json_body={"role": role, "label": "bot-test"})
    assert made.status == 201, made.body
    return int(made.json()["id"]), str(made.json()["key"])


async def _run_bot(server_url: str, key: str, data_dir: Path) -> tuple[int | None, str, bool]:
    """``fakewatch bot`` with ``key``: its exit code (None: still running after 40 s), what
    it wrote, and whether it ever asked Telegram for updates."""
    fake = FakeTelegram()
    await fake.start()
    out = data_dir / "bot.out"
    env = cli_env(
        {
            "FAKEWATCH_TELEGRAM_TOKEN": TOKEN,
            "FAKEWATCH_TELEGRAM_API_URL": fake.url,
            "FAKEWATCH_SERVER_URL": server_url,
            "FAKEWATCH_API_KEY": key,
            "FAKEWATCH_DATA_DIR": str(data_dir),
        }
    )
    with out.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            "bot",
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    try:
        code: int | None = await asyncio.wait_for(process.wait(), 40)
    except TimeoutError:
        code = None
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    finally:
        await fake.stop()
    return code, out.read_text(encoding="utf-8", errors="replace"), bool(fake.sent("getUpdates"))


def test_a_wrong_key_or_a_client_key_stops_the_bot_at_start_with_one_clear_line(
    fresh_server: RunningServer, tmp_path: Path
) -> None:
    _, client_key = _new_key(fresh_server, "client")
    wrong_key = "fw_wrongkey_000000000000000000000000000000"
    for name, key, why in (
        ("client", client_key, "403 forbidden, this key's role is below moderator"),
        ("wrong", wrong_key, "401 unauthorized, the server does not know this key"),
    ):
        data_dir = tmp_path / name
        data_dir.mkdir()
        code, said, polled = asyncio.run(_run_bot(fresh_server.url, key, data_dir))
        assert code == 2, said
        assert not polled and "READY" not in said, said
        lines = [line for line in said.splitlines() if line.startswith("fakewatch bot:")]
        assert len(lines) == 1, said
        assert lines[0].startswith("fakewatch bot: FAKEWATCH_API_KEY was refused by the server")
        assert why in lines[0] and "The bot needs a moderator key" in lines[0], lines[0]
        assert "keys create --role moderator" in lines[0]
        assert key not in said and "Traceback" not in said


def test_a_key_revoked_at_run_time_is_an_error_for_the_operator_and_misconfigured_for_people(
    fresh_server: RunningServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_id, key = _new_key(fresh_server, "moderator")
    caplog.set_level(logging.INFO, logger="fakewatch.bot")

    async def reply(fake: FakeTelegram, chat: int, text: str, lang: str = "en") -> str:
        mark = len(fake.calls)
        fake.message(chat, chat, text, language_code=lang)
        call = await fake.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark)
        return call.text

    async def scenario() -> None:
        async with running_bot(tmp_path, fresh_server.url, api_key=key) as (fake, _):
            linked = await reply(fake, ANN, "/link")
            assert "code" in linked.lower(), linked  # the key works: a code is shown
            mark = len(fake.calls)
            fake.message(BEN, BEN, SCAM)
            verdict = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            assert verdict.text.startswith("🚨 Likely a scam"), verdict.text
            revoked = fresh_server.request("DELETE", f"/v1/keys/{key_id}")
            assert revoked.status == 200, revoked.body

            said = await reply(fake, ANN, "/link")
            assert "this bot is misconfigured" in said, said
            assert "operator must fix the bot's key" in said
            assert said == t("key_refused_action", "en")
            said = await reply(fake, BEN, "/unlink", "zh-hans")
            assert "这个机器人的设置有误" in said and "运营者修正它的密钥" in said, said
            assert said == t("key_refused_action", "zh-Hans")
            said = await reply(fake, ANN, f"is this ok {SCAM}")
            assert "misconfigured" in said and "nothing was checked" in said, said
            assert said == t("key_refused_check", "en")
            # "Report as scam" under the verdict given before the key was revoked.
            report = next(d for d in _buttons(verdict) if d.startswith("r:"))
            mark = len(fake.calls)
            fake.press(BEN, report, fake.shown(verdict))
            said_to_ben = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            assert said_to_ben.text == t("key_refused_action", "en"), said_to_ben.text
            for _ in range(100):  # the relay loop polls every 0.2 s
                if any(getattr(r, "during", "") == "relay loop" for r in caplog.records):
                    break
                await asyncio.sleep(0.1)

    asyncio.run(scenario())
    refused = [r for r in caplog.records if "refused the bot's API key" in r.getMessage()]
    during = {getattr(r, "during", "") for r in refused}
    assert {"/link", "/unlink", "check", "report failed", "relay loop"} <= during, during
    assert all(r.levelno == logging.ERROR for r in refused)
    assert all("FAKEWATCH_API_KEY must be a moderator key" in r.getMessage() for r in refused)
    assert not [r for r in caplog.records if r.getMessage() == "loop waits for the server"]
    for record in caplog.records:
        assert key not in record.getMessage() and key not in str(record.__dict__)
    said_down = (t("server_down_action", "en"), t("server_down_action", "zh-Hans"))
    assert not any(text in r.getMessage() for r in caplog.records for text in said_down)
