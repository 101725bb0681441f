"""Reloading the in-memory indexes from SQLite: a slow reload never puts back an older state.

The server reloads the known-fakes bank (and lists, persons) after its own writes and on a
timer for other processes' writes; the two can overlap, and the one that read first may
finish last.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from server.engine import Engine
from server.media.hashing import HashKind, RegionHash
from server.settings import Settings
from server.storage import known_fakes
from server.storage.database import connect, immediate


def _add_fake(db: Database, label: str) -> int:
    region = RegionHash(
        "full",
        {HashKind.PDQ: b"\x5a" * 32, HashKind.PHASH: b"\x0f" * 8, HashKind.DHASH: b"\x33" * 8},
        100,
    )
    with immediate(db) as tx:
        return known_fakes.add(tx, label=label, added_by="test", hashes=[region])


def test_a_reload_that_read_before_a_write_does_not_replace_the_reload_after_it(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "fw.db")
    engine = Engine.build(Settings(data_dir=tmp_path, bundled_blocklist=False), db)
    _add_fake(db, "first")
    slow = connect(tmp_path / "fw.db")  # the periodic refresh's own connection
    slow.conn.execute("BEGIN")  # it has started reading: the state before the next write
    slow.execute("SELECT 1 FROM meta").fetchall()
    _add_fake(db, "second")
    engine.reload_known_fakes(db)  # the write's own reload: both fakes
    newest = engine.known_fakes_version
    assert len(engine.resources.known_fakes.current.entries) == 2

    engine.reload_known_fakes(slow)  # the slow reload finishes last, with one fake
    slow.conn.execute("COMMIT")

    assert engine.known_fakes_version == newest
    assert len(engine.resources.known_fakes.current.entries) == 2
