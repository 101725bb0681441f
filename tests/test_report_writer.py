"""Group commit: concurrent reports share a transaction, each caller hears back only after the
transaction holding its report committed, and a busy writer waits to gather more."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

from server.community.ingest import BUSY_BATCH, ReportWriter
from server.community.store import Stored
from server.storage.database import Database
from tests.test_brigading import _report


def test_concurrent_reports_share_commits_and_are_on_disk_when_answered(tmp_path: Path) -> None:
    db_path = tmp_path / "fakewatch.db"

    async def run() -> tuple[int, int]:
        db = Database(db_path)
        writer = ReportWriter(db, wait_s=0.05)
        writer.start()

        async def one(i: int, delay: float = 0.0) -> int:
            await asyncio.sleep(delay)
            stored = await writer.submit(_report(f"w{i % 7}.example", f"key:1:r{i}"))
            # Acknowledged: a separate connection already sees it.
            with sqlite3.connect(db_path) as other:
                found = other.execute("SELECT 1 FROM reports WHERE id = ?", [stored.id])
                assert found.fetchone() is not None
            return stored.id

        # A burst: everything queued during one commit goes into it, no wait needed.
        first = await asyncio.gather(*(one(i) for i in range(2 * BUSY_BATCH)))
        after_burst = writer.batches
        # Busy now: reports trickling in 1 ms apart are gathered for 50 ms, not one by one.
        second = await asyncio.gather(*(one(100 + i, i / 1000) for i in range(30)))
        trickle = writer.batches - after_burst
        await writer.stop()
        db.close()
        assert len(set(first + second)) == 2 * BUSY_BATCH + 30
        return after_burst, trickle

    after_burst, trickle = asyncio.run(run())
    assert after_burst == 1
    assert trickle <= 3


def test_a_batch_that_fails_takes_back_the_media_files_it_wrote(tmp_path: Path) -> None:
    """A kept picture is written inside its report's transaction: when the transaction rolls
    back (here a report with text SQLite cannot store), the file goes too."""
    folder = tmp_path / "report_media"
    picture = replace(_report("kept.example", "key:1:a"), media_path="ab" * 32, media=b"pixels")
    broken = replace(_report("broken.example", "key:1:b"), description="\udc00")

    async def run() -> list[BaseException | Stored]:
        db = Database(tmp_path / "fakewatch.db")
        writer = ReportWriter(db, media_folder=folder)
        writer.start()
        answers = await asyncio.gather(
            writer.submit(picture), writer.submit(broken), return_exceptions=True
        )
        kept = await writer.submit(replace(picture, reporter="key:1:c"))
        await writer.stop()
        db.close()
        return [*answers, kept]

    failed_picture, failed_broken, kept = asyncio.run(run())
    assert isinstance(failed_picture, UnicodeEncodeError)
    assert isinstance(failed_broken, UnicodeEncodeError)
    # Stored on its own, the same picture is written, and only then.
    assert isinstance(kept, Stored) and kept.media_kept
    assert [p.name for p in folder.iterdir()] == ["ab" * 32]
