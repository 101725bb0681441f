"""Reports are written in batches: many concurrent requests, one transaction (group commit).

The database has one writer thread and each transaction costs a commit; a burst of reports
written one per transaction would queue on commits. ``ReportWriter`` is the single writer of
reports: it takes every report that queued while the previous batch committed and writes
them in one transaction; when the previous batch was already large (``BUSY_BATCH``: many
writers at once), it first waits ``wait_s`` (``FAKEWATCH_REPORT_BATCH_WAIT_MS``) for more. A
request is answered only after its batch committed, so an acknowledged report survives a
kill -9 (WAL: a committed transaction is in the log before the writer returns).

Why a wait, and only when busy: a wait halves the number of commits under load (≈ 30-37
reports a commit instead of ≈ 17 at 64-256 writers in ``bench/reports_ingest.py``), i.e.
fewer hand-offs to the writer thread competing with the event loop for the GIL; a quiet
server (one report at a time) should not make anyone wait. On the shared 2-core machine the
throughput difference between 0 and 2 ms stayed inside the run-to-run noise (load 4-7):
interleaved runs gave 716-1,622 reports/s at 64 writers with the wait, 800-1,216 without.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from server.community.kept_media import KeptMedia
from server.community.reputation import BrigadeRule
from server.community.store import NewReport, Stored, insert_reports
from server.storage.database import Database

log = logging.getLogger("fakewatch.reports")

#: Largest batch: bounds one transaction's time (≈ 0.1 ms per report) and its memory.
MAX_BATCH = 500
#: A previous batch this large means many writers: worth waiting ``wait_s`` for more.
BUSY_BATCH = 8


class ReportWriter:
    def __init__(
        self,
        db: Database,
        wait_s: float = 0.0,
        brigade: BrigadeRule | None = None,
        media_folder: Path | None = None,
    ) -> None:
        self._db = db
        #: Where kept report media go (``report_media/`` beside the database); None: nowhere.
        self._media_folder = media_folder
        self._wait_s = wait_s
        self._brigade = brigade or BrigadeRule()
        #: Batches written and reports in them, logged at shutdown (the bench reads it).
        self.batches = 0
        self.reports = 0
        self._last_batch = 0
        self._queue: asyncio.Queue[tuple[NewReport, asyncio.Future[Stored]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        log.info("report writer stopped", extra={"reports": self.reports, "batches": self.batches})

    async def submit(self, report: NewReport) -> Stored:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((report, future))
        return await future

    async def _gather(self) -> list[tuple[NewReport, asyncio.Future[Stored]]]:
        batch = [await self._queue.get()]
        busy = self._last_batch >= BUSY_BATCH
        if busy and self._wait_s > 0 and self._queue.qsize() < MAX_BATCH:
            # One timer per batch, not one per report: the requests keep queueing meanwhile.
            await asyncio.sleep(self._wait_s)
        while len(batch) < MAX_BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        self._last_batch = len(batch)
        return batch

    async def _run(self) -> None:
        while True:
            batch = await self._gather()
            self.batches += 1
            self.reports += len(batch)
            reports = [r for r, _ in batch]
            kept = KeptMedia(self._media_folder) if self._media_folder is not None else None
            try:
                stored = await self._db.write(
                    lambda db, rs=reports, k=kept: insert_reports(db, rs, self._brigade, k)  # type: ignore[misc]
                )
            except Exception as exc:  # the whole batch rolled back: every waiter hears it
                if kept is not None:  # and so do the files it wrote
                    kept.rollback()
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(result)
