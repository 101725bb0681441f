"""`fakewatch db backup` / `db restore`, the database's file modes, several processes opening
one file at once, and database paths with URI-special characters (review 27: 1, 2, 6, 7, 8).
Real SQLite files, the real CLI as a subprocess, the real server."""

from __future__ import annotations

import os
import re
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import time
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


# --- 1: restore ------------------------------------------------------------------------------


def test_restore_after_a_crash_serves_the_backup_not_the_stale_wal(tmp_path: Path) -> None:
    server = start_server(tmp_path / "live")
    keys = [
        server.request("POST", "/v1/keys", json_body={"role": "client", "label": f"k{i}"}).json()
        for i in range(2)
    ]
    backup = tmp_path / "b.db"
    assert fakewatch("db", "backup", str(backup), "--db", str(server.db)).returncode == 0
    refused = fakewatch("db", "restore", str(backup), "--db", str(server.db))
    assert refused.returncode == 1 and "stop the server" in refused.stderr
    for i in range(200):  # the WAL grows past the backup's pages
        server.request(
            "POST",
            "/v1/reports",
            json_body={"kind": "phone", "value": f"+1 202 555 {i:04d}", "reporter": f"r{i}"},
        )
    assert server.request("DELETE", f"/v1/keys/{keys[0]['id']}").status == 200
    server.process.send_signal(signal.SIGKILL)  # a crash leaves -wal and -shm beside the file
    server.process.wait()
    assert Path(f"{server.db}-wal").stat().st_size > 0

    restored = fakewatch("db", "restore", str(backup), "--db", str(server.db))

    assert restored.returncode == 0, restored.stderr
    assert "integrity check: ok" in restored.stdout
    assert "migrations, all of them" in restored.stdout  # a backup of this very build
    assert not Path(f"{server.db}-wal").exists() and not Path(f"{server.db}-shm").exists()
    assert integrity(server.db) == "ok"
    again = start_server(tmp_path / "live")
    try:
        # The key revoked after the backup is active again: the backup's state, not the WAL's.
        assert again.request("GET", "/v1/lists", key=keys[0]["key"]).status == 200
        assert again.request("GET", "/v1/cases").status == 200
    finally:
        again.stop()
    assert integrity(server.db) == "ok"
    (aside,) = server.db.parent.glob("fakewatch.db.replaced-*[0-9]Z")
    with sqlite3.connect(aside) as conn:  # the replaced database kept its crashed WAL's rows
        assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 200


def test_restore_refuses_a_backup_it_cannot_trust_and_leaves_the_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "data" / "fakewatch.db"
    assert fakewatch("keys", "create", "--role", "client", "--db", str(db)).returncode == 0
    before = db.read_bytes()
    good = tmp_path / "good.db"
    assert fakewatch("db", "backup", str(good), "--db", str(db)).returncode == 0

    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database\n" * 100)
    other_app = tmp_path / "other.db"
    with sqlite3.connect(other_app) as conn:
        conn.execute("CREATE TABLE t (x)")
    newer = tmp_path / "newer.db"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('fakewatch', 'm999_from_the_future', '2030-01-01')"
        )
    damaged = tmp_path / "damaged.db"
    data = bytearray(good.read_bytes())
    page = 4096
    data[page * 2 : page * 2 + 200] = b"\xff" * 200  # a b-tree page's header
    damaged.write_bytes(bytes(data))

    for backup, why in [
        (not_sqlite, "not a database"),
        (other_app, "not a FakeWatch database"),
        (newer, "m999_from_the_future"),
        (damaged, ""),
        (tmp_path / "missing.db", "no backup file"),
    ]:
        result = fakewatch("db", "restore", str(backup), "--db", str(db))
        assert result.returncode == 1, (backup, result.stdout)
        assert why in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert db.read_bytes() == before
        left = {p.name for p in db.parent.iterdir()} - {"fakewatch.db-wal", "fakewatch.db-shm"}
        # No temporary copy left (the lock file only where restore got as far as taking it).
        assert "fakewatch.db" in left and left <= {"fakewatch.db", "fakewatch.db.lock"}, left
    assert "restore" in fakewatch("db", "--help").stdout

    for _ in range(2):  # within one second: the second keeps the first's copy too
        assert fakewatch("db", "restore", str(good), "--db", str(db)).returncode == 0
    kept = [p for p in db.parent.iterdir() if re.search(r"\.replaced-\d{8}T\d{6}Z(-\d+)?$", p.name)]
    assert len(kept) == 2
    assert [p.name for p in tmp_path.glob("good.db*")] == ["good.db"]  # no -wal/-shm beside it


# --- 2: file modes ---------------------------------------------------------------------------


def test_the_database_its_wal_and_backups_are_private_to_their_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert fakewatch("keys", "create", "--role", "client", "--data-dir", str(data)).returncode == 0
    assert mode(data) == "drwx------"
    assert mode(data / "fakewatch.db") == "-rw-------"
    server = start_server(data)  # start_server passes --db data/fakewatch.db
    try:
        server.request("POST", "/v1/keys", json_body={"role": "client", "label": "x"})
        assert mode(Path(f"{server.db}-wal")) == "-rw-------"
        assert mode(Path(f"{server.db}-shm")) == "-rw-------"
        dest = tmp_path / "backups" / "b.db"
        assert fakewatch("db", "backup", str(dest), "--db", str(server.db)).returncode == 0
    finally:
        server.stop()
    assert mode(dest.parent) == "drwx------" and mode(dest) == "-rw-------"


def test_an_existing_readable_database_is_tightened_and_said_so(tmp_path: Path) -> None:
    db = tmp_path / "fakewatch.db"
    # A command that creates the database (a reading one refuses a missing database).
    assert fakewatch("keys", "create", "--role", "client", "--db", str(db)).returncode == 0
    db.chmod(0o644)
    result = fakewatch("keys", "list", "--db", str(db))
    assert result.returncode == 0
    assert mode(db) == "-rw-------"
    assert "readable by other users" in result.stderr and "-rw-r--r--" in result.stderr


# --- 6: failed backups -----------------------------------------------------------------------


def test_a_failed_backup_leaves_nothing_and_a_retry_to_the_same_name_works(
    tmp_path: Path,
) -> None:
    db = tmp_path / "fakewatch.db"
    # A command that creates the database (a reading one refuses a missing database).
    assert fakewatch("keys", "create", "--role", "client", "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:  # ~1 MB, larger than the "disk" below
        conn.execute("CREATE TABLE padding (x)")
        conn.executemany("INSERT INTO padding VALUES (?)", [("x" * 1000,)] * 1000)
    backups = tmp_path / "backups"
    backups.mkdir()
    dest = backups / "daily.db"

    full = fakewatch("db", "backup", str(dest), "--db", str(db), limit_file_bytes=256 * 1024)
    assert full.returncode == 1
    assert "Traceback" not in full.stderr and "nothing was written" in full.stderr, full.stderr
    assert list(backups.iterdir()) == []

    not_a_db = tmp_path / "not.db"
    not_a_db.write_text("plain text\n" * 100)
    wrong = fakewatch("db", "backup", str(dest), "--db", str(not_a_db))
    assert wrong.returncode == 1 and "not a database" in wrong.stderr
    assert "Traceback" not in wrong.stderr and list(backups.iterdir()) == []

    retry = fakewatch("db", "backup", str(dest), "--db", str(db))
    assert retry.returncode == 0, retry.stderr
    assert [p.name for p in backups.iterdir()] == ["daily.db"]
    assert integrity(dest) == "ok"


# --- 7: several processes migrate one file ---------------------------------------------------

OPENER = """
import sys, time
from pathlib import Path
from server.storage.database import connect
start = float(sys.argv[2])
while time.time() < start:
    pass
connect(Path(sys.argv[1])).conn.close()
print("opened")
"""


def open_at_once(db: Path, processes: int = 4) -> list[subprocess.CompletedProcess[str]]:
    start = time.time() + 1.5  # every process has imported and waits for the same instant
    running = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(db), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=cli_env(),
        )
        for _ in range(processes)
    ]
    results = []
    for process in running:
        out, err = process.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def test_processes_opening_one_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    from server.storage.database import connect

    for round_ in range(3):
        db = tmp_path / f"fresh{round_}.db"
        results = open_at_once(db)
        assert [r.stderr.strip().splitlines()[-6:] for r in results if r.returncode] == []
        db_ = connect(db)
        names = [r["name"] for r in db_["_sqlite_migrations"].rows]
        db_.conn.close()
        assert len(names) == len(set(names)), names  # each migration ran once


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
