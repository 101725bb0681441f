"""``fakewatch check --from FILE``: a list of links judged on every core, without a server.

Why: one Python process judges about 25,000 new hosts a second (the GIL keeps it on one
core). The lists people bring to a bulk check are large (an export of a group chat's links, a
feed to audit before importing it, a newsroom's dump of a campaign), and a second core doubles
the rate. Each worker is an ordinary process that builds the engine once (about a second:
lists, lookalike tables, models) and then judges chunks of links; the parent reads the input,
hands out chunks, and writes each chunk's lines in input order as soon as it is back.

Workers are spawned, not forked: onnxruntime's thread pools and any lock a parent thread held
do not survive a fork. Each worker freezes what survives its young collections after every
chunk, as the server does every second (``server/gc_policy.py``): otherwise full collections
walk the ever larger caches, about a sixth of the time on new hosts.

Output, one line per input line that holds a link (blank lines and ``#`` comments skipped):
``tsv`` is ``verdict<TAB>score<TAB>link<TAB>strongest reason`` (the reason in the chosen
language); ``jsonl`` is the API's verdict object for each link, as ``POST /v1/check/links``
gives it (without ``verdict_url``: there is no server).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import IO, Any, Literal

import orjson

from server.gc_policy import freeze_survivors
from server.scoring.pipeline import LinkResult
from server.settings import Settings

Format = Literal["tsv", "jsonl"]

#: Links a worker judges per task: large enough that handing out a chunk costs nothing next to
#: judging it (~40 ms), small enough that output starts at once and both cores stay busy to
#: the end of a short list.
CHUNK = 1000
#: Chunks handed out ahead of the one being written, per worker: the input is read only this
#: far ahead, so a file of ten million links is never held in memory.
AHEAD_PER_WORKER = 4
#: Seconds the workers get to build their engines before the check gives up.
START_TIMEOUT_S = 120.0
#: The URL pipeline answers ``url_too_long`` past ``max_url_length``; a longer input line is
#: cut to just past that limit as it is read, so one hostile line cannot fill the memory.
LINE_SLACK = 16


class BulkError(Exception):
    """A bulk check could not run (a worker could not start); the message says why."""


@dataclass
class Tally:
    """What a bulk check did, for the summary line on stderr."""

    links: int = 0
    seconds: float = 0.0
    verdicts: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.links / self.seconds if self.seconds > 0 else 0.0


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def read_links(stream: IO[bytes], max_url_length: int) -> Iterator[str]:
    """The links of a text stream, one per line: stripped, blank lines and ``#`` comments
    skipped, invalid UTF-8 replaced (the pipeline then says the link is unreadable)."""
    cap = max_url_length + LINE_SLACK
    while True:
        raw = stream.readline(cap)
        if not raw:
            return
        if len(raw) >= cap and not raw.endswith(b"\n"):
            # Too long to be a link: keep what was read (the verdict says url_too_long) and
            # skip the rest of the line without holding it.
            while True:
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
        line = raw.decode("utf-8", errors="replace").strip()
        if line and not line.startswith("#"):
            yield line


class Judge:
    """One process's engine and the two output formats (a worker's, or the parent's with
    ``--jobs 1``)."""

    def __init__(self, settings: Settings, lang: str, fmt: Format) -> None:
        from server.engine import Engine
        from server.i18n import chinese_script, negotiate
        from server.storage.database import connect

        db = connect(settings.db, read_only=True) if settings.db.exists() else None
        try:
            self.engine = Engine.build(settings, db)
        finally:
            if db is not None:
                db.conn.close()
        self.lang = negotiate(lang, None)
        self.region = chinese_script(lang, None)
        self.fmt = fmt
        self.batch = settings.max_urls_per_request
        self._last_freeze = time.monotonic()
        # What start-up loaded lives as long as the process (as in ``GcPolicy.start``).
        gc.collect()
        gc.freeze()

    def lines(self, links: Sequence[str]) -> tuple[bytes, Counter[str]]:
        """``links`` judged, as output lines (bytes, each ending in a newline) and the count
        of each verdict."""
        engine = self.engine
        out: list[bytes] = []
        verdicts: Counter[str] = Counter()
        for start in range(0, len(links), self.batch):
            results = engine.check_links_sync(links[start : start + self.batch])
            verdicts.update(str(r.outcome.verdict) for r in results)
            out.extend(self._jsonl(results) if self.fmt == "jsonl" else self._tsv(results))
        freeze_survivors()
        return b"".join(out), verdicts

    def _jsonl(self, results: Sequence[LinkResult]) -> Iterator[bytes]:
        engine = self.engine
        if self.region is None:
            for body, _ in engine.link_json(results, self.lang, engine.lists_version):
                yield body + b"\n"
            return
        from server.traditional import convert_verdicts

        rendered = engine.render_links(results, self.lang)
        convert_verdicts(rendered, self.region)
        for item in rendered:
            yield orjson.dumps(item) + b"\n"

    def _tsv(self, results: Sequence[LinkResult]) -> Iterator[bytes]:
        from server.scoring.render import INVALID_URL_MESSAGES

        renderer = self.engine.renderer
        lang = self.lang
        for result in results:
            outcome = result.outcome
            if result.error is not None:
                table = INVALID_URL_MESSAGES.get(
                    result.error.code, INVALID_URL_MESSAGES["invalid_url"]
                )
                reason = table.get(lang) or table["en"]
            elif outcome.reasons:
                reason = renderer.message(outcome.reasons[0], lang)
            else:
                reason = ""
            if self.region is not None and reason:
                from server.traditional import to_traditional

                reason = to_traditional(reason, self.region)
            link = result.input.replace("\t", " ")
            reason = reason.replace("\t", " ").replace("\n", " ")
            yield f"{outcome.verdict}\t{outcome.score:.2f}\t{link}\t{reason}\n".encode()


# --- the workers ------------------------------------------------------------------------------

_judge: Judge | None = None
_start_error: str | None = None


def _start_worker(settings: Settings, lang: str, fmt: Format, started: Any) -> None:
    global _judge, _start_error
    try:
        _judge = Judge(settings, lang, fmt)
    except Exception as exc:  # said by the first task, with its cause
        _start_error = f"{type(exc).__name__}: {exc}"
    with started.get_lock():
        started.value += 1


def _ready() -> None:
    if _judge is None:
        raise BulkError(f"a worker could not load the detectors: {_start_error}")


def _judge_chunk(links: list[str]) -> tuple[bytes, Counter[str]]:
    if _judge is None:
        raise BulkError(f"a worker could not load the detectors: {_start_error}")
    return _judge.lines(links)


class BulkChecker:
    """Links judged by ``jobs`` processes (``jobs`` 1: this one), lines out in input order.

    ``start()`` returns once every worker has built its engine, so a caller can time the
    judging alone (``bench/links_throughput.py`` does); ``close()`` stops the workers.
    """

    def __init__(self, settings: Settings, *, jobs: int, lang: str, fmt: Format) -> None:
        self.settings = settings
        self.jobs = max(1, jobs)
        self.lang = lang
        self.fmt = fmt
        self._pool: ProcessPoolExecutor | None = None
        self._local: Judge | None = None

    def __enter__(self) -> BulkChecker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        if self.jobs == 1:
            self._local = Judge(self.settings, self.lang, self.fmt)
            return
        context = multiprocessing.get_context("spawn")
        started = context.Value("i", 0)
        # Unlike multiprocessing.Pool, the executor says when a worker died (killed for
        # memory, say) instead of waiting for its chunk forever.
        self._pool = ProcessPoolExecutor(
            self.jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.settings, self.lang, self.fmt, started),
        )
        # One task each: the executor spawns a worker per task while none is idle.
        probes = [self._pool.submit(_ready) for _ in range(self.jobs)]
        deadline = time.monotonic() + START_TIMEOUT_S
        while started.value < self.jobs:
            for probe in probes:
                if probe.done():
                    self._result(probe)  # a worker that could not start says why
            if time.monotonic() > deadline:
                self.close()
                raise BulkError(
                    f"the {self.jobs} workers did not load the detectors within"
                    f" {START_TIMEOUT_S:.0f} s; try --jobs 1"
                )
            time.sleep(0.02)
        for probe in probes:
            self._result(probe)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _result(self, future: Future[Any]) -> Any:
        try:
            return future.result()
        except BrokenProcessPool:
            self.close()
            raise BulkError("a worker process stopped (out of memory?); try fewer --jobs") from None
        except BulkError:
            self.close()
            raise

    def run(self, links: Iterable[str], tally: Tally | None = None) -> Iterator[bytes]:
        """Each chunk's output lines, in input order."""
        tally = tally if tally is not None else Tally()
        began = time.perf_counter()
        for lines, verdicts in self._chunks(links):
            tally.links += sum(verdicts.values())
            tally.verdicts.update(verdicts)
            tally.seconds = time.perf_counter() - began
            yield lines

    def _chunks(self, links: Iterable[str]) -> Iterator[tuple[bytes, Counter[str]]]:
        if self._local is not None:
            for chunk in _chunked(links, CHUNK):
                yield self._local.lines(chunk)
            return
        if self._pool is None:
            raise BulkError("BulkChecker.start() was not called")
        pool = self._pool
        pending: deque[Future[tuple[bytes, Counter[str]]]] = deque()
        ahead = self.jobs * AHEAD_PER_WORKER
        for chunk in _chunked(links, CHUNK):
            pending.append(pool.submit(_judge_chunk, chunk))
            if len(pending) >= ahead:
                yield self._result(pending.popleft())
        while pending:
            yield self._result(pending.popleft())


def _chunked(items: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
