"""Logs are written by a thread from a bounded queue: when stderr cannot keep up, records are
dropped and counted, never held without bound or waited for on the event loop."""

from __future__ import annotations

import io
import json
import logging
import queue
import time

from server.logs import BatchWriter, JsonFormatter, ThreadQueueHandler


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


class CountingStream(io.StringIO):
    """A stderr that counts its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_the_writer_writes_a_burst_of_records_at_once_and_what_is_left_on_stop() -> None:
    stream = CountingStream()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    records: queue.Queue[logging.LogRecord] = queue.Queue(100)
    writer = BatchWriter(records, handler)
    burst = [logging.makeLogRecord({"msg": f"request {i}", "route": "/healthz"}) for i in range(20)]
    for record in burst:  # queued while the writer was busy (here: not started yet)
        records.put(record)
    writer.start()
    deadline = time.monotonic() + 5
    while stream.getvalue().count("\n") < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.writes == 1  # one wake-up and one write for the whole burst

    records.put(logging.makeLogRecord({"msg": "last words"}))
    writer.stop()  # at exit: written, not lost
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["msg"] for line in lines] == [f"request {i}" for i in range(20)] + ["last words"]
    assert lines[0]["route"] == "/healthz"
