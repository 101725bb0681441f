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


class _ThreadQueueHandler(QueueHandler):
    """Hands records to the writer thread as they are: formatting and the write to stderr
    (which can block for milliseconds when the disk is busy) happen off the event loop."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def configure(level: str) -> None:
    """JSON lines on stderr, written by a thread; what is queued is written at exit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = QueueListener(records, handler)
    listener.start()
    atexit.register(listener.stop)
    root = logging.getLogger()
    root.handlers[:] = [_ThreadQueueHandler(records)]
    root.setLevel(level.upper())
    # aiohttp's access log would print paths with query strings: we log requests ourselves.
    logging.getLogger("aiohttp.access").disabled = True
