"""Confirmed cases of messages, phone numbers and wallet addresses, indexed for the checks
that read text (``server/detectors/confirmed_items.py``).

A confirmed link case becomes a ``community`` blocklist entry; the other item kinds have no
list to join, so this index is their list: one immutable snapshot of every confirmed
``text``, ``phone`` and ``wallet`` case, built off the event loop and swapped in whole, as
the list index is. It is versioned by ``lists_version``: confirming a case of these kinds,
and taking one back (retire, reject, an upheld appeal), moves that version
(``store.decide``), so this server reloads at once and the others sharing the database
within ``lists_refresh_s`` (``server/api/app.py``'s refresh), with the lists.

Items are matched in the form their case key has (``server/community/items.py``):

- a message: the digest of its template (``text_template``), so a forwarded copy with other
  spacing, punctuation, numbers or links is the same message; and the template inside a
  longer one, at word boundaries (a forward with a line added above or below), when the case
  keeps its template (``cases.template``, since migration m012) or its shown text is the whole
  message (``display`` holds the first 200 characters);
- a phone number: ``phone_key`` of the number the text extractor found (``+`` and its
  digits; ``00`` read as ``+``);
- a wallet: ``wallet_key`` of the address as extracted (EVM lowercased); bech32 addresses
  (``bc1…``) are one case in either case (bech32 forbids mixing), Base58 ones (Bitcoin
  legacy, TRON) are case-sensitive, as their checksums are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from server.community.items import (
    ItemKind,
    phone_key,
    template_digest,
    text_key,
    text_template,
    wallet_key,
)
from server.errors import ValidationFailed

#: The case kinds this index holds (links go to the blocklist, media to the known-fakes bank).
KINDS = frozenset({ItemKind.TEXT, ItemKind.PHONE, ItemKind.WALLET})

#: A confirmed message matches inside a longer one only if its template holds at least this
#: many characters besides the ``0``/``link`` placeholders and spaces: a short confirmed
#: line ("hi mum it's me") would otherwise be found in ordinary chats. Measured with
#: ``bench/confirmed_items_quality.py``: with every train+val scam message of the shared
#: text sets confirmed, no ham message holds one at this length (see docs/detectors.md).
MIN_INSIDE_CHARS = 40
#: The same floor for a whole-message match, lower: the moderators confirmed these very
#: words, but a template of a few placeholder-heavy words ("call 0 now link") says little.
MIN_MESSAGE_CHARS = 12


@dataclass(frozen=True, slots=True)
class ConfirmedCase:
    """The moderators' case behind a match, as evidence names it."""

    id: int
    kind: str
    category: str
    #: When the case was confirmed (``decided_at``, ISO 8601 UTC).
    confirmed_at: str
    #: The case's shown text (``display``: a message's first 200 characters as sent), which
    #: the detector reads for the sites the confirmed message itself linked to.
    shown: str = ""

    @property
    def page(self) -> str:
        """The case's public page, the address its alert carries
        (``server.web.urls.case_path``; opens for confirmed and retired cases)."""
        return f"/r/c{self.id}"


@dataclass(frozen=True, slots=True)
class MessageMatch:
    case: ConfirmedCase
    #: ``same``: the checked message is the confirmed one; ``inside``: it contains it.
    how: str
    #: The confirmed message's template (``link`` where it held a link).
    template: str = ""

    @property
    def linked(self) -> bool:
        """Whether the confirmed message held a link its template folded to ``link``."""
        return "link" in self.template.split(" ")


def substance(template: str) -> int:
    """Characters of a template that are words, not placeholders or spaces."""
    return sum(len(word) for word in template.split(" ") if word not in ("0", "link"))


def wallet_form(address: str) -> str:
    """A wallet address in the form it is matched in (see the module doc)."""
    key = wallet_key(address).key
    return key.lower() if key[:3].lower() == "bc1" else key


def phone_form(number: str) -> str | None:
    """A phone number as its case key has it, or ``None`` if it cannot be one."""
    try:
        return phone_key(number).key
    except ValidationFailed:
        return None


class ConfirmedItems:
    """An immutable snapshot of the confirmed message, phone and wallet cases."""

    def __init__(self, rows: Iterable[Mapping[str, Any]] = (), version: int = 0) -> None:
        messages: dict[str, ConfirmedCase] = {}
        phones: dict[str, ConfirmedCase] = {}
        wallets: dict[str, ConfirmedCase] = {}
        # Templates a longer message may contain, by their first word and by their first
        # two words (a lookup per word of the checked message, then one comparison).
        inside: dict[str, list[tuple[str, ConfirmedCase]]] = {}
        for row in rows:
            case = ConfirmedCase(
                int(row["id"]),
                str(row["kind"]),
                str(row["category"]),
                str(row["decided_at"]),
                str(row.get("display") or "") if row["kind"] == ItemKind.TEXT else "",
            )
            kind, key = case.kind, str(row["key"])
            if kind == ItemKind.PHONE:
                phones.setdefault(key, case)
            elif kind == ItemKind.WALLET:
                wallets.setdefault(wallet_form(key), case)
            elif kind == ItemKind.TEXT:
                messages.setdefault(key, case)
                template = _template(row, key)
                if template is not None and substance(template) >= MIN_INSIDE_CHARS:
                    words = template.split(" ")
                    head = " ".join(words[:2])
                    inside.setdefault(head, []).append((template, case))
        self.messages: Mapping[str, ConfirmedCase] = messages
        self.phones: Mapping[str, ConfirmedCase] = phones
        self.wallets: Mapping[str, ConfirmedCase] = wallets
        self._inside: Mapping[str, tuple[tuple[str, ConfirmedCase], ...]] = {
            head: tuple(found) for head, found in inside.items()
        }
        self.version = version
        self.size = len(messages) + len(phones) + len(wallets)
        #: Confirmed messages a longer message is searched for.
        self.inside_size = sum(len(found) for found in inside.values())

    def __bool__(self) -> bool:
        return self.size > 0

    def message(self, template: str) -> MessageMatch | None:
        """The confirmed message this template is, or contains; ``None`` if none."""
        if not self.messages:
            return None
        case = self.messages.get(template_digest(template))
        if case is not None and substance(template) >= MIN_MESSAGE_CHARS:
            return MessageMatch(case, "same", template)
        if not self._inside:
            return None
        return self._contained(template)

    def _contained(self, template: str) -> MessageMatch | None:
        words = template.split(" ")
        inside = self._inside
        start = 0
        for i, word in enumerate(words):
            found = inside.get(word)  # a one-word template (Chinese without punctuation)
            pair = inside.get(word + " " + words[i + 1]) if i + 1 < len(words) else None
            for candidates in (found, pair):
                for confirmed, case in candidates or ():
                    end = start + len(confirmed)
                    if template.startswith(confirmed, start) and (
                        end == len(template) or template[end] == " "
                    ):
                        return MessageMatch(case, "inside", confirmed)
            start += len(word) + 1
        return None

    def phone(self, number: str) -> ConfirmedCase | None:
        """The confirmed case of this number (as the extractor writes it: ``+`` and digits)."""
        if not self.phones:
            return None
        form = phone_form(number)
        return self.phones.get(form) if form is not None else None

    def wallet(self, address: str) -> ConfirmedCase | None:
        if not self.wallets:
            return None
        try:
            return self.wallets.get(wallet_form(address))
        except ValidationFailed:
            return None


def _template(row: Mapping[str, Any], key: str) -> str | None:
    """The template of a confirmed message: kept with the case (migration m012), or, for a
    case from before, its shown text's when that is the whole message (its template hashes to
    the case key); ``None`` when neither is there (``display`` cut at 200 characters, a
    peer's item known by its digest alone)."""
    for template in (row.get("template"), _shown_template(str(row.get("display") or ""))):
        if template and template_digest(template) == key:
            return str(template)
    return None


def _shown_template(display: str) -> str | None:
    try:
        text_key(display)
    except ValidationFailed:
        return None
    return text_template(display)


class ConfirmedItemsHolder:
    """The current ``ConfirmedItems``; replaced whole when a case of these kinds changes."""

    def __init__(self, items: ConfirmedItems | None = None) -> None:
        self.current = items if items is not None else ConfirmedItems()

    def swap(self, items: ConfirmedItems) -> None:
        self.current = items
