"""A picture the server will not check says why, by the server's stable error code: a BMP or
TIFF sent as a file is "send it as a photo or a screenshot: these formats can be checked",
not "the file may be damaged".

Real python-telegram-bot against the fake Bot API, and the real server."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from PIL import Image, ImageDraw

from bot.texts import t
from tests.support.bot import running_bot
from tests.support.server import RunningServer

ANN, BEN = 4301, 4302


def picture(fmt: str) -> bytes:
    image = Image.new("RGB", (320, 240), (30, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 200, 160), fill=(240, 200, 40))
    draw.ellipse((150, 90, 300, 220), fill=(200, 40, 60))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def document(file_id: str, name: str, mime: str, data: bytes) -> dict[str, object]:
    return {
        "file_id": file_id,
        "file_unique_id": "u" + file_id,
        "file_name": name,
        "mime_type": mime,
        "file_size": len(data),
    }


def test_a_bmp_or_tiff_sent_as_a_file_is_told_what_to_send_instead(
    server: RunningServer, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_bot(tmp_path, server.url) as (fake, _):
            for chat, lang, code, fmt, mime in (
                (ANN, "zh-hans", "zh-Hans", "BMP", "image/bmp"),
                (BEN, "en", "en", "TIFF", "image/tiff"),
            ):
                data = picture(fmt)
                fake.add_file(f"f{chat}", data)
                mark = len(fake.calls)
                doc = document(f"f{chat}", f"land.{fmt.lower()}", mime, data)
                fake.message(chat, chat, language_code=lang, document=doc)
                said = await fake.wait_for(
                    "sendMessage", lambda c, chat=chat: c.chat_id == chat, after=mark, within=30
                )
                assert "JPEG" in said.text and "PNG" in said.text, said.text
                assert said.text == t("media_unsupported", code)

            # Beside a link, the picture's line says the same (the link keeps its verdict).
            data = picture("BMP")
            fake.add_file("fbmp", data)
            mark = len(fake.calls)
            doc = document("fbmp", "claim.bmp", "image/bmp", data)
            fake.message(ANN, ANN, document=doc, caption="claim https://polkadot-dot.info/claim")
            said = await fake.wait_for("sendMessage", lambda c: c.chat_id == ANN, after=mark)
            assert said.text.startswith("🚨 Likely a scam"), said.text
            assert t("media_unsupported", "en") in said.text

    asyncio.run(scenario())
