"""Turning the server's verdict objects into a chat message and its buttons.

The bot adds framing (the headline, which part is which, where to read more) and picks which
part to headline; the verdicts, reasons and their sentences are the server's.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import t

#: Worst first: the part with the earliest verdict here is the one the answer leads with.
SEVERITY = ("likely_scam", "suspicious", "no_known_signals", "unknown")
TOP_REASONS = 3
#: Parts listed one per line, worst first; a message of 100 links lists these and a count.
MAX_PART_LINES = 10
#: Disguised links said one by one; more are still listed among the parts.
MAX_DISGUISES = 3
#: Telegram's limit is 4096 characters; leave room for the framing.
MAX_MESSAGE = 3900


def has_weak_signs(verdict: dict[str, Any]) -> bool:
    """A verdict below a warning that still names warning signs (a scam script's words, a
    link shortener): the headline must not say "no known warning signs" above them."""
    return any(
        isinstance(r, dict)
        and r.get("role") not in ("allow", "ALLOW")
        and float(r.get("weight") or 0) > 0
        for r in verdict.get("reasons", [])
    )


def part_name(verdict: dict[str, Any]) -> str:
    """The verdict's name as the bot headlines it: ``no_known_signals`` with warning signs
    below a warning reads ``no_known_signals_weak``."""
    name = str(verdict.get("verdict", "unknown"))
    if name == "no_known_signals" and has_weak_signs(verdict):
        return "no_known_signals_weak"
    return name if name in SEVERITY else "unknown"


def _rank(part: Part) -> tuple[int, int, float]:
    """Worst first: the verdict, then warning signs named, then the server's score (ties must
    not go to whichever part finished first)."""
    name = part.name
    try:
        score = float(part.verdict.get("score") or 0)
    except (TypeError, ValueError):
        score = 0.0
    return (
        SEVERITY.index(name) if name in SEVERITY else 9,
        0 if has_weak_signs(part.verdict) else 1,
        -score,
    )


@dataclass
class Part:
    """One checked thing: a link, the message text, or a picture/video."""

    kind: str
    label: str
    verdict: dict[str, Any]
    #: What "Report as scam" sends for this part (``None`` for media: the file is fetched
    #: again from Telegram); never logged.
    item: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return str(self.verdict.get("verdict", "unknown"))


@dataclass
class Checked:
    """What one message produced; kept briefly in memory so its buttons work."""

    parts: list[Part]
    missing: list[str] = field(default_factory=list)
    #: For "Report as scam": what the server's reports endpoint needs, never logged.
    report_items: list[dict[str, Any]] = field(default_factory=list)
    #: The Telegram file behind a media part, fetched again only if the person reports it.
    media: Any = None
    #: Links in the message that were not sent to the server (too many, too long).
    unchecked_links: int = 0
    #: Parts the server could not check this time, and notices about a part (text keys).
    failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Values the notes name (``text_cut``: ``half``).
    note_values: dict[str, object] = field(default_factory=dict)
    #: Text links whose words show one site while the link goes to another: ``(shown host,
    #: target host)``, as the server read both addresses.
    disguised: list[tuple[str, str]] = field(default_factory=list)
    #: Where its buttons were shown (chat and the bot's message) and whose check it was
    #: (``None`` for the group guard's warning): a press elsewhere, or by someone else on
    #: Report, is refused; callback data can be forged by any client.
    chat_id: int | None = None
    message_id: int | None = None
    owner: int | None = None
    reported: bool = False
    #: In a group, "Why?" posts the reasons once; later presses are answered privately.
    why_posted: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def worst(self) -> Part | None:
        if not self.parts:
            return None
        return min(self.parts, key=_rank)

    @property
    def verdict(self) -> str:
        worst = self.worst
        return worst.name if worst else "unknown"

    def to_report(self, limit: int = 3) -> list[Part]:
        """The parts "Report as scam" files: the flagged ones (worst first), never a part the
        server found nothing against while another was flagged; with nothing flagged, the part
        the answer led with (the person disagrees with "no known signs")."""
        flagged = sorted(
            (p for p in self.parts if p.name in ("likely_scam", "suspicious")), key=_rank
        )
        if flagged:
            return flagged[:limit]
        return [self.worst] if self.worst is not None else []


class Recent:
    """Recent checks by a short reference (callback data is at most 64 bytes)."""

    def __init__(self, size: int = 2000, ttl_s: float = 3600.0) -> None:
        self._items: OrderedDict[str, Checked] = OrderedDict()
        self.size, self.ttl_s = size, ttl_s

    def add(self, checked: Checked) -> str:
        ref = secrets.token_urlsafe(9)
        self._items[ref] = checked
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return ref

    def get(self, ref: str) -> Checked | None:
        checked = self._items.get(ref)
        if checked is None or time.monotonic() - checked.at > self.ttl_s:
            return None
        return checked


#: A host name (its last label starts with a letter: not a number like 0.85), and a scheme.
_HOST = re.compile(r"(?:[\w-]+\.)+[^\W\d_][\w-]+")
_SCHEME = re.compile(r"\bhttp(s?)://", re.IGNORECASE)


def defang(text: str) -> str:
    """``evil.com`` → ``evil[.]com``, ``https://`` → ``hxxps://``: a warning that names a scam
    must not hand back a live link (Telegram links bare domains and previews them)."""
    text = _SCHEME.sub(r"hxxp\1://", text)
    return _HOST.sub(lambda m: m.group(0).replace(".", "[.]"), text)


def short_label(kind: str, value: str, lang: str) -> str:
    if kind == "link":
        host = urlsplit(value).hostname or value
        return f"{t('item.link', lang)} {defang(host[:80])}"
    return t(f"item.{kind}", lang)


def _reasons(verdict: dict[str, Any], limit: int | None, *, besides: str = "") -> list[str]:
    """The reasons' sentences as bullets, without any that ``besides`` (the summary shown above
    them) already quotes word for word: "Some warning signs…", then a summary quoting the
    reason, then the same sentence again under "Why" reads like three warnings, not one."""
    reasons = [
        r
        for r in verdict.get("reasons", [])
        if isinstance(r, dict) and r.get("message") and str(r["message"]) not in besides
    ]
    shown = reasons if limit is None else reasons[:limit]
    return [f"• {defang(str(r['message']))}" for r in shown]


def _matches(verdict: dict[str, Any], lang: str) -> list[str]:
    lines = []
    for match in verdict.get("matches", [])[:3]:
        if isinstance(match, dict):
            what = match.get("label") or match.get("title") or match.get("name")
            if what:
                lines.append(t("matches", lang, what=defang(str(what)[:120])))
    return lines


def verdict_message(checked: Checked, lang: str, *, all_reasons: bool = False) -> str:
    worst = checked.worst
    if worst is None:
        return t("nothing_to_check", lang)
    headline = part_name(worst.verdict)
    lines = [t(f"verdict.{headline}", lang)]
    if checked.disguised:
        # Said first, in plain words: the text shows one address and the link opens another.
        # Under a verdict below a warning the headline says so (never "no known signs" above
        # it); the verdicts stay the server's.
        if headline not in ("likely_scam", "suspicious"):
            lines = [t("verdict.disguised", lang)]
        lines.extend(
            t("disguised_link", lang, shown=defang(shown), target=defang(target))
            for shown, target in checked.disguised[:MAX_DISGUISES]
        )
    summary = worst.verdict.get("summary")
    # "No known warning signs" and nothing more to say (no allowlist to name): the headline
    # said it all already. A verdict without a reasons list (a relayed picture) keeps its
    # summary.
    reasons_given = worst.verdict.get("reasons")
    plain = (
        headline == "no_known_signals"
        and isinstance(reasons_given, list)
        and not any(isinstance(r, dict) and r.get("role") == "allow" for r in reasons_given)
    )
    shown_summary = str(summary) if summary and not plain else ""
    if shown_summary:
        lines.append(defang(shown_summary))
    if checked.unchecked_links:
        lines.append(t("links_unchecked", lang, count=checked.unchecked_links))
    if len(checked.parts) > 1:
        lines.append("")
        listed = sorted((p for p in checked.parts if p.name in SEVERITY), key=_rank)
        sep = t("label_sep", lang)
        lines.extend(
            f"• {p.label}{sep}{t(f'part.{part_name(p.verdict)}', lang)}"
            for p in listed[:MAX_PART_LINES]
        )
        if len(listed) > MAX_PART_LINES:
            lines.append(t("more_parts", lang, count=len(listed) - MAX_PART_LINES))
    # "All reasons" (the person pressed "Why?") lists every one, quoted or not.
    reasons = (
        _reasons(worst.verdict, None)
        if all_reasons
        else _reasons(worst.verdict, TOP_REASONS, besides=shown_summary)
    )
    if reasons:
        lines.append("")
        lines.append(t("all_reasons" if all_reasons else "why_title", lang))
        lines.extend(reasons)
    elif all_reasons:
        lines.append(t("no_reasons", lang))
    lines.extend(_matches(worst.verdict, lang))
    url = worst.verdict.get("verdict_url")
    if url:
        lines.append("")
        lines.append(t("verdict_page", lang, url=url))
    if any(p.verdict.get("partial") for p in checked.parts):
        lines.append(t("partial", lang))
    for kind in checked.missing:
        lines.append(t("not_available", lang, what=t(f"item.{kind}", lang).lower()))
    for kind in checked.failed:
        lines.append(t("part_not_checked", lang, what=t(f"item.{kind}", lang)))
    lines.extend(t(key, lang, **checked.note_values) for key in checked.notes)
    text = "\n".join(lines)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def verdict_buttons(ref: str, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            # No "Looks fine to me": the server has nowhere to take that opinion, and a button
            # that only says "thanks" pretends to (under a scam warning, it invites the wrong
            # conclusion). A person who disagrees with a verdict reports it.
            [InlineKeyboardButton(t("btn.report", lang), callback_data=f"r:{ref}")],
            [InlineKeyboardButton(t("btn.why", lang), callback_data=f"w:{ref}")],
        ]
    )


def _traditional_alert(alert: dict[str, Any], title: str) -> tuple[str, str]:
    """Title and advice for a Traditional-Chinese chat, as the verdict pages give them: the
    server's Simplified title in Taiwan's characters (the item quoted as it is), and Taiwan's
    and Hong Kong's hotlines instead of the mainland's. Loads OpenCC's tables on first use
    (~0.4 s): call it off the event loop."""
    from server.community.words import ADVICE_BY_REGION, IMPERSONATES
    from server.traditional import to_traditional

    item = str(alert.get("item") or "")
    pieces = title.split(item) if item else [title]
    converted = item.join(to_traditional(piece, "tw") for piece in pieces)
    advice = []
    who = alert.get("impersonates")
    if who:
        # Our sentence in Traditional; the reporter's words as they wrote them (like the item).
        advice.append(to_traditional(IMPERSONATES["zh"], "tw").format(who=who))
    advice.append("台灣：" + ADVICE_BY_REGION["tw"])
    advice.append("香港：" + ADVICE_BY_REGION["hk"])
    return converted, "\n".join(advice)


def alert_message(alert: dict[str, Any], lang: str) -> str:
    """An alert in the subscriber's language (the server's words, our header)."""
    server_lang = "zh" if lang.startswith("zh") else "en"

    def pick(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get(lang) or value.get(server_lang) or value.get("en") or "")
        return str(value or "")

    title, advice = pick(alert.get("title")), pick(alert.get("advice"))
    has_own = isinstance(alert.get("title"), dict) and lang in alert["title"]
    if lang == "zh-Hant" and not has_own and title:
        title, advice = _traditional_alert(alert, title)
    lines = [t("alert_header", lang), defang(title)]
    advice = defang(advice)
    if advice:
        lines.append(advice)
    url = alert.get("verdict_url")
    if url:
        lines.append(t("verdict_page", lang, url=url))
    return "\n".join(line for line in lines if line)
