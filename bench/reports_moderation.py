"""Moderation at scale and alert latency, against the real server.

    .venv/bin/python bench/reports_moderation.py [--cases 100000] [--rounds 10]

1. The moderator page and ``GET /v1/cases`` over a database of ``--cases`` cases: server time
   per request, read from the server's own access log (``duration_ms``), median and p95.
   Peer in the same run: ``GET /healthz`` (no database, no HTML).
2. Confirm -> alert delivered: a webhook receiver on 127.0.0.1 verifies each signed delivery;
   the figure is the time from sending ``POST /v1/cases/{id}/confirm`` to the receiver holding
   the verified alert.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import mkdtemp

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.alerts.signing import ReplayGuard, verify  # noqa: E402
from server.community.items import item_hash  # noqa: E402
from server.storage.database import connect  # noqa: E402
from tests.support.server import RunningServer, start_server  # noqa: E402

CATEGORIES = ("investment", "giveaway", "celebrity", "romance", "official", "shopping", "other")


def seed(db_path: Path, n: int) -> None:
    """``n`` cases with a long-tailed reach, as a busy instance would have (bench data only)."""
    db = connect(db_path)
    rng = random.Random(7)
    now = "2026-11-01T00:00:00Z"
    statuses = ["pending"] * 6 + ["confirmed", "rejected", "quarantined", "retired"]
    rows = []
    for i in range(n):
        reporters = int(rng.paretovariate(1.2))
        category = rng.choice(CATEGORIES)
        key = f"seed-{i}.example"
        rows.append(
            (
                "link",
                key,
                item_hash("link", key),
                key,
                category,
                rng.choice(statuses),
                reporters,
                reporters,
                reporters * 0.5,
                1 if category in ("official", "investment", "celebrity") else 0,
                now,
                now,
            )
        )
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO cases (kind, key, key_hash, display, category, status, reports,"
            " reporters, reach, urgency, first_at, last_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    db.close()


def server_times(server: RunningServer, route: str) -> list[float]:
    times = []
    for line in server.stderr().splitlines():
        if '"msg": "request"' in line:
            entry = json.loads(line)
            if entry.get("route") == route and entry.get("status") in (200, 303):
                times.append(float(entry["duration_ms"]))
    return times


def describe(label: str, times: list[float]) -> float:
    times = times[2:] or times  # the first calls warm caches
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 5 else max(times)
    median = statistics.median(times)
    print(f"{label:<34} median {median:7.1f} ms   p95 {p95:7.1f} ms   ({len(times)} requests)")
    return median


def page_times(server: RunningServer, rounds: int) -> None:
    for _ in range(rounds):
        assert server.request("GET", "/moderate?status=pending").status == 200
        assert server.request("GET", "/v1/cases?status=pending&limit=50").status == 200
        assert server.request("GET", "/healthz", key=None).status == 200
    time.sleep(0.3)  # let the access log flush
    page = describe("GET /moderate (50 of the queue)", server_times(server, "/moderate"))
    api = describe("GET /v1/cases?limit=50", server_times(server, "/v1/cases"))
    peer = describe("peer GET /healthz", server_times(server, "/healthz"))
    print(f"page / peer: x{page / peer:.0f}; API / peer: x{api / peer:.0f}")


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.guard = ReplayGuard()
        self.arrivals: dict[int, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verify(receiver.secret, dict(self.headers.items()), body, receiver.guard)
                receiver.arrivals[json.loads(body)["alert"]["case_id"]] = time.perf_counter()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def alert_latency(server: RunningServer, rounds: int) -> None:
    receiver = Receiver()
    added = server.request("POST", "/v1/webhooks", json_body={"url": receiver.url}).json()
    receiver.secret = added["secret"]
    latencies = []
    for i in range(rounds):
        filed = server.request(
            "POST", "/v1/reports", json_body={"kind": "link", "value": f"https://lat{i}.example/"}
        ).json()
        case_id = filed["case_id"]
        sent = time.perf_counter()
        server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "bench"})
        deadline = time.monotonic() + 30
        while case_id not in receiver.arrivals and time.monotonic() < deadline:
            time.sleep(0.002)
        latencies.append((receiver.arrivals[case_id] - sent) * 1000)
    receiver.server.shutdown()
    print(
        f"confirm -> verified webhook delivery: median {statistics.median(latencies):.0f} ms,"
        f" max {max(latencies):.0f} ms ({rounds} confirms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    folder = Path(mkdtemp(prefix="fw-mod-"))
    started = time.perf_counter()
    seed(folder / "fakewatch.db", args.cases)
    print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
    # The bench receiver listens on 127.0.0.1, a private target refused by default.
    server = start_server(folder, env={"FAKEWATCH_WEBHOOK_ALLOW_PRIVATE": "true"})
    try:
        print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()}")
        page_times(server, args.rounds)
        alert_latency(server, args.rounds)
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
