"""Two servers on one database file (``serve --workers``, or the CLI beside a server): a write
that reads before it writes waits its turn instead of failing with "database is locked"."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from sqlite_utils import Database as SqliteDb

from server.storage.database import Database, connect, immediate
from tests.support.server import start_server

AUDIT = (
    "INSERT INTO audit_log (at, actor, action, target, details) VALUES ('2026', ?, 't', 'x', '{}')"
)


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


def test_a_cli_transaction_that_reads_then_writes_survives_a_server_write_in_between(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shared.db"
    server = Database(path)
    cli = connect(path)
    try:

        def server_write(db: SqliteDb) -> None:
            db.execute(AUDIT, ["server"])

        with immediate(cli):  # what `fakewatch feeds import` and the other commands use
            cli.execute("SELECT COUNT(*) FROM audit_log").fetchone()
            # The server writes now: it waits for our lock instead of slipping in between.
            pending = threading.Thread(target=lambda: asyncio.run(server.write(server_write)))
            pending.start()
            pending.join(timeout=0.5)
            assert pending.is_alive()
            cli.execute(AUDIT, ["cli"])
        pending.join(timeout=10)
        actors = [r[0] for r in cli.execute("SELECT actor FROM audit_log ORDER BY id")]
        assert actors == ["cli", "server"]
    finally:
        server.close()
        cli.close()


def test_a_write_kept_waiting_past_the_busy_timeout_is_a_503_busy_not_a_500(
    tmp_path: Path,
) -> None:
    running = start_server(tmp_path)
    blocker = sqlite3.connect(running.db, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock (5 s+)
        waited = running.request("POST", "/v1/keys", json_body={"role": "client", "label": "x"})
        assert waited.status == 503, waited.body
        assert waited.json()["code"] == "busy" and waited.headers["Retry-After"] == "1"
        blocker.execute("ROLLBACK")
        again = running.request("POST", "/v1/keys", json_body={"role": "client", "label": "x"})
        assert again.status == 201
    finally:
        blocker.close()
        running.stop()
