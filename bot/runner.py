"""The running bot: PTB's Application plus the loops that push things to chats.

``BotRunner`` is used the same way by ``fakewatch bot`` and by the tests::

    async with BotRunner(settings) as runner:   # long polling starts
        ...                                     # updates are handled, loops run
                                                # stopped and cleaned up on exit

The loops poll the server: new alerts (fanned out through the outbox at Telegram's pace;
a confirmation tells that case's reporters, ``bot.outcomes``), the decisions on the cases the
bot's users reported (``bot.outcomes``), new moderation cases (to moderators, with Confirm /
Reject) and relay items from linked browsers. A loop that fails logs the error type and tries
again; none of them ever stops the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.error import Forbidden
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot import handlers
from bot.api import (
    KEY_SETTING,
    ROLE_NEEDED,
    FeatureMissing,
    KeyRefused,
    ServerClient,
    ServerError,
)
from bot.config import BotConfig
from bot.delivery import Pacer, drain_outbox, send_paced
from bot.flood import PACED, FloodRetry
from bot.outcomes import confirmed_by_alert, poll_outcomes
from bot.render import Checked, Part, alert_message, defang, part_name, verdict_message
from bot.state import BotState
from bot.texts import T, t
from server.settings import Settings, SettingsError

log = logging.getLogger("fakewatch.bot")

#: Updates handled at once: media checks wait on the server, so several may be in flight.
CONCURRENT_UPDATES = 16


@dataclass(frozen=True)
class Intervals:
    """How often each loop asks the server (tests make them short)."""

    alerts_s: float = 10.0
    cases_s: float = 15.0
    relay_s: float = 3.0
    #: How often the undecided cases the bot's users reported are asked about (a few per round:
    #: ``bot.outcomes.OUTCOME_BATCH``); confirmations arrive sooner, with the alerts.
    outcomes_s: float = 60.0
    #: Telegram's long-poll timeout for getUpdates.
    poll_timeout_s: int = 30
    #: After a 404 (the server lacks the feature), ask again this much later.
    missing_s: float = 300.0
    #: After the server refused the bot's key (401/403; logged as an error each time): the key
    #: was revoked, or the server was down when the bot started and could not check it.
    key_refused_s: float = 60.0


class BotRunner:
    def __init__(self, settings: Settings, intervals: Intervals = Intervals()) -> None:
        self.config = BotConfig.from_settings(settings)
        self.intervals = intervals
        self.client = ServerClient(self.config.server_url, self.config.api_key)
        self.state = BotState(self.config.state_path)
        self.pacer = Pacer()
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(self.config.token)
            .base_url(f"{self.config.api_url}/bot")
            .base_file_url(f"{self.config.api_url}/file/bot")
            .concurrent_updates(CONCURRENT_UPDATES)
            # No link previews on anything the bot sends: a warning that names a scam page
            # must not have Telegram fetch it and show its picture under the warning.
            .defaults(Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)))
            .rate_limiter(FloodRetry(self.pacer))
            .build()
        )
        self.services = handlers.Services(self.config, self.client, self.state, self.pacer)
        self.application.bot_data["services"] = self.services
        handlers.install(self.application)
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> BotRunner:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Check the key, then start Telegram's updates and the loops. ``SettingsError`` (the
        bot does not start) when the server refuses the key."""
        await self.client.open()
        try:
            await self._check_key()
        except BaseException:
            await self.client.close()
            self.state.close()
            raise
        await self.application.initialize()
        assert self.application.updater is not None
        if self.config.webhook_url:
            host, port = self.config.webhook_listen
            await self.application.updater.start_webhook(
                listen=host,
                port=port,
                url_path=urlsplit(self.config.webhook_url).path.lstrip("/"),
                webhook_url=self.config.webhook_url,
                allowed_updates=Update.ALL_TYPES,
                secret_token=self.config.webhook_secret,
            )
        else:
            await self.application.updater.start_polling(
                timeout=self.intervals.poll_timeout_s, allowed_updates=Update.ALL_TYPES
            )
        await self.application.start()
        loops: list[tuple[str, Callable[[], Awaitable[float]]]] = [
            ("alerts", self.alerts_once),
            ("relay", self.relay_once),
            ("outcomes", self.outcomes_once),
        ]
        if self.config.moderator_ids:
            loops.append(("cases", self.cases_once))
        self._tasks = [asyncio.create_task(self._loop(name, fn)) for name, fn in loops]
        log.info("bot started", extra={"moderators": len(self.config.moderator_ids)})

    async def _check_key(self) -> None:
        """Ask the server once whether it takes the bot's key for what the bot does: a wrong
        key or a client key must not start a bot that tells everyone "the server is down". A
        server that does not answer now is waited for, as before (the loops and the checks log
        a refused key as an error once it answers)."""
        try:
            await self.client.check_key()
        except KeyRefused as exc:
            raise SettingsError(
                f"{KEY_SETTING} was refused by the server at {self.config.server_url}: "
                f"{exc.status} {exc.code}, {exc.why}. The bot needs a {ROLE_NEEDED} key: "
                f"create one with `fakewatch keys create --role {ROLE_NEEDED} "
                f"--label telegram-bot` and set {KEY_SETTING} to it."
            ) from None
        except ServerError as exc:
            log.warning(
                "the server did not answer the key check: starting, and waiting for it",
                extra={"error": type(exc).__name__, "cause": str(exc)},
            )

    async def stop(self) -> None:
        for timer in self.services.report_timers.values():
            timer.cancel()
        self.services.report_timers.clear()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            if self.application.updater is not None and self.application.updater.running:
                await self.application.updater.stop()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        finally:
            await self.client.close()
            self.state.close()

    async def _loop(self, name: str, once: Callable[[], Awaitable[float]]) -> None:
        while True:
            try:
                delay = await once()
            except FeatureMissing:
                delay = self.intervals.missing_s
            except KeyRefused as exc:
                # Not an outage: the operator must change the key. Said as an error, each time.
                handlers.log_key_refused(exc, f"{name} loop")
                delay = self.intervals.key_refused_s
            except ServerError as exc:
                log.info("loop waits for the server", extra={"loop": name, "error": str(exc)})
                delay = max(self.intervals.alerts_s, 5.0)
            except Exception as exc:  # a bug must not stop deliveries for good
                log.exception("loop failed", extra={"loop": name, "error": type(exc).__name__})
                delay = 30.0
            await asyncio.sleep(delay)

    async def _send(self, chat_id: int, text: str, url: str) -> None:
        await self.application.bot.send_message(chat_id, text, rate_limit_args=PACED)

    # --- alerts -----------------------------------------------------------------------------

    async def alerts_once(self) -> float:
        """Queue new alerts for every subscriber, then drain the outbox at Telegram's pace."""
        state = self.state
        cursor = state.get("alerts_cursor", "")
        first_run = state.get("alerts_started") == ""
        while True:
            alerts, next_cursor = await self.client.alerts(cursor)
            if not alerts:
                break
            if first_run:
                # Alerts from before the bot existed are history, not news.
                cursor = next_cursor
                state.put("alerts_cursor", cursor)
                continue
            for alert in alerts:
                alert_id = int(alert.get("id", 0))
                subscriber = str(alert.get("subscriber") or "")
                targets = _targeted(subscriber, state) if subscriber else state.subscribers()
                # The case's reporters are told their report was confirmed (queued now), and
                # read that instead of the generic alert.
                reporters = confirmed_by_alert(state, alert, time.time())
                targets = [target for target in targets if target[0] not in reporters]
                texts: dict[str, str] = {}
                for lang in {lang for _, lang in targets}:
                    # Traditional Chinese is converted with OpenCC's tables: off the loop.
                    texts[lang] = (
                        await asyncio.to_thread(alert_message, alert, lang)
                        if lang == "zh-Hant"
                        else alert_message(alert, lang)
                    )
                url = str(alert.get("verdict_url", ""))
                messages = [(chat_id, texts[lang], url) for chat_id, lang in targets]
                case_id = alert.get("case_id")
                # A chat subscribed to everything that also watched this item gets the case once.
                state.queue_alert(
                    alert_id,
                    messages,
                    str(alert_id),
                    case_id=case_id if isinstance(case_id, int) else None,
                    now=time.time(),
                )
            cursor = next_cursor
            state.put("alerts_cursor", cursor)
        if first_run:
            state.put("alerts_started", datetime.now(UTC).isoformat())
        if state.outbox_size():
            sent, gone = await drain_outbox(state, self.pacer, self._send)
            log.info("alerts delivered", extra={"sent": sent, "gone": gone})
        return self.intervals.alerts_s

    # --- what became of people's reports -----------------------------------------------------

    async def outcomes_once(self) -> float:
        """Ask about the undecided cases the bot's users reported; decisions are queued in the
        outbox, which the alerts loop drains (one drainer: no row is sent twice)."""
        await poll_outcomes(self.client, self.state, self.config.server_url)
        return self.intervals.outcomes_s

    # --- moderation -------------------------------------------------------------------------

    async def cases_once(self) -> float:
        cases = await self.client.pending_cases()
        by_id = {int(c["id"]): c for c in cases if isinstance(c.get("id"), int)}
        for case_id in self.state.unseen_cases(by_id):
            case = by_id[case_id]
            evidence: dict[str, list[str]] = {}
            for moderator in sorted(self.config.moderator_ids):
                lang = self.state.reply_lang(moderator)
                if lang not in evidence:
                    evidence[lang] = await self._case_evidence(case, lang)
                text = "\n".join([case_card(case, lang), *evidence[lang]])[:3900]
                await self.pacer.slot(moderator)
                try:
                    sent = await self.application.bot.send_message(
                        moderator,
                        text,
                        reply_markup=handlers.case_buttons(case_id, lang),
                        rate_limit_args=PACED,
                    )
                except Forbidden:
                    log.warning("moderator has not started the bot", extra={"user": moderator})
                    continue
                # Kept in memory only (the card quotes the reported item): when one moderator
                # decides, the others' cards say so and lose their buttons.
                self.services.mod_cards.add(case_id, moderator, sent.message_id, lang, text)
            self.state.mark_shown(case_id, datetime.now(UTC).isoformat())
        return self.intervals.cases_s

    async def _case_evidence(self, case: dict[str, Any], lang: str) -> list[str]:
        """What a moderator needs beside the item: the automatic verdict now, its first reason,
        and what the first reporter said. Best effort: the card goes out without it."""
        lines: list[str] = []
        kind, key = str(case.get("kind", "")), str(case.get("key") or "")
        try:
            verdict: dict[str, Any] | None = None
            if kind == "link" and key:
                url = ("http://" if "/" in key else "https://") + key
                verdict = (await self.client.check_links([url], lang))[0]
            elif kind == "text" and case.get("display"):
                verdict = await self.client.check_text(str(case["display"]), lang)
            if verdict is None:
                lines.append(t("mod_auto_none", lang))
            else:
                name = str(verdict.get("verdict", "unknown"))
                lines.append(t("mod_auto", lang, verdict=t(f"part.{part_name(verdict)}", lang)))
                reasons = [r for r in verdict.get("reasons", []) if isinstance(r, dict)]
                if reasons and name != "unknown":
                    lines.append("• " + defang(str(reasons[0].get("message", ""))[:300]))
            full = await self.client.case(int(case["id"]), lang)
        except (ServerError, KeyError, IndexError, ValueError) as exc:
            log.info("case evidence not fetched", extra={"error": type(exc).__name__})
            return lines
        if case.get("impersonates"):
            lines.append(t("mod_impersonates", lang, who=str(case["impersonates"])[:100]))
        shown = [r for r in full.get("reports_shown", []) if isinstance(r, dict)]
        where = next((str(r["platform"]) for r in shown if r.get("platform")), "")
        said = next((str(r["description"]) for r in shown if r.get("description")), "")
        if where:
            lines.append(t("mod_seen", lang, where=defang(where[:100])))
        if said:
            lines.append(t("mod_said", lang, text=defang(said[:300])))
        return lines

    # --- relay ------------------------------------------------------------------------------

    async def relay_once(self) -> float:
        for item in await self.client.relay_pending():
            chat_id = int(item["chat_id"])
            lang = self.state.reply_lang(chat_id)
            text = relay_text(await self._relay_in(item, lang), lang)
            outcome = await send_paced(self.pacer, self._send, chat_id, text, "")
            if outcome == "retry":
                break  # Telegram asked us to slow down; the item stays queued on the server
            await self.client.relay_delivered(int(item["id"]))
        return self.intervals.relay_s

    async def _relay_in(self, item: dict[str, Any], lang: str) -> dict[str, Any]:
        """``item`` in the chat's language. The server judged it in the browser's: a link is
        checked again in the chat's language (the verdict as it is now, with its reasons); a
        picture, or a link that cannot be checked now, keeps the verdict and the reasons it was
        queued with, its summary and reasons' sentences when in the chat's language (in its
        script), else the advice for its kind and no sentence (``relay_in_language``)."""
        if item.get("kind") == "link" and item.get("url"):
            try:
                [fresh] = await self.client.check_links([str(item["url"])], lang)
            except (ServerError, ValueError):
                fresh = {}
            if fresh.get("summary") and "error" not in fresh:
                # Its reasons too: a weak one (``domain_model.scam_like_weak``) under
                # ``no_known_signals`` changes the headline (``part_name``).
                return item | {
                    "verdict": fresh.get("verdict", "unknown"),
                    "summary": fresh["summary"],
                    "reasons": fresh.get("reasons", []),
                }
        if item.get("kind") == "linked":
            return item
        # OpenCC's tables load on first use (~0.4 s): off the event loop.
        return item | await asyncio.to_thread(relay_in_language, item, lang)


_CATEGORY_KEYS = {f"category.{c}" for c in handlers.CATEGORIES}


def _targeted(subscriber: str, state: BotState) -> list[tuple[int, str]]:
    """A retroactive alert for one of our users (``telegram:<chat id>``)."""
    prefix, _, raw = subscriber.partition(":")
    if prefix != "telegram" or not raw.lstrip("-").isdigit():
        return []
    chat_id = int(raw)
    return [(chat_id, state.reply_lang(chat_id))]


def case_card(case: dict[str, Any], lang: str) -> str:
    """A case's first lines for moderators: its number, kind and item, category and reports."""
    kind = str(case.get("kind", ""))
    category = str(case.get("category", "other"))
    return t(
        "mod_new_case",
        lang,
        case_id=case.get("id", "?"),
        kind=t(f"kind.{kind}", lang) if f"kind.{kind}" in T else kind,
        item=defang(str(case.get("display") or case.get("item") or "")[:300]),
        category=t(f"category.{category}", lang)
        if f"category.{category}" in _CATEGORY_KEYS
        else category,
        reports=case.get("reports", case.get("report_count", "?")),
    )


def relay_text(item: dict[str, Any], lang: str) -> str:
    if item.get("kind") == "linked":
        return t("relay_linked", lang, label=defang(str(item.get("summary") or "?")))
    verdict = {
        "verdict": item.get("verdict", "unknown"),
        "summary": item.get("summary") or "",
        "verdict_url": item.get("verdict_url"),
    }
    # The server's reasons (a fresh check's, or those the item was queued with): a weak one
    # under ``no_known_signals`` picks the headline (``part_name``). An item queued before the
    # queue kept reasons has none: ``verdict_message`` keeps its summary as the explanation.
    if isinstance(item.get("reasons"), list):
        verdict["reasons"] = item["reasons"]
    body = verdict_message(Checked(parts=[Part(str(item.get("kind")), "", verdict)]), lang)
    return t("relay_item", lang, url=defang(str(item.get("url", "")))) + "\n" + body


def in_chat_language(sentence: str, lang: str) -> str | None:
    """``sentence`` for a chat reading ``lang`` (Chinese in the chat's script), or ``None`` when
    it is in another language."""
    from server.text.script import is_traditional, language_of
    from server.traditional import to_simplified, to_traditional

    want = "zh" if lang.startswith("zh") else "en"
    if not sentence or language_of(sentence) != want:
        return None
    if want == "en":
        return sentence
    if lang == "zh-Hant":
        return sentence if is_traditional(sentence) else to_traditional(sentence, "tw")
    return to_simplified(sentence) if is_traditional(sentence) else sentence


def relay_in_language(item: dict[str, Any], lang: str) -> dict[str, Any]:
    """A queued item's ``summary`` and ``reasons`` for a chat reading ``lang``.

    A reason in another language keeps its role and weight (they pick the headline) but not
    its sentence. The summary is the browser's own when in the chat's language, else the
    server's advice for a picture or a link with that verdict (no reason: it was in words the
    chat does not read; the details page has them) - but never "no known warning signs" under
    a headline that names weak ones: then no summary at all."""
    from server.i18n import ADVICE, SUMMARIES, pick

    reasons = item.get("reasons")
    if isinstance(reasons, list):
        reasons = [
            r | {"message": in_chat_language(str(r.get("message") or ""), lang) or ""}
            for r in reasons
            if isinstance(r, dict)
        ]
    summary = in_chat_language(str(item.get("summary") or ""), lang)
    if summary is None:
        want = "zh" if lang.startswith("zh") else "en"
        subject = "image" if item.get("kind") == "image" else "link"
        verdict = {"verdict": str(item.get("verdict") or "unknown"), "reasons": reasons or []}
        name = part_name(verdict)
        if name in ("likely_scam", "suspicious"):
            summary = in_chat_language(pick(ADVICE[subject], name, want), lang)
        elif name == "no_known_signals":
            summary = in_chat_language(pick(SUMMARIES, name, want), lang)
    return {"summary": summary or "", "reasons": reasons}


async def run_bot(settings: Settings) -> None:
    """``fakewatch bot``: run until SIGINT/SIGTERM."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with BotRunner(settings):
        print("READY telegram bot", flush=True)
        await stop.wait()
