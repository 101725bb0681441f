"""Blocklists and allowlists: the operator's allowlist wins, a listed domain or URL is decisive.

The reason says, in words, whose list matched and on which day the entry was added (``the
blocklist of phishing sites kept by MetaMask``, not ``bundled:metamask``); the details keep
the list's id, the entry, its source and its full timestamp, so a moderator (or the site
owner appealing) can see exactly which line matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

from server.links.url import Host, Link
from server.lists import Action, ListEntry, url_key
from server.scoring.detector import ContentKind, Example, Messages, example
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources

#: A blocklist hit alone decides the verdict; its weight is the score it implies.
BLOCK_WEIGHT = 0.95
# Globals for the per-host path: ``Role.DECISIVE`` is an enum class attribute lookup,
# several times slower than a global name.
_ALLOW = Action.ALLOW
_BLOCK = Action.BLOCK
_ALLOWED = Role.ALLOW
_DECISIVE = Role.DECISIVE


class ListsDetector:
    name: ClassVar[str] = "lists"
    version: ClassVar[str] = "1.1"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.LINK})
    messages: ClassVar[Messages] = {
        "lists.allowed": {
            "en": "{host} is on this server's list of trusted sites.",
            "zh": "{host} 在本服务器的可信网站名单中。",
        },
        "lists.blocked_domain": {
            "en": "{host} is on the blocklist {whose_en}{added_en}.",
            "zh": "{host} 在{whose_zh}黑名单中{added_zh}。",
        },
        "lists.community_case": {
            "en": "{host} was confirmed as a scam by this server's moderators (community case {case}{added_en}).",
            "zh": "{host} 已被本服务器的审核员确认为诈骗（社区案件 {case}{added_zh}）。",
        },
        "lists.blocked_url": {
            "en": "This exact address is on the blocklist {whose_en}{added_en}.",
            "zh": "这个网址本身在{whose_zh}黑名单中{added_zh}。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self._lists = resources.lists

    def score(self, content: Link) -> Sequence[Evidence]:
        return (*self.score_host(content.host), *self.score_path(content))

    def score_host(self, host: Host) -> Sequence[Evidence]:
        """The operator's allowlist and domain entries (the pipeline caches this per host)."""
        found = self._lists.current.match_site(host.ascii, host.registrable)
        if found is None:
            return ()
        action, entries = found
        if action is _ALLOW:
            return (self._evidence("lists.allowed", 0.0, _ALLOWED, host, entries),)
        return (self._evidence("lists.blocked_domain", BLOCK_WEIGHT, _DECISIVE, host, entries),)

    def score_path(self, content: Link) -> Sequence[Evidence]:
        """Entries for this exact address; said only when the domain itself is not listed
        (the domain's reason already decides, and an allowlisted host wins)."""
        index = self._lists.current
        if not index.has_urls(_BLOCK):
            return ()
        host = content.host
        key = url_key(host.ascii, content.port, content.path, content.query)
        by_url = index.match_url(_BLOCK, key)
        if not by_url or index.match_host(_ALLOW, host.ascii, host.registrable):
            return ()
        if index.match_host(_BLOCK, host.ascii, host.registrable):
            return ()
        return (self._evidence("lists.blocked_url", BLOCK_WEIGHT, _DECISIVE, host, by_url),)

    def _evidence(
        self, code: str, weight: float, role: Role, host: Host, entries: Sequence[ListEntry]
    ) -> Evidence:
        first = entries[0]
        reference = first.reference
        case = ""
        if reference and role is _DECISIVE and reference.startswith("case:"):
            case = reference[5:]
        if case:
            # A community case confirmed by moderators: the reason names the case.
            code = "lists.community_case"
        return Evidence(
            self.name,
            code,
            weight,
            role,
            {
                "host": host.unicode,
                "case": case,
                **list_words(first.list),
                **added_words(first.added),
            },
            {
                # One entry is the usual case: no comprehension (a function call in 3.11).
                "matched": [first.describe()]
                if len(entries) == 1
                else [entry.describe() for entry in entries],
                "host": host.ascii,
            },
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        # These domains are in the bundled polkadot-js and MetaMask lists.
        return (
            example(
                "https://polkadot-dot.info/claim",
                ["lists.blocked_domain"],
                why="bundled polkadot-js entry",
            ),
            example(
                "http://app.polkadot-dot.info/",
                ["lists.blocked_domain"],
                why="subdomain of a listed domain",
            ),
            example(
                "https://kitaroworld.nft-premint.com",
                ["lists.blocked_domain"],
                why="bundled MetaMask entry",
            ),
            example(
                "https://polkadot.network/", forbid=["lists.blocked_domain"], why="the real site"
            ),
            example(
                "https://dot.info/",
                forbid=["lists.blocked_domain"],
                why="a parent is never matched",
            ),
        )


#: Whose list an id names, as the blocklist sentence says it (``{whose_en}``/``{whose_zh}``).
_LIST_WORDS: Mapping[str, tuple[str, str]] = {
    "bundled:polkadot-js": (
        "of phishing sites kept by the Polkadot project",
        " Polkadot 项目维护的钓鱼网站",
    ),
    "bundled:metamask": ("of phishing sites kept by MetaMask", " MetaMask 维护的钓鱼网站"),
    "operator": ("of this server's operator", "本服务器管理员的"),
    "community": ("of scams confirmed by this server's moderators", "本服务器审核员确认的诈骗"),
}
#: Lists named by their source: a feed this server imports, a peer server it pulls from.
_NAMED_LISTS: Mapping[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "feed": (("“", "” that this server subscribes to"), ("本服务器订阅的“", "”")),
    "peer": (("shared by the FakeWatch server “", "”"), (" FakeWatch 服务器“", "”共享的")),
    "bundled": (("“", "” shipped with FakeWatch"), (" FakeWatch 自带的“", "”")),
}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def list_words(list_id: str) -> dict[str, str]:
    """``whose_en``/``whose_zh`` for a list id (``bundled:metamask``, ``operator``,
    ``feed:urlhaus``…); an id this table does not know is quoted as it is."""
    known = _LIST_WORDS.get(list_id)
    if known is None:
        source, _, name = list_id.partition(":")
        if source in _NAMED_LISTS and name:
            (en_before, en_after), (zh_before, zh_after) = _NAMED_LISTS[source]
            known = (en_before + name + en_after, zh_before + name + zh_after)
        else:
            known = (f"“{list_id}”", f"“{list_id}”")
    return {"whose_en": known[0], "whose_zh": known[1]}


def added_words(added: str) -> dict[str, str]:
    """``added_en``/``added_zh``: the day an entry was added (a timestamp's date part), or
    nothing when the entry does not say."""
    day = _DATE.match(added or "")
    if day is None:
        return {"added_en": "", "added_zh": ""}
    return {"added_en": f", added on {day.group(0)}", "added_zh": f"，收录于 {day.group(0)}"}
