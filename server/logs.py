"""JSON logs, one object per line, on stderr.

What is logged: request ids, routes (the pattern, never the path or query: a checked URL is a
person's data), statuses, durations, detector names and error types. What is never logged:
bodies, query strings, API keys, message text, media.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import queue
import sys
import threading
import time
from datetime import UTC, datetime
from logging.handlers import QueueHandler
from typing import Any

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error_type"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


#: Records waiting for the writer thread at most. Past it (stderr blocked: a full pipe nobody
#: reads, a stalled disk) records are dropped and counted rather than held in memory without
#: bound or waited for on the event loop.
MAX_QUEUED_RECORDS = 10_000


class ThreadQueueHandler(QueueHandler):
    """Hands records to the writer thread as they are: formatting and the write to stderr
    (which can block for milliseconds when the disk is busy) happen off the event loop. When
    the queue is full a record is dropped; the next record that gets through says how many
    were (``records_dropped``)."""

    def __init__(self, records: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(records)
        self.dropped = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        if self.dropped:
            record.records_dropped = self.dropped
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1
        else:
            self.dropped = 0


#: How long the writer thread lets records gather after the first one wakes it. Every wake-up
#: costs a thread switch and a hand-over of the GIL from whatever request the event loop is
#: serving; one a record made the access log nearly half of a cheap request's CPU (0.62 ->
#: 0.35 ms for /healthz with the log off). Batched, a burst costs one wake-up.
WRITE_LINGER_S = 0.05


class BatchWriter:
    """The writer thread: waits for a record, lets more gather for ``WRITE_LINGER_S``, then
    formats and writes all that are queued in one go. ``stop`` writes what is left."""

    _STOP = object()

    def __init__(self, records: queue.Queue[Any], handler: logging.Handler) -> None:
        self.records = records
        self.handler = handler
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            # Waits for room while the writer drains; a writer stuck on a blocked stderr
            # must not hold the process's exit for ever.
            with contextlib.suppress(queue.Full):
                self.records.put(self._STOP, timeout=10)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        records = self.records
        while True:
            batch = [records.get()]
            if batch[0] is not self._STOP:
                time.sleep(WRITE_LINGER_S)
            while True:
                try:
                    batch.append(records.get_nowait())
                except queue.Empty:
                    break
            stopping = any(record is self._STOP for record in batch)
            self._write([r for r in batch if r is not self._STOP])
            if stopping:
                return

    def _write(self, batch: list[logging.LogRecord]) -> None:
        lines = []
        for record in batch:
            try:
                lines.append(self.handler.format(record))
            except Exception:  # a record that cannot be formatted must not stop the log
                self.handler.handleError(record)
        if not lines:
            return
        try:
            stream = self.handler.stream  # type: ignore[attr-defined]
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except Exception:
            self.handler.handleError(batch[-1])


def configure(level: str) -> None:
    """JSON lines on stderr, written by a thread; what is queued is written at exit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    records: queue.Queue[logging.LogRecord] = queue.Queue(MAX_QUEUED_RECORDS)
    writer = BatchWriter(records, handler)
    writer.start()
    atexit.register(writer.stop)
    root = logging.getLogger()
    root.handlers[:] = [ThreadQueueHandler(records)]
    root.setLevel(level.upper())
    # aiohttp's access log would print paths with query strings: we log requests ourselves.
    logging.getLogger("aiohttp.access").disabled = True
