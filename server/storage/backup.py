"""``fakewatch db backup``: SQLite's online backup into a temporary file beside the
destination, renamed into place only once SQLite's ``integrity_check`` passes: a full disk or
an unreadable source never leaves a truncated file that looks like a backup.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from server.storage.database import (
    PRIVATE_FILE_MODE,
    make_private_dir,
    read_only_uri,
)

SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup failed for a reason the message explains; nothing was written."""


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


def _copy_checked(source: Path, tmp: Path, *, what: str) -> None:
    """Copy ``source`` into a new 0600 file ``tmp`` with SQLite's backup API (which applies a
    ``-wal`` that belongs to the source), check it, flush it to disk."""
    _remove(tmp)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    try:
        src = sqlite3.connect(read_only_uri(source), uri=True)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst)
                check = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if check != "ok":
                    raise BackupError(f"{what}: the copy failed its integrity check: {check}")
            finally:
                dst.close()  # checkpoints and removes tmp's own -wal: tmp is whole
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{what} failed: {exc}; nothing was written") from None
    with open(tmp, "rb+") as file:
        os.fsync(file.fileno())


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
