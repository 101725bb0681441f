"""The Telegram bot, end to end: real python-telegram-bot against a fake Bot API, real server."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp

from tests.support.bot import running_bot
from tests.support.fake_telegram import BOT_ID
from tests.support.server import RunningServer

SCAM = "https://polkadot-dot.info/claim"
ANN, BEN = 501, 502
GROUP = -100_777


def _buttons(call_params: dict[str, object]) -> list[str]:
    markup = call_params.get("reply_markup")
    assert isinstance(markup, dict)
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def test_a_scam_link_gets_the_warning_and_why_lists_every_reason(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, f"My aunt got this, is it real? {SCAM}")
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert reply.text.startswith("🚨 Likely a scam")
            assert "polkadot-dot[.]info is on the blocklist" in reply.text
            buttons = _buttons(reply.params)
            # No "Looks fine to me" (it sent nothing anywhere), least of all under a warning.
            assert [b[:2] for b in buttons] == ["r:", "w:"]

            mark = len(fake.calls)
            why = next(b for b in buttons if b.startswith("w:"))
            fake.press(ANN, why, fake.shown(reply))
            answer = await fake.wait_for(
                "sendMessage", lambda c: "All reasons" in c.text, after=mark
            )
            assert "url_cues" not in answer.text  # sentences, not codes
            assert answer.text.count("• ") >= 2

            mark = len(fake.calls)
            fake.message(ANN, ANN, "/check polkadot-dot.info")
            checked = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert checked.text.startswith("🚨 Likely a scam")

    asyncio.run(scenario())


def test_a_scam_link_in_a_group_gets_the_guards_reply_and_delete_mode_removes_it(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            posted = fake.message(GROUP, BEN, f"FREE DOT airdrop {SCAM}")
            warning = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP)
            assert warning.text.startswith("⚠️ Careful: the message above is likely a scam")
            assert "reply_parameters" in warning.params
            assert posted  # the update was delivered

            mark = len(fake.calls)
            fake.message(GROUP, BEN, "/guard delete")
            refused = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP, after=mark)
            assert refused.text == "Only group admins can change the guard."

            fake.set_member(GROUP, ANN, "creator")
            mark = len(fake.calls)
            fake.message(GROUP, ANN, "/guard delete")
            status = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP, after=mark)
            assert "delete likely scams" in status.text

            mark = len(fake.calls)
            fake.message(GROUP, BEN, f"again {SCAM}")
            await fake.wait_for("deleteMessage", lambda c: c.chat_id == GROUP, after=mark)
            notice = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP, after=mark)
            assert notice.text == "🛡️ I removed a message that was likely a scam."

    asyncio.run(scenario())


def test_lang_switches_scripts_and_survives_a_restart(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, "/start", language_code="zh-hans")
            hello = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert (
                "把让你不放心的内容转发给我" in hello.text
            )  # Simplified, from Telegram's language

            mark = len(fake.calls)
            fake.message(ANN, ANN, "/lang zh-Hant", language_code="zh-hans")
            done = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert done.text == "好的，之後我會用繁體中文回覆你。"

            mark = len(fake.calls)
            fake.message(ANN, ANN, SCAM, language_code="zh-hans")
            verdict = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert verdict.text.startswith("🚨 很可能是詐騙")
            markup = verdict.params["reply_markup"]
            assert isinstance(markup, dict)
            assert markup["inline_keyboard"][0][0]["text"] == "檢舉詐騙"

            mark = len(fake.calls)
            fake.message(BEN, BEN, "/lang")
            menu = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            fake.press(
                BEN,
                "l:zh-Hans",
                {"message_id": 2, "date": 0, "chat": {"id": BEN, "type": "private"}},
            )
            chosen = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark + 1)
            assert chosen.text == "好的，之后我会用简体中文回复你。"
            assert menu.text == "Choose your language:"

        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, "/help", language_code="en")
            help_text = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert "轉傳或傳送連結" in help_text.text

    asyncio.run(scenario())


def test_when_the_server_is_down_the_bot_says_so_and_keeps_working(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    async def scenario() -> None:
        async with running_bot(tmp_path, f"http://127.0.0.1:{closed_port}") as (fake, _):
            fake.message(ANN, ANN, SCAM)
            sorry = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert sorry.text.startswith("Sorry, the checking service isn't reachable")
            mark = len(fake.calls)
            fake.message(ANN, ANN, "/privacy")
            privacy = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert privacy.text.startswith("What I send")

    asyncio.run(scenario())


def test_stickers_polls_big_files_and_edited_messages(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            sticker = {
                "file_id": "st1",
                "file_unique_id": "ust1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
            fake.message(ANN, ANN, sticker=sticker)
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert said.text.startswith("I can check links, text, photos")

            poll = {
                "id": "p1",
                "question": "Invest?",
                "options": [
                    {"persistent_id": "o1", "text": "yes", "voter_count": 0},
                    {"persistent_id": "o2", "text": "no", "voter_count": 0},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
            mark = len(fake.calls)
            fake.message(ANN, ANN, poll=poll)
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert said.text.startswith("I can check links, text, photos")

            mark = len(fake.calls)
            video = {
                "file_id": "huge",
                "file_unique_id": "uhuge",
                "width": 1920,
                "height": 1080,
                "duration": 600,
                "file_size": 48 * 1024 * 1024,
            }
            fake.message(ANN, ANN, video=video, caption="doctor's secret cure")
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert "larger than 20 MB" in said.text

            mark = len(fake.calls)
            fake.message(ANN, ANN, f"edited to add {SCAM}", edited=True)
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert said.text.startswith("🚨 Likely a scam")

    asyncio.run(scenario())


def test_report_conversation_and_the_report_button_reach_the_moderation_queue(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            chat = {"message_id": 3, "date": 0, "chat": {"id": ANN, "type": "private"}}
            fake.message(ANN, ANN, "/report")
            await fake.wait_for("sendMessage", lambda c: c.text.startswith("What do you want"))
            fake.message(ANN, ANN, "https://doctor-wang-cure.example/order")
            await fake.wait_for("sendMessage", lambda c: c.text.startswith("Where did you see"))
            fake.message(ANN, ANN, "Facebook ad")
            categories = await fake.wait_for("sendMessage", lambda c: "kind of scam" in c.text)
            assert "c:celebrity" in _buttons(categories.params)
            fake.press(ANN, "c:celebrity", chat)
            consent = await fake.wait_for("sendMessage", lambda c: "authorities" in c.text)
            assert _buttons(consent.params) == ["k:yes", "k:no"]
            mark = len(fake.calls)
            fake.press(ANN, "k:no", chat)
            fake.press(ANN, "k:no", chat)  # an impatient double tap sends one report, not two
            done = await fake.wait_for("sendMessage", lambda c: "reached the moderators" in c.text)
            await asyncio.sleep(1.5)
            sent = [c for c in fake.calls[mark:] if "reached the moderators" in c.text]
            assert len(sent) == 1, [c.text for c in sent]
            case_id = int(done.text.split("case ")[1].rstrip(")."))
            case = await asyncio.to_thread(server.request, "GET", f"/v1/cases/{case_id}")
            assert case.json()["category"] == "celebrity"
            assert case.json()["display"] == "doctor-wang-cure.example"

            mark = len(fake.calls)
            fake.message(ANN, ANN, f"and this one {SCAM}")
            verdict = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            report = next(b for b in _buttons(verdict.params) if b.startswith("r:"))
            fake.press(ANN, report, fake.shown(verdict))
            await fake.wait_for(
                "sendMessage", lambda c: "reached the moderators" in c.text, after=mark
            )

    asyncio.run(scenario())


def test_a_flood_from_one_person_is_slowed_down_without_a_crash(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            for i in range(30):
                fake.message(ANN, ANN, f"https://example-{i}.com/")
            await fake.wait_for("sendMessage", lambda c: c.text.startswith("You're sending a lot"))
            mark = len(fake.calls)
            fake.message(BEN, BEN, SCAM)  # someone else is not slowed down
            other = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            assert other.text.startswith("🚨 Likely a scam")

    asyncio.run(scenario())


def test_a_reply_that_hits_telegrams_flood_limit_is_sent_again_after_the_wait(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, "/start")
            await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            fake.flood(every=2, retry_after=1)  # the next sendMessage gets 429, then one passes
            mark = len(fake.calls)
            fake.message(ANN, ANN, SCAM)
            refused = await fake.wait_for(
                "sendMessage", lambda c: bool(c.params.get("_refused")), after=mark
            )
            assert refused.text.startswith("🚨 Likely a scam")
            resent = await fake.wait_for(
                "sendMessage",
                lambda c: c.chat_id == ANN and not c.params.get("_refused"),
                after=mark,
            )
            assert resent.text == refused.text
            assert resent.at - refused.at >= 0.9  # Telegram asked for 1 s

    asyncio.run(scenario())


def test_a_chinese_scam_script_gets_an_explained_answer_in_chinese(
    server: RunningServer, tmp_path: Path
) -> None:
    script = "您好，我是公安局的民警，您的账户涉嫌洗钱，请立即把资金转到安全账户配合调查。"

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, script, language_code="zh-hans")
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert reply.text.startswith("🚨 很可能是诈骗")
            assert "安全账户" in reply.text  # the server's reason, in the user's language
            markup = reply.params["reply_markup"]
            assert isinstance(markup, dict)
            assert markup["inline_keyboard"][1][0]["text"] == "为什么？"

    asyncio.run(scenario())


def test_webhook_mode_takes_updates_only_with_telegrams_secret(
    server: RunningServer, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = f"http://127.0.0.1:{port}/tg-hook"

    async def scenario() -> None:
        async with running_bot(
            tmp_path,
            server.url,
            telegram_webhook_url=hook,
            telegram_webhook_listen=f"127.0.0.1:{port}",
        ) as (fake, _):
            registered = fake.sent("setWebhook")[0].params
            assert registered["url"] == hook
            secret = registered["secret_token"]
            assert not fake.sent("getUpdates")  # no long polling in webhook mode
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": ANN, "type": "private"},
                    "from": {"id": ANN, "is_bot": False, "first_name": "Ann"},
                    "text": SCAM,
                },
            }
            async with aiohttp.ClientSession() as session:
                forged = await session.post(
                    hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
                )
                assert forged.status == 403
                real = await session.post(
                    hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
                )
                assert real.status == 200
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert reply.text.startswith("🚨 Likely a scam")
            assert len(fake.sent("sendMessage")) == 1

    asyncio.run(scenario())


def test_report_as_scam_files_the_link_behind_the_warning_not_the_messages_first_link(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, f"Official notice https://www.wikipedia.org/ claim here {SCAM}")
            verdict = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert verdict.text.startswith("🚨 Likely a scam")
            report = next(b for b in _buttons(verdict.params) if b.startswith("r:"))
            mark = len(fake.calls)
            fake.press(ANN, report, fake.shown(verdict))
            done = await fake.wait_for(
                "sendMessage", lambda c: "reached the moderators" in c.text, after=mark
            )
            # The flagged parts (the scam link, and the words if they were flagged too).
            case_ids = done.text.split("case ")[1].rstrip(").").split(", ")
            filed = [
                (await asyncio.to_thread(server.request, "GET", f"/v1/cases/{i}")).json()
                for i in case_ids
            ]
            assert "polkadot-dot.info" in [c["display"] for c in filed]
            assert all(c["kind"] in ("link", "text") for c in filed)
            pending = await asyncio.to_thread(
                server.request, "GET", "/v1/cases?status=pending&limit=200"
            )
            assert "www.wikipedia.org" not in [c.get("display") for c in pending.json()["cases"]]

    asyncio.run(scenario())
