"""A feed's rows staged in TEMP tables, then moved into ``list_entries`` by a few statements.

Why TEMP tables: the temp schema belongs to the connection, so filling it takes no lock on
the database file and other writers carry on meanwhile. Only ``apply`` runs under the write
lock, and it is four set-based statements (insert the new entries, refresh the ones seen
again and their references, retire the missing ones) with no Python in the loop: the lock
is held for the time SQLite needs to write the rows, nothing more. Rows are staged in the
order of the index or table they go into, so SQLite walks those pages in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from server.lists import Action, EntryKind
from server.storage.database import snapshot

#: The TEMP tables, named literally in the SQL below.
_TABLES = (
    "feed_import_new",
    "feed_import_seen",
    "feed_import_references",
    "feed_import_gone",
)


class Found(Protocol):
    """What the feed says about one entry (``importer._Found``)."""

    @property
    def added(self) -> str | None: ...

    @property
    def reference(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Changes:
    """What applying the staged rows does (counted when they are staged)."""

    added: int
    updated: int
    restored: int
    removed: int


@dataclass(frozen=True, slots=True)
class ListMark:
    """Enough of one list's state to tell, under the write lock, whether it moved since a
    snapshot, without reading it all again.

    Who writes a ``feed:`` list: imports of that feed (they rewrite the ``feeds`` row), and the
    operator removing one entry by id (the active count drops). Any new row has a higher id.
    So: same ``feeds`` row, no row of the list above ``max_id``, same active count -> the
    snapshot still holds.
    """

    feed_row: tuple[object, ...] | None
    max_id: int
    active: int

    @classmethod
    def read(
        cls, db: Database, name: str, states: Mapping[tuple[str, str, str], tuple[int, bool]]
    ) -> ListMark:
        """The mark of a snapshot (``states``: the list's ``queries.list_entry_states``)."""
        top = db.execute("SELECT COALESCE(MAX(id), 0) FROM list_entries").fetchone()[0]
        active = sum(1 for _, removed in states.values() if not removed)
        return cls(_feed_row(db, name), int(top), active)

    def holds(self, db: Database, name: str, list_name: str) -> bool:
        """Whether the list is still as the snapshot saw it (call under the write lock)."""
        if _feed_row(db, name) != self.feed_row:
            return False
        newer = db.execute(
            "SELECT 1 FROM list_entries WHERE id > ? AND list = ? LIMIT 1",
            [self.max_id, list_name],
        ).fetchone()
        if newer is not None:
            return False
        active = db.execute(
            "SELECT COUNT(*) FROM list_entries WHERE list = ? AND removed_at IS NULL",
            [list_name],
        ).fetchone()[0]
        return int(active) == self.active


def _feed_row(db: Database, name: str) -> tuple[object, ...] | None:
    row = db.execute(
        "SELECT imported_at, source, action, entries, added, removed FROM feeds WHERE name = ?",
        [name],
    ).fetchone()
    return tuple(row) if row is not None else None


class StagedFeed:
    """The entries of one import, diffed against the list's current entries and staged."""

    def __init__(
        self,
        list_name: str,
        action: Action,
        entries: Mapping[tuple[EntryKind, str], Found],
    ) -> None:
        self.list_name = list_name
        self.action = action
        self.entries = entries

    def stage(self, db: Database, current: dict[tuple[str, str, str], tuple[int, bool]]) -> Changes:
        """Diff the feed against ``current`` (``queries.list_entry_states``, emptied here) and
        fill the TEMP tables with the rows ``apply`` moves; returns what applying them changes."""
        new: list[tuple[str, str, str | None, str | None]] = []
        seen: list[tuple[int]] = []
        references: list[tuple[int, str]] = []
        restored = 0
        for (kind, value), found in self.entries.items():
            state = current.pop((self.action.value, kind.value, value), None)
            if state is None:
                new.append((kind.value, value, found.added, found.reference))
                continue
            entry_id, was_removed = state
            seen.append((entry_id,))
            if found.reference:
                references.append((entry_id, found.reference))
            restored += was_removed
        # What is left in ``current`` is absent from this import, under either action: a feed
        # re-imported as an allowlist no longer blocks what it used to.
        gone = [(entry_id,) for entry_id, was_removed in current.values() if not was_removed]
        # In the order of the index (new) or the table (ids) they go into: pages in order.
        for rows in (new, seen, references, gone):
            rows.sort()
        with snapshot(db):
            self._create(db)
            conn = db.conn
            conn.executemany(
                "INSERT INTO temp.feed_import_new VALUES (?, ?, ?, ?)",
                new,
            )
            conn.executemany("INSERT INTO temp.feed_import_seen VALUES (?)", seen)
            conn.executemany("INSERT INTO temp.feed_import_references VALUES (?, ?)", references)
            conn.executemany("INSERT INTO temp.feed_import_gone VALUES (?)", gone)
        return Changes(
            added=len(new), updated=len(seen) - restored, restored=restored, removed=len(gone)
        )

    def apply(self, db: Database, *, source: str, at: str) -> None:
        """Move the staged rows into ``list_entries`` (call inside the write transaction).

        ``WHERE id IN (SELECT id FROM temp...)`` makes SQLite look each staged id up; an
        ``UPDATE ... FROM`` join scans the whole ``list_entries`` table instead.
        """
        db.execute(
            "INSERT INTO list_entries (list, action, kind, value, source, added_at, seen_at,"
            " reference) SELECT ?, ?, kind, value, ?, COALESCE(added_at, ?), ?, reference"
            " FROM temp.feed_import_new ORDER BY rowid",
            [self.list_name, self.action.value, source, at[:10], at],
        )
        # A removed entry seen again comes back with its history.
        db.execute(
            "UPDATE list_entries SET seen_at = ?, removed_at = NULL, source = ?"
            " WHERE id IN (SELECT id FROM temp.feed_import_seen)",
            [at, source],
        )
        # A reference is replaced by the feed's, never erased by a feed without one.
        db.execute(
            "UPDATE list_entries SET reference = (SELECT r.reference FROM"
            " temp.feed_import_references AS r WHERE r.id = list_entries.id)"
            " WHERE id IN (SELECT id FROM temp.feed_import_references)"
        )
        db.execute(
            "UPDATE list_entries SET removed_at = ?"
            " WHERE id IN (SELECT id FROM temp.feed_import_gone) AND removed_at IS NULL",
            [at],
        )

    @staticmethod
    def drop(db: Database) -> None:
        """Drop the TEMP tables (they would live as long as the connection)."""
        for table in _TABLES:
            db.execute(f"DROP TABLE IF EXISTS temp.{table}")

    @staticmethod
    def _create(db: Database) -> None:
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS feed_import_new"
            " (kind TEXT NOT NULL, value TEXT NOT NULL, added_at TEXT, reference TEXT)"
        )
        db.execute("CREATE TEMP TABLE IF NOT EXISTS feed_import_seen (id INTEGER PRIMARY KEY)")
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS feed_import_references"
            " (id INTEGER PRIMARY KEY, reference TEXT NOT NULL)"
        )
        db.execute("CREATE TEMP TABLE IF NOT EXISTS feed_import_gone (id INTEGER PRIMARY KEY)")
        for table in _TABLES:
            db.execute(f"DELETE FROM temp.{table}")  # noqa: S608 (names from _TABLES)
