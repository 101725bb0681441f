"""Messages, phone numbers and wallets that this server's moderators confirmed as scams.

A confirmed link case becomes a blocklist entry and decides later link checks
(``lists.community_case``). This detector does the same for the other item kinds a person can
report: a confirmed message, phone number or wallet address found in a checked text (a
message, or the text read from a picture) is DECISIVE, like a blocklist hit, and the reason
names the moderators' case: its id, the day it was confirmed and its public page (the
address its alert carries, ``/r/c<id>``).

- ``confirmed_items.message``: the checked text is the confirmed message: the same template
  (``server.community.items.text_template``: case, spacing, punctuation, numbers and links
  folded), so a forwarded copy with other spacing, punctuation or another victim's amounts
  is the same message;
- ``confirmed_items.message_inside``: the checked text contains a confirmed message of at
  least ``MIN_INSIDE_CHARS`` word characters, at word boundaries (a forward with a line
  added); only for cases whose whole text the case holds (its first 200 characters);
- ``confirmed_items.phone``: a phone number the text extractor found
  (``server/text/extract.py``, the numbers listed under ``extracted``) in its case-key form;
- ``confirmed_items.wallet``: a wallet address the extractor found (EVM, TRON, Bitcoin), in
  its case-key form (EVM lowercased; bech32 in either case; Base58 exact).

The index (``server/community/confirmed.py``) is swapped whole when the lists version moves:
a confirm, retire or reject of such a case moves it, this server reloads at once and others
sharing the database within ``lists_refresh_s``. Nothing here reads the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from server.community.confirmed import ConfirmedCase, ConfirmedItems
from server.community.items import text_template
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.text.extract import extract

#: A confirmed case decides like a blocklist hit (``lists.BLOCK_WEIGHT``).
CONFIRMED_WEIGHT = 0.95
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CHAINS = {
    "evm": ("Ethereum-style", "以太坊类"),
    "tron": ("TRON", "波场（TRON）"),
    "bitcoin": ("Bitcoin", "比特币"),
}


class ConfirmedItemsDetector:
    name: ClassVar[str] = "confirmed_items"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    messages: ClassVar[Messages] = {
        "confirmed_items.message": {
            "en": "This message was confirmed as a scam by this server's moderators"
            " (community case {case}{confirmed_en}).",
            "zh": "这条消息已被本服务器的审核员确认为诈骗（社区案件 {case}{confirmed_zh}）。",
        },
        "confirmed_items.message_inside": {
            "en": "It contains a message confirmed as a scam by this server's moderators"
            " (community case {case}{confirmed_en}).",
            "zh": "其中包含一条已被本服务器审核员确认为诈骗的消息（社区案件 {case}{confirmed_zh}）。",
        },
        "confirmed_items.phone": {
            "en": "The phone number {item} was confirmed as a scammer's by this server's"
            " moderators (community case {case}{confirmed_en}).",
            "zh": "电话号码 {item} 已被本服务器的审核员确认为诈骗号码（社区案件 {case}{confirmed_zh}）。",
        },
        "confirmed_items.wallet": {
            "en": "The {chain_en} wallet address {item} was confirmed as a scammer's by this"
            " server's moderators (community case {case}{confirmed_en}).",
            "zh": "{chain_zh}钱包地址 {item} 已被本服务器的审核员确认为诈骗地址（社区案件 {case}{confirmed_zh}）。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self._items = resources.confirmed_items
        self._is_tld = resources.parser.suffixes.is_suffix

    def score(self, content: Any) -> Sequence[Evidence]:
        items = self._items.current
        if not items or not isinstance(content, str):
            return ()
        found: list[Evidence] = []
        if items.messages:
            match = items.message(text_template(content))
            if match is not None:
                code = "confirmed_items.message" + ("" if match.how == "same" else "_inside")
                found.append(self._evidence(code, match.case, {}, {"match": match.how}))
        if items.phones or items.wallets:
            found.extend(self._extracted(items, content))
        return found

    def _extracted(self, items: ConfirmedItems, text: str) -> list[Evidence]:
        """Phones and wallets as the extractor lists them under ``extracted``."""
        extracted = extract(text, self._is_tld)
        found: list[Evidence] = []
        seen: set[int] = set()
        for written, number in extracted.phones if items.phones else ():
            case = items.phone(number)
            if case is not None and case.id not in seen:
                seen.add(case.id)
                shown = {"item": number}
                found.append(
                    self._evidence(
                        "confirmed_items.phone", case, shown, {**shown, "written": written}
                    )
                )
        for wallet in extracted.wallets if items.wallets else ():
            case = items.wallet(wallet.address)
            if case is not None and case.id not in seen:
                seen.add(case.id)
                en, zh = _CHAINS.get(wallet.chain, (wallet.chain, wallet.chain))
                params = {"item": wallet.address, "chain_en": en, "chain_zh": zh}
                details = {"item": wallet.address, "chain": wallet.chain}
                found.append(self._evidence("confirmed_items.wallet", case, params, details))
        return found

    def _evidence(
        self,
        code: str,
        case: ConfirmedCase,
        params: dict[str, Any],
        details: dict[str, Any],
    ) -> Evidence:
        return Evidence(
            self.name,
            code,
            CONFIRMED_WEIGHT,
            Role.DECISIVE,
            {"case": case.id, **params, **confirmed_words(case.confirmed_at)},
            {
                **details,
                "case": case.id,
                "kind": case.kind,
                "category": case.category,
                "confirmed_at": case.confirmed_at,
                "page": case.page,
            },
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        # The contract tests' engine has no database, so nothing is confirmed: these pin that
        # a scam-looking message is never a "confirmed case" by itself. The matches are pinned
        # with a bank of cases in tests/test_confirmed_items_index.py and over HTTP in
        # tests/test_confirmed_items.py.
        silent = frozenset(cls.messages)
        return (
            Example(
                ContentKind.TEXT,
                "Mum, this is my new number, my old phone broke. Please send £400 for rent,"
                " call me on +44 7700 900456",
                forbid=silent,
                why="a new-number scam nobody confirmed: the scripts judge it, not a case",
            ),
            Example(
                ContentKind.TEXT,
                "Send USDT to TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE to double it",
                forbid=silent,
                why="a wallet nobody confirmed",
            ),
            Example(ContentKind.TEXT, "ok", forbid=silent, why="too short to be anything"),
        )


def confirmed_words(confirmed_at: str) -> dict[str, str]:
    """``confirmed_en``/``confirmed_zh``: the day the case was confirmed, or nothing."""
    day = _DATE.match(confirmed_at or "")
    if day is None:
        return {"confirmed_en": "", "confirmed_zh": ""}
    return {
        "confirmed_en": f", confirmed on {day.group(0)}",
        "confirmed_zh": f"，确认于 {day.group(0)}",
    }
