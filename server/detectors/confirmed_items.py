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
- ``confirmed_items.message_in_warning`` (SUPPORTING, 0.95 × ``DEMOTED_SHARE``): a
  ``message_inside`` match in a text that reads as a warning about scams and asks for nothing,
  by the text patterns' own rule (``PatternSet.context``), as ``text_patterns`` and
  ``scam_text`` demote their matches there: a 【反诈提醒】 quoting a confirmed script is a
  cue (review 16 #2). A whole-message match is not demoted: the moderators confirmed those
  very words, warning words included;
- ``confirmed_items.official_links`` (INFO, in place of a message match): the confirmed
  message held a link (folded to ``link``) and every link in the checked text goes to a site
  we know is legitimate and nobody else publishes on (``server.text.references``: the
  operator's allowlist, a top site, a protected brand's own domain, a government ending; no
  shortener, tenant subdomain or open site like ``t.me``), which the case's shown text did not
  itself link to: the bank's real notice that a phishing copy imitates has the copy's template,
  but it is not the scam (review 16 #1). A copy on another unknown domain still decides;
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

from server.community.confirmed import ConfirmedCase, ConfirmedItems, MessageMatch
from server.community.items import text_template
from server.detectors.text_patterns import DEMOTED_SHARE, PATTERNS_FILE
from server.links.url import InvalidUrl
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.text.extract import Extracted, extract
from server.text.patterns import PatternSet
from server.text.references import reference_check

#: A confirmed case decides like a blocklist hit (``lists.BLOCK_WEIGHT``).
CONFIRMED_WEIGHT = 0.95
#: A confirmed message quoted inside a warning that asks for nothing: a cue, as a scam script
#: quoted there is (``text_patterns.DEMOTED_SHARE``): 0.95 × 0.5, never a verdict alone.
IN_WARNING_WEIGHT = CONFIRMED_WEIGHT * DEMOTED_SHARE
#: How many official sites an ``official_links`` reason names.
SHOWN_SITES = 3
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CHAINS = {
    "evm": ("Ethereum-style", "以太坊类"),
    "tron": ("TRON", "波场（TRON）"),
    "bitcoin": ("Bitcoin", "比特币"),
}


class ConfirmedItemsDetector:
    name: ClassVar[str] = "confirmed_items"
    version: ClassVar[str] = "1.1"
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
        "confirmed_items.message_in_warning": {
            "en": "It quotes a message confirmed as a scam by this server's moderators"
            " (community case {case}{confirmed_en}), but it reads as a warning about scams"
            " (“{warning}”) and asks for nothing, so this counts only as a cue.",
            "zh": "其中引用了一条已被本服务器审核员确认为诈骗的消息（社区案件 {case}{confirmed_zh}），"
            "但全文读起来是一则防诈骗提醒（“{warning}”），且没有要求任何操作，因此只作参考。",
        },
        "confirmed_items.official_links": {
            "en": "Its wording matches a message confirmed as a scam by this server's moderators"
            " (community case {case}{confirmed_en}), but every link in it goes to a site we know"
            " is legitimate ({sites}), so it is not that scam: scam copies link elsewhere.",
            "zh": "它的措辞与一条已被本服务器审核员确认为诈骗的消息相同（社区案件 {case}{confirmed_zh}），"
            "但其中的链接都指向我们已知的正规网站（{sites}），因此不是那条诈骗消息：诈骗的副本会链接到别处。",
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
        self._parse = resources.parser.parse
        # The links a warning cites rather than sends you to (an advisory's gov.cn page, a
        # bank notice's own site) are the links a bank's real notice holds.
        self._is_reference = reference_check(resources)
        # The warning words and the actions that keep a scam whole despite them: the text
        # patterns' own (``PatternSet.context``), as the classifier reads them.
        self._patterns = PatternSet.load(resources.data_dir / PATTERNS_FILE, self._is_reference)

    def score(self, content: Any) -> Sequence[Evidence]:
        items = self._items.current
        if not items or not isinstance(content, str):
            return ()
        found: list[Evidence] = []
        extracted: Extracted | None = None
        if items.messages:
            match = items.message(text_template(content))
            if match is not None:
                extracted = extract(content, self._is_tld)
                found.append(self._message(content, match, extracted))
        if items.phones or items.wallets:
            if extracted is None:
                extracted = extract(content, self._is_tld)
            found.extend(self._extracted(items, extracted))
        return found

    def _message(self, text: str, match: MessageMatch, extracted: Extracted) -> Evidence:
        """A confirmed message's match: decisive, unless the confirmed message held a link and
        every link in the checked text goes to a site we know is legitimate (the real notice a
        scam copied: INFO), or, for a message found inside a longer text, that text reads as
        a warning and asks for nothing (a quoted script: SUPPORTING)."""
        case, how = match.case, match.how
        sites = self._official_sites(extracted.links, case) if match.linked else []
        if sites:
            shown = {"sites": ", ".join(sites[:SHOWN_SITES])}
            cited = {"match": how, "official_sites": sites, "links": list(extracted.links)}
            return self._evidence(
                "confirmed_items.official_links", case, shown, cited, 0.0, Role.INFO
            )
        if how == "same":
            return self._evidence("confirmed_items.message", case, {}, {"match": how})
        warning, ask = self._patterns.context(text)
        if warning is not None and ask is None:
            return self._evidence(
                "confirmed_items.message_in_warning",
                case,
                {"warning": warning},
                {
                    "match": how,
                    "warning": warning,
                    "role_without_warning": Role.DECISIVE.value,
                    "weight_without_warning": CONFIRMED_WEIGHT,
                },
                IN_WARNING_WEIGHT,
                Role.SUPPORTING,
            )
        kept: dict[str, Any] = {"match": how}
        if warning is not None:
            kept |= {"warning": warning, "action_asked": ask}
        return self._evidence("confirmed_items.message_inside", case, {}, kept)

    def _official_sites(self, links: Sequence[str], case: ConfirmedCase) -> list[str]:
        """The sites the links go to when every one is a site we know is legitimate and
        nobody else publishes on (``server.text.references``: a protected brand's own domain,
        a top site, a known-legit host, the operator's allowlist, a government ending; never
        a shortener, a tenant subdomain or an open site like ``t.me``), and the confirmed
        message itself did not link to all of them (its shown text, when it holds links):
        empty when there is no link, any other link, or nothing the case differs by."""
        if not links or not all(self._is_reference(raw) for raw in links):
            return []
        sites = list(dict.fromkeys(self._site(raw) for raw in links))
        if case.shown:
            linked = {self._site(raw) for raw in extract(case.shown, self._is_tld).links}
            if linked.issuperset(sites):
                return []  # the moderators confirmed a message linking there: no difference
        return sites

    def _site(self, raw: str) -> str:
        try:
            return self._parse(raw).host.registrable
        except InvalidUrl:
            return ""

    def _extracted(self, items: ConfirmedItems, extracted: Extracted) -> list[Evidence]:
        """Phones and wallets as the extractor lists them under ``extracted``."""
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
        weight: float = CONFIRMED_WEIGHT,
        role: Role = Role.DECISIVE,
    ) -> Evidence:
        return Evidence(
            self.name,
            code,
            weight,
            role,
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
