"""``fakewatch serve --workers N``: one port, N real server processes, one of them scheduling."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import RunningServer, start_server

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

CHECKS = 20
REPO = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().partition("=")[::2] for item in raw if item)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _gone(pids: list[int], within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _second_group(port: int | str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Another `serve --workers 2` on ``port``, run to its end (it should refuse at once)."""
    command = [sys.executable, "-m", "server", "serve", "--workers", "2", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO)


def _checks_answered(server: RunningServer, metrics: str) -> int:
    found = re.findall(
        r'^fakewatch_http_requests_total\{[^}]*route="/v1/check/link"[^}]*status="200"[^}]*\}'
        r"\s+([\d.]+)$",
        metrics,
        re.MULTILINE,
    )
    return int(sum(float(value) for value in found))


def test_two_workers_share_the_port_and_only_the_first_runs_scheduled_jobs(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, env={"FAKEWATCH_WORKERS": "2"})
    try:
        workers = _children(server.process.pid)
        assert len(workers) == 2
        jobs = sorted(_environ(pid)["FAKEWATCH_SCHEDULED_JOBS"] for pid in workers)
        assert jobs == ["false", "true"]
        for i in range(CHECKS):  # a new connection each time: the kernel spreads them
            response = server.request("GET", f"/v1/check/link?url=https://paypa1-{i}.example/")
            assert response.status == 200
            assert response.json()["verdict"] in ("suspicious", "likely_scam", "no_known_signals")
        # /metrics is per process: the worker that answers this scrape counted only its own
        # share, so the other one answered the rest.
        answered = _checks_answered(server, server.request("GET", "/metrics").body.decode())
        assert 0 <= answered < CHECKS

        # A second group on the same port is refused before it starts a worker: it would
        # otherwise share the port and split requests between two databases.
        port = server.url.rsplit(":", 1)[1]
        other = _second_group(port, tmp_path / "other")
        assert other.returncode != 0 and "READY" not in other.stdout
        assert f"cannot listen on 127.0.0.1:{port}" in other.stderr
        assert sorted(_children(server.process.pid)) == sorted(workers)

        assert server.stop() == 0
        assert _gone(workers)
    finally:
        server.stop()


def test_a_worker_that_dies_stops_the_group_with_an_error(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"FAKEWATCH_WORKERS": "2"})
    try:
        workers = _children(server.process.pid)
        os.kill(workers[0], signal.SIGKILL)
        assert server.process.wait(timeout=30) == 1
        assert _gone(workers)
        assert "exited with code" in server.stderr()
    finally:
        server.stop()


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"FAKEWATCH_WORKERS": "2"})
    try:
        workers = _children(server.process.pid)
        assert len(workers) == 2
        server.process.kill()  # SIGKILL: the supervisor cannot stop them itself
        server.process.wait(timeout=10)
        assert _gone(workers), "workers outlived their supervisor and still hold the port"
    finally:
        server.stop()


def test_a_group_still_starting_on_a_port_keeps_a_second_group_off_it(tmp_path: Path) -> None:
    """The probe bind cannot see a group whose workers are not listening yet: the port's
    claim file can."""
    import fcntl
    import socket
    import tempfile

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    claim = Path(tempfile.gettempdir()) / f"fakewatch-serve-port-{port}.lock"
    with claim.open("ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a starting supervisor does
        second = _second_group(port, tmp_path)
    assert second.returncode != 0 and "READY" not in second.stdout
    assert "another `fakewatch serve --workers` group holds that port" in second.stderr
