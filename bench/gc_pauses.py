"""Garbage-collector pauses of a real server whose caches are full, with and without the
freeze policy (``server/gc_policy.py``), in one run.

Each configuration is a fresh ``fakewatch serve`` on 127.0.0.1:

1. fill: ``POST /v1/check/links`` batches of new hosts until the link and host caches are
   full (``--fill`` URLs);
2. measure, for ``--seconds``: single-URL ``GET /v1/check/link`` at ``--rate`` req/s, open
   loop, each a link not checked before (half new hosts, half new paths), timed from when it
   was due; beside it a stream of 100-URL batches of new hosts (``--churn`` URLs/s) keeps the
   caches evicting as a busy server's do, and a trickle of other requests (``/healthz``,
   unknown routes, wrong keys, broken JSON, one connection per request) makes the kind of
   short-lived objects a leak would come from;
3. ``/metrics``: collections and their longest pause by generation, objects frozen;
4. SIGTERM: the server's shutdown line ``gc sweep`` says how many unreachable objects an
   ordinary full collection found, then how many more were among the frozen objects: cycles
   frozen while alive, which only a sweep frees (the policy's cost).

The peer is the same server with ``FAKEWATCH_GC_FREEZE_S=0`` (CPython's collector, with only
start-up objects frozen).

    .venv/bin/python bench/gc_pauses.py [--seconds 60] [--rate 200] [--fill 80000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from common import DEFAULT_SHARED, render_table  # noqa: E402
from links_throughput import Server, http_latency, mixed_domains  # noqa: E402


@dataclass
class Figures:
    label: str
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    gets: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    collections: dict[str, int] = field(default_factory=dict)
    longest_ms: dict[str, float] = field(default_factory=dict)
    frozen: int = 0
    unreachable: int | None = None
    unreachable_unfrozen: int | None = None
    seconds: float = 0.0
    fill_s: float = 0.0
    other_requests: int = 0


def url_sets(shared: Path, fill: int, gets: int, churn: int) -> tuple[list[str], ...]:
    """Disjoint URL lists: the fill, the paced GETs (new hosts and new paths), the churn."""
    domains, _ = mixed_domains(shared, 50_000, 1)
    hosts = [f"https://{d}/" for d in domains]
    # More hosts than the data has: subdomains are hosts of their own for every cache.
    extra = (f"https://{prefix}.{d}/" for prefix in ("m", "app", "login", "www2") for d in domains)
    pool = hosts + list(extra)
    fill_urls = pool[:fill]
    rest = pool[fill:]
    new_hosts = rest[: gets // 2]
    new_paths = [f"{u}p/{i}" for i, u in enumerate(fill_urls[: gets - len(new_hosts)])]
    paced = [u for pair in zip(new_hosts, new_paths, strict=False) for u in pair]
    churn_urls = rest[gets // 2 : gets // 2 + churn]
    return fill_urls, paced, churn_urls


async def run_config(
    label: str, freeze_s: float, args: argparse.Namespace, urls: tuple[list[str], ...]
) -> Figures:
    import aiohttp

    fill_urls, paced, churn_urls = urls
    figures = Figures(label)
    os.environ["FAKEWATCH_GC_FREEZE_S"] = str(freeze_s)
    # Every request comes from 127.0.0.1: the wrong-key requests must not use up the
    # address's budget of failed keys and get the measured requests refused.
    os.environ["FAKEWATCH_AUTH_FAILURES_PER_MINUTE"] = "100000000"
    server = Server(ready_timeout=60)
    server.start()
    try:
        headers = {"Authorization": f"Bearer {server.key}"}
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(server.url, headers=headers, connector=connector) as http:
            started = time.perf_counter()
            for start in range(0, len(fill_urls), 100):
                batch = fill_urls[start : start + 100]
                async with http.post("/v1/check/links", json={"urls": batch}) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"fill answered {resp.status}")
            figures.fill_s = time.perf_counter() - started
            stop = asyncio.Event()
            churn = asyncio.create_task(_churn(http, churn_urls, args.churn, stop))
            others = asyncio.create_task(_others(server.url, server.key, stop))
            paced_run = await http_latency(server.url, server.key, paced, args.rate, args.seconds)
            stop.set()
            await churn
            figures.other_requests = await others
            async with http.get("/metrics") as resp:
                metrics = await resp.text()
        figures.gets = paced_run.sent
        figures.statuses = dict(paced_run.statuses)
        figures.p50_ms, figures.p99_ms = paced_run.p50_ms, paced_run.p99_ms
        figures.max_ms = paced_run.max_ms
        figures.seconds = args.seconds
        for generation in ("0", "1", "2"):
            figures.collections[generation] = int(
                _metric(metrics, "fakewatch_gc_pauses_total", generation)
            )
            figures.longest_ms[generation] = (
                _metric(metrics, "fakewatch_gc_longest_pause_seconds", generation) * 1000
            )
        figures.frozen = int(_metric(metrics, "fakewatch_gc_frozen_objects", None))
    finally:
        figures.unreachable, figures.unreachable_unfrozen = _stop_and_read_sweep(server)
    return figures


def _metric(text: str, name: str, generation: str | None) -> float:
    labels = r"\{generation=\"" + generation + r"\"\}" if generation is not None else ""
    found = re.search(rf"^{name}{labels} (\S+)$", text, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{name} {generation} not in /metrics")
    return float(found.group(1))


async def _churn(http: object, urls: Sequence[str], per_second: float, stop: asyncio.Event) -> None:
    """100-URL batches of new hosts at ``per_second`` URLs/s until ``stop``."""
    interval = 100 / per_second
    for start in range(0, len(urls), 100):
        if stop.is_set():
            return
        began = time.perf_counter()
        async with http.post("/v1/check/links", json={"urls": urls[start : start + 100]}) as resp:  # type: ignore[attr-defined]
            await resp.read()
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))


async def _others(base: str, key: str, stop: asyncio.Event) -> int:
    """A few requests a second that end in errors or a closed connection."""
    import aiohttp

    sent = 0
    while not stop.is_set():
        async with aiohttp.ClientSession(base) as fresh:  # a new connection every round
            for method, path, headers, data in (
                ("GET", "/healthz", {}, None),
                ("GET", "/no/such/route", {}, None),
                (
                    "GET",
                    "/v1/check/link?url=https://a.example/",
                    {"Authorization": "Bearer wrong-key-0000000000"},
                    None,
                ),
                (
                    "POST",
                    "/v1/check/links",
                    {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                    b"{not json",
                ),
            ):
                async with fresh.request(method, path, headers=headers, data=data) as resp:
                    await resp.read()
                sent += 1
        await asyncio.sleep(0.1)
    return sent


def _stop_and_read_sweep(server: Server) -> tuple[int | None, int | None]:
    """SIGTERM the server, then read its shutdown ``gc sweep`` line: unreachable objects
    found among the frozen ones, and by an ordinary full collection just before."""
    proc = server.proc
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)
    found = ordinary = None
    stderr = server.dir / "stderr.txt"
    if stderr.exists():
        for line in stderr.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") == "gc sweep" and "frozen_objects" in entry:
                found = int(entry["unreachable_found"])
                ordinary = int(entry["unreachable_unfrozen"])
    shutil.rmtree(server.dir, ignore_errors=True)
    return found, ordinary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured phase")
    parser.add_argument("--rate", type=float, default=200.0, help="paced GETs per second")
    parser.add_argument("--churn", type=float, default=1000.0, help="new-host URLs/s in batches")
    parser.add_argument("--fill", type=int, default=80_000, help="URLs checked before measuring")
    parser.add_argument("--freeze-s", type=float, default=1.0, help="the policy's interval")
    args = parser.parse_args(argv)
    gets = int(args.rate * args.seconds)
    urls = url_sets(args.shared, args.fill, gets, int(args.churn * args.seconds) + 100)
    print(
        f"gc pauses: fill {args.fill:,} URLs, then {args.seconds:.0f} s of {args.rate:.0f} GET/s"
        f" (each link new) beside {args.churn:.0f} new-host URLs/s in batches;"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    results = []
    for label, freeze_s in (
        ("CPython collector (peer)", 0.0),
        (f"freeze every {args.freeze_s:g} s", args.freeze_s),
    ):
        results.append(asyncio.run(run_config(label, freeze_s, args, urls)))
    rows = []
    for f in results:
        leak = (
            "n/a"
            if f.unreachable is None
            else f"{f.unreachable_unfrozen:,} / {f.unreachable:,}"
            f" ({f.unreachable / f.seconds * 3600:,.0f}/h frozen)"
        )
        rows.append(
            (
                f.label,
                f"{f.p50_ms:.2f} / {f.p99_ms:.2f} / {f.max_ms:.1f}",
                f"{f.collections['2']} / {f.longest_ms['2']:.1f} ms",
                f"{f.longest_ms['1']:.1f} / {f.longest_ms['0']:.1f} ms",
                f"{f.frozen:,}",
                leak,
                f"{f.fill_s:.1f} s",
            )
        )
    print(
        render_table(
            (
                "configuration",
                "GET p50 / p99 / max ms",
                "full collections / longest",
                "longest gen1 / gen0",
                "frozen at end",
                "unreachable at shutdown: unfrozen / frozen",
                "fill",
            ),
            rows,
        )
    )
    peer, ours = results
    print(
        f"p99 ratio {ours.p99_ms / peer.p99_ms:.2f}x, max ratio {ours.max_ms / peer.max_ms:.2f}x"
        f" (policy / peer); GET statuses {ours.statuses} / {peer.statuses};"
        f" load average at end {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
