"""Where list entries come from: the bundled default blocklist and the database.

``load_index`` is called at start-up and whenever ``meta.lists_version`` moves (a feed import
or an operator edit, possibly from another process); it runs in a worker thread.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlite_utils import Database

from server.lists import Action, EntryKind, ListEntry, ListIndex
from server.storage import queries

BUNDLED_SOURCES = {
    "polkadot-js": "polkadot-js/phishing all.json deny list (Apache-2.0)",
    "metamask": "MetaMask eth-phishing-detect config.json blacklist (DBAD licence)",
}


def bundled_entries(data_dir: Path) -> Iterator[ListEntry]:
    """The default blocklist shipped in ``server/data`` (built by scripts/build_bundled_lists.py)."""
    with gzip.open(data_dir / "blocklist_default.tsv.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            host, list_name, added = line.rstrip("\n").split("\t")
            yield ListEntry(
                list=f"bundled:{list_name}",
                action=Action.BLOCK,
                kind=EntryKind.DOMAIN,
                value=host,
                source=BUNDLED_SOURCES.get(list_name, list_name),
                added=added,
            )


def load_index(db: Database, bundled: Sequence[ListEntry]) -> ListIndex:
    """A fresh index of ``bundled`` plus every active database entry, stamped with the
    database's lists version."""
    version = queries.lists_version(db)
    entries: list[ListEntry] = list(bundled)
    entries.extend(queries.active_list_entries(db))
    return ListIndex(entries, version=version)
