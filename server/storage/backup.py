"""``fakewatch db backup`` and ``db restore``, and the lock that keeps a restore away from a
running server.

A restore must never meet a server: the server's connections would keep reading the file
they opened, and a crashed server's ``-wal`` left beside the database would be replayed onto
the restored file, which corrupts it. So ``serve`` (every worker) holds a shared ``flock`` on
``<db>.lock`` for its lifetime, and a restore takes it exclusively or refuses.

Both commands write to a temporary file beside the destination and rename it into place only
once SQLite's ``integrity_check`` passes: a full disk or an unreadable source never leaves a
truncated file that looks like a backup.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from server.storage.database import (
    PRIVATE_FILE_MODE,
    make_private_dir,
    read_only_uri,
)
from server.storage.migrations import migrations

SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore failed for a reason the message explains; nothing was replaced."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _open_lock(db: Path) -> int:
    if not db.parent.exists():
        make_private_dir(db.parent)
    return os.open(lock_path(db), os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)


def hold_server_lock(db: Path) -> int:
    """Take the shared lock a server holds while it runs; returns the descriptor to keep open
    (the lock goes with it, also when the process is killed)."""
    fd = _open_lock(db)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BackupError(
            f"{db} is being restored (`fakewatch db restore` holds {lock_path(db)}); "
            "start the server again when the restore has finished"
        ) from None
    return fd


def backup(source: Path, dest: Path) -> None:
    """A consistent copy of ``source`` at ``dest`` (SQLite's online backup, safe while the
    server writes), mode 0600, written under a temporary name and renamed when checked."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name")
    try:
        if not dest.parent.exists():
            make_private_dir(dest.parent)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {dest.parent}: {exc.strerror}") from None
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        _copy_checked(source, tmp, what=f"backing up {source} to {dest}")
        if dest.exists():
            raise BackupError(f"{dest} appeared while backing up; choose a new file name")
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except OSError as exc:
        raise BackupError(f"cannot write the backup {dest}: {exc.strerror or exc}") from None
    finally:
        _remove(tmp)


def restore(backup_file: Path, db: Path) -> tuple[int, Path | None]:
    """Put a copy of ``backup_file`` in place of ``db``. Refuses while a server holds the
    database, and a backup that fails ``integrity_check`` or is not a FakeWatch database this
    build knows. Returns the backup's number of applied migrations and where the replaced
    database was kept (``None`` when there was none)."""
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    if db.exists() and db.resolve() == backup_file.resolve():
        raise BackupError(f"{backup_file} is the database itself; name a backup file")
    try:
        lock_fd = _open_lock(db)
    except OSError as exc:
        raise BackupError(f"cannot create {lock_path(db)}: {exc.strerror}") from None
    tmp = db.with_name(f".{db.name}.restore-{os.getpid()}")
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"a server is using {db} (it holds {lock_path(db)}); stop the server (every "
                "worker of `serve --workers`), then run the restore again"
            ) from None
        applied = _copy_checked(
            backup_file, tmp, what=f"reading the backup {backup_file}", schema=True
        )
        aside = _move_aside(db)
        os.replace(tmp, db)
        _fsync_dir(db.parent)
        return applied, aside
    except OSError as exc:
        raise BackupError(f"cannot restore {db}: {exc.strerror or exc}") from None
    finally:
        _remove(tmp)
        os.close(lock_fd)


def _copy_checked(source: Path, tmp: Path, *, what: str, schema: bool = False) -> int:
    """Copy ``source`` into a new 0600 file ``tmp`` with SQLite's backup API (which applies a
    ``-wal`` that belongs to the source), check it, flush it to disk. With ``schema``, also
    check it is a FakeWatch database this version knows and return how many migrations it has
    applied (else 0)."""
    _remove(tmp)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    try:
        uri = read_only_uri(source)
        if schema and not Path(f"{source}-wal").exists():
            # A backup file nobody writes: read it as immutable, so SQLite creates no -wal/-shm
            # beside it (a read-only connection could not remove them again).
            uri += "&immutable=1"
        src = sqlite3.connect(uri, uri=True)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst)
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise BackupError(f"{what}: the copy failed its integrity check: {check}")
                applied = _fakewatch_migrations(dst, what) if schema else 0
            finally:
                dst.close()  # checkpoints and removes tmp's own -wal: tmp is whole
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{what} failed: {exc}; nothing was written") from None
    with open(tmp, "rb+") as file:
        os.fsync(file.fileno())
    return applied


def _fakewatch_migrations(conn: sqlite3.Connection, what: str) -> int:
    known = {migration.name for migration in migrations._migrations}
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
    ).fetchone()
    names = (
        [
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (migrations.name,)
            )
        ]
        if has_table
        else []
    )
    if not names:
        raise BackupError(f"{what}: it is not a FakeWatch database (no FakeWatch migrations)")
    unknown = sorted(set(names) - known)
    if unknown:
        raise BackupError(
            f"{what}: it was written by a newer FakeWatch (migrations this version does not "
            f"know: {', '.join(unknown)}); restore it with that version"
        )
    return len(names)


def _move_aside(db: Path) -> Path | None:
    """Keep the database being replaced (with its own -wal/-shm) as ``<db>.replaced-<time>``.
    Opening it first lets SQLite fold a crashed server's WAL into it; whatever stays beside it
    moves with it, so nothing stale is left next to the restored file."""
    if not db.exists():
        for suffix in SIDE_FILES:
            _remove(Path(f"{db}{suffix}"))
        return None
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(str(db))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = db.with_name(f"{db.name}.replaced-{stamp}")
    for n in range(2, 1000):  # two restores in one second must not overwrite the first's copy
        if not aside.exists():
            break
        aside = db.with_name(f"{db.name}.replaced-{stamp}-{n}")
    os.replace(db, aside)
    for suffix in SIDE_FILES:
        side = Path(f"{db}{suffix}")
        if side.exists():
            os.replace(side, Path(f"{aside}{suffix}"))
    return aside


def _remove(path: Path) -> None:
    for file in (path, *(Path(f"{path}{suffix}") for suffix in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            file.unlink()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
