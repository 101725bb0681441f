"""A server stopped with SIGTERM says so in its log and leaves no -wal file behind."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ADMIN_KEY, RunningServer, start_server

WRITES = 30


def busy_day(server: RunningServer) -> int:
    """Writes (API keys) and reads (the key list): the -wal grows and readers open.
    Returns how many requests were made."""
    for number in range(WRITES):
        response = server.request(
            "POST", "/v1/keys", json_body={"role": "client", "label": f"shutdown {number}"}
        )
        assert response.status == 201, response.body[:200]
    assert server.request("GET", "/v1/keys").status == 200
    return WRITES + 1


def wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def stopped_lines(server: RunningServer) -> list[dict[str, Any]]:
    lines = []
    for line in server.stderr().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "stopped":
                lines.append(entry)
    return lines


def test_sigterm_logs_stopped_and_checkpoints_the_wal(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    requests = busy_day(server)
    assert wal_size(server.db) > 0  # what the checkpoint has to fold into the database

    assert server.stop() == 0, server.stderr()

    [stopped] = stopped_lines(server)
    assert stopped["msg"] == "stopped" and stopped["level"] == "info"
    assert stopped["uptime_s"] >= 0
    assert stopped["requests"] >= requests  # start_server's /healthz comes on top
    assert stopped["wal_checkpoint"]["busy"] == 0
    assert stopped["wal_checkpoint"]["wal_pages"] > 0  # the busy day's frames, counted
    assert stopped["wal_checkpoint"]["checkpointed"] == stopped["wal_checkpoint"]["wal_pages"]
    assert ADMIN_KEY not in server.stderr()
    assert wal_size(server.db) == 0
    # Everything written is in the database file itself.
    import sqlite3

    with sqlite3.connect(server.db) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM api_keys").fetchone()
    assert count == WRITES


@pytest.mark.skipif(sys.platform != "linux", reason="serve --workers is Linux only")
def test_of_several_workers_only_the_first_checkpoints(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"FAKEWATCH_WORKERS": "2"})
    busy_day(server)
    assert wal_size(server.db) > 0

    assert server.stop() == 0, server.stderr()

    lines = stopped_lines(server)
    assert len(lines) == 2, server.stderr()  # both workers log their stop
    checkpoints = [line["wal_checkpoint"] for line in lines]
    assert checkpoints.count(None) == 1  # the second worker leaves the WAL alone
    [first] = [c for c in checkpoints if c is not None]
    assert first["busy"] == 0
    assert wal_size(server.db) == 0
