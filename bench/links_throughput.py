"""Link-check throughput: FakeWatch in-process, MetaMask's eth-phishing-detect, and over HTTP.

Prints one table (figures are printed, never asserted). Run from the repository root:

    .venv/bin/python bench/links_throughput.py [--skip-peer] [--skip-http] [--profile]

The URL set is Tranco top sites plus polkadot-js and scamsniffer scam domains, each as
``https://DOMAIN/``. "Unique hosts" is every URL a different host on a freshly built pipeline
(cold caches); "repeated hosts" draws the same number of URLs from a small set of hosts, which
is what a busy server mostly sees. The HTTP part starts the real ``fakewatch serve`` on
127.0.0.1 and loads it with an aiohttp client that shares the machine's cores with it (paced
single-URL GETs: new hosts, then a new page of each of those hosts, then those URLs again); when
wrk is installed it also measures, closed loop with 8 connections, the batches sent again (seen
hosts: with the default 50,000 URLs cycling through the server's 20,000-verdict cache, the
per-host caches answer, not the verdict cache; with ``--count`` 20,000 or less the verdict
cache does, ~4x faster) and batches of URLs never sent before over ``--hosts`` hosts
(``https://HOST/p/N?ref=N``: the verdict cache never hits, the per-host caches do).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    DEFAULT_SHARED,
    FLAGGED,
    POLKADOT,
    REPO,
    SCAMSNIFFER,
    TRANCO,
    as_urls,
    build,
    detector_names,
    domains_dir,
    read_domains,
    render_table,
    sample,
    unique,
)

from server.bulk import Format

PEER_DIR = Path(__file__).resolve().parent / "peer"
TARGET_IN_PROCESS = 50_000  # URLs/s
TARGET_HTTP = 20_000  # URLs/s
TARGET_P99_MS = 10.0


@dataclass
class Row:
    measure: str
    figure: str
    target: str = ""
    verdict: str = ""
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, measure: str, figure: str, target: str = "", ok: bool | None = None, note: str = ""
    ) -> None:
        verdict = "" if ok is None else ("meets" if ok else "MISSES")
        self.rows.append(Row(measure, figure, target, verdict, note))


def per_s(value: float) -> str:
    return f"{value:,.0f} URLs/s"


# --- the URL sets -----------------------------------------------------------------------------


def mixed_domains(shared: Path, count: int, seed: int) -> tuple[list[str], str]:
    """``count`` unique domains: up to 2/5 Tranco, the rest polkadot-js and scamsniffer halves."""
    folder = domains_dir(shared)
    tranco = unique(read_domains(folder / TRANCO))
    n_tranco = min(len(tranco), count * 2 // 5)
    chosen = sample(tranco, n_tranco, seed)
    seen = set(chosen)
    parts = [f"{n_tranco:,} Tranco"]
    remaining = count - n_tranco
    for i, name in enumerate((POLKADOT, SCAMSNIFFER)):
        want = remaining // 2 if i == 0 else count - len(chosen)
        pool = [d for d in unique(read_domains(folder / name)) if d not in seen]
        picked = sample(pool, want, seed + 1 + i)
        chosen.extend(picked)
        seen.update(picked)
        parts.append(f"{len(picked):,} {name.split('_')[0]}")
    random.Random(seed).shuffle(chosen)
    return chosen, " + ".join(parts)


def repeated_domains(domains: Sequence[str], hosts: int, count: int, seed: int) -> list[str]:
    """``count`` draws (with replacement) from the first ``hosts`` domains of the mixed set."""
    rng = random.Random(seed)
    return rng.choices(list(domains[:hosts]), k=count)


def batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- in-process -------------------------------------------------------------------------------


@dataclass
class InProcess:
    rate: float
    runs: list[float]
    flagged: int
    setup_s: float


def run_in_process(
    urls: Sequence[str], batch: int, runs: int, only: Sequence[str] | None = None
) -> InProcess:
    """Median of ``runs`` passes, each on a freshly built pipeline (so caches start cold)."""
    rates: list[float] = []
    flagged = 0
    setups: list[float] = []
    for _ in range(runs):
        # Let the previous pass's pipeline go: frozen, it would stay in memory for good and
        # every later row would run beside the garbage of all the earlier ones.
        gc.unfreeze()
        gc.collect()
        t0 = time.perf_counter()
        built = build(only=only)
        setups.append(time.perf_counter() - t0)
        # As ``fakewatch serve`` does after start-up: the loaded tables leave the cyclic GC's
        # full passes, which would otherwise rescan them while links are scored.
        gc.collect()
        gc.freeze()
        flagged = 0
        start = time.perf_counter()
        for chunk in batches(urls, batch):
            for result in built.check(chunk):
                flagged += result.outcome.verdict.value in FLAGGED
        rates.append(len(urls) / (time.perf_counter() - start))
    return InProcess(statistics.median(rates), rates, flagged, statistics.median(setups))


def stage_costs(urls: Sequence[str], batch: int, runs: int) -> str:
    """What each link detector adds to a unique host, timed without a profiler.

    A pipeline with no detector (parsing, the PSL split, caches, assembling the verdicts) is
    the floor every configuration pays; each detector is then timed alone on top of it, and
    all of them together. Why the unique-host figure is what it is, in microseconds.
    """
    names = [d.name for d in build().pipeline.detectors if "link" in d.kinds]
    floor = run_in_process(urls, batch, runs, only=()).rate
    rows: list[tuple[str, str, str]] = [
        ("no detector (parse, PSL split, caches, verdicts)", per_s(floor), f"{1e6 / floor:.1f}")
    ]
    for name in names:
        alone = run_in_process(urls, batch, runs, only=(name,)).rate
        rows.append((f"+ {name} alone", per_s(alone), f"+{1e6 / alone - 1e6 / floor:.1f}"))
    whole = run_in_process(urls, batch, runs).rate
    rows.append(("every link detector", per_s(whole), f"{1e6 / whole:.1f}"))
    budget = 1e6 / TARGET_IN_PROCESS
    return (
        render_table(["unique hosts, one thread", "rate", "us per URL"], rows)
        + f"\n(the {TARGET_IN_PROCESS:,} URLs/s target leaves {budget:.0f} us a URL for all of it)"
    )


def profile_in_process(urls: Sequence[str], batch: int, top: int) -> str:
    built = build()
    profiler = cProfile.Profile()
    profiler.enable()
    for chunk in batches(urls, batch):
        built.check(chunk)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    # Keep the table of functions, drop pstats' preamble of blank lines.
    return "\n".join(line for line in text.splitlines() if line.strip())


# --- the peer ---------------------------------------------------------------------------------


@dataclass
class PeerRun:
    rate: float
    count: int
    flagged: float
    version: str


def ensure_peer() -> str | None:
    """``npm ci`` in bench/peer when node_modules is missing; the reason it cannot run, if any."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed"
    if not (PEER_DIR / "node_modules" / "eth-phishing-detect").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            return "npm is not installed (needed once for `npm ci` in bench/peer)"
        print("bench/peer: running npm ci ...", file=sys.stderr)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            return f"npm ci failed: {done.stderr.strip()[-300:]}"
    return None


def run_peer(domains: Sequence[str], tmp: Path, name: str) -> PeerRun:
    path = tmp / f"{name}.txt"
    path.write_text("\n".join(domains) + "\n", encoding="utf-8")
    done = subprocess.run(
        ["node", str(PEER_DIR / "run.js"), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return PeerRun(out["count"] / out["seconds"], out["count"], out["flagged"], out["version"])


# --- over HTTP --------------------------------------------------------------------------------


class Server:
    """``fakewatch serve`` on 127.0.0.1, port 0, in a scratch folder; output to files."""

    def __init__(self, ready_timeout: float, workers: int = 1) -> None:
        self.workers = workers
        self.dir = Path(tempfile.mkdtemp(prefix="fakewatch-bench-"))
        self.key = secrets.token_hex(16)  # 32 characters
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        exe = REPO / ".venv" / "bin" / "fakewatch"
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "server.cli"]
        env = dict(os.environ)
        env.update(
            FAKEWATCH_ADMIN_KEY=self.key,
            FAKEWATCH_DATA_DIR=str(self.dir),
            NO_PROXY="127.0.0.1,localhost",
            # One key sends every request; lift its budget so the bucket never refuses (the
            # limiter still runs on every request, so its cost is measured).
            FAKEWATCH_KEY_REQUESTS_PER_MINUTE="100000000",
            FAKEWATCH_WORKERS=str(self.workers),
        )
        stdout = (self.dir / "stdout.txt").open("wb")
        stderr = (self.dir / "stderr.txt").open("wb")
        self.proc = subprocess.Popen(
            [
                *command,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--db",
                str(self.dir / "fw.db"),
            ],
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.dir,
        )
        stdout.close()
        stderr.close()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            text = (self.dir / "stdout.txt").read_text(encoding="utf-8", errors="replace")
            found = re.search(r"^READY (http://127\.0\.0\.1:\d+)\s*$", text, re.MULTILINE)
            if found:
                self.url = found.group(1)
                return
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}: {self.stderr_tail()}"
                )
            time.sleep(0.05)
        raise RuntimeError(f"no READY line within {self.ready_timeout:.0f} s: {self.stderr_tail()}")

    def stderr_tail(self) -> str:
        path = self.dir / "stderr.txt"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return text.strip()[-500:] or "(no stderr)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def server_available() -> str | None:
    """Why ``fakewatch serve`` cannot be benchmarked yet, or ``None`` when it can."""
    exe = REPO / ".venv" / "bin" / "fakewatch"
    if not exe.exists():
        return "the fakewatch console script is not installed"
    done = subprocess.run(
        [str(exe), "serve", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        return "`fakewatch serve --help` fails: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return None


@dataclass
class HttpThroughput:
    rate: float
    requests: int
    seconds: float
    statuses: Counter[int]
    bad_bodies: int


@dataclass
class HttpLatency:
    p50_ms: float
    p99_ms: float
    max_ms: float
    sent: int
    achieved_rps: float
    statuses: Counter[int]


async def http_throughput(
    base: str, key: str, urls: Sequence[str], requests: int, concurrency: int, batch: int
) -> HttpThroughput:
    import aiohttp

    bodies = [list(chunk) for chunk in batches(urls, batch)]
    if len(bodies) < requests:
        bodies = (bodies * (requests // len(bodies) + 1))[:requests]
    headers = {"Authorization": f"Bearer {key}"}
    statuses: Counter[int] = Counter()
    bad = good_urls = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:
        for i in range(concurrency * 2):  # warm-up (connections, code paths), hosts not in the set
            body = [f"https://warm-up-{i}-{j}.example/" for j in range(batch)]
            async with session.post("/v1/check/links", json={"urls": body}) as resp:
                await resp.read()
        queue = iter(bodies[:requests])

        async def worker() -> None:
            nonlocal bad, good_urls
            for body in queue:
                async with session.post("/v1/check/links", json={"urls": body}) as resp:
                    statuses[resp.status] += 1
                    payload = await resp.json() if resp.status == 200 else None
                    if payload and len(payload.get("results", ())) == len(body):
                        good_urls += len(body)
                    elif resp.status == 200:
                        bad += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return HttpThroughput(good_urls / seconds, requests, seconds, statuses, bad)


async def raw_http_throughput(
    base: str, key: str, urls: Sequence[str], batch: int, connections: int
) -> HttpThroughput:
    """``http_throughput`` with the raw-socket client of ``raw_http_latency``: every batch
    written as prepared bytes, each answer read by its Content-Length and checked by its
    status and its count of verdicts, never parsed. The aiohttp client builds and parses
    ~50 kB of JSON a request on the cores the server needs; this one costs next to nothing."""
    parts = urllib.parse.urlsplit(base)
    head = (
        f"POST /v1/check/links HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()

    def request(links: Sequence[str]) -> bytes:
        body = json.dumps({"urls": list(links)}).encode()
        return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body

    warm = [request([f"https://raw-warm-{i}-{j}.example/" for j in range(batch)]) for i in range(8)]
    work = [(request(chunk), len(chunk)) for chunk in batches(urls, batch)]
    statuses: Counter[int] = Counter()
    bad = good_urls = 0

    async def send(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
    ) -> bytes:
        writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        statuses[int(head.split(b" ", 2)[1])] += 1
        return await reader.readexactly(length)

    pool = [await asyncio.open_connection(parts.hostname, parts.port) for _ in range(connections)]
    try:
        for i, data in enumerate(warm):
            await send(*pool[i % connections], data)
        statuses.clear()
        queue = iter(work)

        async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal bad, good_urls
            for data, count in queue:
                answer = await send(reader, writer, data)
                if answer.count(b'"verdict":') == count:
                    good_urls += count
                else:
                    bad += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(r, w) for r, w in pool))
        seconds = time.perf_counter() - start
    finally:
        for _, writer in pool:
            writer.close()
    return HttpThroughput(good_urls / seconds, len(work), seconds, statuses, bad)


async def _open_loop(
    one: Callable[[str], Awaitable[int]], urls: Sequence[str], rate: float, duration: float
) -> HttpLatency:
    """Open loop: request i is due at start + i/rate and its latency counts from then (a
    late request's wait counts too). ``one(url)`` sends a request and returns its status."""
    loop = asyncio.get_running_loop()
    count = int(rate * duration)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    async def timed(url: str, due: float) -> None:
        statuses[await one(url)] += 1
        latencies.append(loop.time() - due)

    tasks = []
    start = loop.time() + 0.05
    for i in range(count):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(urls[i % len(urls)], due)))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    return HttpLatency(pct(50), pct(99), ordered[-1] * 1000, count, count / elapsed, statuses)


async def http_latency(
    base: str, key: str, urls: Sequence[str], rate: float, duration: float
) -> HttpLatency:
    """Single GETs at ``rate`` through an aiohttp client (``_open_loop``)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:

        async def one(url: str) -> int:
            try:
                async with session.get("/v1/check/link", params={"url": url}) as resp:
                    await resp.read()
                    return resp.status
            except aiohttp.ClientError:
                return -1

        for i in range(20):  # warm-up, hosts not in the set
            await one(f"https://warm-up-{i}.example/")
        return await _open_loop(one, urls, rate, duration)


async def raw_http_latency(
    base: str, key: str, urls: Sequence[str], rate: float, duration: float, connections: int = 64
) -> HttpLatency:
    """``http_latency`` with a client that costs next to nothing: keep-alive sockets opened
    beforehand, the request bytes written by hand, the answer read by its Content-Length. The
    aiohttp client spends ~1 ms of CPU a request on the same 2 cores; this one a few µs, so
    its figure is closer to what the server itself adds."""
    parts = urllib.parse.urlsplit(base)
    pool = [await asyncio.open_connection(parts.hostname, parts.port) for _ in range(connections)]
    auth = f"Authorization: Bearer {key}\r\n".encode()

    async def one(url: str) -> int:
        reader, writer = pool.pop()
        target = "/v1/check/link?url=" + urllib.parse.quote(url, safe="")
        writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode() + auth + b"\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        pool.append((reader, writer))
        return int(head.split(b" ", 2)[1])

    try:
        for i in range(20):  # warm-up, hosts not in the set
            await one(f"https://raw-warm-up-{i}.example/")
        return await _open_loop(one, urls, rate, duration)
    finally:
        for _, writer in pool:
            writer.close()


async def server_p99(base: str, key: str, route: str) -> tuple[float, int]:
    """The server's own p99 for ``route`` from its latency histogram: the upper bound of the
    first bucket holding 99 % of the requests (seconds), and the request count."""
    import aiohttp

    headers = {"Authorization": f"Bearer {key}"}
    async with (
        aiohttp.ClientSession(base, headers=headers) as session,
        session.get("/metrics") as resp,
    ):
        text = await resp.text()
    buckets: list[tuple[float, float]] = []
    pattern = re.compile(
        r'^fakewatch_http_request_duration_seconds_bucket\{(?=[^}]*route="'
        + re.escape(route)
        + r'")[^}]*le="([^"]+)"[^}]*\}\s+([\d.e+]+)$',
        re.MULTILINE,
    )
    for le, count in pattern.findall(text):
        buckets.append((float("inf") if le == "+Inf" else float(le), float(count)))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0.0
    for bound, count in buckets:
        if count >= 0.99 * total:
            return bound, int(total)
    return float("nan"), int(total)


def wrk_throughput(
    base: str, key: str, urls: Sequence[str], batch: int, requests: int, tmp: Path, seconds: int
) -> tuple[float, int, str]:
    """URLs/s by wrk (closed loop, 2 threads, 8 connections) cycling up to ``requests`` batches."""
    bodies = [json.dumps({"urls": list(chunk)}) for chunk in batches(urls, batch)][:requests]
    script = tmp / "post.lua"
    script.write_text(
        "local bodies = {\n"
        + "".join(f"[==[{body}]==],\n" for body in bodies)
        + "}\n"
        + "local headers = {}\n"
        + 'headers["Content-Type"] = "application/json"\n'
        + f'headers["Authorization"] = "Bearer {key}"\n'
        + "local i = 0\n"
        + "request = function()\n"
        + "  i = i % #bodies + 1\n"
        + '  return wrk.format("POST", "/v1/check/links", headers, bodies[i])\n'
        + "end\n",
        encoding="utf-8",
    )
    per_second, note = _run_wrk(base, script, seconds)
    return per_second * batch, len(bodies), note


def wrk_new_paths(
    base: str, key: str, hosts: Sequence[str], batch: int, tmp: Path, seconds: int
) -> tuple[float, str]:
    """URLs/s by wrk (closed loop, 2 threads, 8 connections) where every request is a batch
    of URLs never sent before: ``https://HOST/p/N?ref=N%97``, HOST cycling over ``hosts``.
    The verdict cache never hits; the per-host caches do once each host has been seen (the
    new-path row of the in-process part, over HTTP)."""
    script = tmp / "new_paths.lua"
    script.write_text(
        "local hosts = {"
        # Raw UTF-8 inside Lua strings: JSON's \uXXXX escapes are a Lua syntax error, and wrk
        # then sends its default GET / instead of these batches.
        + ",".join(json.dumps(h, ensure_ascii=False) for h in hosts)
        + "}\n"
        + "local headers = {}\n"
        + 'headers["Content-Type"] = "application/json"\n'
        + f'headers["Authorization"] = "Bearer {key}"\n'
        # Each wrk thread numbers its own URLs from a different start, so none repeats.
        + "local threads = 0\n"
        + "function setup(thread)\n"
        + "  threads = threads + 1\n"
        + '  thread:set("tid", threads)\n'
        + "end\n"
        + "local n = nil\n"
        + "request = function()\n"
        + "  if n == nil then n = tid * 1000000000 end\n"
        + "  local urls = {}\n"
        + f"  for j = 1, {batch} do\n"
        + "    n = n + 1\n"
        + '    urls[j] = "\\"https://" .. hosts[n % #hosts + 1] .. "/p/" .. n .. "?ref=" .. (n % 97) .. "\\""\n'
        + "  end\n"
        + '  local body = "{\\"urls\\":[" .. table.concat(urls, ",") .. "]}"\n'
        + '  return wrk.format("POST", "/v1/check/links", headers, body)\n'
        + "end\n",
        encoding="utf-8",
    )
    per_second, note = _run_wrk(base, script, seconds)
    return per_second * batch, note


def _run_wrk(base: str, script: Path, seconds: int) -> tuple[float, str]:
    """Requests/s of a wrk run (2 threads, 8 connections) with ``script``, and a note with
    its request count and p99; any non-2xx answer or socket error fails the run."""
    done = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    found = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout or not found:
        raise RuntimeError("wrk saw errors: " + done.stdout.strip()[-300:])
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", done.stdout)
    p99 = re.search(r"^\s*99%\s+(\S+)", done.stdout, re.MULTILINE)
    note = f"{total.group(1)} requests in {total.group(2)}" if total else ""
    if p99:
        note += f"; request p99 {p99.group(1)} (closed loop)"
    return float(found.group(1)), note


def run_http(
    args: argparse.Namespace, urls: Sequence[str], report: Report, tmp: Path, workers: int
) -> None:
    why = server_available()
    if why:
        report.add("HTTP (all)", "not run", note=why)
        return
    server = Server(args.ready_timeout, workers)
    http = f"HTTP, {workers} worker{'s' if workers > 1 else ''}"
    try:
        server.start()
        load = load_text()
        # Latency first, on hosts the server has not seen; then throughput over every URL.
        lat = asyncio.run(
            http_latency(server.url, server.key, urls[::-1], args.rate, args.duration)
        )
        other = {s: n for s, n in lat.statuses.items() if s != 200}
        where = f"GET /v1/check/link, {args.rate:g} req/s open loop, {args.duration:g} s, new hosts"
        report.add(f"{http}, {where}: p50", f"{lat.p50_ms:.2f} ms")
        report.add(
            f"{http}, {where}: p99",
            f"{lat.p99_ms:.2f} ms",
            f"< {TARGET_P99_MS:g} ms",
            lat.p99_ms < TARGET_P99_MS,
            f"max {lat.max_ms:.1f} ms; {lat.sent} sent, {lat.achieved_rps:.0f} req/s achieved; "
            f"load average {load} before" + (f"; non-200: {other}" if other else ""),
        )
        if workers == 1:  # with more, /metrics is one worker's share
            inside = asyncio.run(server_p99(server.url, server.key, "/v1/check/link"))
            report.add(
                f"  same run, inside the server (/metrics histogram, {inside[1]:,} requests): p99",
                f"<= {inside[0] * 1000:g} ms",
                note="handler + middleware time; the rest of the client's figure is the client, "
                "the loopback and waiting for a core",
            )
        raw = asyncio.run(
            raw_http_latency(
                server.url, server.key, urls[::-1][lat.sent :], args.rate, args.duration
            )
        )
        report.add(
            f"{http}, {where}, raw-socket client: p50 / p99",
            f"{raw.p50_ms:.2f} / {raw.p99_ms:.2f} ms",
            f"< {TARGET_P99_MS:g} ms",
            raw.p99_ms < TARGET_P99_MS,
            f"max {raw.max_ms:.1f} ms; other new hosts; a client of a few µs a request",
        )
        # The hosts the first run judged: a new page of each, then those URLs again.
        judged = list(urls[::-1][: lat.sent])
        pages = [f"{url}p/{i}?ref=bench" for i, url in enumerate(judged)]
        fresh = asyncio.run(http_latency(server.url, server.key, pages, args.rate, args.duration))
        report.add(
            f"{http}, GET /v1/check/link, {args.rate:g} req/s open loop, new pages of those hosts",
            f"p50 {fresh.p50_ms:.2f} / p99 {fresh.p99_ms:.2f} ms",
            f"< {TARGET_P99_MS:g} ms",
            fresh.p99_ms < TARGET_P99_MS,
            "host evidence cached; the path scored on the event loop",
        )
        seen = asyncio.run(http_latency(server.url, server.key, judged, args.rate, args.duration))
        report.add(
            f"{http}, GET /v1/check/link, {args.rate:g} req/s open loop, seen URLs (verdict cache)",
            f"p50 {seen.p50_ms:.2f} / p99 {seen.p99_ms:.2f} ms",
            f"< {TARGET_P99_MS:g} ms",
            seen.p99_ms < TARGET_P99_MS,
            "the floor set by HTTP and the client on these cores",
        )
        thr = asyncio.run(
            http_throughput(
                server.url, server.key, urls, args.http_requests, args.http_concurrency, 100
            )
        )
        other = {s: n for s, n in thr.statuses.items() if s != 200}
        report.add(
            f"{http}, POST /v1/check/links, 100 unique hosts a batch, "
            f"{args.http_concurrency} conns",
            per_s(thr.rate),
            f">= {TARGET_HTTP:,} URLs/s",
            thr.rate >= TARGET_HTTP,
            f"{thr.requests} requests in {thr.seconds:.1f} s"
            + (f"; non-200: {other}" if other else "")
            + (f"; {thr.bad_bodies} bad bodies" if thr.bad_bodies else ""),
        )
        # The same batches from the raw-socket client, on a restarted server (new hosts again).
        server.stop()
        server = Server(args.ready_timeout, workers)
        server.start()
        raw_thr = asyncio.run(
            raw_http_throughput(server.url, server.key, urls, 100, args.http_concurrency)
        )
        other = {s: n for s, n in raw_thr.statuses.items() if s != 200}
        report.add(
            f"{http}, POST /v1/check/links, 100 unique hosts a batch, raw-socket client, "
            f"{args.http_concurrency} conns",
            per_s(raw_thr.rate),
            f">= {TARGET_HTTP:,} URLs/s",
            raw_thr.rate >= TARGET_HTTP,
            f"{raw_thr.requests} requests in {raw_thr.seconds:.1f} s; restarted server, cold caches"
            + (f"; non-200: {other}" if other else "")
            + (f"; {raw_thr.bad_bodies} bad bodies" if raw_thr.bad_bodies else ""),
        )
        if shutil.which("wrk"):
            rate, cycled, note = wrk_throughput(
                server.url, server.key, urls, 100, args.http_requests, tmp, args.wrk_seconds
            )
            report.add(
                f"{http}, POST /v1/check/links by wrk, {cycled} batches again (seen hosts), "
                "8 conns",
                per_s(rate),
                f">= {TARGET_HTTP:,} URLs/s",
                rate >= TARGET_HTTP,
                note,
            )
            hosts = [u.removeprefix("https://").rstrip("/") for u in urls[: args.hosts]]
            load = load_text()
            rate, note = wrk_new_paths(server.url, server.key, hosts, 100, tmp, args.wrk_seconds)
            report.add(
                f"{http}, POST /v1/check/links by wrk, new paths over {len(hosts):,} hosts "
                "(every URL new), 8 conns",
                per_s(rate),
                f">= {TARGET_HTTP:,} URLs/s",
                rate >= TARGET_HTTP,
                f"{note}; load average {load} before",
            )
        else:
            report.notes.append(
                "wrk is not installed: the HTTP figures come from the aiohttp client only."
            )
        report.notes.append(
            "The aiohttp client (one Python process) runs on the same 2 cores as the server and "
            "takes CPU from it, so its HTTP figures are a lower bound; wrk (C) shares the cores "
            "too but costs far less."
        )
    except Exception as exc:  # report what broke, keep the in-process figures
        report.add(f"{http} (all)", "failed", note=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        server.stop()


# --- main -------------------------------------------------------------------------------------


def run_bulk(urls: Sequence[str], jobs: int, runs: int, fmt: Format) -> InProcess:
    """``fakewatch check --from FILE --jobs N``'s engine (``server.bulk``): median of ``runs``
    passes, each with fresh workers (cold caches), timed from the first link handed out to
    the last output line back, the workers' start-up (loading the detectors) not counted."""
    from server.bulk import BulkChecker
    from server.settings import Settings

    rates: list[float] = []
    setups: list[float] = []
    flagged = 0
    for _ in range(runs):
        gc.unfreeze()
        gc.collect()
        t0 = time.perf_counter()
        with BulkChecker(Settings(), jobs=jobs, lang="en", fmt=fmt) as bulk:
            setups.append(time.perf_counter() - t0)
            start = time.perf_counter()
            out = b"".join(bulk.run(enumerate(urls, 1)))
            rates.append(len(urls) / (time.perf_counter() - start))
        lines = out.splitlines()
        if len(lines) != len(urls):
            raise SystemExit(f"bulk check gave {len(lines)} lines for {len(urls)} links")
        if fmt == "tsv":
            flagged = sum(line.split(b"\t", 2)[1].decode() in FLAGGED for line in lines)
        else:
            flagged = sum(json.loads(line)["verdict"] in FLAGGED for line in lines)
    return InProcess(statistics.median(rates), rates, flagged, statistics.median(setups))


def bulk_rows(args: argparse.Namespace, urls: Sequence[str], report: Report) -> None:
    for jobs in args.bulk_jobs:
        formats: tuple[Format, ...] = ("tsv", "jsonl")
        for fmt in formats:
            bulk = run_bulk(urls, jobs, args.runs, fmt)
            what = "TSV lines" if fmt == "tsv" else "JSON lines (the API's verdict objects)"
            report.add(
                f"in-process, {len(urls):,} unique hosts, check --from --jobs {jobs}, {what}",
                per_s(bulk.rate),
                f">= {TARGET_IN_PROCESS:,} URLs/s",
                bulk.rate >= TARGET_IN_PROCESS,
                f"median of {args.runs}: "
                + ", ".join(f"{r:,.0f}" for r in bulk.runs)
                + f"; {bulk.flagged:,} flagged; workers' start-up {bulk.setup_s:.1f} s not counted",
            )
    report.notes.append(
        "check --from --jobs N: server.bulk, N spawned worker processes judging chunks of 1,000"
        " links (one pipeline call each), output in input order; --jobs 1 judges in this process."
    )


def in_process_rows(
    args: argparse.Namespace,
    urls: Sequence[str],
    repeated_urls: Sequence[str],
    pathed_urls: Sequence[str],
    report: Report,
) -> tuple[InProcess, InProcess]:
    cold = run_in_process(urls, args.batch, args.runs)
    warm = run_in_process(repeated_urls, args.batch, args.runs)
    pathed = run_in_process(pathed_urls, args.batch, args.runs)
    report.add(
        f"in-process, {len(urls):,} unique hosts (cold caches)",
        per_s(cold.rate),
        f">= {TARGET_IN_PROCESS:,} URLs/s",
        cold.rate >= TARGET_IN_PROCESS,
        f"median of {args.runs}: "
        + ", ".join(f"{r:,.0f}" for r in cold.runs)
        + f"; {cold.flagged:,} flagged",
    )
    report.add(
        f"in-process, {len(urls):,} URLs over {args.hosts:,} hosts (repeated)",
        per_s(warm.rate),
        f">= {TARGET_IN_PROCESS:,} URLs/s",
        warm.rate >= TARGET_IN_PROCESS,
        f"median of {args.runs}: "
        + ", ".join(f"{r:,.0f}" for r in warm.runs)
        + "; identical URLs, answered by the verdict cache",
    )
    report.add(
        f"in-process, {len(urls):,} URLs over {args.hosts:,} hosts, each a new path",
        per_s(pathed.rate),
        f">= {TARGET_IN_PROCESS:,} URLs/s",
        pathed.rate >= TARGET_IN_PROCESS,
        f"median of {args.runs}: " + ", ".join(f"{r:,.0f}" for r in pathed.runs),
    )
    report.notes.append(
        f"Pipeline set-up (Resources.load + bundled list index + detectors): {cold.setup_s:.2f} s, "
        f"not counted. In-process calls: check_links_sync in batches of {args.batch}, one thread."
    )

    return cold, warm


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder"
    )
    parser.add_argument("--count", type=int, default=50_000, help="unique domains in the URL set")
    parser.add_argument(
        "--hosts", type=int, default=1_000, help="distinct hosts in the repeated-host run"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for sampling and shuffling")
    parser.add_argument("--batch", type=int, default=100, help="URLs per in-process pipeline call")
    parser.add_argument("--runs", type=int, default=3, help="in-process passes (median reported)")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also time each link detector alone on the unique hosts (us per URL)",
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile one unique-host pass")
    parser.add_argument("--profile-top", type=int, default=12, help="functions shown by --profile")
    parser.add_argument(
        "--skip-in-process", action="store_true", help="only the peer and HTTP parts"
    )
    parser.add_argument("--skip-peer", action="store_true", help="do not run eth-phishing-detect")
    parser.add_argument("--skip-http", action="store_true", help="do not start the server")
    parser.add_argument("--http-requests", type=int, default=500, help="POSTs of 100 URLs")
    parser.add_argument("--http-concurrency", type=int, default=8, help="client connections")
    parser.add_argument("--rate", type=float, default=200.0, help="GET requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of paced GETs")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="wrk run length, if installed")
    parser.add_argument(
        "--workers",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[1, 2],
        help="the HTTP part once per `fakewatch serve --workers N`, comma-separated",
    )
    parser.add_argument(
        "--bulk-jobs",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[1, 2],
        help="`fakewatch check --from` rows, once per --jobs N, comma-separated (empty: none)",
    )
    parser.add_argument(
        "--ready-timeout", type=float, default=60.0, help="seconds to wait for READY"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_start = load_text()
    domains, makeup = mixed_domains(args.shared, args.count, args.seed)
    repeated = repeated_domains(domains, args.hosts, len(domains), args.seed)
    urls, repeated_urls = as_urls(domains), as_urls(repeated)
    # The same hosts with a different path each time: the verdict cache misses, the
    # per-host caches (host normalisation, lookalike) still hit.
    pathed_urls = [f"https://{d}/p/{i}?ref={i % 97}" for i, d in enumerate(repeated)]
    report = Report()

    cold = warm = None
    if args.skip_in_process:
        report.add("in-process (all)", "not run", note="skipped (--skip-in-process)")
    else:
        cold, warm = in_process_rows(args, urls, repeated_urls, pathed_urls, report)
        if args.bulk_jobs:
            bulk_rows(args, urls, report)

    with tempfile.TemporaryDirectory(prefix="fakewatch-bench-") as scratch:
        tmp = Path(scratch)
        why = "skipped (--skip-peer)" if args.skip_peer else ensure_peer()
        if why:
            report.add("peer eth-phishing-detect", "not run", note=why)
        else:
            peer_cold = run_peer(domains, tmp, "unique")
            peer_warm = run_peer(repeated, tmp, "repeated")
            name = f"peer eth-phishing-detect {peer_cold.version} (node {platform_node()})"
            report.add(
                f"{name}, unique hosts",
                per_s(peer_cold.rate),
                note=f"{peer_cold.flagged:,.0f} flagged",
            )
            report.add(f"{name}, repeated hosts", per_s(peer_warm.rate))
            if cold is not None and warm is not None:
                report.add(
                    "ratio FakeWatch / peer, unique hosts", f"{cold.rate / peer_cold.rate:.2f}x"
                )
                report.add(
                    "ratio FakeWatch / peer, repeated hosts", f"{warm.rate / peer_warm.rate:.2f}x"
                )
            report.notes.append(
                "The peer gets bare domains and does exact list lookups by linear scan plus a "
                "Levenshtein check against its fuzzylist; FakeWatch parses and normalises full "
                "URLs and runs every registered link detector. Same domains, same order."
            )
        if args.skip_http:
            report.add("HTTP (all)", "not run", note="skipped (--skip-http)")
        else:
            for workers in args.workers:
                run_http(args, urls, report, tmp, workers)

    built = build()
    print(f"FakeWatch link throughput: {len(urls):,} unique domains ({makeup}), seed {args.seed}")
    print(
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"detectors: {detector_names(built)}; load average at start {load_start}, "
        f"at end {load_text()}"
    )
    print()
    print(
        render_table(
            ["measure", "figure", "target", "", "note"],
            [(r.measure, r.figure, r.target, r.verdict, r.note) for r in report.rows],
            align="lrrll",
        )
    )
    print()
    for note in dict.fromkeys(report.notes):  # the HTTP part adds its notes per run
        print(f"- {note}")
    if args.stages:
        print()
        print(stage_costs(urls, args.batch, args.runs))
    print(f"- Whole run: {time.perf_counter() - started:.0f} s.")
    if args.profile:
        print()
        print(
            f"cProfile of one unique-host pass ({len(urls):,} URLs), "
            f"top {args.profile_top} by tottime:"
        )
        print(profile_in_process(urls, args.batch, args.profile_top))
    return 0


def load_text() -> str:
    """The 1-minute load average: other work on the machine skews every figure here."""
    with contextlib.suppress(OSError):
        return f"{os.getloadavg()[0]:.2f}"
    return "?"


def platform_node() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    return "?"


if __name__ == "__main__":
    sys.exit(main())
