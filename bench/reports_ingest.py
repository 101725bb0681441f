"""Report ingest: reports/s with concurrent writers against the real server, and kill -9 during
a burst (every acknowledged report must still be in the database afterwards).

    .venv/bin/python bench/reports_ingest.py [--reports 6000] [--concurrency 64]

Peer, measured in the same run with the same client and connections: ``GET /v1/alerts?since=``
past the end (a keyed request with one indexed database read and no write) — the HTTP ceiling of this machine for this client, so the
ratio says how much of it the report path (validation, hashing, a batched SQLite write,
an acknowledgement only after commit) keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
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


def ingest_rate(reports: int, concurrency: int) -> None:
    server = start_server(
        Path(mkdtemp(prefix="fw-bench-")),
        env={
            "FAKEWATCH_REPORTER_REPORTS_PER_MINUTE": "1000000",
            "FAKEWATCH_KEY_REQUESTS_PER_MINUTE": "100000000",
        },
    )
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
    print(f"reports: {reports} in {took:.2f} s = {rate:,.0f} reports/s ({concurrency} concurrent)")
    print(
        f"peer GET /v1/alerts (read only): {peer_rate:,.0f} req/s -> reports at {rate / peer_rate:.0%} of it"
    )
    print(f"stored: {stored} reports in {cases} cases; acknowledged {len(acked)}")


def kill_during_burst(concurrency: int, seconds: float) -> None:
    server = start_server(
        Path(mkdtemp(prefix="fw-kill-")),
        env={
            "FAKEWATCH_REPORTER_REPORTS_PER_MINUTE": "1000000",
            "FAKEWATCH_KEY_REQUESTS_PER_MINUTE": "100000000",
        },
    )
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
    args = parser.parse_args()
    write_path(args.reports)
    ingest_rate(args.reports, args.concurrency)
    kill_during_burst(args.concurrency, args.kill_after)


if __name__ == "__main__":
    main()
