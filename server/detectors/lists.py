"""Blocklists and allowlists: the operator's allowlist wins, a listed domain or URL is decisive.

The reason names the list, the entry that matched and when it was added, so a person (or
the site owner appealing) can see exactly why.
"""

from __future__ import annotations

from collections.abc import Sequence
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
            "en": "{host} is on this server's allowlist ({list}).",
            "zh": "{host} 在本服务器的白名单中（{list}）。",
        },
        "lists.blocked_domain": {
            "en": "{host} is on the blocklist {list} (entry {entry}, added {added}).",
            "zh": "{host} 在黑名单 {list} 中（条目 {entry}，收录于 {added}）。",
        },
        "lists.community_case": {
            "en": "{host} was confirmed as a scam by this server's moderators (community case {case}, added {added}).",
            "zh": "{host} 已被本服务器的审核员确认为诈骗（社区案件 {case}，收录于 {added}）。",
        },
        "lists.blocked_url": {
            "en": "This exact address is on the blocklist {list} (added {added}).",
            "zh": "这个网址本身在黑名单 {list} 中（收录于 {added}）。",
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
                "list": first.list,
                "entry": first.value,
                "added": first.added or "?",
                "case": case,
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
