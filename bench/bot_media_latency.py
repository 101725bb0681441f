"""Update-to-reply time for a forwarded 1080p photo, excluding Telegram.

Runs the real pieces as in production: ``fakewatch serve`` and ``fakewatch bot`` as separate
processes, the bot long-polling the fake Bot API (in this process, on 127.0.0.1). The clock
starts when the fake hands the update to the bot (getUpdates) and stops when the bot's reply
reaches the fake (sendMessage): the bot's own work, the photo download over loopback, and the
server's media check. Telegram's network time is not in it.

Photos are synthetic 1920x1080 JPEGs (shapes, no people); every other one is a re-encoded
copy of a known fake registered first, the rest are unrelated. Each photo is new to the server.

The peer, measured in the same run on the same photos: ``POST /v1/check/media`` straight to
the server (what a client with no bot in between waits for). Target: bot p95 <= 1 s.

    .venv/bin/python bench/bot_media_latency.py --photos 40
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from tests.support.fake_telegram import TOKEN, FakeTelegram  # noqa: E402
from tests.support.server import ADMIN_KEY, cli_env, start_server  # noqa: E402


def photo(seed: int, quality: int = 90) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (1920, 1080), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(1920), rng.randrange(1080)
        w, h = rng.randrange(40, 600), rng.randrange(40, 400)
        color = tuple(rng.randrange(256) for _ in range(3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)((x, y, x + w, y + h), fill=color)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{name:<34} n={len(ms):<3} p50 {percentile(ms, 50):7.0f} ms   p95 {percentile(ms, 95):7.0f} ms"
        f"   max {max(ms):7.0f} ms   mean {statistics.fmean(ms):7.0f} ms"
    )


async def add_known_fake(session: aiohttp.ClientSession, url: str, data: bytes) -> None:
    form = aiohttp.FormData()
    form.add_field("label", "Fake doctor advert (bench)")
    form.add_field("file", data, filename="f.jpg", content_type="image/jpeg")
    async with session.post(f"{url}/v1/known-fakes", data=form) as response:
        assert response.status == 201, await response.text()


async def direct(session: aiohttp.ClientSession, url: str, data: bytes) -> tuple[float, str]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="photo.jpg", content_type="image/jpeg")
    started = time.perf_counter()
    async with session.post(f"{url}/v1/check/media", data=form) as response:
        body = await response.json()
    return time.perf_counter() - started, str(body.get("verdict"))


async def main(args: argparse.Namespace, server_url: str, tmp: Path) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    fake = FakeTelegram()
    await fake.start()
    env = cli_env(
        {
            "FAKEWATCH_TELEGRAM_TOKEN": TOKEN,
            "FAKEWATCH_TELEGRAM_API_URL": fake.url,
            "FAKEWATCH_SERVER_URL": server_url,
            "FAKEWATCH_API_KEY": ADMIN_KEY,
            "FAKEWATCH_DATA_DIR": str(tmp / "bot"),
            "FAKEWATCH_LOG_LEVEL": "warning",
        }
    )
    log = (tmp / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server",
        "bot",
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=REPO,
    )
    known = photo(seed=0, quality=95)
    async with aiohttp.ClientSession(headers=headers, trust_env=False) as session:
        await add_known_fake(session, server_url, known)
        await fake.wait_for("getMe", within=60)
        photos = [
            photo(seed=0, quality=70 + i % 20) if i % 2 == 0 else photo(seed=1000 + i)
            for i in range(args.photos + args.warmup)
        ]
        bot_times: list[float] = []
        direct_times: list[float] = []
        verdicts: dict[str, int] = {}
        for i, data in enumerate(photos):
            chat = 10_000 + i
            file_id = f"p{i}"
            fake.add_file(file_id, data)
            mark = len(fake.calls)
            update_id = fake.message(
                chat,
                chat,
                photo=[
                    {
                        "file_id": file_id,
                        "file_unique_id": uuid.uuid4().hex,
                        "width": 1920,
                        "height": 1080,
                        "file_size": len(data),
                    }
                ],
                forward_origin={
                    "type": "channel",
                    "chat": {"id": -100_5, "type": "channel", "title": "Health News"},
                    "message_id": i + 1,
                    "date": int(time.time()),
                },
            )
            reply = await fake.wait_for(
                "sendMessage", lambda c, chat=chat: c.chat_id == chat, after=mark, within=60
            )
            elapsed, verdict = await direct(session, server_url, data)
            if i < args.warmup:
                continue
            bot_times.append(reply.at - fake.handed_at[update_id])
            direct_times.append(elapsed)
            headline = reply.text.split("\n", 1)[0]
            verdicts[f"{verdict} / {headline}"] = verdicts.get(f"{verdict} / {headline}", 0) + 1
    bot.terminate()
    await bot.wait()
    log.close()
    await fake.stop()
    print(
        f"photos: {args.photos} forwarded 1080p JPEGs ({sum(len(p) for p in photos) // len(photos) // 1024} KiB mean), one at a time, after {args.warmup} warm-up"
    )
    print(row("bot: update handed -> reply sent", bot_times))
    print(row("peer: POST /v1/check/media direct", direct_times))
    p95_bot, p95_direct = percentile(bot_times, 95), percentile(direct_times, 95)
    print(
        f"bot overhead at p95: {1000 * (p95_bot - p95_direct):.0f} ms; ratio bot/direct p95 {p95_bot / p95_direct:.2f}"
    )
    print(f"target p95 <= 1000 ms: {'met' if p95_bot <= 1.0 else 'MISSED'}")
    for name, count in sorted(verdicts.items()):
        print(f"  server verdict / bot headline: {name}: {count}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server = start_server(tmp / "server")
        try:
            asyncio.run(main(arguments, server.url, tmp))
        finally:
            server.stop()
