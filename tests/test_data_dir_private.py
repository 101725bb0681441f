"""The data folder: ``fakewatch serve`` makes a new one 0700, and of an existing one open to
others (systemd's ``StateDirectory=`` default 0755, a ``mkdir`` under umask 022) it says so in
its log without changing it: ``FAKEWATCH_DATA_DIR`` (or ``--db``) may name a folder others use,
``/tmp`` or a home folder, and FakeWatch's own files in it are 0600 whatever the folder."""

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


def test_an_existing_open_data_folder_is_left_as_it_is_with_a_warning(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)
    log = serve_until_ready(data_dir, tmp_path)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o755
    said = [w for w in warnings(log) if str(data_dir) in w]
    assert len(said) == 1 and f"chmod 700 {data_dir}" in said[0], log
    assert stat.S_IMODE((data_dir / "fakewatch.db").stat().st_mode) == 0o600
    data_dir.chmod(0o700)
    log = serve_until_ready(data_dir, tmp_path)
    assert not [w for w in warnings(log) if str(data_dir) in w], log


def test_a_shared_folder_named_as_data_folder_or_database_is_never_changed(tmp_path: Path) -> None:
    # Standing in for /tmp: world-writable and sticky, holding someone else's file.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (shared / "other-users-file").write_text("x")
    serve_until_ready(shared, tmp_path)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    # A database path that names a folder is refused without touching the folder.
    done = subprocess.run(
        [sys.executable, "-m", "server", "keys", "list", "--db", str(shared)],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode != 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


def test_a_new_data_folder_is_made_owner_only_without_a_warning(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "data"
    log = serve_until_ready(data_dir, tmp_path)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert not [w for w in warnings(log) if str(data_dir) in w], log
