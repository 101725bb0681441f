"""A relayed item reaches a chat in the chat's language, not the browser's (review 33 #8):
the extension writes a picture's summary in its own language and the server queued a link's in
English. Real bot against the fake Bot API, real server, real relay (``/link`` codes)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.support.bot import running_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.server import RunningServer

GRAN, HK, ENG = 3801, 3802, 3803  # never typed /lang: their Telegram apps' languages count
PICTURE = "https://news.example/ad.jpg"
EN_PICTURE_SUMMARY = (
    "Likely a scam: This picture is the same as known fake “Fake minister interview” (#3)."
    " Do not trust the offer or the person shown in this picture, do not pay, and do not pass"
    " it on."
)
ZH_PICTURE_SUMMARY = "很可能是诈骗：这张图片与已知伪造内容“假冒部长访谈”（#3）相同。不要相信图中的优惠或人物，不要付款，也不要转发。"


async def linked_token(
    fake: FakeTelegram, server: RunningServer, browser: str, chat: int, language: str
) -> str:
    mark = len(fake.calls)
    fake.message(chat, chat, "/link", language_code=language)
    shown = await fake.wait_for("sendMessage", lambda c: c.chat_id == chat, after=mark)
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", shown.text)
    assert code, shown.text
    response = await asyncio.to_thread(
        server.request,
        "POST",
        "/v1/relay/link",
        json_body={"code": code.group(0), "label": "Chrome"},
        key=browser,
    )
    return str(response.json()["token"])


async def relayed(
    fake: FakeTelegram, server: RunningServer, browser: str, chat: int, item: dict
) -> str:
    mark = len(fake.calls)
    response = await asyncio.to_thread(
        server.request, "POST", "/v1/relay/items", json_body=item, key=browser
    )
    assert response.status == 201, response.body
    said = await fake.wait_for(
        "sendMessage", lambda c: c.chat_id == chat and "📨" in c.text, after=mark
    )
    return said.text


def test_relayed_items_are_in_the_chats_language_and_script(
    server: RunningServer, tmp_path: Path
) -> None:
    browser = server.request("POST", "/v1/keys", json_body={"role": "client"}).json()["key"]

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            gran = await linked_token(fake, server, browser, GRAN, "zh-hans")
            hk = await linked_token(fake, server, browser, HK, "zh-hk")
            eng = await linked_token(fake, server, browser, ENG, "en")

            # A link: the server queued its verdict in English; the grandmother reads Chinese.
            link = {"token": gran, "kind": "link", "url": "https://polkadot-dot.info/claim"}
            text = await relayed(fake, server, browser, GRAN, link)
            assert text.startswith("📨 来自你的浏览器：hxxps://polkadot-dot[.]info/claim")
            assert "很可能是诈骗：" in text and "不要输入密码、验证码或付款信息。" in text
            assert "Likely a scam" not in text and "Do not" not in text

            # A picture checked by an English extension, sent to a Hong Kong chat: the
            # English reason cannot be read there, the advice for a picture can.
            picture = {
                "token": hk,
                "kind": "image",
                "url": PICTURE,
                "verdict": "likely_scam",
                "summary": EN_PICTURE_SUMMARY,
            }
            text = await relayed(fake, server, browser, HK, picture)
            assert text.startswith("📨 來自你的瀏覽器：")
            assert "不要相信圖中的優惠或人物，不要付款，也不要轉發。" in text
            assert "Do not" not in text and "known fake" not in text

            # The same picture checked by a Simplified-Chinese extension: its reason is kept,
            # in Traditional characters.
            text = await relayed(
                fake, server, browser, HK, picture | {"summary": ZH_PICTURE_SUMMARY}
            )
            assert "這張圖片與已知偽造內容「假冒部長訪談」（#3）相同" in text
            assert "这张图片" not in text

            # A Chinese summary relayed to an English chat: the English advice instead.
            text = await relayed(
                fake,
                server,
                browser,
                ENG,
                picture | {"token": eng, "verdict": "suspicious", "summary": ZH_PICTURE_SUMMARY},
            )
            assert text.startswith("📨 From your browser:")
            assert "Before you believe or share this picture, check what it claims" in text
            assert not re.search(r"[\u4e00-\u9fff]", text), text

    asyncio.run(scenario())
