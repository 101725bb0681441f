"""A person who reported through the bot hears the moderators' decision, once, in their language.

The real bot (PTB's Application and HTTP stack) against the fake Bot API and the real server;
moderators decide through the server's API, as the moderation page or another bot would.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from bot.runner import BotRunner, Intervals
from tests.support.bot import bot_settings
from tests.support.fake_telegram import Call, FakeTelegram
from tests.support.server import RunningServer

ANN, BEN, CAT = 701, 702, 703
#: "(case 10)" / "（案件 10）" in the bot's "your report reached the moderators".
CASE = re.compile(r"(?:case|案件) ([0-9]+)")
#: Every loop short, the outcome poll included, so the tests wait for behaviour, not timers.
QUICK = Intervals(
    alerts_s=0.2, cases_s=0.2, relay_s=0.2, outcomes_s=0.3, poll_timeout_s=1, missing_s=0.5
)


@contextlib.asynccontextmanager
async def bot_on(fake: FakeTelegram, data_dir: Path, server_url: str) -> AsyncIterator[BotRunner]:
    runner = BotRunner(bot_settings(data_dir, fake, server_url), QUICK)
    await runner.start()
    try:
        # The first alerts poll marks older alerts as history: wait for it.
        await _until(lambda: runner.state.get("alerts_started") != "")
        yield runner
    finally:
        await runner.stop()


async def _until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _scam_link() -> str:
    return f"https://prize-{uuid.uuid4().hex[:8]}.example/claim"


async def _report_by_button(fake: FakeTelegram, user: int, url: str, lang: str = "en") -> int:
    """The person checks the link and presses "Report" under the verdict: the case id."""
    mark = len(fake.calls)
    fake.message(user, user, url, language_code=lang)  # the link alone: one part, one case
    reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == user, after=mark)
    markup = reply.params["reply_markup"]
    assert isinstance(markup, dict)
    buttons = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
    report = next(b for b in buttons if b.startswith("r:"))
    mark = len(fake.calls)
    fake.press(user, report, fake.shown(reply), language_code=lang)
    done = await fake.wait_for(
        "sendMessage", lambda c: c.chat_id == user and CASE.search(c.text) is not None, after=mark
    )
    found = CASE.search(done.text)
    assert found is not None
    return int(found.group(1))


async def _report_by_command(fake: FakeTelegram, user: int, url: str) -> int:
    """The /report conversation, in English: the case id."""
    chat: dict[str, Any] = {"message_id": 6, "date": 0, "chat": {"id": user, "type": "private"}}
    mark = len(fake.calls)
    fake.message(user, user, "/report")
    await fake.wait_for("sendMessage", lambda c: c.text.startswith("What do you want"), after=mark)
    fake.message(user, user, url)
    await fake.wait_for("sendMessage", lambda c: c.text.startswith("Where did you see"), after=mark)
    fake.message(user, user, "A Telegram group")
    await fake.wait_for("sendMessage", lambda c: "kind of scam" in c.text, after=mark)
    fake.press(user, "c:giveaway", chat)
    await fake.wait_for("sendMessage", lambda c: "authorities" in c.text, after=mark)
    fake.press(user, "k:no", chat)
    done = await fake.wait_for(
        "sendMessage", lambda c: "reached the moderators" in c.text, after=mark
    )
    return int(done.text.split("case ")[1].rstrip(")."))


def _decide(server: RunningServer, case_id: int, action: str) -> None:
    response = server.request(
        "POST", f"/v1/cases/{case_id}/{action}", json_body={"note": "test decision"}
    )
    assert response.status == 200, response.body


def _sent_to(fake: FakeTelegram, chat: int, after: int) -> list[Call]:
    return [c for c in fake.calls[after:] if c.method == "sendMessage" and c.chat_id == chat]


def _about(fake: FakeTelegram, chat: int, case_id: int, after: int) -> list[Call]:
    """What ``chat`` was sent after ``after`` about ``case_id``, alerts included."""
    return [
        c
        for c in _sent_to(fake, chat, after)
        if str(case_id) in c.text or "Scam alert" in c.text or "诈骗提醒" in c.text
    ]


def test_reporters_hear_once_that_their_report_was_confirmed(
    server: RunningServer, tmp_path: Path
) -> None:
    url = _scam_link()

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with bot_on(fake, tmp_path, server.url) as runner:
                # Ann subscribes to every alert, reports with the button, then again with
                # /report: one case, one message (not an alert and an outcome, not two).
                fake.message(ANN, ANN, "/subscribe")
                await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
                case_id = await _report_by_button(fake, ANN, url)
                assert await _report_by_command(fake, ANN, url) == case_id
                # Ben writes Simplified Chinese; Cat reports, then blocks the bot.
                assert await _report_by_button(fake, BEN, url, lang="zh-cn") == case_id
                assert await _report_by_button(fake, CAT, url) == case_id
                fake.blocked.add(CAT)

                mark = len(fake.calls)
                await asyncio.to_thread(_decide, server, case_id, "confirm")
                told = await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == ANN and "confirmed" in c.text, after=mark
                )
                assert told.text.startswith(f"✅ Your report was confirmed (case {case_id}: ")
                assert "FakeWatch now warns everyone who checks it" in told.text
                assert f"/r/c{case_id}" in told.text  # the case's public page
                assert "prize-" in told.text and ".example" not in told.text  # defanged
                zh = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
                assert zh.text.startswith(f"✅ 你的举报已被确认（案件 {case_id}：")
                assert "现在任何人查询它，FakeWatch 都会发出警告" in zh.text

                # More alert and outcome rounds pass: nobody hears it twice, and Cat (403) is
                # dropped quietly, not retried.
                await asyncio.sleep(1.5)
                assert len(_about(fake, ANN, case_id, mark)) == 1
                assert len(_about(fake, BEN, case_id, mark)) == 1
                tried = _sent_to(fake, CAT, mark)
                assert len(tried) == 1 and tried[0].params.get("_refused")
                assert runner.state.reporters(case_id, untold=False) == [
                    (ANN, "en"),
                    (BEN, "zh-Hans"),
                ]
        finally:
            await fake.stop()

    asyncio.run(scenario())


def test_a_rejected_report_is_said_kindly_with_what_to_do(
    server: RunningServer, tmp_path: Path
) -> None:
    url = _scam_link()

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with bot_on(fake, tmp_path, server.url):
                case_id = await _report_by_button(fake, ANN, url)
                hant = await _report_by_button(fake, BEN, url, lang="zh-tw")
                assert hant == case_id
                mark = len(fake.calls)
                await asyncio.to_thread(_decide, server, case_id, "reject")
                told = await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == ANN and str(case_id) in c.text, after=mark
                )
                assert told.text.startswith(f"Your report was reviewed (case {case_id}: ")
                assert "did not confirm it as a scam" in told.text
                assert "That does not mean it is safe." in told.text
                assert "/report" in told.text
                tw = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
                assert tw.text.startswith(f"你的檢舉已經審核（案件 {case_id}：")
                assert "這並不代表它是安全的" in tw.text
                await asyncio.sleep(1.0)
                assert len(_about(fake, ANN, case_id, mark)) == 1
        finally:
            await fake.stop()

    asyncio.run(scenario())


def test_a_restart_between_report_and_decision_still_tells_the_reporter(
    server: RunningServer, tmp_path: Path
) -> None:
    url = _scam_link()

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with bot_on(fake, tmp_path, server.url):
                # /report alone (no check first, so no retroactive alert either).
                case_id = await _report_by_command(fake, ANN, url)
            # The bot is down while the moderator decides.
            await asyncio.to_thread(_decide, server, case_id, "confirm")
            mark = len(fake.calls)
            async with bot_on(fake, tmp_path, server.url):
                told = await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == ANN and str(case_id) in c.text, after=mark
                )
                assert told.text.startswith(f"✅ Your report was confirmed (case {case_id}")
                await asyncio.sleep(1.0)
                assert len(_about(fake, ANN, case_id, mark)) == 1
        finally:
            await fake.stop()

    asyncio.run(scenario())


def test_a_merged_case_is_followed_and_its_reporter_told_once(
    server: RunningServer, tmp_path: Path
) -> None:
    first, second = _scam_link(), _scam_link()

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with bot_on(fake, tmp_path, server.url) as runner:
                merged = await _report_by_button(fake, ANN, first)
                kept = await _report_by_button(fake, ANN, second)
                assert merged != kept
                response = await asyncio.to_thread(
                    server.request,
                    "POST",
                    f"/v1/cases/{merged}/merge",
                    json_body={"into": kept, "note": "the same scam"},
                )
                assert response.status == 200, response.body
                # The poll finds the merge and waits on the case it went into.
                await _until(lambda: runner.state.reporters(merged) == [])
                assert runner.state.reporters(kept) == [(ANN, "en")]
                mark = len(fake.calls)
                await asyncio.to_thread(_decide, server, kept, "reject")
                told = await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == ANN and str(kept) in c.text, after=mark
                )
                assert told.text.startswith(f"Your report was reviewed (case {kept}")
                await asyncio.sleep(1.0)
                assert len(_sent_to(fake, ANN, mark)) == 1
        finally:
            await fake.stop()

    asyncio.run(scenario())


def test_a_report_of_an_item_confirmed_before_is_answered_from_the_poll(
    server: RunningServer, tmp_path: Path
) -> None:
    url = _scam_link()
    earlier = server.request(
        "POST", "/v1/reports", json_body={"kind": "link", "value": url, "category": "giveaway"}
    )
    assert earlier.status == 201, earlier.body
    confirmed = int(earlier.json()["case_id"])
    _decide(server, confirmed, "confirm")

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        try:
            async with bot_on(fake, tmp_path, server.url):
                # No alert will come for this case (it was confirmed before this report).
                case_id = await _report_by_command(fake, ANN, url)
                mark = len(fake.calls)
                told = await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == ANN and str(case_id) in c.text, after=mark
                )
                assert case_id == confirmed, told.text
                assert told.text.startswith(f"✅ Your report was confirmed (case {case_id}")
                assert f"{server.url}/r/c{case_id}-" in told.text  # the case page (server URL)
                await asyncio.sleep(1.0)
                assert len(_sent_to(fake, ANN, mark)) == 1
        finally:
            await fake.stop()

    asyncio.run(scenario())
