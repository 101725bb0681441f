"""Alert fan-out: one alert to N subscribers through the bot's outbox, against the fake Bot API.

What runs is the bot's own delivery code (``bot.state.BotState`` outbox, ``bot.delivery.Pacer``
and ``drain_outbox``) sending with python-telegram-bot's real ``Bot`` over HTTP to the fake Bot
API on 127.0.0.1, which answers every ``--flood-every``-th sendMessage with 429 RetryAfter.

Printed: wall time, achieved rate, the most messages in any 1-second window (Telegram's limit
is ~30/s), the shortest gap between two messages to one chat (limit 1/s; measured in a second
phase where a few chats get several alerts), 429s received, and delivered vs expected
(nothing dropped, nothing twice). The peer, measured in the same run: the same Bot and fake
without pacing, to show the ceiling is the pacer and not the stack.

    .venv/bin/python bench/bot_alerts_fanout.py                   # 10,000 subscribers, ~6 min
    .venv/bin/python bench/bot_alerts_fanout.py --subscribers 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from telegram import Bot  # noqa: E402
from telegram.ext import ApplicationBuilder  # noqa: E402

from bot.delivery import BURST, IN_FLIGHT, OVERALL_PER_S, PER_CHAT_GAP_S, Pacer, drain_outbox  # noqa: E402
from bot.state import BotState  # noqa: E402
from tests.support.fake_telegram import TOKEN, FakeTelegram  # noqa: E402


@dataclass
class Call:
    method: str
    chat_id: int | None
    at: float
    refused: bool


def _serve_fake(pipe: Any) -> None:
    """The fake Bot API in its own process, so it does not share the bot's CPU or loop."""

    async def serve() -> None:
        fake = FakeTelegram()
        pipe.send(await fake.start())
        await asyncio.Event().wait()

    asyncio.run(serve())


def _control(url: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(
        url + path, method=method, data=b"" if method == "POST" else None
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=60) as response:
        return json.loads(response.read())


async def calls_since(url: str, mark: int) -> list[Call]:
    rows = await asyncio.to_thread(_control, url, f"/_control/calls?from={mark}")
    return [Call(r["method"], r["chat_id"], r["at"], r["refused"]) for r in rows]


async def flood(url: str, every: int) -> None:
    await asyncio.to_thread(_control, url, f"/_control/flood?every={every}", "POST")


#: When the bot sent each request of the current fan-out (bot side, before the network).
sent_at: list[float] = []


def window_max(times_in: list[float]) -> int:
    """Most events in any 1-second window."""
    times = sorted(times_in)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def min_chat_gap(calls: list[Call]) -> float:
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        by_chat[int(call.chat_id or 0)].append(call.at)
    gaps = [
        b - a
        for times in by_chat.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    return min(gaps) if gaps else float("nan")


async def fan_out(
    url: str, bot: Bot, state: BotState, chats: list[int], alerts: int
) -> tuple[float, list[Call], int]:
    async def send(chat_id: int, text: str, link: str) -> None:
        sent_at.append(time.monotonic())  # leaves the bot now (the fake may see it later)
        await bot.send_message(chat_id, text)

    sent_at.clear()

    mark = len(await calls_since(url, 0))
    for alert_id in range(1, alerts + 1):
        state.queue_alert(alert_id, [(c, f"🔔 alert {alert_id}", "") for c in chats], str(alert_id))
    started = time.perf_counter()
    pacer = Pacer()
    while state.outbox_size():
        await drain_outbox(state, pacer, send)
    elapsed = time.perf_counter() - started
    made = [c for c in await calls_since(url, mark) if c.method == "sendMessage"]
    accepted = [c for c in made if not c.refused]
    return elapsed, accepted, len(made) - len(accepted)


async def naive(url: str, bot: Bot, count: int) -> float:
    """The peer: the same Bot and fake, no pacing, as many in flight as the bot allows."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(chat_id: int) -> None:
        async with gate:
            await bot.send_message(chat_id, "x")

    started = time.perf_counter()
    await asyncio.gather(*(one(10_000_000 + i) for i in range(count)))
    return count / (time.perf_counter() - started)


async def main(args: argparse.Namespace, url: str) -> None:
    await flood(url, args.flood_every)
    # Built the way the bot builds it (ApplicationBuilder: a pool of connections, not one).
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .updater(None)
        .build()
    )
    bot = application.bot
    with tempfile.TemporaryDirectory() as tmp:
        state = BotState(Path(tmp) / "bot.db")
        async with application:
            chats = list(range(1, args.subscribers + 1))
            elapsed, accepted, refused = await fan_out(url, bot, state, chats, 1)
            per_chat = Counter(int(c.chat_id or 0) for c in accepted)
            print(f"subscribers                 {args.subscribers:,}")
            print(f"wall time                   {elapsed:.1f} s")
            print(f"achieved rate               {len(accepted) / elapsed:.1f} msg/s")
            print(
                f"max in 1 s, sent by the bot {window_max(sent_at)}  "
                f"(limit 30; pacer {OVERALL_PER_S:.0f}/s + burst {BURST}; incl. retried sends)"
            )
            print(f"max in 1 s, seen by the fake {window_max([c.at for c in accepted])}")
            print(f"429 RetryAfter received     {refused}  (every {args.flood_every}th send)")
            print(
                f"delivered / expected        {len(per_chat):,} / {len(chats):,}; "
                f"duplicates {sum(n - 1 for n in per_chat.values())}; outbox left {state.outbox_size()}"
            )
            await flood(url, 0)
            few = list(range(20_000_001, 20_000_001 + args.gap_chats))
            elapsed2, accepted2, _ = await fan_out(url, bot, state, few, args.gap_alerts)
            print(
                f"per-chat phase              {args.gap_chats} chats x {args.gap_alerts} alerts "
                f"in {elapsed2:.1f} s; shortest gap to one chat {min_chat_gap(accepted2):.2f} s "
                f"(limit 1 s; pacer {PER_CHAT_GAP_S} s); delivered {len(accepted2)} / "
                f"{args.gap_chats * args.gap_alerts}"
            )
            rate = await naive(url, bot, args.peer_count)
            print(
                f"peer: unpaced, same stack   {rate:.0f} msg/s over {args.peer_count} sends "
                f"(paced/unpaced = {len(accepted) / elapsed / rate:.2f})"
            )
        state.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--flood-every", type=int, default=997, help="429 on every Nth send")
    parser.add_argument("--gap-chats", type=int, default=20)
    parser.add_argument("--gap-alerts", type=int, default=3)
    parser.add_argument("--peer-count", type=int, default=1000)
    arguments = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve_fake, args=(child,), daemon=True)
    server.start()
    try:
        asyncio.run(main(arguments, parent.recv()))
    finally:
        server.terminate()
        server.join()
