"""Report ingest: reports/s with concurrent writers against the real server, and kill -9 during
a burst (every acknowledged report must still be in the database afterwards).

    .venv/bin/python bench/reports_ingest.py [--reports 6000] [--concurrency 64]
        [--writers 16,64,256] [--seconds 8] [--open-rates 500,1000,1500]

Three load generators, because the client shares the 2 cores with the server:
- ``wrk`` (C, closed loop: N connections, each sends its next report when the last one is
  acknowledged), the figure against the target; with N = 16, 64, 256 writers and with the
  busy writer's group-commit wait at 2 ms (the default) and 0 (``--waits 2,0,2,0``
  interleaves them, as the machine's load drifts);
- an open-loop client (lean asyncio sockets, requests sent on a fixed schedule whatever the
  answers, latency counted from the scheduled time), to see the latency at offered rates;
- the aiohttp client (heavier: about as much CPU per request as the server), kept for
  comparison with earlier figures and used for the kill -9 burst (it records every id
  acknowledged).

Peer, measured in the same run with the same client and connections: ``GET /v1/alerts?since=``
past the end (a keyed request with one indexed database read and no write) — the HTTP
ceiling of this machine for this client, so the ratio says how much of it the report path
(validation, a batched SQLite write, an acknowledgement only after commit) keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from tempfile import mkdtemp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402

from tests.support.server import RunningServer, start_server  # noqa: E402


def make_key(server: RunningServer) -> str:
    created = server.request("POST", "/v1/keys", json_body={"role": "client", "label": "bench"})
    return str(created.json()["key"])


async def _run(
    url: str, key: str, n: int, concurrency: int, make: object, stop_after: float | None = None
) -> tuple[float, list[int]]:
    """Send ``n`` requests from ``concurrency`` workers; return (seconds, acknowledged ids)."""
    headers = {"Authorization": f"Bearer {key}"}
    acked: list[int] = []
    counter = iter(range(n))
    connector = aiohttp.TCPConnector(limit=concurrency)
    started = time.perf_counter()

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            method, path, body = make(i)  # type: ignore[operator]
            try:
                async with session.request(method, url + path, json=body, headers=headers) as r:
                    payload = await r.json()
                    if r.status in (200, 201) and isinstance(payload, dict) and "id" in payload:
                        acked.append(int(payload["id"]))
                    elif r.status >= 400:
                        raise SystemExit(f"{path}: {r.status} {payload}")
            except (aiohttp.ClientError, ConnectionError):
                return  # the server was killed: what was acknowledged is what counts

    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        if stop_after is not None:
            await asyncio.sleep(stop_after)
            return time.perf_counter() - started, acked
        await asyncio.gather(*tasks)
    return time.perf_counter() - started, acked


def report_body(i: int) -> tuple[str, str, dict[str, object]]:
    return (
        "POST",
        "/v1/reports",
        {
            "kind": "link",
            "value": f"https://login.bench-scam-{i % 2000}.example/p{i}",
            "category": "investment",
            "description": "fake trading platform <b>guaranteed</b> returns",
            "reporter": f"user-{i}",
        },
    )


def alerts_body(i: int) -> tuple[str, str, None]:
    return "GET", "/v1/alerts?since=999999999", None


BENCH_ENV = {
    "FAKEWATCH_REPORTER_REPORTS_PER_MINUTE": "1000000",
    "FAKEWATCH_KEY_REPORTS_PER_MINUTE": "100000000",
    "FAKEWATCH_KEY_REQUESTS_PER_MINUTE": "100000000",
}

WRK_SCRIPT = """
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)  -- a global in each thread's own Lua state
  next_tid = next_tid + 1
end
local counter = 0
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer KEY"}
request = function()
  counter = counter + 1
  local i = OFFSET + tid * 100000000 + counter
  local body = string.format('{"kind":"link","value":"https://login.bench-scam-%d.example/p%d",'
    .. '"category":"investment","description":"fake trading platform <b>guaranteed</b> returns",'
    .. '"reporter":"user-%d"}', i % 2000, i, i)
  return wrk.format("POST", "/v1/reports", headers, body)
end
"""


def wrk(
    url: str, key: str, path: str, writers: int, seconds: int, script: str | None
) -> dict[str, str]:
    """One closed-loop wrk run; requests/s, latency p50/p99 and errors as wrk prints them."""
    command = ["wrk", "-t2", f"-c{writers}", f"-d{seconds}s", "--latency"]
    if script is not None:
        lua = Path(mkdtemp(prefix="fw-wrk-")) / "report.lua"
        # Every run its own reports: a repeated (case, reporter) pair is a duplicate, not stored.
        offset = str(int(time.time() * 1000) % 10**6 * 10**9)  # < 2**53: exact in Lua
        lua.write_text(script.replace("KEY", key).replace("OFFSET", offset), encoding="utf-8")
        command += ["-s", str(lua)]
    else:
        command += ["-H", f"Authorization: Bearer {key}"]
    done = subprocess.run(
        [*command, url + path], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    out = done.stdout

    def find(pattern: str) -> str:
        found = re.search(pattern, out, re.MULTILINE)
        return found.group(1) if found else "?"

    errors = "non-2xx " + find(r"Non-2xx or 3xx responses: (\d+)") if "Non-2xx" in out else ""
    if "Socket errors" in out:
        errors += " socket errors: " + find(r"Socket errors: (.*)$")
    return {
        "rate": find(r"Requests/sec:\s*([\d.]+)"),
        "requests": find(r"(\d+) requests in"),
        "p50": find(r"^\s*50%\s+(\S+)"),
        "p99": find(r"^\s*99%\s+(\S+)"),
        "errors": errors.strip(),
    }


def _stored(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return (
            db.execute("SELECT COUNT(*) FROM reports").fetchone()[0],
            db.execute("SELECT COUNT(*) FROM cases").fetchone()[0],
        )


def _batches(server: RunningServer) -> str:
    for line in reversed(server.stderr().splitlines()):
        if "report writer stopped" in line:
            record = json.loads(line)
            if record.get("batches"):
                mean = record["reports"] / record["batches"]
                return (
                    f"{record['reports']} reports in {record['batches']} commits (mean {mean:.1f})"
                )
    return "?"


def wrk_ingest(writers: list[int], seconds: int, waits: list[str]) -> None:
    """Closed loop with wrk: reports/s per writer count and group-commit wait."""
    for wait in waits:
        server = start_server(
            Path(mkdtemp(prefix="fw-bench-")),
            env={**BENCH_ENV, "FAKEWATCH_REPORT_BATCH_WAIT_MS": wait},
        )
        try:
            key = make_key(server)
            wrk(server.url, key, "/v1/reports", 16, 2, WRK_SCRIPT)  # warm-up
            peer = wrk(server.url, key, "/v1/alerts?since=999999999", 64, seconds, None)
            print(
                f"[wrk, wait {wait} ms] peer GET /v1/alerts: {float(peer['rate']):,.0f} req/s"
                f" (p50 {peer['p50']}, p99 {peer['p99']}) {peer['errors']}"
            )
            for n in writers:
                before, _ = _stored(server.db)
                got = wrk(server.url, key, "/v1/reports", n, seconds, WRK_SCRIPT)
                after, cases = _stored(server.db)
                rate = float(got["rate"])
                print(
                    f"[wrk, wait {wait} ms] {n:>3} writers: {rate:,.0f} reports/s"
                    f" ({rate / float(peer['rate']):.0%} of the peer), p50 {got['p50']},"
                    f" p99 {got['p99']}; stored {after - before} (wrk counted"
                    f" {got['requests']} answers) {got['errors']}"
                    f" load {os.getloadavg()[0]:.2f}"
                )
        finally:
            server.stop()
        print(f"[wrk, wait {wait} ms] group commit: {_batches(server)}; {cases} cases")


async def _open_loop(
    url: str, key: str, rate: float, seconds: float, conns: int
) -> dict[str, float]:
    """Send reports at ``rate``/s on a fixed schedule over ``conns`` keep-alive connections;
    latency runs from each request's scheduled time to its answer (queueing included)."""
    host, port = url.removeprefix("http://").split(":")
    total = int(rate * seconds)
    pending: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    latencies: list[float] = []
    failures = 0

    def request(i: int) -> bytes:
        body = json.dumps(
            {
                "kind": "link",
                "value": f"https://login.open-scam-{i % 2000}.example/p{i}",
                "category": "investment",
                "description": "fake trading platform",
                "reporter": f"open-{i}",
            }
        ).encode()
        return (
            f"POST /v1/reports HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, int(port))
        while True:
            i, due = await pending.get()
            if i < 0:
                writer.close()
                return
            writer.write(request(i))
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            if not head.startswith((b"HTTP/1.1 201", b"HTTP/1.1 200")):
                failures += 1
            latencies.append(time.perf_counter() - due)

    workers = [asyncio.create_task(connection()) for _ in range(conns)]
    started = time.perf_counter()
    for i in range(total):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.put_nowait((i, due))
    for _ in workers:
        pending.put_nowait((-1, 0.0))
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "done": len(ordered) / elapsed,
        "p50": ordered[len(ordered) // 2] * 1000,
        "p99": ordered[int(len(ordered) * 0.99)] * 1000,
        "failures": failures,
    }


def open_loop(rates: list[float], seconds: float, conns: int, wait: str) -> None:
    env = {**BENCH_ENV, "FAKEWATCH_REPORT_BATCH_WAIT_MS": wait}
    server = start_server(Path(mkdtemp(prefix="fw-open-")), env=env)
    try:
        key = make_key(server)
        asyncio.run(_open_loop(server.url, key, 200, 1, 16))  # warm-up
        for rate in rates:
            got = asyncio.run(_open_loop(server.url, key, rate, seconds, conns))
            print(
                f"[open loop, {conns} conns, wait {wait} ms] offered {rate:,.0f}/s: answered {got['done']:,.0f}/s,"
                f" latency p50 {got['p50']:.1f} ms p99 {got['p99']:.1f} ms,"
                f" failures {got['failures']:.0f}, load {os.getloadavg()[0]:.2f}"
            )
    finally:
        server.stop()


def ingest_rate(reports: int, concurrency: int) -> None:
    server = start_server(Path(mkdtemp(prefix="fw-bench-")), env=BENCH_ENV)
    try:
        key = make_key(server)
        asyncio.run(_run(server.url, key, 300, concurrency, report_body))  # warm-up
        peer_s, _ = asyncio.run(_run(server.url, key, reports, concurrency, alerts_body))
        took, acked = asyncio.run(_run(server.url, key, reports, concurrency, report_body))
        with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
            stored = db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
            cases = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
    finally:
        server.stop()
    rate, peer_rate = reports / took, reports / peer_s
    print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    print(
        f"[aiohttp client] reports: {reports} in {took:.2f} s = {rate:,.0f} reports/s"
        f" ({concurrency} concurrent)"
    )
    print(
        f"peer GET /v1/alerts (read only): {peer_rate:,.0f} req/s -> reports at {rate / peer_rate:.0%} of it"
    )
    print(f"stored: {stored} reports in {cases} cases; acknowledged {len(acked)}")


def kill_during_burst(concurrency: int, seconds: float) -> None:
    server = start_server(Path(mkdtemp(prefix="fw-kill-")), env=BENCH_ENV)
    key = make_key(server)

    async def burst() -> list[int]:
        task = asyncio.create_task(
            _run(server.url, key, 10_000_000, concurrency, report_body, stop_after=seconds)
        )
        await asyncio.sleep(seconds)
        server.process.send_signal(signal.SIGKILL)  # mid-burst, no clean shutdown
        _, acked = await task
        await asyncio.sleep(0.5)
        return list(acked)

    acked = asyncio.run(burst())
    server.process.wait()
    with sqlite3.connect(str(server.db)) as db:  # opening it runs WAL recovery
        ids = {row[0] for row in db.execute("SELECT id FROM reports")}
        dupes = db.execute(
            "SELECT COUNT(*) FROM (SELECT case_id, reporter FROM reports"
            " GROUP BY case_id, reporter HAVING COUNT(*) > 1)"
        ).fetchone()[0]
    lost = [i for i in acked if i not in ids]
    print(
        f"kill -9 after {seconds:.1f} s of burst: acknowledged {len(acked)}, in the database"
        f" {len(ids)}, acknowledged but missing {len(lost)}, stored twice {dupes}"
    )
    if lost or dupes:
        raise SystemExit("FAIL: an acknowledged report was lost or a report stored twice")
    restarted = start_server(server.db.parent)
    try:
        answer = restarted.request("GET", "/v1/cases?limit=1")
        print(f"restarted on the same file: GET /v1/cases -> {answer.status}")
    finally:
        restarted.stop()


def write_path(n: int) -> None:
    """The database side alone (no HTTP): batched as the server does vs one transaction each."""
    from server.community.items import CaseKey, Category, ItemKind
    from server.community.store import NewReport, insert_reports
    from server.storage.database import connect

    def reports(offset: int) -> list[NewReport]:
        return [
            NewReport(
                item=CaseKey(ItemKind.LINK, f"w{(offset + i) % 2000}.example", "x", "domain"),
                reporter=f"key:1:{offset + i}",
                reporter_kind="keyed",
                category=Category.INVESTMENT,
                impersonates=None,
                platform=None,
                seen_url=None,
                description="fake trading platform",
                keep_media=False,
                share_with_authorities=False,
                hashes=None,
                media_path=None,
            )
            for i in range(n)
        ]

    figures = {}
    for label, batch in (("one transaction each", 1), ("batches of 500 (server)", 500)):
        db = connect(Path(mkdtemp(prefix="fw-write-")) / "w.db")
        items = reports(0)
        started = time.perf_counter()
        for start in range(0, n, batch):
            with db.atomic():
                insert_reports(db, items[start : start + batch])
        figures[label] = n / (time.perf_counter() - started)
        db.close()
    for label, rate in figures.items():
        print(f"write path, {label}: {rate:,.0f} reports/s")
    ratio = figures["batches of 500 (server)"] / figures["one transaction each"]
    print(f"batching: x{ratio:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--kill-after", type=float, default=2.0)
    parser.add_argument("--writers", default="16,64,256", help="wrk connections, comma-separated")
    parser.add_argument("--waits", default="2,0", help="group-commit waits (ms) to compare")
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--open-rates", default="500,1000,1500", help="open-loop offered rates")
    parser.add_argument("--skip", default="", help="comma-separated: write,wrk,open,aiohttp,kill")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    print(f"cpu cores: {os.cpu_count()}, load average at start: {os.getloadavg()}")
    if "write" not in skip:
        write_path(args.reports)
    if "wrk" not in skip:
        if shutil.which("wrk"):
            writers = [int(n) for n in args.writers.split(",")]
            wrk_ingest(writers, args.seconds, args.waits.split(","))
        else:
            print("wrk is not installed: no closed-loop C-client figures")
    if "open" not in skip:
        rates = [float(r) for r in args.open_rates.split(",")]
        for wait in args.waits.split(","):
            open_loop(rates, args.seconds, 64, wait)
    if "aiohttp" not in skip:
        ingest_rate(args.reports, args.concurrency)
    if "kill" not in skip:
        kill_during_burst(args.concurrency, args.kill_after)
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
