"""What the bot does when Telegram says "Too Many Requests" (``RetryAfter``).

Two kinds of sends leave the bot, and they need opposite answers:

* **Replies** to someone who just forwarded a scam. They are few and the person is waiting, so
  a reply that hits the flood limit waits as long as Telegram asks (up to ``MAX_REPLY_WAIT_S``)
  and is sent again, instead of being lost and leaving the person with no answer.
* **Paced sends** (alerts, relay items, moderator cases) go through ``Pacer`` and are marked
  with ``rate_limit_args=PACED``. Their ``RetryAfter`` reaches ``send_paced``, which keeps the
  row queued; retrying here would hold one of the outbox's in-flight slots for nothing.

Telegram's limit is per bot, so a flood seen by either kind pauses the shared ``Pacer`` too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery import Pacer, retry_seconds

log = logging.getLogger("fakewatch.bot.flood")

#: ``rate_limit_args`` of sends that have their own pacing and retry (the outbox, relay, cases).
PACED = "paced"
#: A reply is retried at most this often, and never after a longer wait than this: a person
#: who forwarded a message a minute ago has moved on, and a longer ban means we are misbehaving.
MAX_REPLY_RETRIES = 2
MAX_REPLY_WAIT_S = 30.0

Result = bool | dict[str, Any] | list[dict[str, Any]]


class FloodRetry(BaseRateLimiter[str]):
    """Retry replies after ``RetryAfter``; let paced sends handle it themselves."""

    __slots__ = ("pacer",)

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def initialize(self) -> None:
        """Nothing to set up: the state lives in the shared ``Pacer``."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> Result:
        attempt = 0
        while True:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                self.pacer.pause(wait)
                if (
                    rate_limit_args == PACED
                    or attempt >= MAX_REPLY_RETRIES
                    or wait > MAX_REPLY_WAIT_S
                ):
                    raise
                attempt += 1
                log.info("flood limit, reply waits", extra={"endpoint": endpoint, "wait_s": wait})
                await asyncio.sleep(wait)
