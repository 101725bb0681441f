"""``fakewatch serve`` under systemd's ``Type=notify``: READY=1 once it listens, STOPPING=1 on
SIGTERM, from the main process only (``NotifyAccess=main``).

The test plays systemd's part: a unix datagram socket that receives with SO_PASSCRED, so each
message comes with the sender's pid, as systemd checks it.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.server import cli_env

#: struct ucred: pid, uid, gid (SCM_CREDENTIALS).
UCRED = struct.Struct("iII")


class FakeSystemd:
    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        bound = "\0" + address[1:] if address.startswith("@") else address
        self.sock.bind(bound)
        self.address = address

    def receive(self, timeout: float) -> tuple[int, list[str]]:
        """(sender pid, the message's lines), or (0, []) when nothing came in ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            data, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(UCRED.size))
        except TimeoutError:
            return 0, []
        pid = 0
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = UCRED.unpack(payload[: UCRED.size])[0]
        return pid, data.decode().splitlines()

    def close(self) -> None:
        self.sock.close()


@contextmanager
def serving(
    tmp: Path, notify: str, *flags: str
) -> Iterator[tuple[subprocess.Popen[bytes], FakeSystemd, Path]]:
    systemd = FakeSystemd(notify)
    env = cli_env({"NOTIFY_SOCKET": notify, "FAKEWATCH_DATA_DIR": str(tmp / "data")})
    out = tmp / "serve.out"
    with out.open("wb") as stdout, (tmp / "serve.err").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", "0", *flags],
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=tmp,
        )
    try:
        yield process, systemd, out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        systemd.close()


def ready_line(out: Path) -> str | None:
    lines = [x for x in out.read_text(encoding="utf-8").splitlines() if x.startswith("READY ")]
    return lines[0] if lines else None


def check_ready_then_stopping(
    process: subprocess.Popen[bytes], systemd: FakeSystemd, out: Path, tmp: Path
) -> None:
    deadline = time.monotonic() + 120
    pid, message = 0, []
    while not message:
        assert process.poll() is None, (tmp / "serve.err").read_text()
        assert time.monotonic() < deadline, "no READY=1 in 120 s"
        pid, message = systemd.receive(timeout=0.5)
    line = ready_line(out)
    # READY=1 comes after the READY line, from the process systemd started.
    assert line is not None, out.read_text()
    assert message[0] == "READY=1" and pid == process.pid, (pid, message)
    assert f"STATUS={line}" in message[1]
    # Nothing else while it serves (no worker speaks).
    assert systemd.receive(timeout=1.0) == (0, [])
    process.send_signal(signal.SIGTERM)
    pid, message = systemd.receive(timeout=30)
    assert (pid, message) == (process.pid, ["STOPPING=1"])
    assert process.wait(timeout=60) == 0, (tmp / "serve.err").read_text()
    assert systemd.receive(timeout=0.2) == (0, [])


def test_serve_tells_systemd_ready_and_stopping(tmp_path: Path) -> None:
    with serving(tmp_path, str(tmp_path / "notify")) as (process, systemd, out):
        check_ready_then_stopping(process, systemd, out, tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="--workers and abstract sockets: Linux")
def test_serve_workers_ready_once_all_listen_from_the_supervisor_only(tmp_path: Path) -> None:
    """The supervisor sends READY=1 after its READY line, which it prints when every worker
    has; the workers never speak (they get no NOTIFY_SOCKET). Abstract socket name ('@')."""
    notify = f"@fakewatch-test-{os.getpid()}-{time.monotonic_ns()}"
    with serving(tmp_path, notify, "--workers", "2") as (process, systemd, out):
        check_ready_then_stopping(process, systemd, out, tmp_path)
