"""``Services``, everything handlers reach (in ``application.bot_data['services']``), its
parts (``ModCards``, ``MediaSlots``), and which language a person or a group reads.

Every handler module imports these; this one imports only ``limits`` and ``notice``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.api import ServerClient
from bot.config import BotConfig
from bot.delivery import Pacer
from bot.handlers.limits import (
    BUTTON_PRESSES_PER_MINUTE,
    GROUP_CHECKS_PER_MINUTE,
    GROUP_CHECKS_PER_SENDER,
    MEDIA_AT_ONCE,
    MEDIA_WAITING,
    REPORT_TIMEOUT_S,
    USER_CHECKS_PER_MINUTE,
)
from bot.handlers.notice import Notice
from bot.render import Recent
from bot.state import BotState
from bot.texts import lang_from_telegram
from server.api.ratelimit import RateLimiter


@dataclass
class Services:
    """Everything handlers reach, kept in ``application.bot_data['services']``."""

    config: BotConfig
    client: ServerClient
    state: BotState
    pacer: Pacer
    recent: Recent = field(default_factory=Recent)
    per_user: RateLimiter = field(default_factory=lambda: RateLimiter(USER_CHECKS_PER_MINUTE))
    per_group: RateLimiter = field(default_factory=lambda: RateLimiter(GROUP_CHECKS_PER_MINUTE))
    per_sender: RateLimiter = field(default_factory=lambda: RateLimiter(GROUP_CHECKS_PER_SENDER))
    #: One "not checked" notice per group per minute, so a flood is never silent nor noisy.
    notices: RateLimiter = field(default_factory=lambda: RateLimiter(1))
    #: Verdict-button presses per person per minute (each may post, report or download).
    per_button: RateLimiter = field(default_factory=lambda: RateLimiter(BUTTON_PRESSES_PER_MINUTE))
    bot_admin: dict[int, tuple[bool, float]] = field(default_factory=dict)
    #: Each person's private checks run one at a time, in order (``turns``), with at most
    #: ``CHECKS_WAITING`` waiting (``waiting``); ``told_busy``: told once that more were dropped.
    turns: dict[str, asyncio.Lock] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    told_busy: set[str] = field(default_factory=set)
    guard_in_flight: dict[str, int] = field(default_factory=dict)
    #: Pictures and videos downloaded and sent at once, bot-wide: each is held in memory
    #: (up to 20 MB) until the server answered.
    media_slots: MediaSlots = field(
        default_factory=lambda: MediaSlots(MEDIA_AT_ONCE, MEDIA_WAITING)
    )
    #: Event-loop time before which no retroactive alert is asked for (the key was full).
    watch_paused_until: float = 0.0
    #: Each moderator's copy of each new-case card, so a decision updates the others' copies.
    mod_cards: ModCards = field(default_factory=lambda: ModCards())
    #: /report conversations' timers (by user id), and how long one waits for an answer.
    report_timers: dict[int, asyncio.TimerHandle] = field(default_factory=dict)
    report_timeout_s: float = REPORT_TIMEOUT_S


class ModCards:
    """Where each moderator was shown each case (in memory only: the card quotes the item)."""

    def __init__(self, keep: int = 500) -> None:
        self._cards: OrderedDict[int, list[tuple[int, int, str, str]]] = OrderedDict()
        self.keep = keep

    def add(self, case_id: int, chat_id: int, message_id: int, lang: str, text: str) -> None:
        self._cards.setdefault(case_id, []).append((chat_id, message_id, lang, text))
        self._cards.move_to_end(case_id)
        while len(self._cards) > self.keep:
            self._cards.popitem(last=False)

    def pop(self, case_id: int) -> list[tuple[int, int, str, str]]:
        return self._cards.pop(case_id, [])


class MediaSlots:
    """Bot-wide turns for media checks, with a short queue: a handler waiting for a turn holds
    one of PTB's update slots, so a flood of pictures from many accounts must not queue them
    all (every /help and link check would wait behind the downloads)."""

    def __init__(self, at_once: int, waiting: int) -> None:
        self._turns = asyncio.Semaphore(at_once)
        self._waiting = 0
        self.max_waiting = waiting

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Held while a file is in memory; ``Notice("media_busy")`` when the queue is full."""
        if self._turns.locked() and self._waiting >= self.max_waiting:
            raise Notice("media_busy")
        self._waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._turns.release()


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return cast(Services, context.application.bot_data["services"])


def user_lang(svc: Services, update: Update) -> str:
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None:
        stored = svc.state.lang(chat.id)
        if stored:
            return stored
    lang = lang_from_telegram(user.language_code if user else None)
    if chat is not None and chat.type == ChatType.PRIVATE and user is not None:
        # Alerts, relays and moderator cards reach this chat later with no message at hand.
        svc.state.note_seen_lang(chat.id, lang)
    return lang


def group_lang(svc: Services, chat_id: int) -> str:
    """What the group guard (and "Why?" under its warning) writes in: the group's /lang, else
    the language of the admin seen setting the bot up, else of the first member seen whose
    message was not flagged; never the flagged sender's (a scammer picks their own)."""
    return svc.state.lang(chat_id) or svc.state.seen_lang(chat_id) or "en"
