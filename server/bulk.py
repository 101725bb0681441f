"""``fakewatch check --from FILE``: a list of links judged on every core, without a server.

Why: one Python process judges about 25,000 new hosts a second (the GIL keeps it on one
core). The lists people bring to a bulk check are large (an export of a group chat, a feed to
audit before importing it, a newsroom's dump of a campaign), and a second core doubles the
rate. Each worker is an ordinary process that builds the engine once (about a second: lists,
lookalike tables, models) and then judges chunks of lines; the parent reads the input, hands
out chunks, and writes each chunk's rows in input order as soon as it is back.

A line is a link, or a line of text with links in it: a line that does not read as one link
("[20/11 10:01] Alice: look https://…", "- <https://…>", a CSV cell, a defanged
``hxxps://evil[.]top``) has its links extracted as ``POST /v1/check/text`` does, and each is
judged. A line with none keeps its one ``unknown`` row, which says why.

Workers are spawned, not forked: onnxruntime's thread pools and any lock a parent thread held
do not survive a fork. They ignore Ctrl-C (the parent stops them, so one key press gives one
clean exit, not a traceback per worker) and die with the parent even when it is killed
(``PR_SET_PDEATHSIG``). Each freezes what survives its young collections after every chunk,
as the server does every second (``server/gc_policy.py``): otherwise full collections walk the
ever larger caches, about a sixth of the time on new hosts.

Output, one row per link judged (blank lines and ``#`` comments skipped): ``tsv`` is
``line<TAB>verdict<TAB>score<TAB>link<TAB>strongest reason`` (the reason in the chosen
language; control characters escaped, so a hostile list cannot write to the terminal);
``jsonl`` is ``{"line": N}`` followed by the API's verdict object for the link, as
``POST /v1/check/links`` gives it (without ``verdict_url``: there is no server).
"""

from __future__ import annotations

import contextlib
import gc
import io
import multiprocessing
import os
import queue
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from server.gc_policy import freeze_survivors
from server.scoring.pipeline import LinkResult
from server.settings import Settings

Format = Literal["tsv", "jsonl"]
#: A numbered input line: (line number in the file, its text).
Line = tuple[int, str]

#: Lines a worker judges per task: large enough that handing out a chunk costs nothing next to
#: judging it (~40 ms), small enough that both cores stay busy to the end of a short list.
#: Rows come out a chunk at a time; from a pipe, also whenever the input pauses.
CHUNK = 1000
#: Chunks handed out ahead of the one being written, per worker: the input is read only this
#: far ahead, so a file of ten million links is never held in memory.
AHEAD_PER_WORKER = 4
#: As ``serve --workers``: each worker holds ~180-360 MB.
MAX_JOBS = 64
#: Seconds the workers get to build their engines before the check gives up.
START_TIMEOUT_S = 120.0
#: Characters read of one line at most: the URL pipeline answers ``url_too_long`` past
#: ``max_url_length``, and a line of text may carry a few links; a longer line is cut as it
#: is read, so one hostile line cannot fill the memory.
MAX_LINE_FACTOR = 4
#: Characters a TSV cell must not carry raw: C0 and C1 controls, DEL, line and paragraph
#: separators, bidirectional overrides and isolates (they reorder what a terminal shows).
_UNSAFE = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F)]
_ESCAPES = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _UNSAFE} | {
    c: f"\\u{c:04x}" for c in range(0x2066, 0x206A)
}


class BulkError(Exception):
    """A bulk check could not run or go on; the message says why and what to do."""


@dataclass
class Tally:
    """What a bulk check did, for the summary line on stderr."""

    links: int = 0
    lines_without_link: int = 0
    started_s: float = 0.0
    seconds: float = 0.0
    verdicts: Counter[str] = field(default_factory=Counter)
    lists_versions: set[int] = field(default_factory=set)

    @property
    def rate(self) -> float:
        return self.links / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Judged:
    """One chunk's rows and what the tally needs of them."""

    rows: bytes
    verdicts: Counter[str]
    lines_without_link: int
    lists_version: int


def default_jobs() -> int:
    """One worker per core this process may use: its CPU affinity, and a container's CPU
    quota (cgroup v2 ``cpu.max``) when one is set."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, -(-int(quota) // int(period)))
    return max(1, min(cores, MAX_JOBS))


def text_stream(stream: IO[bytes]) -> IO[str]:
    """``stream`` as text: UTF-8 (a byte-order mark skipped) or, after a UTF-16 mark, UTF-16
    (PowerShell's ``>`` writes it); invalid bytes replaced (the pipeline then says the line is
    unreadable); any line ending."""
    head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
    encoding = "utf-16" if head in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    return io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline=None)


def read_lines(stream: IO[str], max_url_length: int) -> Iterator[Line]:
    """The numbered lines worth judging: stripped of white space and invisible characters,
    blank lines and ``#`` comments skipped, lines longer than ``MAX_LINE_FACTOR`` times the
    longest URL cut (the rest of such a line is skipped without being held)."""
    from server.text.normalise import INVISIBLE_RANGES

    cap = MAX_LINE_FACTOR * max_url_length
    edges = "".join(_expand(INVISIBLE_RANGES))
    number = 0
    while True:
        text = stream.readline(cap)
        if not text:
            return
        number += 1
        if len(text) >= cap and not text.endswith("\n"):
            while True:
                rest = stream.readline(1 << 16)
                if not rest or rest.endswith("\n"):
                    break
        line = text.strip().strip(edges).strip()
        if line and not line.startswith("#"):
            yield number, line


def _expand(ranges: str) -> Iterator[str]:
    """The characters of a regex class body made of single characters and ``a-b`` ranges."""
    i = 0
    while i < len(ranges):
        if i + 2 < len(ranges) and ranges[i + 1] == "-":
            yield from map(chr, range(ord(ranges[i]), ord(ranges[i + 2]) + 1))
            i += 3
        else:
            yield ranges[i]
            i += 1


def tsv_cell(text: str) -> str:
    """``text`` safe inside one TSV cell and on a terminal (tab, newline, controls escaped)."""
    return text if text.isprintable() else text.translate(_ESCAPES)


class Judge:
    """One process's engine and the two output formats (a worker's, or the parent's when one
    process is enough)."""

    def __init__(self, settings: Settings, lang: str, fmt: Format) -> None:
        from server.engine import Engine
        from server.i18n import chinese_script, negotiate
        from server.storage.database import connect

        unreadable = f"cannot open the database {settings.db}"
        if settings.db.exists() and not settings.db.is_file():
            # A FIFO or a device would block the open forever.
            raise BulkError(f"{unreadable}: it is not a regular file")
        try:
            db = connect(settings.db, read_only=True) if settings.db.exists() else None
        except (sqlite3.Error, OSError) as exc:
            raise BulkError(f"{unreadable}: {exc}") from None
        try:
            self.engine = Engine.build(settings, db)
        except sqlite3.Error as exc:  # the read-only connection opens lazily
            raise BulkError(f"{unreadable}: {exc}") from None
        except OSError as exc:
            raise BulkError(f"cannot load the lists and detectors: {exc}") from None
        finally:
            if db is not None:
                db.conn.close()
        self.lang = negotiate(lang, None)
        self.region = chinese_script(lang, None)
        self.fmt = fmt
        # A chunk is one pipeline call: the domain model featurises a batch with array
        # operations, so 1,000 links a call judge ~11 % faster than the API's 100 (verdicts
        # the same, byte for byte: 50,000 hosts compared in en and zh, TSV and JSON).
        self.batch = CHUNK
        # What start-up loaded lives as long as the process (as in ``GcPolicy.start``).
        gc.collect()
        gc.freeze()

    def judge(self, lines: Sequence[Line]) -> Judged:
        """``lines`` judged: each as a link, or (when it is not one) each link found in it."""
        from server.text.extract import extract

        engine = self.engine
        check = engine.check_links_sync
        first = self._batched(check, [text for _, text in lines])
        found: list[tuple[int, str]] = []  # (index in ``lines``, a link extracted from it)
        is_tld = engine.resources.parser.suffixes.is_suffix
        for i, result in enumerate(first):
            if result.error is not None:
                found.extend((i, link) for link in extract(lines[i][1], is_tld).links)
        extracted = self._batched(check, [link for _, link in found])
        by_line: dict[int, list[LinkResult]] = {}
        for (i, _), result in zip(found, extracted, strict=True):
            by_line.setdefault(i, []).append(result)
        rows: list[tuple[int, LinkResult]] = []
        without = 0
        for i, result in enumerate(first):
            inside = by_line.get(i)
            if inside is None:
                without += result.error is not None
                rows.append((lines[i][0], result))
            else:
                rows.extend((lines[i][0], r) for r in inside)
        out = self._jsonl(rows) if self.fmt == "jsonl" else self._tsv(rows)
        verdicts = Counter(str(result.outcome.verdict) for _, result in rows)
        freeze_survivors()
        return Judged(b"".join(out), verdicts, without, engine.lists_version)

    def _batched(self, check: Any, links: Sequence[str]) -> list[LinkResult]:
        results: list[LinkResult] = []
        for start in range(0, len(links), self.batch):
            results.extend(check(links[start : start + self.batch]))
        return results

    def _jsonl(self, rows: Sequence[tuple[int, LinkResult]]) -> Iterator[bytes]:
        import orjson

        engine = self.engine
        results = [result for _, result in rows]
        if self.region is None:
            bodies = [
                body for body, _ in engine.link_json(results, self.lang, engine.lists_version)
            ]
        else:
            from server.traditional import convert_verdicts

            rendered = engine.render_links(results, self.lang)
            convert_verdicts(rendered, self.region)
            bodies = [orjson.dumps(item) for item in rendered]
        for (number, _), body in zip(rows, bodies, strict=True):
            yield b'{"line":%d,' % number + body[1:] + b"\n"

    def _tsv(self, rows: Sequence[tuple[int, LinkResult]]) -> Iterator[bytes]:
        from server.scoring.render import INVALID_URL_MESSAGES
        from server.traditional import to_traditional

        renderer = self.engine.renderer
        lang = self.lang
        for number, result in rows:
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
                reason = to_traditional(reason, self.region)
            yield (
                f"{number}\t{outcome.verdict}\t{outcome.score:.2f}\t{tsv_cell(result.input)}"
                f"\t{tsv_cell(reason)}\n"
            ).encode()


# --- the workers ------------------------------------------------------------------------------

_judge: Judge | None = None
_start_error: str | None = None


def _start_worker(
    settings: Settings, lang: str, fmt: Format, started: Any, parent_pid: int
) -> None:
    global _judge, _start_error
    if sys.platform == "linux":
        from server.serve_workers import die_with_supervisor

        die_with_supervisor(parent_pid)  # a killed parent leaves no worker behind
    try:
        _judge = Judge(settings, lang, fmt)
    except BulkError as exc:
        _start_error = str(exc)
    except Exception as exc:  # said by the first task, with its cause
        _start_error = f"a worker could not load the detectors: {type(exc).__name__}: {exc}"
    with started.get_lock():
        started.value += 1


def _ready() -> None:
    if _judge is None:
        raise BulkError(_start_error or "a worker could not load the detectors")


def _judge_chunk(lines: list[Line]) -> Judged:
    _ready()
    assert _judge is not None
    return _judge.judge(lines)


class BulkChecker:
    """Lines judged by ``jobs`` processes (``jobs`` 1: this one), rows out in input order.

    ``start()`` returns once every worker has built its engine, so a caller can time the
    judging alone (``bench/links_throughput.py`` does); ``close()`` stops the workers.
    """

    def __init__(self, settings: Settings, *, jobs: int, lang: str, fmt: Format) -> None:
        self.settings = settings
        self.jobs = max(1, min(jobs, MAX_JOBS))
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
        try:
            self._start_workers()
        except BaseException:
            self._kill()
            raise

    def _start_workers(self) -> None:
        context = multiprocessing.get_context("spawn")
        started = context.Value("i", 0)
        # Unlike multiprocessing.Pool, the executor says when a worker died (killed for
        # memory, say) instead of waiting for its chunk forever.
        self._pool = ProcessPoolExecutor(
            self.jobs,
            mp_context=context,
            initializer=_start_worker,
            initargs=(self.settings, self.lang, self.fmt, started, os.getpid()),
        )
        # The workers inherit an ignored SIGINT (CPython keeps it ignored), so Ctrl-C reaches
        # this process only. One task each: the executor spawns a worker per task while none
        # is idle, so every worker is started here.
        with _sigint_ignored():
            probes = [self._pool.submit(_ready) for _ in range(self.jobs)]
        deadline = time.monotonic() + START_TIMEOUT_S
        while started.value < self.jobs:
            for probe in probes:
                if probe.done():
                    self._result(probe)  # a worker that could not start says why
            if time.monotonic() > deadline:
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

    def _kill(self) -> None:
        """Stop the workers now, whatever they are doing (a worker stuck opening a file never
        finishes a task ``shutdown`` could wait for)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ``_processes`` is the executor's own map of its workers: the only handle on them
        # before Python 3.14's ``kill_workers``.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def _result(self, future: Future[Any]) -> Any:
        try:
            return future.result()
        except BrokenProcessPool:
            self._kill()
            raise BulkError("a worker process stopped (out of memory?); try fewer --jobs") from None
        except BulkError:
            self._kill()
            raise

    def run(
        self, lines: Iterable[Line], tally: Tally | None = None, *, live: bool = False
    ) -> Iterator[bytes]:
        """Each chunk's output rows, in input order. ``live``: the input is a pipe or a
        terminal that may pause (``tail -f``); rows for what has arrived come out at once
        instead of 1,000 lines at a time."""
        tally = tally if tally is not None else Tally()
        began = time.perf_counter()
        for judged in self._chunks(live_chunks(lines, CHUNK) if live else chunked(lines, CHUNK)):
            tally.links += sum(judged.verdicts.values())
            tally.lines_without_link += judged.lines_without_link
            tally.verdicts.update(judged.verdicts)
            tally.lists_versions.add(judged.lists_version)
            tally.seconds = time.perf_counter() - began
            yield judged.rows

    def _chunks(self, chunks: Iterable[list[Line]]) -> Iterator[Judged]:
        """Judged chunks in order; an empty chunk says the input paused: what is pending is
        written before waiting for more."""
        if self._local is not None:
            for chunk in chunks:
                if chunk:
                    yield self._local.judge(chunk)
            return
        if self._pool is None:
            raise BulkError("BulkChecker.start() was not called")
        pool = self._pool
        pending: deque[Future[Judged]] = deque()
        ahead = self.jobs * AHEAD_PER_WORKER
        for chunk in chunks:
            if chunk:
                pending.append(pool.submit(_judge_chunk, chunk))
            while pending and (len(pending) >= ahead or not chunk):
                yield self._result(pending.popleft())
        while pending:
            yield self._result(pending.popleft())


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def live_chunks(items: Iterable[Line], size: int) -> Iterator[list[Line]]:
    """Chunks of up to ``size`` items from an input that may pause: a chunk is handed out as
    soon as nothing more is waiting, then an empty chunk marks the pause. A thread reads the
    input (a blocked read cannot be given up on); it stays at most four chunks ahead."""
    waiting: queue.Queue[Line | BaseException | None] = queue.Queue(maxsize=4 * size)

    def pump() -> None:
        try:
            for item in items:
                waiting.put(item)
        except BaseException as exc:  # said where the chunks are read
            waiting.put(exc)
        else:
            waiting.put(None)

    threading.Thread(target=pump, name="bulk-input", daemon=True).start()
    chunk: list[Line] = []
    while True:
        try:
            item = waiting.get_nowait()
        except queue.Empty:
            if chunk:
                yield chunk
                chunk = []
            yield []  # paused: write what was judged before waiting
            item = waiting.get()
        if item is None:
            if chunk:
                yield chunk
            return
        if isinstance(item, BaseException):
            raise item
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []


def chunked(items: Iterable[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
