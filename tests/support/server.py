"""Start the real server as a subprocess on 127.0.0.1 and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADMIN_KEY = "test-admin-key-0123456789abcdef"
START_DEADLINE_S = 60.0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    db: Path
    stderr_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        key: str | None = ADMIN_KEY,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent_headers = dict(headers or {})
        data = body
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent_headers.setdefault("Content-Type", "application/json")
        if key is not None:
            sent_headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers=sent_headers
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=30) as resp:
                return Response(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, dict(exc.headers), exc.read())

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return -9
        return self.process.returncode


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEWATCH_")}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def start_server(
    tmp: Path, *, env: dict[str, str] | None = None, argv_prefix: list[str] | None = None
) -> RunningServer:
    """Run ``fakewatch serve --port 0`` and wait for its READY line (output goes to files)."""
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "fakewatch.db"
    full_env = cli_env({"FAKEWATCH_ADMIN_KEY": ADMIN_KEY, **(env or {})})
    stdout_path, stderr_path = tmp / "server.out", tmp / "server.err"
    prefix = argv_prefix or [sys.executable, "-m", "server"]
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [*prefix, "serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db)],
            stdout=out,
            stderr=err,
            env=full_env,
            cwd=Path(__file__).resolve().parents[2],
        )
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        text = stdout_path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if line.startswith("READY "):
                server = RunningServer(
                    line.split(" ", 1)[1].strip(), process, db, stderr_path, full_env
                )
                assert server.request("GET", "/healthz", key=None).status == 200
                return server
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{stderr_path.read_text()}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server not ready in {START_DEADLINE_S}s:\n{stderr_path.read_text()}")
