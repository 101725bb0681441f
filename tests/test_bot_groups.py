"""The bot in a group: a flood never silences the guard, and only admins change the group's
settings. Real python-telegram-bot against the fake Bot API, real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.bot import running_bot
from tests.support.fake_telegram import BOT_ID, Call
from tests.support.server import RunningServer

SCAM = "https://polkadot-dot.info/claim"
ANN, BEN, MOD = 501, 502, 900
GROUP = -100_778


def test_one_member_flooding_links_spends_their_own_checks_not_the_groups(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            for i in range(15):
                fake.message(GROUP, BEN, f"look https://example-{i}.com/")
            # Past their own budget the flooder's messages go unchecked, and the group is told.
            notice = await fake.wait_for("sendMessage", lambda c: c.text.startswith("⏳"))
            assert "could not check this message" in notice.text
            assert "reply_parameters" in notice.params
            mark = len(fake.calls)
            posted = fake.message(GROUP, ANN, f"is this real? {SCAM}")
            assert posted
            warning = await fake.wait_for(
                "sendMessage", lambda c: c.text.startswith("⚠️ Careful"), after=mark
            )
            assert warning.chat_id == GROUP
            # One notice per minute, however long the flood lasts.
            assert len([c for c in fake.sent(chat_id=GROUP) if c.text.startswith("⏳")]) == 1

    asyncio.run(scenario())


def test_a_deleted_scams_notice_does_not_repeat_the_name_the_scammer_chose(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            fake.set_member(GROUP, ANN, "creator")
            fake.message(GROUP, ANN, "/guard delete")
            await fake.wait_for("sendMessage", lambda c: "delete likely scams" in c.text)
            mark = len(fake.calls)
            scammer = {**fake.user(BEN), "first_name": "Support: t.me/refund_desk"}
            fake.message(GROUP, BEN, f"claim here {SCAM}", **{"from": scammer})
            await fake.wait_for("deleteMessage", lambda c: c.chat_id == GROUP, after=mark)
            notice = await fake.wait_for("sendMessage", lambda c: "🛡️" in c.text, after=mark)
            assert "t.me" not in notice.text and "Support" not in notice.text

    asyncio.run(scenario())


def test_only_group_admins_change_the_groups_alerts_and_language(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, runner):
            fake.set_member(GROUP, ANN, "creator")
            for command in ("/subscribe", "/unsubscribe", "/lang zh"):
                mark = len(fake.calls)
                fake.message(GROUP, BEN, command)
                refused = await fake.wait_for("sendMessage", after=mark)
                assert refused.text == "Only group admins can change this for the group."
            mark = len(fake.calls)
            fake.message(GROUP, ANN, "/subscribe")
            done = await fake.wait_for("sendMessage", after=mark)
            assert done.text != "Only group admins can change this for the group."
            assert GROUP in [chat for chat, _ in runner.services.state.subscribers()]

            # An admin posting anonymously speaks as the group (Telegram's GroupAnonymousBot).
            mark = len(fake.calls)
            as_group = {"id": GROUP, "type": "supergroup", "title": "Family"}
            fake.message(GROUP, 1087968824, "/unsubscribe", sender_chat=as_group)
            done = await fake.wait_for("sendMessage", after=mark)
            assert done.text != "Only group admins can change this for the group."
            assert GROUP not in [chat for chat, _ in runner.services.state.subscribers()]
            mark = len(fake.calls)
            fake.message(GROUP, 1087968824, "/guard delete", sender_chat=as_group)
            done = await fake.wait_for("sendMessage", after=mark)
            assert "delete likely scams" in done.text
            assert runner.services.state.guard(GROUP) == "delete"

            mark = len(fake.calls)
            group_message = {
                "message_id": 7,
                "date": 0,
                "chat": {"id": GROUP, "type": "supergroup"},
            }
            fake.press(BEN, "l:zh-Hant", group_message)
            answer = await fake.wait_for("answerCallbackQuery", after=mark)
            assert answer.params.get("text") == "Only group admins can change this for the group."

    asyncio.run(scenario())


def test_a_forged_moderator_button_is_answered_not_crashed_on(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url, moderator_ids=f"{MOD}") as (fake, _):
            sent = {"message_id": 5, "date": 0, "chat": {"id": MOD, "type": "private"}}
            for data in ("m:x", "m:", "m:confirm:", "m:confirm:12x"):
                mark = len(fake.calls)
                fake.press(MOD, data, sent)
                await fake.wait_for("answerCallbackQuery", after=mark)
            mark = len(fake.calls)
            fake.message(MOD, MOD, SCAM)  # and the bot still answers
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == MOD, after=mark)
            assert reply.text.startswith("🚨 Likely a scam")

    asyncio.run(scenario())


def test_a_scam_link_behind_a_url_button_gets_the_warning_in_the_group_and_in_private(
    server: RunningServer, tmp_path: Path
) -> None:
    # Posted through an inline bot: harmless words, the link only in a "Claim" button.
    via_inline_bot = {
        "reply_markup": {"inline_keyboard": [[{"text": "🎁 Claim 500 DOT", "url": SCAM}]]},
        "via_bot": {"id": 4242, "is_bot": True, "first_name": "promo", "username": "promo_bot"},
    }

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            fake.message(GROUP, BEN, "Polkadot airdrop is live, tap below 👇", **via_inline_bot)
            warning = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP)
            assert warning.text.startswith("⚠️ Careful: the message above is likely a scam")

            mark = len(fake.calls)
            fake.message(ANN, ANN, "Polkadot airdrop is live, tap below 👇", **via_inline_bot)
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert reply.text.startswith("🚨 Likely a scam")

    asyncio.run(scenario())


def test_padding_a_message_with_links_neither_hides_the_scam_nor_goes_unsaid(
    server: RunningServer, tmp_path: Path
) -> None:
    padded = " ".join(f"https://news{i}.example.org/a" for i in range(20)) + f" {SCAM}"
    # Past the server's 100 URLs a request, the rest are said to be unchecked.
    too_many = " ".join(f"https://n{i}.example.org/" for i in range(100)) + f" {SCAM}"
    long_link = "polkadot-dot.info/claim?x=" + "a" * 4070
    assert len(long_link) == 4096

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, padded)
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert reply.text.startswith("🚨 Likely a scam")

            fake.set_member(GROUP, BOT_ID, "administrator")
            fake.message(GROUP, BEN, padded)
            warning = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP)
            assert warning.text.startswith("⚠️ Careful: the message above is likely a scam")

            # One bare link padded to Telegram's 4,096-character maximum (4,103 with the
            # scheme the bot adds) is still judged by its site, in the group and in private.
            mark = len(fake.calls)
            whole = {"entities": [{"type": "url", "offset": 0, "length": len(long_link)}]}
            fake.message(GROUP, BEN, long_link, **whole)
            warning = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP, after=mark)
            assert warning.text.startswith("⚠️ Careful: the message above is likely a scam")
            fake.message(ANN, ANN, long_link, **whole)
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert reply.text.startswith("🚨 Likely a scam")
            assert "only its site (domain) was checked" in reply.text

            mark = len(fake.calls)
            fake.message(ANN, ANN, too_many)
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert "1 more link(s) in this message were not checked" in reply.text

            mark = len(fake.calls)
            fake.message(GROUP, ANN, too_many)
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP, after=mark)
            assert said.text.startswith("⚠️ This message has 1 link(s) I could not check")

            # Notices share the group's one-a-minute budget: the same padding again is not
            # answered with a second notice (Telegram allows a bot ~20 messages a minute there).
            mark = len(fake.calls)
            fake.message(GROUP, BEN, too_many)
            with pytest.raises(AssertionError, match="no sendMessage"):
                await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == GROUP, after=mark, within=2
                )

    asyncio.run(scenario())


def test_verdict_buttons_are_the_askers_and_a_groups_why_is_posted_once(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            fake.message(GROUP, BEN, f"FREE DOT airdrop {SCAM}")
            warning = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP)
            why = warning.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            ref = why.removeprefix("w:")
            mark = len(fake.calls)
            for _ in range(5):
                fake.press(ANN, why, fake.shown(warning))
            # A forged Report on the guard's warning files nothing.
            fake.press(ANN, f"r:{ref}", fake.shown(warning))

            def answered() -> list[Call]:
                return [c for c in fake.calls[mark:] if c.method == "answerCallbackQuery"]

            while len(answers := answered()) < 6:
                await fake.wait_for("answerCallbackQuery", after=len(fake.calls))
            posted = [c for c in fake.calls[mark:] if c.method == "sendMessage"]
            assert len(posted) == 1 and posted[0].chat_id == GROUP
            assert "All reasons" in posted[0].text
            said = [a.params.get("text") for a in answers]
            assert "Only the person who asked for this check can use this button." in said
            assert not [c for c in fake.calls if "reached the moderators" in c.text]

            # Ann's own check: Ben cannot report it, not from her chat nor from his.
            fake.message(ANN, ANN, SCAM)
            verdict = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            report = verdict.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            mark = len(fake.calls)
            fake.press(BEN, report, fake.shown(verdict))
            refused = await fake.wait_for("answerCallbackQuery", after=mark)
            assert refused.params.get("text") == (
                "Only the person who asked for this check can use this button."
            )
            mark = len(fake.calls)
            elsewhere = {**fake.shown(verdict), "chat": {"id": BEN, "type": "private"}}
            fake.press(BEN, report, elsewhere)
            refused = await fake.wait_for("answerCallbackQuery", after=mark)
            assert refused.params.get("text", "").startswith("I no longer remember")
            # Ann reports once, however often she taps.
            mark = len(fake.calls)
            fake.press(ANN, report, fake.shown(verdict))
            fake.press(ANN, report, fake.shown(verdict))
            await fake.wait_for("sendMessage", lambda c: "reached the moderators" in c.text)
            await asyncio.sleep(1.0)
            assert len([c for c in fake.calls[mark:] if "reached the moderators" in c.text]) == 1

    asyncio.run(scenario())


def test_warnings_name_the_scam_host_defanged_and_without_a_link_preview(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            fake.message(GROUP, BEN, f"FREE DOT airdrop {SCAM}")
            warning = await fake.wait_for("sendMessage", lambda c: c.chat_id == GROUP)
            fake.message(ANN, ANN, SCAM)
            verdict = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            why = verdict.params["reply_markup"]["inline_keyboard"][1][0]["callback_data"]
            fake.press(ANN, why, fake.shown(verdict))
            reasons = await fake.wait_for("sendMessage", lambda c: "All reasons" in c.text)
            for sent in (warning, verdict, reasons):
                assert sent.params["link_preview_options"] == {"is_disabled": True}
                assert "polkadot-dot[.]info" in sent.text
                assert "polkadot-dot.info" not in sent.text
            # Only the verdict page, on the FakeWatch server, stays a live link.
            assert f"{server.url}/" in verdict.text

    asyncio.run(scenario())
