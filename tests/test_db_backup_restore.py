"""`fakewatch db backup` / `db restore`, the database's file modes, several processes opening
one file at once, and database paths with URI-special characters (review 27: 1, 2, 6, 7, 8).
Real SQLite files, the real CLI as a subprocess, the real server."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from tests.support.server import cli_env, start_server

ROOT = Path(__file__).resolve().parents[1]


def fakewatch(*args: str, limit_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI with the usual umask 022 (so modes are ours, not the test runner's), and
    optionally a file-size limit that makes writes fail the way a full disk does."""

    def prepare() -> None:
        os.umask(0o022)
        if limit_file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=ROOT,
        preexec_fn=prepare,
        timeout=120,
    )


def mode(path: Path) -> str:
    return stat.filemode(path.stat().st_mode)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


# --- 8: URI-special characters in the path ---------------------------------------------------


def test_a_database_folder_named_with_hash_or_percent_works(tmp_path: Path) -> None:
    name = "data#1%41?x"  # '#' began a URI fragment, '%41' was decoded to 'A', '?' a query
    server = start_server(tmp_path / name)
    try:
        assert server.request("GET", "/v1/keys").status == 200
        dest = tmp_path / "b.db"
        result = fakewatch("db", "backup", str(dest), "--db", str(server.db))
        assert result.returncode == 0, result.stderr
    finally:
        server.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.db", name]  # no stray database
    assert integrity(dest) == "ok"
