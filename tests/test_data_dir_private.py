"""The data folder is owner-only: ``fakewatch serve`` makes a new one 0700 and tightens an
existing one left open to others (systemd's ``StateDirectory=`` default 0755, a ``mkdir``
under umask 022), saying so in its log, as it does for the database files."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.support.server import cli_env


def serve_until_ready(data_dir: Path, tmp: Path) -> str:
    """Start ``fakewatch serve`` on ``data_dir``, wait for READY, stop it; its log."""
    out, err = tmp / "serve.out", tmp / "serve.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", "0"],
            stdout=stdout,
            stderr=stderr,
            env=cli_env({"FAKEWATCH_DATA_DIR": str(data_dir)}),
            cwd=tmp,
        )
    try:
        deadline = time.monotonic() + 120
        while "READY " not in out.read_text(encoding="utf-8"):
            assert process.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, err.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return err.read_text(encoding="utf-8")


def warnings(log: str) -> list[str]:
    lines = (json.loads(x) for x in log.splitlines() if x.startswith("{"))
    return [x["msg"] for x in lines if x.get("level") == "warning"]


def test_an_existing_open_data_folder_is_made_owner_only_with_a_warning(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    log = serve_until_ready(data_dir, tmp_path)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    said = [w for w in warnings(log) if str(data_dir) in w]
    assert said == [
        f"{data_dir} was readable by other users (drwxr-xr-x); only its owner should reach what"
        " is in it, so it is now drwx------"
    ], log
    # Once private, the next start says nothing about it.
    log = serve_until_ready(data_dir, tmp_path)
    assert not [w for w in warnings(log) if str(data_dir) in w], log


def test_a_new_data_folder_is_made_owner_only_without_a_warning(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    log = serve_until_ready(data_dir, tmp_path)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert not [w for w in warnings(log) if str(data_dir) in w], log
