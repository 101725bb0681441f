"""What the bot does with each update. Handlers log ids and error types, never content."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import time
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.api import (
    DownloadFailed,
    FeatureMissing,
    FileTooBig,
    Refused,
    ServerClient,
    ServerError,
    ServerUnavailable,
)
from bot.config import TELEGRAM_DOWNLOAD_LIMIT, BotConfig
from bot.delivery import Pacer
from bot.render import (
    Checked,
    Part,
    Recent,
    defang,
    short_label,
    verdict_buttons,
    verdict_message,
)
from bot.state import GUARD_MODES, BotState
from bot.texts import LANG_NAMES, LANGS, T, lang_from_telegram, t
from server.api.ratelimit import RateLimiter
from server.community.items import MAX_TEXT_LENGTH as REPORT_TEXT

log = logging.getLogger("fakewatch.bot")

#: Links per message sent to the server, in one request: the server's default
#: ``max_urls_per_request``. More than that are never dropped silently: the reply (and the
#: group guard) says how many were not checked.
MAX_LINKS = 100
#: Longest link sent (the server's default ``max_url_length``); a longer one is listed as not
#: checked instead of making the server refuse the whole batch.
MAX_URL_LENGTH = 4096
#: Text sent to the text check: the server's ``max_text_chars`` (``BotConfig.max_text_chars``
#: reads the same setting). A longer message is sent as its first and last halves, and the
#: answer says so. A /report's text is cut at what the reports endpoint takes (REPORT_TEXT).
MAX_TEXT = 10_000
#: Checks one person may have waiting behind the running one (a multi-select forward sends
#: each message as its own update); past that they are told, once, to send the rest again.
CHECKS_WAITING = 5
#: An unanswered /report ends after this long (the next message is checked again).
REPORT_TIMEOUT_S = 600.0
#: Private checks per person per minute, and guard checks per group per minute.
USER_CHECKS_PER_MINUTE = 20
GROUP_CHECKS_PER_MINUTE = 60
#: Guard checks per member of a group per minute: one member posting (or editing) links
#: non-stop spends their own budget, not the checks the rest of the group relies on.
GROUP_CHECKS_PER_SENDER = 10
BUTTON_PRESSES_PER_MINUTE = 10
#: Retroactive alerts: links watched per checked message, live watches per chat (the bot's key
#: shares the server's ``alert_subscriptions_per_key`` among all chats), how long one is
#: assumed to live until the server's answer gives its ``expires_at`` (an older server that
#: does not say: its default ``alert_subscription_days``), and how long a full key pauses asking.
WATCHES_PER_MESSAGE = 3
WATCHES_PER_CHAT = 10
WATCH_DAYS_UNSAID = 30
WATCH_PAUSE_S = 3600.0
#: Media downloaded and checked at once (bot-wide), how many more may wait for a turn (each
#: waiting one may hold one of PTB's update slots; past that the person is told to send it again),
#: and guard checks in flight per group member.
MEDIA_AT_ONCE = 2
MEDIA_WAITING = 4
GUARD_IN_FLIGHT_PER_SENDER = 2
#: How long the bot trusts what it learned about its own rights in a group.
ADMIN_CACHE_S = 600.0
CATEGORIES = ("investment", "giveaway", "celebrity", "romance", "official", "shopping", "other")
#: A bare link ends at white space, quotes, CJK punctuation and full-width characters. Han
#: characters may be the host itself ("https://支付宝-登录.top/x", "www.支付宝.com"), but right
#: after an ASCII top-level label (".info领取") they are the text written flush against the
#: link ("请登录https://evil.info领取"); in the path they always end it.
_STOP = "\\s<>\"'\u3000-\u303f\uff00-\uffef"
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_BARE_URL = re.compile(
    rf"(?:https?://|www\.)"
    rf"(?=[^{_STOP}./?#])"  # a host, not "https://" alone
    rf"(?:\.(?![A-Za-z]+[{_HAN}])|[^{_STOP}{_HAN}./?#]|[{_HAN}])*"
    rf"(?:\.[A-Za-z]+(?=[{_HAN}]))?"
    rf"(?:[/?#][^{_STOP}{_HAN}]*)?",
    re.IGNORECASE,
)
#: A host with at least one dot between two labels ("http://www." names no site).
_NAMED_HOST = re.compile(r"^(?:https?://)?[^/?#]*[^./?#]\.[^./?#]", re.IGNORECASE)


def _bare_links(text: str) -> list[str]:
    """Links written without a Telegram entity, each naming a site."""
    return [
        m.group(0) for m in _BARE_URL.finditer(text) if _NAMED_HOST.match(m.group(0)) is not None
    ]


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
    feedback: dict[str, int] = field(default_factory=dict)
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


def _note_admin_lang(svc: Services, update: Update) -> None:
    """A group admin just set the bot up: the group reads their language until /lang."""
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and user:
        svc.state.note_seen_lang(chat.id, lang_from_telegram(user.language_code))


# --- what a message holds -----------------------------------------------------------------


@dataclass
class Media:
    file_id: str
    size: int | None
    filename: str
    content_type: str


@dataclass
class Parts:
    links: list[str]
    text: str
    media: Media | None
    unsupported: bool
    #: Links found but not sent: past ``MAX_LINKS`` or longer than ``MAX_URL_LENGTH``.
    skipped_links: int = 0
    #: Links longer than ``MAX_URL_LENGTH`` sent as ``scheme://host/`` (judged by their site).
    site_only_links: int = 0
    #: The text was longer than the server takes: its first and last halves were sent.
    text_cut: int = 0


def _fit_text(body: str, limit: int) -> tuple[str, int]:
    """``body`` as the text check takes it, and the length of each half kept when it was too
    long (0 when whole): the head and the tail, where a scam's ask usually sits."""
    if len(body) <= limit:
        return body, 0
    half = (limit - 3) // 2
    return body[:half] + "\n…\n" + body[-half:], half


def _site_of(url: str) -> str | None:
    """``scheme://host/`` of a link too long to send whole: the lists, look-alike and domain
    checks judge the host, so padding the path or query must not buy a scam domain silence."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if not host or parts.scheme.lower() not in ("http", "https"):
        return None
    site = f"{parts.scheme.lower()}://{f'[{host}]' if ':' in host else host}/"
    return site if len(site) <= MAX_URL_LENGTH else None


def _capped(links: list[str]) -> tuple[list[str], int, int]:
    """The links to send, how many were left out, and how many of those sent stand for a link
    longer than ``MAX_URL_LENGTH``, sent as its site only."""
    sent_as = [url if len(url) <= MAX_URL_LENGTH else _site_of(url) for url in links]
    kept = list(dict.fromkeys(url for url in sent_as if url is not None))[:MAX_LINKS]
    chosen = set(kept)
    skipped = sum(1 for url in sent_as if url not in chosen)
    trimmed = sum(
        1 for url, sent in zip(links, sent_as, strict=True) if sent in chosen and url != sent
    )
    return kept, skipped, trimmed


def _button_links(message: Message) -> list[str]:
    """Links behind the message's inline-keyboard buttons: scam posts made through an inline
    bot put the link in a "Claim" button under harmless text."""
    markup = message.reply_markup
    if markup is None:
        return []
    found: list[str] = []
    for row in markup.inline_keyboard:
        for button in row:
            if button.url:
                found.append(button.url)
            if button.login_url is not None and button.login_url.url:
                found.append(button.login_url.url)
    return found


def _links(message: Message) -> list[str]:
    # Buttons first: their links are the ones a scammer wants pressed.
    found: list[str] = _button_links(message)
    for entities in (
        message.parse_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]),
        message.parse_caption_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]),
    ):
        for entity, text in entities.items():
            url = entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url else text
            found.append(url)
    body = message.text or message.caption or ""
    found.extend(_bare_links(body))
    links: list[str] = []
    for url in found:
        url = url.rstrip(").,;!?。，）")
        if not url.lower().startswith(("http://", "https://")):
            url = "http://" + url
        if url not in links:
            links.append(url)
    return links


def _media(message: Message) -> Media | None:
    if message.photo:
        largest = message.photo[-1]
        return Media(largest.file_id, largest.file_size, "photo.jpg", "image/jpeg")
    for video in (message.video, message.animation, message.video_note):
        if video is not None:
            mime = getattr(video, "mime_type", None) or "video/mp4"
            return Media(video.file_id, video.file_size, "video.mp4", mime)
    document = message.document
    if document is not None and (document.mime_type or "").startswith(("image/", "video/")):
        return Media(
            document.file_id,
            document.file_size,
            (document.file_name or "file")[-100:],
            document.mime_type or "application/octet-stream",
        )
    return None


def parts_of(message: Message, max_text: int = MAX_TEXT) -> Parts:
    links, skipped, site_only = _capped(_links(message))
    body = message.text or message.caption or ""
    media = _media(message)
    unsupported = media is None and not body and not links and not skipped
    text, cut = _fit_text(body, max_text)
    return Parts(links, text, media, unsupported, skipped, site_only, cut)


# --- asking the server --------------------------------------------------------------------


class Notice(Exception):
    """Something to tell the person instead of a verdict (a text key)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


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


async def _download(context: ContextTypes.DEFAULT_TYPE, media: Media) -> bytearray:
    """The file, in memory: callers hold a ``media_slots`` turn until they are done with it."""
    if media.size is not None and media.size > TELEGRAM_DOWNLOAD_LIMIT:
        raise Notice("too_big")
    try:
        file = await context.bot.get_file(media.file_id)
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise Notice("too_big") from None
        raise Notice("bad_media") from None
    if file.file_size is not None and file.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        raise Notice("too_big")
    if not file.file_path:
        raise Notice("bad_media")
    # Streamed into one buffer and cut at the limit (PTB's download reads the whole body and
    # copies it). ``file_path`` is the full URL, token included: it is never logged.
    parts = urlsplit(file.file_path)
    url = urlunsplit(parts._replace(path=quote(parts.path)))
    try:
        return await services(context).client.fetch_file(url, TELEGRAM_DOWNLOAD_LIMIT)
    except FileTooBig:
        raise Notice("too_big") from None
    except DownloadFailed:
        raise Notice("bad_media") from None


async def check_parts(
    context: ContextTypes.DEFAULT_TYPE,
    parts: Parts,
    lang: str,
    *,
    with_text: bool,
) -> Checked:
    """Ask the server about each part at once. A part that fails (a 4xx for it alone, the
    server down for it, a file Telegram won't give) is listed as not checked beside the others'
    verdicts; only when no part could be checked is the most telling failure raised."""
    svc = services(context)
    checked = Checked(parts=[], unchecked_links=parts.skipped_links)

    async def links() -> None:
        if not parts.links:
            return
        results = await svc.client.check_links(parts.links, lang)
        if parts.site_only_links:
            checked.notes.append("links_site_only")
        for url, verdict in zip(parts.links, results, strict=False):
            item = {"kind": "link", "value": url}
            checked.parts.append(Part("link", short_label("link", url, lang), verdict, item))
            checked.report_items.append(item)

    async def text() -> None:
        if not with_text or not parts.text.strip():
            return
        # The links were checked on their own; what is left is the message's words.
        words = _BARE_URL.sub(" ", parts.text).strip()
        if not words:
            return
        try:
            verdict = await svc.client.check_text(parts.text, lang)
        except FeatureMissing:
            if not parts.links:
                checked.missing.append("text")
            return
        item = {"kind": "text", "value": parts.text[:REPORT_TEXT]}
        checked.parts.append(Part("text", short_label("text", "", lang), verdict, item))
        checked.report_items.append(item)
        if parts.text_cut:
            checked.notes.append("text_cut")
            checked.note_values["half"] = parts.text_cut

    async def media() -> None:
        if parts.media is None:
            return
        try:
            async with svc.media_slots.turn():
                payload = await _download(context, parts.media)
                try:
                    verdict = await svc.client.check_media(
                        payload, parts.media.filename, parts.media.content_type, lang
                    )
                finally:
                    del payload
        except Refused as exc:
            if exc.code.startswith("media_too") or exc.status == 413:
                raise Notice("too_big") from None
            if exc.code.startswith("media_") or exc.status in (400, 415):
                raise Notice("bad_media") from None
            raise
        checked.parts.append(Part("media", short_label("media", "", lang), verdict))
        checked.media = parts.media

    failures: list[tuple[str, Notice | ServerError]] = []

    async def guarded(kind: str, check: Callable[[], Awaitable[None]]) -> None:
        try:
            await check()
        except FeatureMissing:
            checked.missing.append(kind)
        except (Notice, ServerError) as exc:
            # Keep the failure, not its frames: they hold the downloaded file (up to 20 MB),
            # and a kept traceback would hold it until a full garbage collection.
            exc.__traceback__ = exc.__context__ = None
            failures.append((kind, exc))
            if not isinstance(exc, Notice):
                log.warning(
                    "part not checked",
                    extra={
                        "part": kind,
                        "error": type(exc).__name__,
                        "cause": str(exc),
                        "code": getattr(exc, "code", ""),
                        "status": getattr(exc, "status", 0),
                    },
                )

    await asyncio.gather(guarded("link", links), guarded("text", text), guarded("media", media))
    if failures and not checked.parts:
        worst = min((exc for _, exc in failures), key=_failure_rank)
        failures.clear()
        raise worst
    for kind, exc in failures:
        if isinstance(exc, Notice):
            checked.notes.append(exc.key)
        else:
            checked.failed.append(kind)
    return checked


def _failure_rank(exc: Notice | ServerError) -> int:
    """Which failure to tell when nothing could be checked: what the person can act on first."""
    if isinstance(exc, Notice):
        return 0
    if isinstance(exc, Refused) and exc.status == 429:
        return 1
    if isinstance(exc, ServerUnavailable):
        return 2
    return 3


# --- private chats ------------------------------------------------------------------------


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        await guard_message(update, context, message)
        return
    if chat.type != ChatType.PRIVATE:
        return
    await answer_check(
        update, context, message, parts_of(message, services(context).config.max_text_chars)
    )


async def answer_check(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, parts: Parts
) -> None:
    svc = services(context)
    lang = user_lang(svc, update)
    if parts.unsupported:
        await message.reply_text(t("unsupported", lang))
        return
    user = update.effective_user
    who = f"u:{user.id if user else message.chat_id}"
    wait = svc.per_user.take(who)
    if wait:
        await message.reply_text(t("slow_down", lang, seconds=wait))
        return
    # One check at a time each, in the order sent (a multi-select forward arrives as several
    # updates at once): a person cannot hold every handler slot, or the memory of many
    # downloads, while everyone else waits; past a few waiting they are told once.
    turn = svc.turns.setdefault(who, asyncio.Lock())
    queued = turn.locked() or bool(svc.waiting.get(who))
    if queued and svc.waiting.get(who, 0) >= CHECKS_WAITING:
        if who not in svc.told_busy:
            svc.told_busy.add(who)
            await message.reply_text(t("still_checking", lang))
        return
    svc.waiting[who] = svc.waiting.get(who, 0) + 1
    run = _in_turn(update, context, message, parts, lang, who, turn, queued=queued)
    if queued:
        # The wait for the turn happens in a task, not in this handler: PTB runs only
        # CONCURRENT_UPDATES handlers for everyone, and a few people's multi-select forwards
        # waiting in them would leave none for anyone else's /help or a moderator's button.
        context.application.create_task(run, update=update)
        return
    await run


async def _in_turn(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    parts: Parts,
    lang: str,
    who: str,
    turn: asyncio.Lock,
    *,
    queued: bool,
) -> None:
    """One check in the person's turn (``svc.waiting`` already counts it)."""
    svc = services(context)
    try:
        async with turn:
            svc.waiting[who] -= 1
            await _answer_check(update, context, message, parts, lang, quote=queued)
    finally:
        if not turn.locked() and not svc.waiting.get(who):
            svc.turns.pop(who, None)
            svc.waiting.pop(who, None)
            svc.told_busy.discard(who)


async def _answer_check(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    parts: Parts,
    lang: str,
    *,
    quote: bool = False,
) -> None:
    """``quote``: the check waited behind others, so its answer quotes the message it is for."""
    svc = services(context)
    if parts.media is not None:
        # "typing…" while the file downloads; not awaited, so it adds no round trip.
        context.application.create_task(
            context.bot.send_chat_action(message.chat_id, ChatAction.TYPING), update=update
        )
    try:
        checked = await check_parts(context, parts, lang, with_text=True)
    except Notice as notice:
        await message.reply_text(t(notice.key, lang))
        return
    except ServerUnavailable as exc:
        log.warning("server unavailable", extra={"error": type(exc).__name__, "cause": str(exc)})
        await message.reply_text(t("server_down", lang))
        return
    except Refused as exc:
        log.warning("server refused a check", extra={"code": exc.code, "status": exc.status})
        if exc.status == 429:
            await message.reply_text(t("slow_down", lang, seconds=exc.retry_after or 60))
        elif exc.status in (401, 403):
            # The bot's own key (wrong, revoked, or without the role): the operator's problem,
            # never the person's message.
            log.error(
                "the server refused the bot's API key: check FAKEWATCH_API_KEY",
                extra={"code": exc.code, "status": exc.status},
            )
            await message.reply_text(t("service_problem", lang))
        else:
            # Up and answering, but not taking this message: not "unreachable".
            await message.reply_text(t("check_refused", lang, code=exc.code or exc.status))
        return
    if not checked.parts:
        if checked.unchecked_links:
            await message.reply_text(t("links_unchecked", lang, count=checked.unchecked_links))
        elif checked.missing:
            await message.reply_text(t("feature_off", lang))
        else:
            await message.reply_text(t("nothing_to_check", lang))
        return
    checked.chat_id = message.chat_id
    checked.owner = user.id if (user := update.effective_user) else None
    ref = svc.recent.add(checked)
    sent = await message.reply_text(
        verdict_message(checked, lang), reply_markup=verdict_buttons(ref, lang), do_quote=quote
    )
    checked.message_id = sent.message_id
    # A check queued behind others can finish while the bot stops: its watch is not started then.
    if checked.verdict != "likely_scam" and context.application.running:
        context.application.create_task(_watch(svc, checked, message.chat_id), update=update)


def _watch_candidates(checked: Checked) -> list[dict[str, Any]]:
    """Links worth a retroactive alert, most doubtful first: not already a likely scam (the
    person was warned) and not unchecked."""
    order = {"suspicious": 0, "no_known_signals": 1}
    links = [p for p in checked.parts if p.kind == "link" and p.item and p.name in order]
    links.sort(key=lambda p: order[p.name])
    return [p.item for p in links if p.item][:WATCHES_PER_MESSAGE]


async def _watch(svc: Services, checked: Checked, chat_id: int) -> None:
    """Not (yet) known as a scam: ask the server to tell this chat if that changes.

    The server caps live subscriptions per API key, and every chat shares the bot's key: each
    chat gets a few per message and ``WATCHES_PER_CHAT`` live at once, a link is asked about
    once, and a full key pauses asking (logged as a warning) instead of failing on every check.
    """
    loop = asyncio.get_running_loop()
    if loop.time() < svc.watch_paused_until:
        return
    now = time.time()
    for item in _watch_candidates(checked):
        key = hashlib.sha256(str(item.get("value", "")).encode()).hexdigest()
        if not svc.state.reserve_watch(
            chat_id, key, now, now + WATCH_DAYS_UNSAID * 86400, WATCHES_PER_CHAT
        ):
            continue
        try:
            expires = await svc.client.watch(item, f"telegram:{chat_id}")
        except Refused as exc:
            svc.state.release_watch(chat_id, key)
            if exc.status == 429:
                wait = min(exc.retry_after or WATCH_PAUSE_S, WATCH_PAUSE_S)
                svc.watch_paused_until = loop.time() + wait
                log.warning(
                    "retroactive alerts paused: the server holds all this key's subscriptions",
                    extra={"code": exc.code, "retry_after": exc.retry_after, "pause_s": wait},
                )
            else:
                log.info(
                    "retroactive alert refused", extra={"code": exc.code, "status": exc.status}
                )
            return
        except ServerError as exc:
            svc.state.release_watch(chat_id, key)
            log.info("retroactive alert not set", extra={"error": type(exc).__name__})
            return
        if expires is not None:
            svc.state.watch_expires(chat_id, key, expires)


async def cmd_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    raw = " ".join(context.args or [])
    links = _bare_links(raw)
    if not links and re.fullmatch(r"[\w.-]+\.[a-z]{2,}(/\S*)?", raw.strip(), re.IGNORECASE):
        links = ["http://" + raw.strip()]  # "/check paypa1.com" means the site
    links, skipped, site_only = _capped(list(dict.fromkeys(links)))
    text, cut = _fit_text(raw, services(context).config.max_text_chars)
    parts = Parts(links, text, None, False, skipped, site_only, cut)
    if not raw.strip():
        await message.reply_text(t("nothing_to_check", user_lang(services(context), update)))
        return
    if links and raw.strip() in (links[0], links[0].removeprefix("http://")):
        parts.text = ""
    await answer_check(update, context, message, parts)


# --- buttons under a verdict --------------------------------------------------------------


async def on_verdict_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services(context)
    shown_in = query.message
    group = shown_in is not None and shown_in.chat.type != ChatType.PRIVATE
    # Under the guard's warning, the group's language: the reasons were asked for in it.
    lang = group_lang(svc, shown_in.chat.id) if group and shown_in else user_lang(svc, update)
    action, _, ref = query.data.partition(":")
    checked = svc.recent.get(ref)
    if (
        checked is None
        or shown_in is None
        or shown_in.chat.id != checked.chat_id
        or (checked.message_id is not None and shown_in.message_id != checked.message_id)
    ):
        # Unknown, expired, or a ref pressed under a message it was never shown with.
        await query.answer(t("expired", lang), show_alert=True)
        return
    wait = svc.per_button.take(f"b:{query.from_user.id}")
    if wait:
        await query.answer(t("slow_down", lang, seconds=wait), show_alert=True)
        return
    if action in ("r", "f") and query.from_user.id != checked.owner:
        # Report and feedback belong to the person who asked, in their private chat.
        await query.answer(t("not_your_check", lang), show_alert=True)
        return
    if action == "w":
        if shown_in.chat.type != ChatType.PRIVATE:
            if checked.why_posted:
                # Once in the group is enough; more presses must not flood it.
                await query.answer(t("why_above", lang), show_alert=True)
                return
            checked.why_posted = True
        await query.answer()
        await context.bot.send_message(
            shown_in.chat.id, verdict_message(checked, lang, all_reasons=True)
        )
    elif action == "f":
        if not checked.feedback_given:
            checked.feedback_given = True
            svc.feedback[checked.verdict] = svc.feedback.get(checked.verdict, 0) + 1
        await query.answer(t("feedback_thanks", lang), show_alert=True)
    elif action == "r":
        if checked.reported:
            await query.answer(t("already_reported", lang), show_alert=True)
            return
        checked.reported = True  # before the first await: a double tap files once
        await query.answer()
        # The parts behind the warning, not the message's first link: a scam that opens with
        # a well-known site must not aim every victim's report at that site.
        case_ids: list[str] = []
        for part in checked.to_report():
            if part.kind == "media" and checked.media is not None:
                case_id = await _report_media(context, checked.media, query.from_user.id)
            elif part.item is not None:
                case_id = await _report(svc, [part.item], query.from_user.id, "other", {})
            else:
                continue
            if case_id is not None:
                case_ids.append(case_id)
        words = _report_words(", ".join(case_ids) if case_ids else None, lang)
        await context.bot.send_message(query.from_user.id, words)


async def _report_media(
    context: ContextTypes.DEFAULT_TYPE,
    media: Media,
    user_id: int,
    category: str = "other",
    extra: dict[str, Any] | None = None,
) -> str | None:
    """Report a picture or video: fetched again from Telegram, sent with the report.

    The server keeps the file itself only when ``consent.keep_media`` says so; otherwise it
    keeps the fingerprints (hashes) and drops the bytes.
    """
    svc = services(context)
    report = {
        "kind": "media",
        "category": category,
        "reporter": f"telegram:{user_id}",
        **(extra or {}),
    }
    try:
        async with svc.media_slots.turn():
            payload = await _download(context, media)
            result = await svc.client.report_media(
                report, payload, media.filename, media.content_type
            )
            del payload
    except (Notice, ServerError) as exc:
        _log_failure("media report failed", exc)
        return None
    return str(result.get("case_id", result.get("id", "?")))


async def _report(
    svc: Services,
    items: list[dict[str, Any]],
    user_id: int,
    category: str,
    extra: dict[str, Any],
) -> str | None:
    """Send one report; the case id, or ``None`` when it could not be sent."""
    if not items:
        return None
    body = {**items[0], "category": category, "reporter": f"telegram:{user_id}", **extra}
    try:
        result = await svc.client.report(body)
    except ServerError as exc:
        _log_failure("report failed", exc)
        return None
    return str(result.get("case_id", result.get("id", "?")))


def _log_failure(what: str, exc: Exception) -> None:
    """A refused key is the operator's to fix (an error), anything else a warning."""
    status = exc.status if isinstance(exc, Refused) else 0
    extra = {"error": type(exc).__name__, "code": getattr(exc, "code", ""), "status": status}
    if status in (401, 403):
        log.error(what + ": the server refused the bot's API key (FAKEWATCH_API_KEY)", extra=extra)
    else:
        log.warning(what, extra=extra)


def _report_words(case_id: str | None, lang: str) -> str:
    return t("report_failed", lang) if case_id is None else t("reported", lang, case_id=case_id)


# --- /report: what, where, category, consent ---------------------------------------------

WHAT, WHERE, CATEGORY, KEEP, CONSENT = range(5)
#: What the first /report step accepts: a link or message, or the picture or video itself.
REPORTABLE = (
    (filters.TEXT & ~filters.COMMAND)
    | filters.PHOTO
    | filters.VIDEO
    | filters.ANIMATION
    | filters.Document.IMAGE
    | filters.Document.VIDEO
)


#: A state callback's answer meaning "not mine after all": the flow ends and the update goes
#: on to the ordinary handlers (a command runs, a forward or link is checked).
PASS_ON = -10


def _consumes(
    callback: Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[int]],
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, int]]:
    """The /report flow runs in a handler group before the others: what it takes, it stops
    (``ApplicationHandlerStop``); what it passes on, the other handlers answer."""

    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        state = await callback(update, context)
        if state == PASS_ON:
            return ConversationHandler.END
        raise ApplicationHandlerStop(state)

    return run


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    return cast(dict[str, Any], context.user_data)


def _report_live(context: ContextTypes.DEFAULT_TYPE) -> bool:
    """The person's /report is still waiting for them (not timed out, not ended)."""
    draft = _draft(context)
    started = draft.get("started")
    return isinstance(started, float) and (
        time.monotonic() - started < services(context).report_timeout_s
    )


def _end_report(context: ContextTypes.DEFAULT_TYPE, user_id: int | None) -> None:
    _draft(context).clear()
    timer = services(context).report_timers.pop(user_id, None) if user_id else None
    if timer is not None:
        timer.cancel()


def _arm_report_timer(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, chat_id: int, lang: str
) -> None:
    """Ten minutes without an answer end the report, said out loud: the person's next
    forward must get a verdict, not be taken as the answer to an old question."""
    svc = services(context)
    _end_report(context, user_id)
    token = secrets.token_hex(8)
    _draft(context).update(token=token, started=time.monotonic())
    application = context.application

    def expire() -> None:
        svc.report_timers.pop(user_id, None)
        data = application.user_data.get(user_id)
        if not data or data.get("token") != token:
            return
        data.clear()
        application.create_task(_say_timed_out(context, chat_id, lang))

    svc.report_timers[user_id] = asyncio.get_running_loop().call_later(svc.report_timeout_s, expire)


async def _say_timed_out(context: ContextTypes.DEFAULT_TYPE, chat_id: int, lang: str) -> None:
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(chat_id, t("report_timed_out", lang))


async def report_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    lang = user_lang(services(context), update)
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return ConversationHandler.END
    _arm_report_timer(context, user.id, message.chat_id, lang)
    await message.reply_text(t("report_what", lang))
    return WHAT


async def report_what(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    assert message is not None
    if not _report_live(context):
        _end_report(context, _user_id(message))
        return PASS_ON  # the report timed out: this is something to check
    links = _links(message)
    draft = _draft(context)
    media = _media(message)
    if media is not None and media.size is not None and media.size > TELEGRAM_DOWNLOAD_LIMIT:
        # Said now, not after four more questions: bots cannot fetch files this large.
        await message.reply_text(t("too_big", user_lang(services(context), update)))
        return WHAT
    if media is not None:
        draft["media"] = media
        draft["item"] = {"kind": "media"}
    elif links:
        draft["item"] = {"kind": "link", "value": links[0]}
    else:
        draft["item"] = {"kind": "text", "value": (message.text or "")[:REPORT_TEXT]}
    await message.reply_text(t("report_where", user_lang(services(context), update)))
    return WHERE


async def report_where(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    message = update.effective_message
    assert message is not None
    lang = user_lang(services(context), update)
    if not _report_live(context):
        _end_report(context, _user_id(message))
        return PASS_ON
    if message.forward_origin is not None or _media(message) is not None:
        # A forward or a picture is not "where I saw it": the person moved on to something they
        # want checked. It gets its verdict; the unfinished report is dropped, and said so.
        # Typed text is the answer even with a link in it: the group's or page's link is the
        # best answer to "where".
        _end_report(context, _user_id(message))
        await message.reply_text(t("report_left", lang))
        return PASS_ON
    draft = _draft(context)
    draft["where"] = (message.text or "")[:100]
    seen_links = _links(message)
    if seen_links:
        draft["where_url"] = seen_links[0][:2000]
    rows = [
        [InlineKeyboardButton(t(f"category.{c}", lang), callback_data=f"c:{c}")] for c in CATEGORIES
    ]
    await message.reply_text(t("report_category", lang), reply_markup=InlineKeyboardMarkup(rows))
    return CATEGORY


async def _stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A button of a report that timed out or ended."""
    query = update.callback_query
    assert query is not None
    _end_report(context, query.from_user.id)
    await query.answer(t("report_timed_out", user_lang(services(context), update)), show_alert=True)
    return ConversationHandler.END


async def report_category(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _report_live(context):
        return await _stale_button(update, context)
    await query.answer()
    category = query.data.removeprefix("c:")
    _draft(context)["category"] = category if category in CATEGORIES else "other"
    lang = user_lang(services(context), update)
    if "media" in _draft(context):
        buttons = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(t("yes_keep", lang), callback_data="keep:yes")],
                [InlineKeyboardButton(t("no_keep", lang), callback_data="keep:no")],
            ]
        )
        await context.bot.send_message(
            query.from_user.id, t("report_keep", lang), reply_markup=buttons
        )
        return KEEP
    await _ask_consent(context, query.from_user.id, lang)
    return CONSENT


async def report_keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Media only: may the moderators keep the file, or only its fingerprints?"""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _report_live(context):
        return await _stale_button(update, context)
    await query.answer()
    _draft(context)["keep_media"] = query.data == "keep:yes"
    await _ask_consent(context, query.from_user.id, user_lang(services(context), update))
    return CONSENT


async def _ask_consent(context: ContextTypes.DEFAULT_TYPE, user_id: int, lang: str) -> None:
    buttons = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t("yes_share", lang), callback_data="k:yes")],
            [InlineKeyboardButton(t("no_share", lang), callback_data="k:no")],
        ]
    )
    await context.bot.send_message(user_id, t("report_consent", lang), reply_markup=buttons)


async def report_consent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    query = update.callback_query
    assert query is not None and query.data is not None
    # Take the draft before the first await: updates run concurrently, and a second tap on
    # the same buttons must find nothing to send (one report, not two).
    live = _report_live(context)
    draft = dict(_draft(context))
    _end_report(context, query.from_user.id)
    if "item" not in draft:
        await query.answer()
        return ConversationHandler.END
    if not live:
        draft.clear()
        return await _stale_button(update, context)
    await query.answer()
    svc = services(context)
    lang = user_lang(svc, update)
    consent = {"share_with_authorities": query.data == "k:yes"}
    extra: dict[str, Any] = {"consent": consent}
    if draft.get("where"):
        extra["seen_on"] = {"platform": draft["where"]}
        if draft.get("where_url"):
            extra["seen_on"]["url"] = draft["where_url"]
    category = draft.get("category", "other")
    media = draft.get("media")
    if isinstance(media, Media):
        consent["keep_media"] = bool(draft.get("keep_media"))
        case_id = await _report_media(context, media, query.from_user.id, category, extra)
    else:
        case_id = await _report(svc, [draft["item"]], query.from_user.id, category, extra)
    await context.bot.send_message(query.from_user.id, _report_words(case_id, lang))
    return ConversationHandler.END


async def report_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    _end_report(context, update.effective_user.id if update.effective_user else None)
    if update.effective_message:
        await update.effective_message.reply_text(
            t("report_cancelled", user_lang(services(context), update))
        )
    return ConversationHandler.END


async def report_other_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Another command in the middle of a report: the report ends (said so), then the command
    runs as it would have."""
    await report_cancel(update, context)
    return PASS_ON


async def cmd_report_elsewhere(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report outside a private chat (the flow asks for the item and consent privately)."""
    await cmd_text(update, context, "private_only")


async def cmd_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "nothing_to_cancel")


async def cmd_unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "unknown_command")


# --- simple commands ----------------------------------------------------------------------


async def cmd_text(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(t(key, user_lang(services(context), update)))


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "start")


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "help")


async def cmd_privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await cmd_text(update, context, "privacy")


async def cmd_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    wanted = {code.lower(): code for code in LANGS}
    arg = (context.args or [""])[0].lower().replace("_", "-")
    aliases = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant"}
    chosen = wanted.get(arg) or aliases.get(arg)
    if chosen:
        if not await _may_change_group(update, context, user_lang(svc, update)):
            return
        svc.state.set_lang(chat.id, chosen)
        await message.reply_text(t("lang_set", chosen))
        return
    rows = [[InlineKeyboardButton(LANG_NAMES[c], callback_data=f"l:{c}")] for c in LANGS]
    await message.reply_text(
        t("lang_choose", user_lang(svc, update)), reply_markup=InlineKeyboardMarkup(rows)
    )


async def on_lang_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    chosen = query.data.removeprefix("l:")
    if chosen not in LANGS:
        await query.answer()
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and not await _is_admin(
        context, chat.id, query.from_user.id
    ):
        lang = user_lang(services(context), update)
        await query.answer(t("group_admins_only", lang), show_alert=True)
        return
    services(context).state.set_lang(chat.id, chosen)
    await query.answer()
    await context.bot.send_message(chat.id, t("lang_set", chosen))


async def cmd_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _subscription(update, context, True)


async def cmd_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _subscription(update, context, False)


async def _subscription(update: Update, context: ContextTypes.DEFAULT_TYPE, on: bool) -> None:
    svc = services(context)
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    lang = user_lang(svc, update)
    if not await _may_change_group(update, context, lang):
        return
    svc.state.set_subscribed(chat.id, on, lang)
    await update.effective_message.reply_text(t("subscribed" if on else "unsubscribed", lang))


async def cmd_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    lang = user_lang(svc, update)
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(t("private_only", lang))
        return
    try:
        code = await svc.client.relay_code(chat.id)
    except FeatureMissing:
        await message.reply_text(t("feature_off", lang))
        return
    except ServerError:
        await message.reply_text(t("server_down_action", lang))
        return
    await message.reply_text(t("link_code", lang, code=code["code"]))


async def cmd_unlink(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    lang = user_lang(svc, update)
    try:
        count = await svc.client.relay_unlink(chat.id)
    except FeatureMissing:
        await message.reply_text(t("feature_off", lang))
        return
    except ServerError:
        await message.reply_text(t("server_down_action", lang))
        return
    await message.reply_text(
        t("unlinked", lang, count=count) if count else t("unlinked_none", lang)
    )


# --- groups -------------------------------------------------------------------------------


async def _may_change_group(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    lang: str,
    refusal: str = "group_admins_only",
) -> bool:
    """In a group only its admins change what the bot does for everyone (alerts, language);
    anyone may in a private chat. Says so to a member who may not."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return True
    if message is not None and message.sender_chat is not None:
        # An admin posting anonymously speaks as the group itself (from GroupAnonymousBot);
        # only admins can. A linked channel's post is not an admin's command.
        return message.sender_chat.id == chat.id
    if user is not None and await _is_admin(context, chat.id, user.id):
        _note_admin_lang(services(context), update)
        return True
    if message is not None:
        await message.reply_text(t(refusal, lang))
    return False


def _user_id(message: Message) -> int:
    return message.from_user.id if message.from_user else 0


async def _is_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def bot_is_admin(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> bool:
    svc = services(context)
    cached = svc.bot_admin.get(chat_id)
    now = asyncio.get_running_loop().time()
    if cached is not None and now - cached[1] < ADMIN_CACHE_S:
        return cached[0]
    admin = await _is_admin(context, chat_id, context.bot.id)
    svc.bot_admin[chat_id] = (admin, now)
    return admin


async def on_my_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Promoted, demoted, added or removed: remember it without asking Telegram again."""
    change = update.my_chat_member
    if change is None:
        return
    admin = change.new_chat_member.status in (
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    )
    svc = services(context)
    svc.bot_admin[change.chat.id] = (admin, asyncio.get_running_loop().time())
    if admin and change.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        # Whoever made the bot an admin set it up for this group: their language is the
        # group's until someone types /lang.
        svc.state.note_seen_lang(change.chat.id, lang_from_telegram(change.from_user.language_code))


async def guard_message(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message
) -> None:
    """Check links and media posted in a group; warn (or delete) on ``likely_scam``.

    Only links and media are sent to the server: people's conversation in a group is not ours
    to send anywhere.
    """
    svc = services(context)
    chat_id = message.chat_id
    mode = svc.state.guard(chat_id)
    if mode == "off":
        return
    parts = parts_of(message, svc.config.max_text_chars)
    if not parts.links and parts.media is None and not parts.skipped_links:
        _heard(svc, chat_id, message)
        return
    if not await bot_is_admin(context, chat_id):
        return
    lang = group_lang(svc, chat_id)
    sender = message.sender_chat.id if message.sender_chat else _user_id(message)
    who = f"g:{chat_id}:{sender}"
    busy = svc.guard_in_flight.get(who, 0) >= GUARD_IN_FLIGHT_PER_SENDER
    if busy or svc.per_sender.take(who) or svc.per_group.take(f"g:{chat_id}"):
        log.info("guard rate limit", extra={"chat_id": chat_id})
        if not svc.notices.take(f"g:{chat_id}"):
            # Unchecked is said out loud: a flood is exactly when a scam link slips in.
            with contextlib.suppress(TelegramError):
                await message.reply_text(t("guard_unchecked", lang))
        return
    svc.guard_in_flight[who] = svc.guard_in_flight.get(who, 0) + 1
    try:
        checked = await check_parts(context, parts, lang, with_text=False)
    except (Notice, ServerError) as exc:
        log.info("guard could not check", extra={"chat_id": chat_id, "error": type(exc).__name__})
        busy_media = isinstance(exc, Notice) and exc.key == "media_busy"
        if busy_media and not svc.notices.take(f"g:{chat_id}"):
            with contextlib.suppress(TelegramError):
                await message.reply_text(t("guard_media_busy", lang))
        return
    finally:
        svc.guard_in_flight[who] -= 1
        if not svc.guard_in_flight[who]:
            del svc.guard_in_flight[who]
    if checked.verdict != "likely_scam":
        _heard(svc, chat_id, message)
        if checked.unchecked_links and not svc.notices.take(f"g:{chat_id}"):
            # Padding a message with links must not buy silence for the one past the cap, nor
            # may it make the bot noisy: the group's one notice a minute, like the others.
            with contextlib.suppress(TelegramError):
                await message.reply_text(
                    t("guard_links_unchecked", lang, count=checked.unchecked_links)
                )
        return
    worst = checked.worst
    summary = defang(str(worst.verdict.get("summary", ""))) if worst else ""
    if mode == "delete":
        try:
            await message.delete()
            # The sender's name is not repeated: a scammer picks it ("Support: t.me/...").
            await context.bot.send_message(chat_id, t("guard_deleted", lang))
            return
        except (BadRequest, Forbidden):
            pass  # no right to delete here: warn instead
    checked.chat_id = chat_id
    ref = svc.recent.add(checked)
    sent = await message.reply_text(
        t("guard_warning", lang) + ("\n" + summary if summary else ""),
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(t("btn.why", lang), callback_data=f"w:{ref}")]]
        ),
    )
    checked.message_id = sent.message_id


def _heard(svc: Services, chat_id: int, message: Message) -> None:
    """A member's message that was not flagged: while no admin was seen, the group reads
    their language."""
    user = message.from_user
    if user is None or user.is_bot or not user.language_code:
        return
    svc.state.note_seen_lang_if_unset(chat_id, lang_from_telegram(user.language_code))


async def cmd_guard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    lang = user_lang(svc, update)
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await message.reply_text(t("groups_only", lang))
        return
    arg = (context.args or [""])[0].lower()
    if arg in GUARD_MODES:
        # The same rule as /subscribe and /lang: admins, including one posting anonymously.
        if not await _may_change_group(update, context, lang, "guard_admins_only"):
            return
        svc.state.set_guard(chat.id, arg)
    mode = svc.state.guard(chat.id)
    await message.reply_text(t("guard_status", lang, mode=t(f"guard.{mode}", lang)))


# --- moderators ---------------------------------------------------------------------------


def case_buttons(case_id: int, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("btn.confirm", lang), callback_data=f"m:confirm:{case_id}"),
                InlineKeyboardButton(t("btn.reject", lang), callback_data=f"m:reject:{case_id}"),
            ]
        ]
    )


async def on_moderator_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = services(context)
    lang = user_lang(svc, update)
    if query.from_user.id not in svc.config.moderator_ids:
        await query.answer(t("not_moderator", lang), show_alert=True)
        return
    _, action, raw_id = [*query.data.split(":", 2), "", ""][:3]
    if action not in ("confirm", "reject") or not raw_id.isdigit():
        await query.answer()
        return
    case_id = int(raw_id)
    decided = False
    decided_as = ""
    try:
        # The card was shown for a pending case (``cases_once`` shows only those): a second
        # moderator's stale button must not reverse the first one's decision.
        await svc.client.decide_case(
            case_id,
            action,
            f"via Telegram by moderator {query.from_user.id}",
            expect_status="pending",
            lang=lang,
        )
        words = t("mod_done", lang, case_id=case_id, action=t(f"mod.{action}", lang))
        decided = True
    except Refused as exc:
        words = _mod_refusal(exc, case_id, lang)
        status = str(exc.body.get("case_status") or "")
        if exc.code == "case_state" and f"status.{status}" in T:
            decided_as = f"status:{status}"  # decided elsewhere (another chat, the web page)
    except FeatureMissing:
        words = t("feature_off", lang)
    except ServerUnavailable:
        words = t("server_down_action", lang)
    await query.answer()
    shown = query.message if isinstance(query.message, Message) else None
    if shown is not None:
        await shown.edit_text(((shown.text or "") + "\n\n" + words).strip())
    if decided:
        await _tell_other_moderators(context, case_id, f"action:{action}", shown)
    elif decided_as:
        await _tell_other_moderators(context, case_id, decided_as, shown)


def _mod_refusal(exc: Refused, case_id: int, lang: str) -> str:
    """Why a moderator's button did nothing, in a sentence (never a bare code)."""
    if exc.code == "case_state":
        status = str(exc.body.get("case_status") or "")
        if f"status.{status}" in T:
            return t("mod_already", lang, case_id=case_id, status=t(f"status.{status}", lang))
    if exc.status == 404:
        return t("mod_gone", lang, case_id=case_id)
    if exc.status in (401, 403):
        log.error(
            "the server refused the bot's key for moderation: check FAKEWATCH_API_KEY",
            extra={"code": exc.code, "status": exc.status},
        )
        return t("mod_key", lang, case_id=case_id)
    return t("mod_failed", lang, case_id=case_id, why=exc.message or exc.code or exc.status)


async def _tell_other_moderators(
    context: ContextTypes.DEFAULT_TYPE, case_id: int, outcome: str, shown: Message | None
) -> None:
    """Every other moderator's card for this case says it was decided (``action:confirm``: by
    a moderator here; ``status:rejected``: found so, decided elsewhere) and loses its buttons."""
    how, _, what = outcome.partition(":")
    for chat_id, message_id, lang, text in services(context).mod_cards.pop(case_id):
        if shown is not None and (chat_id, message_id) == (shown.chat_id, shown.message_id):
            continue
        if how == "action":
            words = t("mod_by_other", lang, case_id=case_id, action=t(f"mod.{what}", lang))
        else:
            words = t("mod_now", lang, case_id=case_id, status=t(f"status.{what}", lang))
        with contextlib.suppress(TelegramError):
            await context.bot.edit_message_text(text + "\n\n" + words, chat_id, message_id)


# --- errors -------------------------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed, never what was in the update (it may be a victim's message)."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler failed",
        extra={
            "update_id": update_id,
            "error": type(context.error).__name__,
            # Telegram's own words ("Forbidden: bot was blocked by the user"), never ours.
            "cause": str(context.error)[:300] if isinstance(context.error, TelegramError) else "",
        },
        exc_info=context.error if not isinstance(context.error, TelegramError) else None,
    )


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler (order matters: the first match in a group wins)."""
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        # PTB warns that button presses are tracked per chat and user, not per message:
        # that is what a short guided conversation wants.
        warnings.simplefilter("ignore")
        report = ConversationHandler(
            entry_points=[CommandHandler("report", _consumes(report_start), filters=private)],
            states={
                WHAT: [MessageHandler(REPORTABLE, _consumes(report_what))],
                WHERE: [MessageHandler(filters.TEXT & ~filters.COMMAND, _consumes(report_where))],
                CATEGORY: [CallbackQueryHandler(_consumes(report_category), pattern=r"^c:")],
                KEEP: [CallbackQueryHandler(_consumes(report_keep), pattern=r"^keep:(yes|no)$")],
                CONSENT: [CallbackQueryHandler(_consumes(report_consent), pattern=r"^k:")],
            },
            fallbacks=[
                CommandHandler("cancel", _consumes(report_cancel)),
                MessageHandler(filters.COMMAND, _consumes(report_other_command)),
            ],
            per_message=False,
            # /report again starts afresh instead of being taken as "another command".
            allow_reentry=True,
        )
    # A group of its own, before the others: an update the flow does not take (or passes on:
    # another command, a forward to check) reaches the ordinary handlers below.
    application.add_handler(report, group=-1)
    for name, callback in (
        ("start", cmd_start),
        ("help", cmd_help),
        ("privacy", cmd_privacy),
        ("check", cmd_check),
        ("lang", cmd_lang),
        ("subscribe", cmd_subscribe),
        ("unsubscribe", cmd_unsubscribe),
        ("link", cmd_link),
        ("unlink", cmd_unlink),
        ("guard", cmd_guard),
        ("report", cmd_report_elsewhere),
        ("cancel", cmd_cancel),
    ):
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(CallbackQueryHandler(on_verdict_button, pattern=r"^[rfw]:"))
    application.add_handler(CallbackQueryHandler(on_lang_button, pattern=r"^l:"))
    application.add_handler(CallbackQueryHandler(on_moderator_button, pattern=r"^m:"))
    application.add_handler(ChatMemberHandler(on_my_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(
        MessageHandler(
            (filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE) & ~filters.COMMAND,
            on_message,
        )
    )
    # Last: a command nobody above knows gets an answer in private (in a group it may be
    # another bot's).
    application.add_handler(
        MessageHandler(filters.COMMAND & private & filters.UpdateType.MESSAGE, cmd_unknown)
    )
    application.add_error_handler(on_error)
