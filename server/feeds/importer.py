"""Import a blocklist (or allowlist) feed into the database as the list ``feed:NAME``.

``import_feed`` parses the whole feed first, normalises every value with the ``LinkParser``
link checks use, and only then writes, in one transaction: a feed that fails to parse
changes nothing, and readers never see half a feed.

That one transaction is short, because while it holds SQLite's write lock every other writer
(the server's reports, keys, moderation; a second ``serve --workers`` worker) waits, and the
server's writers give up after the busy timeout with 503 busy. So everything that can happen before
it does, without the lock: parsing, normalising, reading the list's current entries (a read
snapshot, with ``lists_version``), working out what changed, and staging the rows in TEMP
tables (the temp schema is the connection's own: writing it takes no lock on the database).
The transaction then moves the rows with a few set-based statements. If ``lists_version``
moved between the snapshot and the lock (another writer changed a list; every list writer
bumps it) and this very list changed (``staging.ListMark``), the change is worked out again
inside the transaction, as before.

Rules, each with its reason:

- Idempotent: importing the same data again changes nothing but ``seen_at``.
- Entries of the feed missing from a new import get ``removed_at`` (history is kept, the
  index no longer matches them); entries that come back are restored with their first date.
- A domain entry that is a public suffix (``pages.dev``, ``co.uk``) is refused: it would
  block every site under it.
- For a block import, a domain entry whose registrable domain is a popular site is refused:
  feeds do carry mistakes like ``docs.google.com``, and one would block millions of people's
  links. A URL entry on a popular host is fine, it blocks that page only.
- A domain-feed value that is a URL with a path becomes a URL entry (the page, not the host).
- ``added_at`` is the feed's own date when it has one, else the date of the first import;
  ``seen_at`` and ``removed_at`` are full timestamps.
- ``source`` never keeps a URL's query string (API keys live there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sqlite_utils import Database

from server.feeds.errors import EmptyFeed, FeedError
from server.feeds.fetch import public_source
from server.feeds.formats import FeedItem, get_format
from server.feeds.staging import Changes, ListMark, StagedFeed
from server.links.url import Host, InvalidUrl, LinkParser
from server.lists import Action, EntryKind, url_key
from server.storage import queries
from server.storage.database import immediate, snapshot

#: ``(done, total)``: called as entries are read and once at the end, for a progress bar.
Progress = Callable[[int, int], None]

LIST_PREFIX = "feed:"
#: Entries between two progress calls: often enough for a smooth bar, rarely enough to be free.
PROGRESS_EVERY = 5_000
#: ``on_phase(phase)``: called as an import reaches each phase (tests watch the lock with it).
PhaseHook = Callable[["Phase"], None]

#: Refused values kept per reason, to show the operator what was skipped.
EXAMPLES_KEPT = 3
_NAME = re.compile(r"[a-z0-9][a-z0-9._\-]{0,63}")


class Skip(StrEnum):
    """Why a feed value did not become an entry."""

    INVALID = "invalid"
    SUFFIX = "suffix"
    POPULAR = "popular"


class Phase(StrEnum):
    """Where an import is: ``STAGED`` (rows diffed and staged, no lock held yet), ``LOCKED``
    (inside the write transaction, before the rows move), ``RESTAGED`` (the list changed
    since the snapshot, so the rows were diffed and staged again, under the lock)."""

    STAGED = "staged"
    LOCKED = "locked"
    RESTAGED = "restaged"


def _phase(hook: PhaseHook | None, phase: Phase) -> None:
    if hook is not None:
        hook(phase)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import did.

    ``total`` counts the values the feed held; ``entries`` the distinct entries kept from
    them (duplicates and spelling variants collapse). Of those, ``added`` are new,
    ``restored`` had been removed by an earlier import, and ``updated`` were already active.
    ``removed`` entries of the feed were missing this time. ``skipped_*`` values were refused;
    ``examples`` holds up to three refused values per reason (``invalid``, ``suffix``,
    ``popular``).
    """

    name: str
    format: str
    action: Action
    source: str
    imported_at: str
    total: int
    entries: int
    added: int
    updated: int
    restored: int
    removed: int
    skipped_invalid: int
    skipped_suffix: int
    skipped_popular: int
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def list_name(self) -> str:
        return LIST_PREFIX + self.name

    @property
    def skipped(self) -> int:
        return self.skipped_invalid + self.skipped_suffix + self.skipped_popular

    def counts(self) -> dict[str, int]:
        """The figures, for the audit log and machine-readable output."""
        return {
            "total": self.total,
            "entries": self.entries,
            "added": self.added,
            "updated": self.updated,
            "restored": self.restored,
            "removed": self.removed,
            "skipped_invalid": self.skipped_invalid,
            "skipped_suffix": self.skipped_suffix,
            "skipped_popular": self.skipped_popular,
        }

    def describe(self) -> str:
        """One paragraph for a person: what changed and what was refused, with examples."""
        text = (
            f"Imported {self.list_name} ({self.format}, {self.action} list) from {self.source}:"
            f" {self.total:,} values read, {self.entries:,} entries kept —"
            f" {self.added:,} added, {self.updated:,} unchanged, {self.restored:,} restored,"
            f" {self.removed:,} removed."
        )
        duplicates = self.total - self.skipped - self.entries
        if duplicates:
            text += f" {duplicates:,} duplicates were merged."
        refused = [
            self._refused(self.skipped_invalid, "unreadable", Skip.INVALID),
            self._refused(self.skipped_suffix, "public suffixes", Skip.SUFFIX),
            self._refused(self.skipped_popular, "domains of popular sites", Skip.POPULAR),
        ]
        shown = [part for part in refused if part]
        if shown:
            text += " Skipped " + "; ".join(shown) + "."
        if self.skipped_popular:
            text += (
                " Blocking a popular site's domain would flag every page of it: to block a"
                " scam page there, list its URL."
            )
        return text

    def _refused(self, count: int, label: str, reason: Skip) -> str:
        if not count:
            return ""
        examples = self.examples.get(reason.value, ())
        suffix = f" (e.g. {', '.join(examples)})" if examples else ""
        return f"{count:,} {label}{suffix}"


@dataclass(frozen=True, slots=True)
class _Found:
    """What the feed says about one normalised entry."""

    added: str | None
    reference: str | None


@dataclass
class _Normalised:
    """The feed after normalisation: entries by ``(kind, value)`` and what was refused."""

    entries: dict[tuple[EntryKind, str], _Found] = field(default_factory=dict)
    skipped: dict[Skip, int] = field(default_factory=lambda: dict.fromkeys(Skip, 0))
    examples: dict[Skip, list[str]] = field(default_factory=dict)

    def keep(self, key: tuple[EntryKind, str], item: FeedItem) -> None:
        found = self.entries.get(key)
        if found is None:
            self.entries[key] = _Found(item.added, item.reference)
            return
        # The same entry twice (or spelled twice): keep its earliest date and any reference.
        dates = [d for d in (found.added, item.added) if d]
        self.entries[key] = _Found(min(dates, default=None), found.reference or item.reference)

    def skip(self, reason: Skip, value: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < EXAMPLES_KEPT:
            shown.append(value[:80])


def import_feed(
    db: Database,
    data: bytes,
    *,
    name: str,
    fmt: str,
    source: str,
    action: Action | str,
    parser: LinkParser,
    popular: frozenset[str],
    progress: Progress | None = None,
    actor: str = "cli",
    now: str | None = None,
    on_phase: PhaseHook | None = None,
) -> ImportSummary:
    """Import ``data`` (a feed in format ``fmt``) as the list ``feed:NAME`` and summarise.

    ``source`` is where the data came from (its query string is dropped before it is
    stored); ``action`` is ``block`` or ``allow``; ``parser`` normalises hosts and URLs
    (``Resources.parser``); ``popular`` holds the registrable domains a block feed may not
    list (``frozenset(Resources.top_sites)``). ``progress(done, total)`` is called as the
    feed is read; ``actor`` names who imported it in the audit log; ``now`` (ISO-8601 UTC,
    ``queries.now_iso()`` by default) stamps ``seen_at`` and friends. ``on_phase(phase)`` is
    called as the import reaches each ``Phase`` (tests use it to look at the lock).

    Raises ``FeedFormatError`` for data not in format ``fmt``, ``EmptyFeed`` when no value
    is usable, ``FeedError`` for a bad name or action; in each case nothing is written.
    """
    _check_name(name)
    list_action = _action(action)
    feed_format = get_format(fmt)
    items = list(feed_format.parser(list_action)(data))
    block_popular = popular if list_action is Action.BLOCK else frozenset()
    normalised = _normalise_all(items, parser, block_popular, progress)
    if not normalised.entries:
        raise EmptyFeed(_empty_message(len(items), normalised))
    at = now or queries.now_iso()
    shown_source = public_source(source)
    list_name = LIST_PREFIX + name
    staged = StagedFeed(list_name, list_action, normalised.entries)
    try:
        with snapshot(db):
            version = queries.lists_version(db)
            existing = queries.list_entry_states(db, list_name)
            mark = ListMark.read(db, name, existing)
        changes = staged.stage(db, existing)
        _phase(on_phase, Phase.STAGED)
        with immediate(db):
            _phase(on_phase, Phase.LOCKED)
            moved = queries.lists_version(db) != version
            if moved and not mark.holds(db, name, list_name):
                # Another writer changed this list since the snapshot: diff again, under the lock.
                _phase(on_phase, Phase.RESTAGED)
                changes = staged.stage(db, queries.list_entry_states(db, list_name))
            staged.apply(db, source=shown_source, at=at)
            summary = _summary(
                name, fmt, list_action, shown_source, at, len(items), normalised, changes
            )
            _record(db, summary, actor)
    finally:
        StagedFeed.drop(db)
    if progress is not None:
        progress(len(items), len(items))
    return summary


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise FeedError(
            f"Feed name {name!r} should be 1 to 64 lowercase letters, digits, '.', '_' or '-'.",
            code="bad_feed_name",
        )


def _action(action: Action | str) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise FeedError(
            f"A feed is imported as a 'block' or an 'allow' list, not {action!r}.",
            code="bad_feed_action",
        ) from None


def _empty_message(total: int, normalised: _Normalised) -> str:
    if not total:
        return "The feed holds no entries; nothing was changed."
    refused = ", ".join(f"{count:,} {reason}" for reason, count in normalised.skipped.items())
    return f"None of the feed's {total:,} values could be used ({refused}); nothing was changed."


# --- normalisation ----------------------------------------------------------------------------


def _normalise_all(
    items: list[FeedItem],
    parser: LinkParser,
    popular: frozenset[str],
    progress: Progress | None,
) -> _Normalised:
    normalised = _Normalised()
    total = len(items)
    for done, item in enumerate(items, start=1):
        result = normalise(item, parser, popular)
        if isinstance(result, Skip):
            normalised.skip(result, item.value)
        else:
            normalised.keep(result, item)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    return normalised


def normalise(
    item: FeedItem, parser: LinkParser, popular: frozenset[str]
) -> tuple[EntryKind, str] | Skip:
    """The ``(kind, value)`` an item is stored as, or why it is refused.

    Values are stored exactly as link checks look them up: a domain as its lowercase
    punycode host, a URL as ``url_key`` of the parsed (and unwrapped) link.
    """
    try:
        if item.kind is EntryKind.URL:
            return EntryKind.URL, _url_key(parser, item.value)
        return _domain_entry(item.value, parser, popular)
    except InvalidUrl:
        return Skip.INVALID


def _url_key(parser: LinkParser, value: str) -> str:
    link = parser.parse(value)
    return url_key(link.host.ascii, link.port, link.path, link.query)


def _domain_entry(
    value: str, parser: LinkParser, popular: frozenset[str]
) -> tuple[EntryKind, str] | Skip:
    host: Host
    if "/" in value or ":" in value:
        # A URL or host:port in a domain feed: a bare host is a domain, but a page is only
        # that page, never its whole host.
        link = parser.parse(value)
        if link.path != "/" or link.query:
            return EntryKind.URL, url_key(link.host.ascii, link.port, link.path, link.query)
        host = link.host
    else:
        host = parser.parse_host(value)
    if host.is_ip:
        return EntryKind.DOMAIN, host.ascii
    if parser.suffixes.is_suffix(host.ascii):
        return Skip.SUFFIX
    if not host.parts.registrable:
        return Skip.INVALID  # A single label such as ``localhost``: not a site on the web.
    if host.registrable in popular:
        return Skip.POPULAR
    return EntryKind.DOMAIN, host.ascii


# --- writing ----------------------------------------------------------------------------------


def _summary(
    name: str,
    fmt: str,
    action: Action,
    source: str,
    at: str,
    total: int,
    normalised: _Normalised,
    changes: Changes,
) -> ImportSummary:
    return ImportSummary(
        name=name,
        format=fmt,
        action=action,
        source=source,
        imported_at=at,
        total=total,
        entries=len(normalised.entries),
        added=changes.added,
        updated=changes.updated,
        restored=changes.restored,
        removed=changes.removed,
        skipped_invalid=normalised.skipped[Skip.INVALID],
        skipped_suffix=normalised.skipped[Skip.SUFFIX],
        skipped_popular=normalised.skipped[Skip.POPULAR],
        examples={reason.value: tuple(values) for reason, values in normalised.examples.items()},
    )


def _record(db: Database, summary: ImportSummary, actor: str) -> None:
    """The ``feeds`` row, one audit entry, and one lists-version bump for running servers."""
    queries.record_feed_import(
        db,
        name=summary.name,
        format=summary.format,
        source=summary.source,
        action=summary.action.value,
        imported_at=summary.imported_at,
        entries=summary.entries,
        added=summary.added,
        removed=summary.removed,
        skipped=summary.skipped,
    )
    queries.audit(
        db,
        actor=actor,
        action="feed.import",
        target=summary.list_name,
        details={
            "format": summary.format,
            "source": summary.source,
            "action": summary.action.value,
            **summary.counts(),
        },
    )
    queries.bump_lists_version(db)
