"""Group commit: concurrent reports share a transaction, and each caller hears back only
after the transaction holding its report committed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from server.community.ingest import ReportWriter
from server.community.store import Stored
from server.storage.database import Database
from tests.test_brigading import _report


def test_concurrent_reports_share_commits_and_are_on_disk_when_answered(tmp_path: Path) -> None:
    db_path = tmp_path / "fakewatch.db"

    async def burst(wait_s: float, offset: int) -> tuple[list[Stored], int]:
        db = Database(db_path)
        writer = ReportWriter(db, wait_s)
        writer.start()
        answered: list[Stored] = []

        async def one(i: int) -> None:
            stored = await writer.submit(_report(f"w{i % 7}.example", f"key:1:r{offset + i}"))
            # Acknowledged: a separate connection already sees it.
            with sqlite3.connect(db_path) as other:
                found = other.execute("SELECT 1 FROM reports WHERE id = ?", [stored.id])
                assert found.fetchone() is not None
            answered.append(stored)

        await asyncio.gather(*(one(i) for i in range(60)))
        batches = writer.batches
        await writer.stop()
        db.close()
        return answered, batches

    quick, quick_batches = asyncio.run(burst(0.0, 0))
    waited, waited_batches = asyncio.run(burst(0.02, 1000))
    assert len({s.id for s in quick + waited}) == 120 and not any(s.duplicate for s in quick)
    assert quick_batches < 60  # grouped even without a wait: what queued during a commit
    assert waited_batches <= 3  # a 20 ms wait gathers the whole burst
