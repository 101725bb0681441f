"""A relayed item reaches a chat in the chat's language, not the browser's (review 33 #8),
and says only what the server judged: the server judges a relayed picture itself (the browser
sends it) in the browser's language, and the bot shows it in the chat's. Real bot against the
fake Bot API, real server, real relay (``/link`` codes)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from bot.render import defang
from tests.support.bot import running_bot
from tests.support.fake_telegram import FakeTelegram
from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import add_fake, jpeg, multipart, picture
from tests.test_relay_weak_reason import ai_labelled_jpeg

GRAN, HK, ENG = 3801, 3802, 3803  # never typed /lang: their Telegram apps' languages count
PICTURE = "https://news.example/ad.jpg"
FAKE = picture(41)
#: A re-encoded copy of the banked fake: what a browser fetched from a page.
COPY = jpeg(FAKE.resize((480, 360)), quality=80)
#: What a hostile relay-token holder would like a family chat to read under a picture.
FORGED = "Checked by FakeWatch: this picture is genuine, safe to share."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Its own server: the test banks a known fake.
    running = start_server(tmp_path_factory.mktemp("relay-language"))
    add_fake(running, FAKE, label="假冒部长访谈")
    yield running
    assert running.stop() == 0, running.stderr()


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
    fake: FakeTelegram,
    server: RunningServer,
    browser: str,
    chat: int,
    item: dict,
    *,
    picture: bytes | None = None,
    browser_lang: str = "en",
) -> str:
    """Queue ``item`` as the extension does (the picture itself, if any, in multipart) with
    the browser's language in Accept-Language; what the bot then says in ``chat``."""
    mark = len(fake.calls)
    headers = {"Accept-Language": browser_lang}
    if picture is None:
        request = {"json_body": item, "headers": headers}
    else:
        body, content_type = multipart({k: str(v) for k, v in item.items()}, picture)
        request = {"body": body, "headers": headers | {"Content-Type": content_type}}
    response = await asyncio.to_thread(
        server.request, "POST", "/v1/relay/items", key=browser, **request
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

            # A link from an English browser (queued in English); the grandmother reads
            # Chinese: the bot checks it again in hers.
            link = {"token": gran, "kind": "link", "url": "https://polkadot-dot.info/claim"}
            text = await relayed(fake, server, browser, GRAN, link)
            assert text.startswith("📨 来自你的浏览器：hxxps://polkadot-dot[.]info/claim")
            assert "很可能是诈骗：" in text and "不要输入密码、验证码或付款信息。" in text
            assert "Likely a scam" not in text and "Do not" not in text

            # A picture sent by an English extension to a Hong Kong chat: the server judged it
            # in English, which cannot be read there; the advice for a picture can.
            picture = {"token": hk, "kind": "image", "url": PICTURE}
            text = await relayed(fake, server, browser, HK, picture, picture=COPY)
            assert text.startswith("📨 來自你的瀏覽器：")
            assert "不要相信圖中的優惠或人物，不要付款，也不要轉發。" in text
            assert "Do not" not in text and "known fake" not in text

            # The same picture from a Simplified-Chinese extension: the server's reason is
            # kept, in Traditional characters.
            text = await relayed(
                fake, server, browser, HK, picture, picture=COPY, browser_lang="zh-CN"
            )
            # (The reason's wording is the detector's; what is pinned is that it reached the
            # chat, about this picture and this bank entry, in the chat's script.)
            assert "這張圖片與" in text and "「假冒部長訪談」" in text, text
            assert "这张图片" not in text and "已知伪造" not in text

            # A Chinese extension's picture relayed to an English chat: the English advice.
            text = await relayed(
                fake,
                server,
                browser,
                ENG,
                picture | {"token": eng},
                picture=COPY,
                browser_lang="zh-CN",
            )
            assert text.startswith("📨 From your browser:")
            assert "Do not trust the offer or the person shown in this picture" in text
            assert not re.search(r"[\u4e00-\u9fff]", text), text

            # A verdict and a sentence the browser claims, with no picture: the chat reads
            # that it could not be judged, never the claim.
            claim = {"verdict": "no_known_signals", "summary": FORGED}
            text = await relayed(fake, server, browser, ENG, picture | {"token": eng} | claim)
            assert "I could not judge this" in text and FORGED not in text
            assert "No known warning signs" not in text

    asyncio.run(scenario())


#: Scores between the domain model's two cuts with no other cue (tests/test_relay_weak_reason.py):
#: ``no_known_signals`` with one reason, ``domain_model.scam_like_weak``, that the summary quotes.
WEAK = "https://secure-login.net/"
WEAK_EN, WEAK_ZH = 3804, 3805


def test_a_link_with_a_weak_reason_is_headlined_as_some_signs_in_a_relay_and_a_chat(
    server: RunningServer, tmp_path: Path
) -> None:
    """A weak reason under ``no_known_signals``: the headline never says "no known warning
    signs" above the note naming one, and the reason's sentence is said once (in the summary),
    not again under "Why"."""
    browser = server.request("POST", "/v1/keys", json_body={"role": "client"}).json()["key"]
    reasons = {
        lang: server.request(
            "GET", f"/v1/check/link?url={quote(WEAK, safe='')}&lang={lang}"
        ).json()["reasons"]
        for lang in ("en", "zh")
    }
    for found in reasons.values():
        assert [r["code"] for r in found] == ["domain_model.scam_like_weak"]

    def said_once(text: str, lang: str) -> None:
        sentence = defang(reasons[lang][0]["message"])
        assert text.count(sentence) == 1, text
        assert "Why:" not in text and "原因：" not in text, text

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            en = await linked_token(fake, server, browser, WEAK_EN, "en")
            zh = await linked_token(fake, server, browser, WEAK_ZH, "zh-hans")

            text = await relayed(
                fake, server, browser, WEAK_EN, {"token": en, "kind": "link", "url": WEAK}
            )
            assert text.splitlines()[1] == (
                "ℹ️ Some warning signs, not enough for a warning (be careful)"
            ), text
            assert "No known warning signs" not in text
            assert "No strong warning signs, but note: The site name secure-login[.]net" in text
            said_once(text, "en")

            text = await relayed(
                fake, server, browser, WEAK_ZH, {"token": zh, "kind": "link", "url": WEAK}
            )
            assert text.splitlines()[1] == "ℹ️ 有一些风险迹象，但不足以发出警告（请谨慎）", text
            assert "未发现已知的风险信号" not in text
            assert "未发现明显风险信号，但请留意：网站名 secure-login[.]net" in text
            said_once(text, "zh")

            # The same link sent to the bot directly reads the same.
            mark = len(fake.calls)
            fake.message(WEAK_EN, WEAK_EN, WEAK)
            reply = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == WEAK_EN and "📨" not in c.text, after=mark
            )
            assert reply.text.startswith("ℹ️ Some warning signs, not enough for a warning")
            said_once(reply.text, "en")
            # "Why?" lists every reason, the one the summary quotes too.
            markup = reply.params["reply_markup"]
            assert isinstance(markup, dict)
            why = next(
                b["callback_data"]
                for row in markup["inline_keyboard"]
                for b in row
                if b["callback_data"].startswith("w:")
            )
            mark = len(fake.calls)
            fake.press(WEAK_EN, why, fake.shown(reply))
            answer = await fake.wait_for(
                "sendMessage", lambda c: "All reasons" in c.text, after=mark
            )
            assert "• " + defang(reasons["en"][0]["message"]) in answer.text

    asyncio.run(scenario())


#: A picture whose EXIF names an AI generator (tests/test_extension_browser.py): the server's
#: weak ``ai_labels`` reason alone, ``no_known_signals``.
LABELLED_EN, LABELLED_ZH, LABELLED_CROSS = 3806, 3807, 3808


def test_a_picture_with_a_weak_reason_is_headlined_as_some_signs_in_a_relay(
    server: RunningServer, tmp_path: Path
) -> None:
    """The relay queue keeps the reasons the server judged a picture with, so a weak one under
    ``no_known_signals`` reaches the chat as "some warning signs", never "no known warning
    signs" above "No strong warning signs, but note: …" (the bot cannot judge a picture
    again, as it does a link)."""
    browser = server.request("POST", "/v1/keys", json_body={"role": "client"}).json()["key"]
    labelled = ai_labelled_jpeg()
    reasons = {}
    for lang in ("en", "zh"):
        body, content_type = multipart({"lang": lang}, labelled)
        checked = server.request(
            "POST", "/v1/check/media", body=body, headers={"Content-Type": content_type}
        ).json()
        assert checked["verdict"] == "no_known_signals", checked
        [reason] = checked["reasons"]
        assert reason["code"].startswith("ai_labels.") and reason["weight"] > 0, reason
        reasons[lang] = reason["message"]

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            en = await linked_token(fake, server, browser, LABELLED_EN, "en")
            zh = await linked_token(fake, server, browser, LABELLED_ZH, "zh-hans")
            cross = await linked_token(fake, server, browser, LABELLED_CROSS, "zh-hans")

            def item(token: str) -> dict:
                return {"token": token, "kind": "image", "url": PICTURE}

            text = await relayed(fake, server, browser, LABELLED_EN, item(en), picture=labelled)
            assert text.splitlines()[1] == (
                "ℹ️ Some warning signs, not enough for a warning (be careful)"
            ), text
            assert "No known warning signs" not in text
            assert "No strong warning signs, but note: " in text
            assert text.count(defang(reasons["en"])) == 1, text

            text = await relayed(
                fake, server, browser, LABELLED_ZH, item(zh), picture=labelled, browser_lang="zh-CN"
            )
            assert text.splitlines()[1] == "ℹ️ 有一些风险迹象，但不足以发出警告（请谨慎）", text
            assert "未发现已知的风险信号" not in text
            assert "未发现明显风险信号，但请留意：" in text
            assert text.count(defang(reasons["zh"])) == 1, text

            # An English browser's picture in a Chinese chat: the reason was judged in English,
            # which the chat cannot read; the headline still says there are signs, and no
            # English sentence (nor "no known warning signs") stands under it.
            text = await relayed(
                fake, server, browser, LABELLED_CROSS, item(cross), picture=labelled
            )
            assert text.splitlines()[1] == "ℹ️ 有一些风险迹象，但不足以发出警告（请谨慎）", text
            assert "未发现已知" not in text and "No strong" not in text, text
            assert reasons["en"] not in text and defang(reasons["en"]) not in text, text

    asyncio.run(scenario())


LINK_DOWN = 3809


@contextlib.asynccontextmanager
async def link_checks_failing(server: RunningServer) -> AsyncIterator[str]:
    """The real server behind a pass-through on 127.0.0.1 whose link checks answer 503 busy
    (as a server out of capacity does): the bot cannot check a relayed link again."""
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        if request.path == "/v1/check/links":
            busy = {"ok": False, "error": "busy", "code": "busy", "status": 503, "request_id": "r"}
            return web.json_response(busy, status=503, headers={"Retry-After": "3600"})
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with session.request(
            request.method,
            server.url + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            return web.Response(body=body, status=answer.status, content_type=answer.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
        await session.close()


def test_a_link_the_bot_cannot_check_again_keeps_its_queued_weak_reason(
    server: RunningServer, tmp_path: Path
) -> None:
    """When the fresh check of a relayed link fails, the bot shows the verdict it was queued
    with, and with it the server's reasons: a weak one still picks the headline."""
    browser = server.request("POST", "/v1/keys", json_body={"role": "client"}).json()["key"]

    async def scenario() -> None:
        async with link_checks_failing(server) as url, running_bot(tmp_path, url) as (fake, _):
            token = await linked_token(fake, server, browser, LINK_DOWN, "en")
            text = await relayed(
                fake, server, browser, LINK_DOWN, {"token": token, "kind": "link", "url": WEAK}
            )
            assert text.splitlines()[1] == (
                "ℹ️ Some warning signs, not enough for a warning (be careful)"
            ), text
            assert "No known warning signs" not in text
            assert "No strong warning signs, but note: The site name secure-login[.]net" in text

    asyncio.run(scenario())
