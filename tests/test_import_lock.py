"""A large import beside a running server: the server's writes go on while the import reads,
parses and stages, and the import holds SQLite's write lock only for its final apply step.

No timing is asserted. The import is paused at each phase (``on_phase``) and, while it waits
there, the test writes through the real server and tries ``BEGIN IMMEDIATE`` with a zero busy
timeout on a connection of its own. A lock held at that point would refuse the probe at once,
and would keep the server's write waiting until its busy timeout (503 busy), never a 201.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from server.feeds.importer import ImportSummary, Phase, import_feed
from server.media.exchange import import_entries, parse
from server.scoring.resources import Resources
from server.settings import Settings
from server.storage import known_fakes, queries
from server.storage.database import connect
from tests.support.server import RunningServer, start_server

#: Enough entries for several progress calls and a real diff; the test proves structure, not speed.
ENTRIES = 12_000


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("import-lock"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture
def cli(running: RunningServer) -> Iterator[Database]:
    """The connection `fakewatch feeds import` would open beside the server."""
    db = connect(running.db)
    yield db
    db.close()


def lock_is_free(path: Path) -> bool:
    """Whether another connection takes the write lock right now, without waiting at all."""
    probe = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    else:
        probe.execute("ROLLBACK")
        return True
    finally:
        probe.close()


def create_key(running: RunningServer, label: str) -> int:
    """A write through the real server (its writer waits up to the busy timeout, then 503)."""
    return running.request("POST", "/v1/keys", json_body={"role": "client", "label": label}).status


def domains(count: int, prefix: str) -> bytes:
    return "".join(f"{prefix}-{n}-wallet-claim.xyz\n" for n in range(count)).encode()


def run_import(
    db: Database,
    resources: Resources,
    data: bytes,
    name: str,
    on_phase: Callable[[Phase], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    return import_feed(
        db,
        data,
        name=name,
        fmt="plain",
        source="https://feeds.example/big.txt",
        action="block",
        parser=resources.parser,
        popular=frozenset(resources.top_sites),
        on_phase=on_phase,
        progress=progress,
    )


def active_values(db: Database, list_name: str) -> set[str]:
    cursor = db.execute(
        "SELECT value FROM list_entries WHERE list = ? AND removed_at IS NULL", [list_name]
    )
    return {row[0] for row in cursor}


def test_server_writes_go_through_while_a_feed_import_stages_and_only_the_apply_holds_the_lock(
    running: RunningServer, cli: Database, resources: Resources
) -> None:
    seen: dict[Phase, tuple[bool, int | None]] = {}

    def watch(phase: Phase) -> None:
        free = lock_is_free(running.db)
        # While the import is paused before its transaction, the server writes as usual.
        status = create_key(running, f"during {phase}") if phase is Phase.STAGED else None
        seen[phase] = (free, status)

    # The progress bar is fed while the feed is normalised, and once more when it is done.
    free_while_reading: list[bool] = []

    def progress(done: int, total: int) -> None:
        free_while_reading.append(lock_is_free(running.db))

    first = run_import(cli, resources, domains(ENTRIES, "a"), "big", watch, progress)
    assert seen == {Phase.STAGED: (True, 201), Phase.LOCKED: (False, None)}
    assert free_while_reading == [True] * (ENTRIES // 5_000 + 1)
    assert first.added == ENTRIES and active_values(cli, "feed:big") == {
        f"a-{n}-wallet-claim.xyz" for n in range(ENTRIES)
    }

    # A re-import with half the feed replaced: the same two phases, the lock only in the last.
    seen.clear()
    changed = domains(ENTRIES // 2, "a") + domains(ENTRIES // 2, "b")
    second = run_import(cli, resources, changed, "big", watch)
    assert seen == {Phase.STAGED: (True, 201), Phase.LOCKED: (False, None)}
    assert (second.added, second.updated, second.removed) == (
        ENTRIES // 2,
        ENTRIES // 2,
        ENTRIES - ENTRIES // 2,
    )
    labels = {row["label"] for row in queries.api_key_rows(cli)}
    assert {"during staged"} <= labels


def write_meanwhile(path: Path, change: Callable[[Database], None]) -> Callable[[Phase], None]:
    """An ``on_phase`` hook: once the import has staged (no lock held), another connection makes
    ``change`` and bumps ``lists_version``, as every list writer does."""

    def hook(phase: Phase) -> None:
        if phase is Phase.STAGED:
            other = connect(path)
            try:
                with other.conn:
                    change(other)
                    queries.bump_lists_version(other)
            finally:
                other.close()

    return hook


def recording(hook: Callable[[Phase], None], phases: list[Phase]) -> Callable[[Phase], None]:
    def record(phase: Phase) -> None:
        phases.append(phase)
        hook(phase)

    return record


def add_entry(list_name: str, value: str) -> Callable[[Database], None]:
    def change(db: Database) -> None:
        queries.upsert_list_entry(
            db,
            list_name=list_name,
            action="block",
            kind="domain",
            value=value,
            source="operator",
            added_at="2026-01-01",
            seen_at="2026-01-01T00:00:00Z",
        )

    return change


def test_a_list_written_between_the_snapshot_and_the_lock_is_diffed_again_under_the_lock(
    running: RunningServer, cli: Database, resources: Resources
) -> None:
    feed = domains(100, "c")
    run_import(cli, resources, feed, "raced")
    phases: list[Phase] = []

    # Another list changes meanwhile: the import's snapshot of its own list still holds.
    other_list = write_meanwhile(running.db, add_entry("operator", "elsewhere.example"))
    summary = run_import(cli, resources, feed, "raced", recording(other_list, phases))
    assert phases == [Phase.STAGED, Phase.LOCKED]
    assert (summary.added, summary.updated, summary.removed) == (0, 100, 0)

    # An entry is added to the feed's own list meanwhile: the feed does not list it, so the
    # import, diffing again under the lock, retires it as it would any missing entry.
    phases.clear()
    own_list = write_meanwhile(running.db, add_entry("feed:raced", "added-meanwhile.example"))
    summary = run_import(cli, resources, feed, "raced", recording(own_list, phases))
    assert phases == [Phase.STAGED, Phase.LOCKED, Phase.RESTAGED]
    assert (summary.added, summary.updated, summary.removed) == (0, 100, 1)
    assert active_values(cli, "feed:raced") == {f"c-{n}-wallet-claim.xyz" for n in range(100)}

    # The operator removes one of the feed's entries meanwhile: the feed still lists it, so
    # the import brings it back.
    phases.clear()
    entry_id = cli.execute(
        "SELECT id FROM list_entries WHERE list = 'feed:raced' AND value = 'c-7-wallet-claim.xyz'"
    ).fetchone()[0]
    removal = write_meanwhile(running.db, lambda db: queries.remove_list_entry(db, entry_id))
    summary = run_import(cli, resources, feed, "raced", recording(removal, phases))
    assert phases == [Phase.STAGED, Phase.LOCKED, Phase.RESTAGED]
    assert (summary.updated, summary.restored) == (99, 1)
    assert len(active_values(cli, "feed:raced")) == 100


def test_a_feed_import_that_fails_inside_its_transaction_changes_nothing(
    cli: Database, resources: Resources
) -> None:
    version = queries.lists_version(cli)

    def fail(phase: Phase) -> None:
        if phase is Phase.LOCKED:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        run_import(cli, resources, domains(50, "d"), "failed", fail)
    assert active_values(cli, "feed:failed") == set()
    assert queries.lists_version(cli) == version
    assert "failed" not in {row["name"] for row in queries.feed_rows(cli)}
    # Nothing staged is left behind on the connection: the next import starts clean.
    assert run_import(cli, resources, domains(50, "d"), "failed").added == 50


def test_server_writes_go_through_while_a_known_fakes_import_stages(
    running: RunningServer, cli: Database
) -> None:
    rows = ["signal_type,signal,known_fake_id,label,person,campaign,source,status,region,frame"]
    rows += [f"pdq,{n:064x},{n},fake {n},,spring,partner,confirmed,full,0" for n in range(3_000)]
    entries = parse("\n".join(rows), default_label="imported")
    before = known_fakes.version(cli)
    seen: dict[str, tuple[bool, int | None]] = {}

    def watch(phase: str) -> None:
        status = create_key(running, "during bank import") if phase == "staged" else None
        seen[phase] = (lock_is_free(running.db), status)

    ids = import_entries(cli, entries, "cli", on_phase=watch).ids
    assert seen == {"staged": (True, 201), "locked": (False, None)}
    assert len(ids) == 3_000 and ids == list(range(ids[0], ids[0] + 3_000))
    stored = [known_fakes.get(cli, i) for i in (ids[0], ids[-1])]
    assert [(e.label, e.hash_count) for e in stored if e] == [("fake 0", 1), ("fake 2999", 1)]
    assert known_fakes.version(cli) > before
