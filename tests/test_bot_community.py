"""The bot with the server's community features: known fakes, moderation, alerts, the relay."""

from __future__ import annotations

import asyncio
import io
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from bot.handlers import MEDIA_AT_ONCE, MEDIA_WAITING
from tests.support.bot import running_bot
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.server import ADMIN_KEY, RunningServer, cli_env

ANN, BEN, CAT, DAN, MOD = 601, 602, 603, 606, 9001
ROOT = Path(__file__).resolve().parents[1]


def synthetic_photo(seed: int, size: tuple[int, int] = (1920, 1080), quality: int = 92) -> bytes:
    """A textured 1080p picture of no one (shapes and gradients), as Telegram would send it."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, 600), rng.randrange(40, 400)
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + w, y + h), fill=color)
        else:
            draw.ellipse((x, y, x + w, y + h), fill=color)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def photo_message(file_id: str, data: bytes) -> dict[str, object]:
    return {
        "photo": [
            {
                "file_id": file_id + "_s",
                "file_unique_id": "s" + file_id,
                "width": 320,
                "height": 180,
            },
            {
                "file_id": file_id,
                "file_unique_id": "u" + file_id,
                "width": 1920,
                "height": 1080,
                "file_size": len(data),
            },
        ],
        "forward_origin": {
            "type": "channel",
            "chat": {"id": -100_999, "type": "channel", "title": "Health News Daily"},
            "message_id": 77,
            "date": int(time.time()) - 3600,
        },
    }


def add_known_fake(server: RunningServer, data: bytes, label: str) -> None:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="label"\r\n\r\n{label}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = server.request(
        "POST",
        "/v1/known-fakes",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 201, response.body


def test_a_forwarded_photo_of_a_known_fake_gets_the_warning(
    server: RunningServer, tmp_path: Path
) -> None:
    original = synthetic_photo(seed=11)
    add_known_fake(server, original, "Fake doctor advert (test)")
    forwarded = synthetic_photo(seed=11, quality=80)  # Telegram re-encodes what it forwards

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.add_file("p1080", forwarded)
            fake.message(ANN, ANN, **photo_message("p1080", forwarded))
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            assert reply.text.startswith("🚨 Likely a scam")
            assert "Fake doctor advert (test)" in reply.text
            assert fake.sent("getFile")[0].params["file_id"] == "p1080"  # the largest size

            markup = reply.params["reply_markup"]
            assert isinstance(markup, dict)
            report = markup["inline_keyboard"][0][0]["callback_data"]
            mark = len(fake.calls)
            fake.press(ANN, report, fake.shown(reply))
            done = await fake.wait_for(
                "sendMessage", lambda c: "reached the moderators" in c.text, after=mark
            )
            case_id = int(done.text.split("case ")[1].rstrip(")."))
            case = await asyncio.to_thread(server.request, "GET", f"/v1/cases/{case_id}")
            assert case.json()["kind"] == "media"

            mark = len(fake.calls)
            other = synthetic_photo(seed=12)
            fake.add_file("other", other)
            fake.message(ANN, ANN, **photo_message("other", other))
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert not reply.text.startswith("🚨")

    asyncio.run(scenario())


def test_report_conversation_takes_a_photo_and_keeps_only_its_fingerprints_without_consent(
    server: RunningServer, tmp_path: Path
) -> None:
    photo = synthetic_photo(seed=21)

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            chat = {"message_id": 6, "date": 0, "chat": {"id": ANN, "type": "private"}}
            fake.add_file("ad", photo)
            fake.message(ANN, ANN, "/report")
            await fake.wait_for("sendMessage", lambda c: c.text.startswith("What do you want"))
            huge = photo_message("huge", photo)
            huge["photo"][-1]["file_size"] = 25_000_000  # type: ignore[index]
            fake.message(ANN, ANN, **huge)
            await fake.wait_for("sendMessage", lambda c: "larger than 20 MB" in c.text)
            fake.message(ANN, ANN, **photo_message("ad", photo))
            await fake.wait_for("sendMessage", lambda c: c.text.startswith("Where did you see"))
            fake.message(ANN, ANN, "Douyin ad")
            await fake.wait_for("sendMessage", lambda c: "kind of scam" in c.text)
            fake.press(ANN, "c:celebrity", chat)
            keep = await fake.wait_for("sendMessage", lambda c: "keep a copy" in c.text)
            assert "keep:yes" in str(keep.params) and "keep:no" in str(keep.params)
            fake.press(ANN, "keep:no", chat)
            await fake.wait_for("sendMessage", lambda c: "authorities" in c.text)
            fake.press(ANN, "k:yes", chat)
            done = await fake.wait_for("sendMessage", lambda c: "reached the moderators" in c.text)

            case_id = int(done.text.split("case ")[1].rstrip(")."))
            case = (await asyncio.to_thread(server.request, "GET", f"/v1/cases/{case_id}")).json()
            assert case["kind"] == "media"
            assert case["category"] == "celebrity"
            (report,) = case["reports_shown"]
            assert report["platform"] == "Douyin ad"
            assert report["keep_media"] in (0, False)
            assert report["share_with_authorities"] in (1, True)
            assert report["hashes"]  # the fingerprints are what the case keeps

    asyncio.run(scenario())


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


def test_a_moderators_confirm_button_confirms_the_case_and_subscribers_get_the_alert(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url, moderator_ids=f"{MOD}") as (fake, runner):
            for user in (ANN, BEN, DAN):
                fake.message(
                    user, user, "/subscribe", language_code="zh-tw" if user == DAN else "en"
                )
                await fake.wait_for("sendMessage", lambda c, u=user: c.chat_id == u)
            # The first alerts poll marks older alerts as history; wait for it (no ticks).
            await asyncio.to_thread(_wait_until, lambda: runner.state.get("alerts_started") != "")

            # Cat only checked the link before it was known: a retroactive alert is hers.
            url = f"https://free-dot-{uuid.uuid4().hex[:8]}.example/claim"
            fake.message(CAT, CAT, url)
            first = await fake.wait_for("sendMessage", lambda c: c.chat_id == CAT)
            assert not first.text.startswith("🚨")

            case_id = await asyncio.to_thread(_report_link, server, url)
            card = await fake.wait_for(
                "sendMessage",
                lambda c: c.chat_id == MOD and f"m:confirm:{case_id}" in str(c.params),
            )
            assert f"New case {case_id}" in card.text
            assert url.split("/")[2].replace(".", "[.]") in card.text  # named, not a live link

            sent = {
                "message_id": 5,
                "date": 0,
                "chat": {"id": MOD, "type": "private"},
                "text": card.text,
            }
            mark = len(fake.calls)
            fake.press(BEN, f"m:confirm:{case_id}", sent)
            refused = await fake.wait_for("answerCallbackQuery", after=mark)
            assert refused.params.get("text") == "Only moderators can do this."

            fake.press(MOD, f"m:confirm:{case_id}", sent)
            edited = await fake.wait_for("editMessageText", lambda c: c.chat_id == MOD, after=mark)
            assert "confirmed by you" in edited.text
            case = await asyncio.to_thread(server.request, "GET", f"/v1/cases/{case_id}")
            assert case.json()["status"] == "confirmed"

            for user in (ANN, BEN, CAT):
                alert = await fake.wait_for(
                    "sendMessage",
                    lambda c, u=user: c.chat_id == u and "Scam alert" in c.text,
                    after=mark,
                )
                assert "free-dot-" in alert.text
            # Taiwan and Hong Kong read Traditional characters and their own hotlines.
            hant = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == DAN and "詐騙提醒" in c.text, after=mark
            )
            assert "已確認" in hant.text and "free-dot-" in hant.text
            assert "165" in hant.text and "18222" in hant.text
            assert "96110" not in hant.text and "国家反诈中心" not in hant.text

    asyncio.run(scenario())


def test_an_item_from_a_linked_browser_reaches_the_chat(
    server: RunningServer, tmp_path: Path
) -> None:
    browser = server.request("POST", "/v1/keys", json_body={"role": "client"}).json()["key"]

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.message(ANN, ANN, "/link")
            shown = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN)
            match = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", shown.text)
            assert match, shown.text

            def link_and_send() -> None:
                token = server.request(
                    "POST",
                    "/v1/relay/link",
                    json_body={"code": match.group(0), "label": "Chrome on the family laptop"},
                    key=browser,
                ).json()["token"]
                queued = server.request(
                    "POST",
                    "/v1/relay/items",
                    json_body={
                        "token": token,
                        "kind": "link",
                        "url": "https://polkadot-dot.info/claim",
                    },
                    key=browser,
                )
                assert queued.status == 201

            await asyncio.to_thread(link_and_send)
            # Other tests' chats on the shared server may get their own relays meanwhile.
            notice = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == ANN and "was linked" in c.text
            )
            assert "Chrome on the family laptop" in notice.text
            item = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == ANN and "From your browser" in c.text
            )
            assert item.chat_id == ANN and "🚨 Likely a scam" in item.text
            # The relayed address is named, not handed back as a live link with a preview.
            assert "hxxps://polkadot-dot[.]info/claim" in item.text
            assert item.params["link_preview_options"] == {"is_disabled": True}

            mark = len(fake.calls)
            fake.message(BEN, BEN, "/link")  # someone else's chat gets a different code
            other = await fake.wait_for("sendMessage", lambda c: c.chat_id == BEN, after=mark)
            assert match.group(0) not in other.text

    asyncio.run(scenario())


def test_fakewatch_bot_runs_from_the_settings_and_logs_no_message_text(
    server: RunningServer, tmp_path: Path
) -> None:
    secret_words = "my-pin-is-4321 please help"
    log_path = tmp_path / "bot.log"

    async def scenario() -> None:
        fake = FakeTelegram()
        await fake.start()
        env = cli_env(
            {
                "FAKEWATCH_TELEGRAM_TOKEN": TOKEN,
                "FAKEWATCH_TELEGRAM_API_URL": fake.url,
                "FAKEWATCH_SERVER_URL": server.url,
                "FAKEWATCH_API_KEY": ADMIN_KEY,
                "FAKEWATCH_DATA_DIR": str(tmp_path),
                "FAKEWATCH_LOG_LEVEL": "debug",
            }
        )
        log = await asyncio.to_thread(log_path.open, "wb")
        with log:
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
            fake.message(ANN, ANN, f"{secret_words} https://polkadot-dot.info/claim")
            reply = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, within=30)
            assert reply.text.startswith("🚨 Likely a scam")
        finally:
            process.terminate()
            code = await asyncio.wait_for(process.wait(), 30)
            await fake.stop()
        logged = await asyncio.to_thread(log_path.read_text, encoding="utf-8", errors="replace")
        assert code == 0, logged
        assert "READY telegram bot" in logged
        assert secret_words not in logged
        assert "polkadot-dot" not in logged
        assert TOKEN.split(":")[1] not in logged

    asyncio.run(scenario())
    assert os.path.exists(tmp_path / "bot.db")


def test_one_person_has_one_check_in_flight_and_downloads_are_bounded_bot_wide(
    server: RunningServer, tmp_path: Path
) -> None:
    photo = synthetic_photo(seed=21, size=(640, 360))
    senders = (ANN, BEN, CAT, 604, 605)

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            fake.file_delay_s = 1.0  # a slow download holds its check open
            for user in senders:
                fake.add_file(f"slow{user}", photo)
                fake.message(user, user, **photo_message(f"slow{user}", photo))
            await fake.wait_for("getFile")
            mark = len(fake.calls)
            # Ann's second message waits for her first check (in order), it is not refused.
            fake.message(ANN, ANN, "https://polkadot-dot.info/claim")
            fake.message(MOD, MOD, "/help")  # someone else is answered meanwhile
            helped = await fake.wait_for("sendMessage", lambda c: c.chat_id == MOD, after=mark)
            assert helped.text.startswith("Forward or send me")
            assert not fake.sent(chat_id=ANN)  # her picture is still downloading
            for user in senders:
                verdict = await fake.wait_for(
                    "sendMessage", lambda c, u=user: c.chat_id == u and "⏳" not in c.text
                )
                assert not verdict.text.startswith("Sorry")
            link = await fake.wait_for(
                "sendMessage", lambda c: c.chat_id == ANN and c.text.startswith("🚨")
            )
            assert fake.sent(chat_id=ANN).index(link) == 1  # after the picture's answer
            assert "⏳" not in "".join(c.text for c in fake.sent(chat_id=ANN))
            assert fake.downloads_peak == 2  # five pictures, never more than two in memory

    asyncio.run(scenario())


def test_a_flood_of_pictures_from_many_people_never_holds_up_everyone_elses_answers(
    server: RunningServer, tmp_path: Path
) -> None:
    photo = synthetic_photo(seed=22, size=(320, 180))
    senders = range(7001, 7041)  # 40 people, one picture each: more than PTB's 16 update slots
    admitted = MEDIA_AT_ONCE + MEDIA_WAITING

    def verdicts(fake: FakeTelegram) -> list[str]:
        return [c.text for c in fake.sent() if c.chat_id in senders and "⏳" not in c.text]

    def told(fake: FakeTelegram) -> list[str]:
        return [c.text for c in fake.sent() if c.chat_id in senders and "⏳" in c.text]

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            # Downloads wait until the whole flood is in: on a slow machine an early picture
            # could otherwise finish and free its slot before the last ones arrive.
            fake.files_held = asyncio.Event()
            for user in senders:
                fake.add_file(f"p{user}", photo)
                fake.message(user, user, **photo_message(f"p{user}", photo))
            await fake.wait_for("sendMessage", lambda c: len(told(fake)) >= len(senders) - admitted)
            mark = len(fake.calls)
            fake.message(MOD, MOD, "/help")
            await fake.wait_for("sendMessage", lambda c: c.chat_id == MOD, after=mark)
            # Answered while the admitted pictures are still downloading, not after them all.
            assert verdicts(fake) == []
            fake.files_held.set()
            await fake.wait_for("sendMessage", lambda c: len(verdicts(fake)) >= admitted)
            assert not [v for v in verdicts(fake) if v.startswith("Sorry")]
            assert len(told(fake)) == len(senders) - admitted
            assert all("send this one again in a minute" in text for text in told(fake))

    asyncio.run(scenario())
