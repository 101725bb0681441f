"""What an ordinary person meets in the bot (review 33): an abandoned /report never swallows a
later check, several forwards each get their answer, a moderator's stale button changes
nothing, one alert per case, and the words are sentences in the chat's language.

Real python-telegram-bot against the fake Bot API, and the real server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.render import Checked, Part, verdict_message
from server.settings import SettingsError
from tests.support.bot import running_bot
from tests.support.fake_telegram import BOT_ID, Call, FakeTelegram
from tests.support.server import RunningServer

SCAM = "https://polkadot-dot.info/claim"
GRANNY, ANN, BEN, CAT, MOD1, MOD2 = 3301, 3302, 3303, 3304, 3391, 3392
GROUP = -100_3333


def _wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _report_link(server: RunningServer, url: str) -> int:
    response = server.request(
        "POST",
        "/v1/reports",
        json_body={"kind": "link", "value": url, "category": "giveaway"},
    )
    assert response.status in (200, 201), response.body
    return int(response.json()["case_id"])


async def _said(fake: FakeTelegram, chat_id: int, after: int, within: float = 15.0) -> Call:
    return await fake.wait_for(
        "sendMessage", lambda c: c.chat_id == chat_id, after=after, within=within
    )


def test_an_abandoned_report_never_swallows_the_next_check(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, runner):
            zh = {"language_code": "zh-hans"}
            # Another command leaves the report: said, then the command runs.
            fake.message(GRANNY, GRANNY, "/report", **zh)
            await _said(fake, GRANNY, 0)
            mark = len(fake.calls)
            fake.message(GRANNY, GRANNY, "/help", **zh)
            left = await _said(fake, GRANNY, mark)
            assert left.text == "已取消举报，没有发送任何内容。"
            helped = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == GRANNY and "/check" in c.text, after=mark
            )
            assert "（请在和我的私聊中使用）" in helped.text  # /report is private only
            # The forward that follows is checked, not taken as the item to report.
            mark = len(fake.calls)
            fake.message(GRANNY, GRANNY, f"这个是真的吗？{SCAM}", **zh)
            verdict = await _said(fake, GRANNY, mark)
            assert verdict.text.startswith("🚨 很可能是诈骗")

            # Asked "where did you see it?", a forward is something to check, not a place.
            mark = len(fake.calls)
            fake.message(GRANNY, GRANNY, "/report", **zh)
            await _said(fake, GRANNY, mark)
            fake.message(GRANNY, GRANNY, "http://gz-gov-safe.top/verify", **zh)
            await fake.wait_for("sendMessage", lambda c: "你在哪里看到的" in c.text)
            mark = len(fake.calls)
            origin = {"type": "hidden_user", "sender_user_name": "陈警官", "date": 1}
            fake.message(GRANNY, GRANNY, f"领取补贴 {SCAM}", forward_origin=origin, **zh)
            left = await _said(fake, GRANNY, mark)
            assert left.text.startswith("我已停止举报")
            await fake.wait_for(
                "sendMessage",
                lambda c: c.chat_id == GRANNY and "🚨 很可能是诈骗" in c.text,
                after=mark,
            )

            # Silence ends it too (ten minutes in production), said out loud.
            runner.services.report_timeout_s = 0.5
            fake.message(GRANNY, GRANNY, "/report", **zh)
            mark = len(fake.calls)
            ended = await fake.wait_for(
                "sendMessage", lambda c: "自动取消" in c.text, after=mark, within=5
            )
            assert ended.chat_id == GRANNY
            mark = len(fake.calls)
            fake.message(GRANNY, GRANNY, SCAM, **zh)
            assert (await _said(fake, GRANNY, mark)).text.startswith("🚨 很可能是诈骗")

            # Dead ends answer: an unknown command, /cancel with nothing to cancel, /report in
            # a group.
            for text, answer in (
                ("/foo", "我不认识这个命令。"),
                ("/cancel", "现在没有可以取消的操作。"),
            ):
                mark = len(fake.calls)
                fake.message(GRANNY, GRANNY, text, **zh)
                assert (await _said(fake, GRANNY, mark)).text.startswith(answer)
            mark = len(fake.calls)
            fake.message(GROUP, GRANNY, "/report", **zh)
            assert (await _said(fake, GROUP, mark)).text.startswith("为了安全，请在和我的私聊中")

    asyncio.run(scenario())


def test_several_forwards_at_once_each_get_their_verdict_in_order(
    server: RunningServer, tmp_path: Path
) -> None:
    texts = [f"message {i}: {SCAM}?ref={i}" for i in range(8)]

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            for text in texts[:3]:  # Telegram's multi-select forward: one update each
                fake.message(ANN, ANN, text)
            await fake.wait_for("sendMessage", lambda c: len(fake.sent(chat_id=ANN)) >= 3)
            answers = fake.sent(chat_id=ANN)
            assert all(a.text.startswith("🚨 Likely a scam") for a in answers), answers
            assert [a.params.get("reply_parameters") is not None for a in answers] == [
                False,
                True,
                True,
            ]  # the queued ones say which message they answer

            # Past the running one and five waiting, the rest are refused once, in words.
            mark = len(fake.calls)
            for text in texts:
                fake.message(BEN, BEN, text)
            await fake.wait_for(
                "sendMessage",
                lambda c: len([v for v in fake.sent(chat_id=BEN) if "🚨" in v.text]) >= 6,
                after=mark,
            )
            await asyncio.sleep(0.3)
            said = [c.text for c in fake.sent(chat_id=BEN)]
            assert len([s for s in said if s.startswith("🚨")]) == 6
            busy = [s for s in said if s.startswith("⏳")]
            assert len(busy) == 1 and "send those again" in busy[0]

    asyncio.run(scenario())


def test_a_stale_moderator_button_changes_nothing_and_every_card_follows_the_decision(
    server: RunningServer, tmp_path: Path
) -> None:
    url = f"https://claim-dot-{uuid.uuid4().hex[:8]}.example/gift"
    host = url.split("/")[2]

    async def scenario() -> None:
        mods = f"{MOD1},{MOD2}"
        async with running_bot(tmp_path, server.url, moderator_ids=mods) as (fake, runner):
            fake.message(MOD1, MOD1, "/start")
            fake.message(MOD2, MOD2, "/start", language_code="zh-hans")  # never typed /lang
            fake.message(CAT, CAT, "/subscribe", language_code="zh-hans")
            for chat in (MOD1, MOD2, CAT):
                await fake.wait_for("sendMessage", lambda c, u=chat: c.chat_id == u)
            await asyncio.to_thread(_wait_until, lambda: runner.state.get("alerts_started") != "")
            # Cat is subscribed AND checked the link (so it is watched for her); Dan only
            # checked it. Neither typed /lang.
            for chat in (CAT, 3305):
                mark = len(fake.calls)
                fake.message(chat, chat, url, language_code="zh-hans")
                assert not (await _said(fake, chat, mark)).text.startswith("🚨")

            case_id = await asyncio.to_thread(_report_link, server, url)
            cards: dict[int, Call] = {}
            for mod in (MOD1, MOD2):
                cards[mod] = await fake.wait_for(
                    "sendMessage",
                    lambda c, m=mod: c.chat_id == m and f"m:confirm:{case_id}" in str(c.params),
                )
            assert f"New case {case_id}: website {host.replace('.', '[.]')}" in cards[MOD1].text
            assert "Automatic check now: " in cards[MOD1].text
            assert f"新案件 {case_id}：网站 " in cards[MOD2].text  # the kind in words, translated
            assert "目前的自动检查结果：" in cards[MOD2].text

            mark = confirmed = len(fake.calls)
            fake.press(MOD1, f"m:confirm:{case_id}", fake.shown(cards[MOD1]))
            mine = await fake.wait_for("editMessageText", lambda c: c.chat_id == MOD1, after=mark)
            assert mine.text.endswith(f"Case {case_id}: confirmed by you.")
            theirs = await fake.wait_for("editMessageText", lambda c: c.chat_id == MOD2, after=mark)
            assert theirs.text.endswith(f"案件 {case_id}：已由另一位审核员确认。")
            assert "reply_markup" not in theirs.params  # its buttons are gone

            # The second moderator's copy, pressed before it was updated: nothing changes.
            mark = len(fake.calls)
            fake.press(
                MOD2, f"m:reject:{case_id}", fake.shown(cards[MOD2]), language_code="zh-hans"
            )
            refused = await fake.wait_for(
                "editMessageText", lambda c: c.chat_id == MOD2, after=mark
            )
            assert f"案件 {case_id} 已经是“已确认”状态" in refused.text
            assert "case_state" not in refused.text
            case = (await asyncio.to_thread(server.request, "GET", f"/v1/cases/{case_id}")).json()
            assert case["status"] == "confirmed"
            assert [a["action"] for a in case["audit"] if a["action"].startswith("case.")] == [
                "case.confirm"
            ]

            # Decided on the web page (the API) meanwhile: the first press finds out, and every
            # card follows.
            other = await asyncio.to_thread(
                _report_link, server, f"https://web-{uuid.uuid4().hex[:8]}.example/"
            )
            for mod in (MOD1, MOD2):
                cards[mod] = await fake.wait_for(
                    "sendMessage",
                    lambda c, m=mod: c.chat_id == m and f"m:reject:{other}" in str(c.params),
                )
            body = {"note": "", "expect_status": "pending"}
            decided = await asyncio.to_thread(
                server.request, "POST", f"/v1/cases/{other}/confirm", json_body=body
            )
            assert decided.status == 200
            mark = len(fake.calls)
            fake.press(MOD1, f"m:reject:{other}", fake.shown(cards[MOD1]))
            mine = await fake.wait_for("editMessageText", lambda c: c.chat_id == MOD1, after=mark)
            assert f"Case {other} is already confirmed" in mine.text
            theirs = await fake.wait_for("editMessageText", lambda c: c.chat_id == MOD2, after=mark)
            assert theirs.text.endswith(f"案件 {other} 现在是“已确认”状态。")

            # One alert per chat and case, in the language its Telegram app uses.
            alert = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == 3305 and "诈骗提醒" in c.text, after=confirmed
            )
            assert host.replace(".", "[.]") in alert.text
            await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == CAT and "诈骗提醒" in c.text, after=confirmed
            )
            await asyncio.sleep(1.0)  # a few more alert polls: no second copy
            assert (
                len(
                    [
                        c
                        for c in fake.sent(chat_id=CAT)
                        if "诈骗提醒" in c.text and host.replace(".", "[.]") in c.text
                    ]
                )
                == 1
            )

    asyncio.run(scenario())


def test_the_decide_api_acts_only_on_the_expected_status(server: RunningServer) -> None:
    case_id = _report_link(server, f"https://expect-{uuid.uuid4().hex[:8]}.example/")
    path = f"/v1/cases/{case_id}"
    assert (
        server.request("POST", f"{path}/confirm", json_body={"expect_status": "pending"}).status
        == 200
    )
    stale = server.request(
        "POST", f"{path}/reject?lang=zh", json_body={"note": "", "expect_status": "pending"}
    )
    assert stale.status == 409
    assert (stale.json()["code"], stale.json()["case_status"]) == ("case_state", "confirmed")
    assert "已确认" in stale.json()["error"]
    assert server.request("GET", path).json()["status"] == "confirmed"
    wrong = server.request("POST", f"{path}/reject", json_body={"expect_status": "open"})
    assert (wrong.status, wrong.json().get("field")) == (400, "expect_status")
    # Without the field a decision acts on whatever status allows it, as before.
    assert server.request("POST", f"{path}/reject", json_body={}).status == 200


def test_group_links_flush_against_chinese_and_warnings_in_the_groups_language(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.set_member(GROUP, BOT_ID, "administrator")
            fake.set_member(GROUP, GRANNY, "creator")
            fake.message(GROUP, GRANNY, "/guard warn", language_code="zh-hans")  # the admin
            await _said(fake, GROUP, 0)
            mark = len(fake.calls)
            # The poster's app is in English; the group reads Chinese; the link has no spaces.
            fake.message(GROUP, BEN, "积分兑换，请登录https://polkadot-dot.info领取")
            warning = await _said(fake, GROUP, mark)
            assert warning.text.startswith("⚠️ 请注意：上面这条消息很可能是诈骗")
            why = warning.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            mark = len(fake.calls)
            fake.press(ANN, why, fake.shown(warning))  # an English reader asks "Why?"
            reasons = await _said(fake, GROUP, mark)
            assert reasons.text.startswith("🚨 很可能是诈骗") and "全部原因：" in reasons.text

    asyncio.run(scenario())


def test_long_texts_a_refused_key_and_empty_unlink_are_said_in_words(
    server: RunningServer, tmp_path: Path
) -> None:
    filler = "今天给大家分享一篇养生文章，多喝热水，早睡早起。" * 500  # 12,000 characters
    tail = "最后提醒：您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查。"

    async def scenario() -> None:
        async with running_bot(tmp_path / "ok", server.url) as (fake, _):
            fake.message(GRANNY, GRANNY, filler + tail, language_code="zh-hans")
            reply = await _said(fake, GRANNY, 0)
            assert not reply.text.startswith("ℹ️"), reply.text  # the tail was read
            assert "我只检查了开头和结尾各 4998 个字" in reply.text
            mark = len(fake.calls)
            fake.message(GRANNY, GRANNY, "/unlink", language_code="zh-hans")
            assert (await _said(fake, GRANNY, mark)).text.startswith("这个聊天没有关联任何浏览器")
        # A refused key no longer starts the bot at all (what people are told when the key is
        # refused later: tests/test_bot_key_role.py).
        wrong = {"api_key": "fw_this-key-was-revoked-000000000000"}
        fake = FakeTelegram()
        await fake.start()
        try:
            with pytest.raises(SettingsError, match="FAKEWATCH_API_KEY was refused"):
                async with running_bot(tmp_path / "bad", server.url, fake=fake, **wrong):
                    pass
            assert not fake.sent("getUpdates")
        finally:
            await fake.stop()

    asyncio.run(scenario())


def _verdict(name: str, score: float, *reasons: tuple[str, str, float]) -> dict[str, object]:
    return {
        "verdict": name,
        "score": score,
        "summary": f"summary of {name} {score}",
        "reasons": [{"role": r, "message": m, "weight": w} for m, r, w in reasons],
    }


def test_the_answer_leads_with_the_part_that_names_warning_signs() -> None:
    link = Part("link", "Link bit[.]ly", _verdict("no_known_signals", 0.1))
    text = Part(
        "text",
        "Message text",
        _verdict("no_known_signals", 0.3, ("Matches the scam script “prize”", "supporting", 0.3)),
    )
    answer = verdict_message(Checked(parts=[link, text]), "en")
    lines = answer.splitlines()
    assert lines[0] == "ℹ️ Some warning signs, not enough for a warning (be careful)"
    assert lines[1] == "summary of no_known_signals 0.3"  # the text's, not the link's
    assert "• Message text: ℹ️ some warning signs" in lines
    assert "• Link bit[.]ly: ℹ️ no known warning signs" in lines
    # Two parts of one verdict: the higher score leads, whichever finished first.
    low = Part("link", "a", _verdict("suspicious", 0.4, ("low", "primary", 0.4)))
    high = Part("link", "b", _verdict("suspicious", 0.9, ("high", "primary", 0.9)))
    assert Checked(parts=[low, high]).worst is high
    # "No known warning signs" alone is said once, and Chinese labels take a full-width colon.
    plain = Part("text", "消息文字", _verdict("no_known_signals", 0.0))
    alone = verdict_message(Checked(parts=[plain]), "zh-Hans")
    assert alone.splitlines()[0] == "ℹ️ 未发现已知的风险信号（这不代表一定安全）"
    assert "summary of" not in alone
    two = verdict_message(
        Checked(parts=[plain, Part("link", "链接 x[.]cn", _verdict("no_known_signals", 0.0))]),
        "zh-Hans",
    )
    assert "• 消息文字：ℹ️ 未发现已知风险信号" in two
