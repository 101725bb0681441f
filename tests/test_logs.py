"""Logs are written by a thread from a bounded queue: when stderr cannot keep up, records are
dropped and counted, never held without bound or waited for on the event loop."""

from __future__ import annotations

import json
import logging
import queue

from server.logs import JsonFormatter, ThreadQueueHandler


def test_a_full_queue_drops_records_and_the_next_one_says_how_many() -> None:
    records: queue.Queue[logging.LogRecord] = queue.Queue(2)
    handler = ThreadQueueHandler(records)
    log = logging.getLogger("fakewatch.test.logs")
    log.propagate = False
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)

    for i in range(5):  # nothing drains the queue: a writer stuck on a full pipe
        log.info("request %d", i)
    assert records.qsize() == 2 and handler.dropped == 3

    kept = [records.get_nowait() for _ in range(2)]
    assert [r.getMessage() for r in kept] == ["request 0", "request 1"]
    log.info("request 5", extra={"route": "/v1/check/link"})
    line = json.loads(JsonFormatter().format(records.get_nowait()))
    assert line["msg"] == "request 5" and line["records_dropped"] == 3
    assert line["route"] == "/v1/check/link" and handler.dropped == 0
