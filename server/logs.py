"""JSON logs, one object per line, on stderr.

What is logged: request ids, routes (the pattern, never the path or query: a checked URL is a
person's data), statuses, durations, detector names and error types. What is never logged:
bodies, query strings, API keys, message text, media.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import sys
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener

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


def configure(level: str) -> None:
    """JSON lines on stderr, written by a thread; what is queued is written at exit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    records: queue.Queue[logging.LogRecord] = queue.Queue(MAX_QUEUED_RECORDS)
    listener = QueueListener(records, handler)
    listener.start()
    atexit.register(listener.stop)
    root = logging.getLogger()
    root.handlers[:] = [ThreadQueueHandler(records)]
    root.setLevel(level.upper())
    # aiohttp's access log would print paths with query strings: we log requests ourselves.
    logging.getLogger("aiohttp.access").disabled = True
