"""Two servers on one database file (``serve --workers``, or the CLI beside a server): a write
that reads before it writes waits its turn instead of failing with "database is locked"."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from sqlite_utils import Database as SqliteDb

from server.storage.database import Database


def test_a_read_then_write_waits_for_the_other_process_instead_of_failing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    first, second = Database(path), Database(path)
    first_has_read = threading.Event()
    second_committed = threading.Event()

    def read_then_write(db: SqliteDb) -> int:
        seen = db.execute("SELECT COUNT(*) FROM api_keys").fetchone()[0]
        first_has_read.set()
        # The other writer gets its chance to commit between our read and our write.
        second_committed.wait(timeout=1.0)
        db.execute(
            "INSERT INTO audit_log (at, actor, action, target, details) VALUES "
            "('2026-01-01', 'first', 'test', 'x', '{}')"
        )
        return int(seen)

    def write(db: SqliteDb) -> None:
        db.execute(
            "INSERT INTO audit_log (at, actor, action, target, details) VALUES "
            "('2026-01-01', 'second', 'test', 'x', '{}')"
        )

    async def both() -> None:
        task = asyncio.create_task(first.write(read_then_write))
        await asyncio.get_running_loop().run_in_executor(None, first_has_read.wait, 5.0)
        await second.write(write)
        second_committed.set()
        await task

    try:
        asyncio.run(both())
        rows = asyncio.run(
            first.read(lambda db: [r[0] for r in db.execute("SELECT actor FROM audit_log")])
        )
        assert sorted(rows) == ["first", "second"]
    finally:
        first.close()
        second.close()
