"""Blocklists and allowlists, held in memory for lookups at link-check speed.

Entries come from two places: the bundled default blocklist (``server/data``) and the
database (feeds and operator entries). Both are folded into one immutable ``ListIndex``; a
new index is built off the event loop and swapped in whole, so a check never sees half a list.

Matching rules:
- a domain entry matches the host and its subdomains, never its parent: ``evil.com`` matches
  ``a.evil.com``; ``x.pages.dev`` matches ``x.pages.dev`` but not ``y.pages.dev``;
- a URL entry (from URL feeds such as URLhaus) matches that exact URL, with or without its
  query, so one bad page on a big host does not block the whole host.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.keys import without_key_prefixes


class Action(StrEnum):
    BLOCK = "block"
    ALLOW = "allow"


#: Module-level names for the hot paths: reading ``Action.BLOCK`` goes through the enum
#: class's attribute lookup, several times slower than a global.
_ALLOW = Action.ALLOW
_BLOCK = Action.BLOCK


class EntryKind(StrEnum):
    DOMAIN = "domain"
    URL = "url"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One line of one list, with where it came from and when it was added."""

    list: str
    action: Action
    kind: EntryKind
    value: str
    source: str
    added: str
    entry_id: int | None = None
    reference: str | None = None

    def describe(self) -> dict[str, Any]:
        """The evidence a reason shows for this entry."""
        shown: dict[str, Any] = {
            "list": self.list,
            "entry": self.value,
            "source": without_key_prefixes(self.source),
            "added": self.added,
        }
        if self.entry_id is not None:
            shown["entry_id"] = self.entry_id
        if self.reference:
            shown["reference"] = self.reference
        return shown


def url_key(host: str, port: int | None, path: str, query: str) -> str:
    """The form URL entries are stored and matched in: no scheme, no fragment."""
    netloc = host if port is None else f"{host}:{port}"
    return f"{netloc}{path}" + (f"?{query}" if query else "")


class ListIndex:
    """An immutable snapshot of every list, indexed for O(labels) lookups."""

    def __init__(self, entries: Iterable[ListEntry] = (), version: int = 0) -> None:
        domains: dict[Action, dict[str, list[ListEntry]]] = {a: {} for a in Action}
        urls: dict[Action, dict[str, list[ListEntry]]] = {a: {} for a in Action}
        count = 0
        for entry in entries:
            table = domains if entry.kind is EntryKind.DOMAIN else urls
            table[entry.action].setdefault(entry.value, []).append(entry)
            count += 1
        self._domains: Mapping[Action, Mapping[str, tuple[ListEntry, ...]]] = {
            a: {k: tuple(v) for k, v in t.items()} for a, t in domains.items()
        }
        self._urls: Mapping[Action, Mapping[str, tuple[ListEntry, ...]]] = {
            a: {k: tuple(v) for k, v in t.items()} for a, t in urls.items()
        }
        # The tables link checks read, as plain attributes: an enum-keyed lookup costs a
        # Python-level ``Enum.__hash__`` call, and these are read for every link.
        self._allow_domains = self._domains[Action.ALLOW]
        self._block_domains = self._domains[Action.BLOCK]
        self._block_urls = self._urls[Action.BLOCK]
        self.version = version
        self.size = count

    def match_host(self, action: Action, host: str, registrable: str) -> tuple[ListEntry, ...]:
        """Entries for ``host`` or any parent of it down to its registrable domain."""
        table = self._block_domains if action is _BLOCK else self._allow_domains
        return _walk(table, host, registrable) if table else ()

    def match_site(
        self, host: str, registrable: str
    ) -> tuple[Action, tuple[ListEntry, ...]] | None:
        """What the lists say of a host, in one call: the allowlist's entries for it (they
        win), else the blocklist's, else ``None``. Same rules as ``match_host``."""
        allow = self._allow_domains
        if allow:
            allowed = _walk(allow, host, registrable)
            if allowed:
                return _ALLOW, allowed
        # ``_walk`` written out: this runs once for every new host a link check sees.
        block = self._block_domains
        candidate = host
        while True:
            found = block.get(candidate)
            if found:
                return _BLOCK, found
            if candidate == registrable:
                return None
            dot = candidate.find(".")
            if dot < 0:
                return None
            candidate = candidate[dot + 1 :]

    def match_url(self, action: Action, key: str) -> tuple[ListEntry, ...]:
        """Entries for exactly this URL, or for the same URL without its query."""
        table = self._block_urls if action is _BLOCK else self._urls[action]
        if not table:
            return ()
        found = table.get(key)
        if found:
            return found
        if "?" in key:
            return table.get(key.split("?", 1)[0], ())
        return ()

    def has_urls(self, action: Action) -> bool:
        """True when any URL entry of this action exists (most lists hold domains only)."""
        return bool(self._block_urls if action is _BLOCK else self._urls[action])

    def values(self, action: Action, kind: EntryKind) -> Iterator[str]:
        """Every listed value (host or URL key) of one action and kind, once each."""
        table = self._domains if kind is EntryKind.DOMAIN else self._urls
        return iter(table[action])

    def counts(self) -> dict[str, int]:
        """Entries per list name, for ``GET /v1/lists`` and the metrics."""
        totals: dict[str, int] = {}
        for tables in (self._domains, self._urls):
            for table in tables.values():
                for entries in table.values():
                    for entry in entries:
                        totals[entry.list] = totals.get(entry.list, 0) + 1
        return totals


def _walk(
    table: Mapping[str, tuple[ListEntry, ...]], host: str, registrable: str
) -> tuple[ListEntry, ...]:
    """Entries for ``host``, else for each parent in turn, down to ``registrable``."""
    candidate = host
    while True:
        found = table.get(candidate)
        if found:
            return found
        if candidate == registrable:
            return ()
        dot = candidate.find(".")
        if dot < 0:
            return ()
        candidate = candidate[dot + 1 :]


class ListIndexHolder:
    """The current ``ListIndex``; replaced whole when lists change."""

    def __init__(self, index: ListIndex | None = None) -> None:
        self.current = index if index is not None else ListIndex()

    def swap(self, index: ListIndex) -> None:
        self.current = index
