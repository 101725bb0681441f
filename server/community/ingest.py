"""Reports are written in batches: many concurrent requests, one transaction.

The database has one writer thread and each transaction costs a commit; a burst of reports
written one per transaction would queue on commits. ``ReportWriter`` gathers whatever reports
arrive while the previous batch commits and writes them together. A request is answered only
after its batch committed, so an acknowledged report survives a crash (WAL: a committed
transaction is on disk before the writer returns).
"""

from __future__ import annotations

import asyncio
import contextlib

from server.community.store import NewReport, Stored, insert_reports
from server.storage.database import Database

#: Largest batch: bounds one transaction's time (≈ 0.1 ms per report) and its memory.
MAX_BATCH = 500


class ReportWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._queue: asyncio.Queue[tuple[NewReport, asyncio.Future[Stored]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def submit(self, report: NewReport) -> Stored:
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        await self._queue.put((report, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            reports = [r for r, _ in batch]
            try:
                stored = await self._db.write(lambda db, rs=reports: insert_reports(db, rs))  # type: ignore[misc]
            except Exception as exc:  # the whole batch rolled back: every waiter hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, stored, strict=True):
                if not future.done():
                    future.set_result(result)
