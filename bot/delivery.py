"""Sending many messages within Telegram's limits: ~30 messages/s overall, 1/s per chat.

``Pacer`` hands out send slots: a global token bucket (``OVERALL_PER_S``) and a per-chat
minimum gap (``PER_CHAT_GAP_S``). ``drain_outbox`` sends queued alert messages through it with a
few requests in flight (so a slow round trip does not cap the rate), deletes a row only once
Telegram accepted it, pauses everything on ``RetryAfter`` for as long as Telegram asks, and
drops subscribers who blocked the bot. Nothing is dropped on a network error: the row stays
and is tried again on the next pass. The outbox also carries reporters' case outcomes
(``bot.outcomes``); a chat that blocked the bot loses its subscription and those, quietly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.state import BotState

log = logging.getLogger("fakewatch.bot.delivery")

#: Telegram's documented broadcast limit is "about 30 messages per second". A token bucket
#: of ``OVERALL_PER_S`` with bursts of ``BURST`` grants at most 24 + 2 = 26 in any second, a
#: margin for requests that leave together after a stall. (bench/bot_alerts_fanout.py saw 31
#: in one second with a plain 28/s spacing under a loaded machine.)
OVERALL_PER_S = 24.0
BURST = 2
#: "Avoid sending more than one message per second" to one chat, with a margin for the jitter
#: between granting a slot and the request reaching Telegram (the same bench measured 0.99 s
#: arrivals at a 1.0 s gap).
PER_CHAT_GAP_S = 1.1
#: Requests in flight at once: the rate is at most IN_FLIGHT / round trip, so 30 keeps 24/s
#: even when a round trip takes a second.
IN_FLIGHT = 30


def retry_seconds(exc: RetryAfter) -> float:
    value: object = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


class Pacer:
    """Global and per-chat pacing shared by every proactive send (alerts, relay, cases)."""

    def __init__(
        self,
        per_second: float = OVERALL_PER_S,
        burst: int = BURST,
        chat_gap: float = PER_CHAT_GAP_S,
    ) -> None:
        self.rate = per_second
        self.burst = float(burst)
        self.chat_gap = chat_gap
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._last_by_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Telegram said RetryAfter: nothing goes out until then."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def chat_ready_in(self, chat_id: int) -> float:
        last = self._last_by_chat.get(chat_id)
        return 0.0 if last is None else max(0.0, last + self.chat_gap - time.monotonic())

    async def slot(self, chat_id: int) -> None:
        """Wait until one more message may go to ``chat_id``."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                wait = max(
                    self._paused_until - now,
                    0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate,
                    self.chat_ready_in(chat_id),
                )
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            self._tokens -= 1.0
            self._last_by_chat[chat_id] = now
            if len(self._last_by_chat) > 50_000:
                cutoff = now - self.chat_gap
                self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if t > cutoff}


Send = Callable[[int, str, str], Awaitable[None]]


async def send_paced(pacer: Pacer, send: Send, chat_id: int, text: str, url: str) -> str:
    """One paced send: ``"sent"``, ``"gone"`` (chat blocked us or vanished) or ``"retry"``."""
    await pacer.slot(chat_id)
    try:
        await send(chat_id, text, url)
    except RetryAfter as exc:
        pacer.pause(retry_seconds(exc))
        return "retry"
    except Forbidden:
        return "gone"
    except BadRequest as exc:
        # "chat not found" and friends will never succeed; anything else is our bug: keep it.
        return "gone" if "chat" in str(exc).lower() else "retry"
    except NetworkError:
        return "retry"
    return "sent"


async def drain_outbox(
    state: BotState, pacer: Pacer, send: Send, *, batch: int = 500, in_flight: int = IN_FLIGHT
) -> tuple[int, int]:
    """Send what the outbox holds; returns ``(sent, gone)``. Rows that must wait stay queued."""
    sent = gone = 0
    while True:
        rows = state.outbox(batch)
        if not rows:
            return sent, gone
        # A chat with two queued alerts gets the second on a later pass (1/s per chat).
        seen: set[int] = set()
        todo = []
        for row in rows:
            if row[1] not in seen:
                seen.add(row[1])
                todo.append(row)
        gate = asyncio.Semaphore(in_flight)

        async def one(row: tuple[int, int, str, str], gate: asyncio.Semaphore = gate) -> str:
            async with gate:
                return await send_paced(pacer, send, row[1], row[2], row[3])

        outcomes = await asyncio.gather(*(one(row) for row in todo))
        done = [row[0] for row, o in zip(todo, outcomes, strict=True) if o == "sent"]
        dropped = [row[0] for row, o in zip(todo, outcomes, strict=True) if o == "gone"]
        for row, outcome in zip(todo, outcomes, strict=True):
            if outcome == "gone":
                state.chat_gone(row[1])
        retried = len(todo) - len(done) - len(dropped)
        state.sent(done + dropped)
        sent += len(done)
        gone += len(dropped)
        if retried and not done and not dropped:
            await asyncio.sleep(1.0)  # nothing got through: a network problem, back off
        if retried:
            log.info("alerts to retry", extra={"count": retried})
