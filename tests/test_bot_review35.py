"""Review 35 in the bot: a link whose host is Chinese is checked whole while Chinese text
written flush against an ASCII link still ends it, a link typed as the answer to "Where did
you see it?" is that answer (not the end of the report), and a moderator whose button is stale
is told what happened, not that the action is impossible.

Real python-telegram-bot against the fake Bot API, and the real server."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from bot.handlers import CHECKS_WAITING, _bare_links
from bot.runner import CONCURRENT_UPDATES
from tests.support.bot import running_bot
from tests.support.fake_telegram import Call, FakeTelegram
from tests.support.server import RunningServer
from tests.test_bot_community import photo_message, synthetic_photo

ANN, BEN = 3501, 3502


def test_bare_links_keep_chinese_hosts_and_stop_at_chinese_after_an_ascii_name() -> None:
    assert _bare_links("请登录https://polkadot-dot.info领取") == ["https://polkadot-dot.info"]
    assert _bare_links("请看 https://支付宝-登录.top/x") == ["https://支付宝-登录.top/x"]
    assert _bare_links("https://www.支付宝.com/login领取") == ["https://www.支付宝.com/login"]
    assert _bare_links("看www.evil.info领取https://b.top/x。") == [
        "www.evil.info",
        "https://b.top/x",
    ]
    assert _bare_links("https://支付宝.com，快") == ["https://支付宝.com"]
    # Nothing names a site: nothing to check.
    assert _bare_links("https:// http://www. www.") == []


def _buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def _answer(fake: FakeTelegram, chat_id: int, text: str) -> Call:
    mark = len(fake.calls)
    fake.message(chat_id, chat_id, text)
    return await fake.wait_for(
        "sendMessage", lambda c: c.chat_id == chat_id and "⏳" not in c.text, after=mark, within=20
    )


def test_a_link_whose_host_is_chinese_is_checked_whole(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            for text in ("/check https://支付宝-登录.top/x", "请看 https://支付宝-登录.top/x"):
                reply = await _answer(fake, ANN, text)
                # The server calls this combosquat out; the bot must have sent it the host.
                assert not reply.text.startswith("ℹ️"), reply.text
                assert "top" in reply.text, reply.text
            reply = await _answer(fake, ANN, "/check https://www.支付宝.com/login")
            assert "www.:" not in reply.text and "https://www/" not in reply.text, reply.text
            reply = await _answer(fake, ANN, "请登录https://polkadot-dot.info领取")
            assert "polkadot-dot[.]info" in reply.text, reply.text

    asyncio.run(scenario())


def test_a_link_answering_where_is_kept_as_where_the_scam_was_seen(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            chat = {"message_id": 3, "date": 0, "chat": {"id": BEN, "type": "private"}}
            shop = f"https://evil-shop-{uuid.uuid4().hex[:8]}.top/pay"
            await _answer(fake, BEN, "/report")
            where = await _answer(fake, BEN, shop)
            assert where.text.startswith("Where did you see"), where.text
            group = "https://t.me/cheap_iphones_group"
            categories = await _answer(fake, BEN, f"Telegram group {group}")
            assert "kind of scam" in categories.text, categories.text
            fake.press(BEN, "c:shopping", chat)
            await fake.wait_for("sendMessage", lambda c: "authorities" in c.text)
            fake.press(BEN, "k:no", chat)
            done = await fake.wait_for(
                "sendMessage", lambda c: "reached the moderators" in c.text, within=20
            )
            case_id = int(done.text.split("case ")[1].rstrip(")."))
            case = await asyncio.to_thread(server.request, "GET", f"/v1/cases/{case_id}")
            assert shop.removeprefix("https://").split("/")[0] in json.dumps(case.json())
            said = json.dumps(case.json(), ensure_ascii=False)
            assert f"Telegram group {group}" in said and f'"seen_url": "{group}"' in said, said

    asyncio.run(scenario())


def test_a_stale_decision_says_the_case_moved_not_that_it_cannot_be_done(
    server: RunningServer,
) -> None:
    response = server.request(
        "POST",
        "/v1/reports",
        json_body={"kind": "link", "value": f"https://moved-{uuid.uuid4().hex[:8]}.example/"},
    )
    path = f"/v1/cases/{int(response.json()['case_id'])}"
    stale = server.request("POST", f"{path}/confirm", json_body={"expect_status": "rejected"})
    assert (stale.status, stale.json()["case_status"]) == (409, "pending")
    assert "cannot" not in stale.json()["error"]
    assert "now pending, not rejected as you saw it; nothing changed" in stale.json()["error"]
    zh = server.request("POST", f"{path}/confirm?lang=zh", json_body={"expect_status": "rejected"})
    assert "没有做任何更改" in zh.json()["error"]
    null = server.request("POST", f"{path}/confirm", json_body={"expect_status": None})
    assert (null.status, null.json().get("field")) == (400, "expect_status")
    assert server.request("GET", path).json()["status"] == "pending"


def test_checks_waiting_their_turn_leave_update_slots_to_everyone_else(
    server: RunningServer, tmp_path: Path
) -> None:
    # 3 people x (1 running + CHECKS_WAITING) pictures = 18 checks, more than PTB's 16 slots.
    photo = synthetic_photo(seed=23, size=(320, 180))
    senders = (3511, 3512, 3513)
    assert len(senders) * (1 + CHECKS_WAITING) > CONCURRENT_UPDATES

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.files_held = asyncio.Event()  # every download waits: nobody's turn ends
            for user in senders:
                for i in range(1 + CHECKS_WAITING):
                    fake.add_file(f"p{user}-{i}", photo)
                    fake.message(user, user, **photo_message(f"p{user}-{i}", photo))
            await asyncio.sleep(1.5)
            mark = len(fake.calls)
            fake.message(ANN, ANN, "/help")
            try:
                await fake.wait_for(
                    "sendMessage", lambda c: c.chat_id == ANN, after=mark, within=10
                )
            finally:
                fake.files_held.set()  # the bot can stop even when the answer never came
            # Every picture is still answered, each person's in turn.
            for user in senders:
                await fake.wait_for(
                    "sendMessage",
                    lambda c, u=user: (
                        c.chat_id == u and len(fake.sent("sendMessage", u)) >= 1 + CHECKS_WAITING
                    ),
                    within=60,
                )

    asyncio.run(scenario())
