"""Telling a reporter what became of their report, once, in the language they used.

The bot files reports with ``POST /v1/reports`` and keeps each answer's ``case_id`` with the
reporter's chat and language (``BotState.note_filed``, in ``bot.db``: a restart loses nothing).
It learns the decision two ways, because the server offers no feed of case decisions:

- **Confirmed**: the alerts loop (``GET /v1/alerts``, a cursor the bot already follows) carries
  every confirmation with its ``case_id`` and public page. The reporters of that case get
  ``outcome_confirmed`` instead of the generic alert (a subscribed reporter reads one message).
- **Not confirmed** (rejected), merged, or gone: alerts exist only for confirmations, and
  ``GET /v1/cases`` lists a status ordered by urgency, without a "since" cursor. So the bot asks
  ``GET /v1/cases/{id}`` for the few undecided cases it filed, ``OUTCOME_BATCH`` per round,
  the longest unasked first, every ``Intervals.outcomes_s`` (a minute). A case merged into
  another is followed there; one that no longer exists is forgotten. A case seen confirmed by
  this poll is left one round to the alerts loop (which has the public page's address); only
  if no alert came (the report was filed after the confirmation) is it told from here.

Messages go through the alert outbox (paced, kept across restarts); a chat that blocked the
bot loses its pending outcomes quietly (``BotState.chat_gone``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bot.api import Refused, ServerClient
from bot.render import defang
from bot.state import BotState
from bot.texts import t
from server.community.words import public_item

log = logging.getLogger("fakewatch.bot.outcomes")

#: Cases asked about per round: each ``GET /v1/cases/{id}`` also runs the server's automatic
#: check of a link case, so a round stays small (20 a minute at most).
OUTCOME_BATCH = 20
#: Statuses that mean the moderators have not decided yet.
OPEN_STATUSES = frozenset({"pending", "quarantined"})


def shown_item(kind: str, display: str) -> str:
    """The case's item as the alerts show it (a message's digits masked), or nothing for a
    picture or video (its display is a fingerprint, not something a person recognises)."""
    return "" if kind == "media" or not display else public_item(kind, display)


def outcome_text(decision: str, case_id: int, item: str, url: str, lang: str) -> str:
    """``outcome_confirmed`` or ``outcome_rejected`` for one case, in ``lang``: the item cut
    and defanged (never a live scam link), the case page live."""
    shown = defang(item[:100]) if item else ""
    if shown:
        shown = ("：" if lang.startswith("zh") else ": ") + shown
    return t(f"outcome_{decision}", lang, case_id=case_id, item=shown, url=url)


def tell(
    state: BotState, case_id: int, decision: str, item: str, url: str, now: float
) -> list[int]:
    """Queue the outcome for every chat still waiting on ``case_id``; the chats queued."""
    waiting = state.reporters(case_id)
    if not waiting:
        return []
    state.queue_outcome(
        case_id,
        [(chat, outcome_text(decision, case_id, item, url, lang)) for chat, lang in waiting],
        now,
    )
    log.info("report outcome queued", extra={"case": case_id, "decision": decision})
    return [chat for chat, _ in waiting]


def confirmed_by_alert(state: BotState, alert: dict[str, Any], now: float) -> set[int]:
    """Reporters of the alert's case are told it was confirmed; returns every chat that filed
    it (told now or before), which the broadcast then leaves out."""
    case_id = alert.get("case_id")
    if not isinstance(case_id, int):
        return set()
    if not alert.get("retroactive"):  # a targeted copy of the broadcast tells no one twice
        item = "" if alert.get("kind") == "media" else str(alert.get("item") or "")
        tell(state, case_id, "confirmed", item, str(alert.get("verdict_url") or ""), now)
    return {chat for chat, _ in state.reporters(case_id, untold=False)}


async def poll_outcomes(
    client: ServerClient, state: BotState, server_url: str, batch: int = OUTCOME_BATCH
) -> int:
    """Ask about up to ``batch`` undecided cases this bot filed; queue what was decided.
    Returns how many were asked. ``ServerError`` (not a 404) ends the round: the loop waits."""
    asked = 0
    for case_id, seen in state.open_filed(batch, time.time()):
        asked += 1
        try:
            case = await client.case(case_id, "en")
        except Refused as exc:
            if exc.status != 404:
                raise
            state.forget_filed(case_id)
            continue
        status = str(case.get("status", ""))
        now = time.time()
        item = shown_item(str(case.get("kind", "")), str(case.get("display") or ""))
        if status == "rejected":
            tell(state, case_id, "rejected", item, "", now)
        elif status == "merged" and isinstance(case.get("merged_into"), int):
            state.moved(case_id, int(case["merged_into"]))
        elif status == "confirmed" and seen == "confirmed":
            # A round passed and no alert told them: the confirmation came before the report.
            path = str(case.get("verdict_path") or f"/r/c{case_id}")
            tell(state, case_id, "confirmed", item, server_url + path, now)
        elif status in OPEN_STATUSES or status == "confirmed":
            state.asked(case_id, status, now)
        else:
            # Retired (confirmed, then withdrawn) or a status newer than this bot: nothing
            # true and short to say; the reporter is not told something wrong.
            state.forget_filed(case_id)
    return asked
