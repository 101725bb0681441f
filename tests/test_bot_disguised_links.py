"""A link whose words show one address while it goes to another (a Telegram ``text_link``,
what an HTML- or Markdown-formatted message becomes) is said out loud: the real target is
checked, the reply names both addresses (defanged) and calls the mismatch a strong warning
sign, and the address the words show is never listed as a checked, clean link.

Real python-telegram-bot against the fake Bot API, and the real server (which reads both
addresses: the bot compares the sites it names)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.handlers.parts import parts_of
from tests.support.bot import running_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.server import RunningServer

ANN, BEN = 4201, 4202
ICBC = "工商银行提醒：您的账户将于今日冻结，请登录 www.icbc.com.cn 完成认证"
TARGET = "https://icbc-cn-auth.top/login"


def text_link(text: str, shown: str, url: str, *, cut: int = 0) -> dict[str, Any]:
    """A ``text_link`` entity over ``shown`` in ``text`` (``cut``: that many characters short,
    as a hand-built entity can be), in UTF-16 units as Telegram counts."""
    start = len(text[: text.index(shown)].encode("utf-16-le")) // 2
    length = len(shown.encode("utf-16-le")) // 2 - cut
    return {"type": "text_link", "offset": start, "length": length, "url": url}


async def _reply(fake: FakeTelegram, chat: int, text: str, lang: str, **extra: Any) -> str:
    mark = len(fake.calls)
    fake.message(chat, chat, text, language_code=lang, **extra)
    call = await fake.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark, within=30)
    return call.text


def test_a_link_showing_one_address_and_going_to_another_is_said_and_the_shown_one_not_listed(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            entity = text_link(ICBC, "www.icbc.com.cn", TARGET)
            said = await _reply(fake, ANN, ICBC, "zh-hans", entities=[entity])
            assert (
                "文字显示的是 www[.]icbc[.]com[.]cn，链接实际却指向 icbc-cn-auth[.]top。"
                "隐藏真实去向的链接本身就是很强的危险信号。"
            ) in said, said
            assert "• 链接 icbc-cn-auth[.]top（文字显示为 www[.]icbc[.]com[.]cn）：" in said, said
            assert "• 链接 www[.]icbc[.]com[.]cn：" not in said, said
            assert "未发现已知风险信号" not in said.splitlines()[0], said

            # The reviewer's hand-built entity, one character short of the address: the same.
            entity = text_link(ICBC, "www.icbc.com.cn", TARGET, cut=1)
            said = await _reply(fake, BEN, ICBC, "en", entities=[entity])
            assert (
                "The text shows www[.]icbc[.]com[.]cn, but the link goes to icbc-cn-auth[.]top. "
                "A link that hides where it goes is itself a strong warning sign."
            ) in said, said
            assert "• Link www[.]icbc[.]com[.]cn:" not in said, said

            # Link words that are an address without www (an HTML <a> around "dhl.com").
            words = "Your parcel is held: pay the fee at dhl.com today"
            entity = text_link(words, "dhl.com", "https://dhl-parcel-fee.top/pay")
            said = await _reply(fake, ANN, words, "en", entities=[entity])
            assert "The text shows dhl[.]com, but the link goes to dhl-parcel-fee[.]top" in said
            assert "• Link dhl[.]com:" not in said, said

            # A button under harmless words whose label is an address (an inline bot's post).
            words = "您的积分即将清零，请尽快兑换"
            button = {"text": "www.icbc.com.cn", "url": TARGET}
            markup = {"inline_keyboard": [[button]]}
            said = await _reply(fake, ANN, words, "zh-hans", reply_markup=markup)
            assert "文字显示的是 www[.]icbc[.]com[.]cn，链接实际却指向 icbc-cn-auth[.]top" in said

            # A target the server finds nothing against: the headline does not say "no known
            # warning signs" above the disguise.
            words = "Log in at www.icbc.com.cn now"
            entity = text_link(words, "www.icbc.com.cn", "https://www.wikipedia.org/")
            said = await _reply(fake, BEN, words, "en", entities=[entity])
            lines = said.splitlines()
            assert lines[0] == "⚠️ Careful: a disguised link", said
            assert lines[1].startswith(
                "The text shows www[.]icbc[.]com[.]cn, but the link goes to www[.]wikipedia[.]org."
            )
            assert "• Link www[.]icbc[.]com[.]cn:" not in said, said

    asyncio.run(scenario())


def test_a_text_link_to_the_site_it_shows_or_with_plain_words_is_not_called_disguised(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            words = "Statements are at icbc.com.cn as usual"
            entity = text_link(words, "icbc.com.cn", "https://www.icbc.com.cn/personal/")
            said = await _reply(fake, ANN, words, "en", entities=[entity])
            assert "The text shows" not in said and "disguised" not in said, said
            assert "(the text shows" not in said, said

            words = "Claim your reward here"
            entity = text_link(words, "here", "https://polkadot-dot.info/claim")
            said = await _reply(fake, BEN, words, "en", entities=[entity])
            assert said.startswith("🚨 Likely a scam"), said  # the target, checked
            assert "The text shows" not in said, said

    asyncio.run(scenario())


def test_the_address_a_text_link_shows_is_sent_beside_its_target_not_as_a_link() -> None:
    from telegram import Message

    message = Message.de_json(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": ICBC + " 或 https://example.org/x",
            "entities": [text_link(ICBC, "www.icbc.com.cn", TARGET)],
        },
        None,
    )
    parts = parts_of(message)
    assert parts.links == [TARGET, "https://example.org/x"]
    assert parts.shown_only == ["http://www.icbc.com.cn"]
    assert parts.shown == [("http://www.icbc.com.cn", TARGET)]

    # A picture's caption, after emoji (two UTF-16 units each, as Telegram counts offsets).
    caption = "🎁🎁 领取奖品：登录 icbc.com.cn/gift 即可"
    message = Message.de_json(
        {
            "message_id": 2,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "photo": [{"file_id": "p", "file_unique_id": "up", "width": 9, "height": 9}],
            "caption": caption,
            "caption_entities": [text_link(caption, "icbc.com.cn/gift", TARGET)],
        },
        None,
    )
    parts = parts_of(message)
    assert parts.links == [TARGET]
    assert parts.shown == [("http://icbc.com.cn/gift", TARGET)]
