"""The SQLite file: opened in WAL mode, migrated, written by one thread, read by a pool.

Why one writer: SQLite serialises writers anyway; funnelling every write through one thread
turns "database is locked" races into an orderly queue, and readers never wait on it (WAL).
The CLI uses ``connect`` directly: it is one process doing one thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database as SqliteUtilsDatabase

from server.storage.migrations import migrations

T = TypeVar("T")

log = logging.getLogger(__name__)

#: The database holds the federation signing key, page/CSRF secrets, the reporter salt and
#: webhook secrets: only its owner may read it (SQLite gives -wal/-shm the database's mode).
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


#: The first 16 bytes of every SQLite 3 database file (an empty file is a database to be).
SQLITE_HEADER = b"SQLite format 3\x00"


class DatabaseUnusable(sqlite3.DatabaseError):
    """The database cannot be opened or created at ``path``; the message says why, without
    the path (callers print ``cannot open the database PATH: WHY``, as for any
    ``sqlite3.DatabaseError``, which this is, so every handler of those catches it too)."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(why)
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries intact
        return type(self), (self.path, str(self))

    def describe(self) -> str:
        return f"cannot open the database {self.path}: {self}"


class DatabasePathError(DatabaseUnusable):
    """The path cannot hold the database, or no database is there where one must be: a folder,
    a file where a folder should be, a folder this user may not write in. Found before
    anything is created or changed. The message names the path; ``fix`` says what to do."""

    def __init__(self, path: Path, why: str, fix: str) -> None:
        super().__init__(path, why)
        self.fix = fix

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.path, str(self), self.fix)

    def describe(self, source: str = "") -> str:
        """One line: the problem, what set the path (``source``: ``--db``...), what to do."""
        return f"{self}{f' ({source})' if source else ''}; {self.fix}"


def check_database_path(
    path: Path,
    *,
    must_exist: bool,
    writes: bool = True,
    header: bool = False,
    must_be_fakewatch: bool = False,
) -> None:
    """Raise ``DatabasePathError`` when ``path`` cannot be FakeWatch's database file: it is a
    folder or not a regular file; a parent is a file; it is missing and ``must_exist``; with
    ``writes``, it cannot be written, or it is missing and its folder cannot be written.
    With ``header``, raise ``DatabaseUnusable`` when it is a file that is not an SQLite
    database, and ``DatabasePathError`` when it is another program's SQLite database (tables,
    none of them FakeWatch's: ``connect`` would migrate FakeWatch's schema into it) or, with
    ``must_be_fakewatch`` (a command that reads, or changes what must be there), when it is
    an empty file or an SQLite database without tables (``connect`` would make it one).
    Creates and changes nothing: ``cli.main`` calls it before every command, with
    ``header``; ``connect`` again, without (``migrate`` refuses another program's tables).

    ``header`` opens and closes the file, which drops every POSIX lock this process holds on
    it, SQLite's included (fcntl locks belong to the process, not the descriptor): only ask
    for it in a process with no connection to ``path`` yet."""
    try:
        mode: int | None = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        raise DatabasePathError(
            path, f"cannot look at {path}: {exc.strerror}", "name a file this user can reach"
        ) from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise DatabasePathError(
                path,
                f"{path} is a folder, not a database file",
                f"name the file, e.g. {path / 'fakewatch.db'}",
            )
        if not stat.S_ISREG(mode):
            raise DatabasePathError(path, f"{path} is not a regular file", "name a file")
        if header:
            _check_header(path)
            _check_schema(path, must_be_fakewatch=must_be_fakewatch)
        if writes and not os.access(path, os.R_OK | os.W_OK):
            raise DatabasePathError(
                path,
                f"{path} is read-only for this user",
                "run FakeWatch as the user that owns it, or name another file",
            )
        return
    folder = existing_ancestor(path.parent)
    if not folder.is_dir():
        raise DatabasePathError(
            path,
            f"{path} cannot be a file: {folder} is a file, not a folder",
            "name a file in a folder",
        )
    if must_exist:
        raise DatabasePathError(
            path,
            f"no FakeWatch database at {path}",
            "check the path, or run `fakewatch serve` once to create the database there"
            " (`fakewatch db restore BACKUP` puts a backup there)",
        )
    if writes and not os.access(folder, os.W_OK | os.X_OK):
        raise DatabasePathError(
            path,
            f"{path} cannot be created: this user cannot write in {folder}",
            "name a folder this user can write in",
        )


def check_folder_path(path: Path, *, writes: bool = False) -> None:
    """Raise ``DatabasePathError`` when ``path`` cannot be a folder (it, or the nearest of its
    parents that exists, is a file) or, with ``writes``, cannot be written or created by this
    user. Creates nothing."""
    folder = existing_ancestor(path)
    fix = "name a folder (it is created if missing)"
    if not folder.is_dir():
        if folder == path:
            raise DatabasePathError(path, f"{path} is a file, not a folder", fix)
        raise DatabasePathError(path, f"{path} cannot be a folder: {folder} is a file", fix)
    if writes and not os.access(folder, os.W_OK | os.X_OK):
        what = f"write in {path}" if folder == path else f"create {path} in {folder}"
        raise DatabasePathError(
            path, f"this user cannot {what}", "name a folder this user can write in"
        )


def existing_ancestor(path: Path) -> Path:
    """``path`` if it exists, else the nearest of its parents that does."""
    for candidate in (path, *path.parents):
        try:
            candidate.stat()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return candidate
        return candidate
    return path  # a relative path with nothing of it on disk: the working folder holds it


def _check_header(path: Path) -> None:
    """Raise ``DatabaseUnusable`` unless the regular file ``path`` is empty (SQLite makes it a
    database) or starts with SQLite's header. Read before anything opens or tightens it: a
    text file given as --db is left as it was. Never with a connection to it open in this
    process (see ``check_database_path``)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseUnusable(path, f"cannot read it: {exc.strerror}") from None
    if head and head != SQLITE_HEADER:
        raise DatabaseUnusable(
            path, "file is not a database (it does not start with SQLite's header)"
        )


#: What ``schema_of`` finds in a file with SQLite's header, or an empty one.
EMPTY, NO_TABLES, FOREIGN, FAKEWATCH = "empty", "no tables", "foreign", "fakewatch"


def schema_of(path: Path) -> tuple[str, list[str]]:
    """Whether the SQLite file ``path`` (or an empty file) is FakeWatch's database: ``EMPTY``,
    ``NO_TABLES``, ``FOREIGN`` (tables, but no FakeWatch migration recorded in
    ``_sqlite_migrations``) or ``FAKEWATCH``, with the names of its tables. Reads only, and
    leaves nothing beside the file: with no ``-wal`` there (every write is in the file) it
    reads the file as immutable, else read-only through the WAL. Raises ``DatabaseUnusable``
    when SQLite cannot read it."""
    from server.storage.migrations import migrations

    try:
        if path.stat().st_size == 0:
            return EMPTY, []
    except OSError as exc:
        raise DatabaseUnusable(path, f"cannot read it: {exc.strerror}") from None
    uris = [read_only_uri(path)]
    if not Path(f"{path}-wal").exists():
        uris.insert(0, uris[0] + "&immutable=1")
    for n, uri in enumerate(uris):
        try:
            conn = sqlite3.connect(uri, uri=True)
            try:
                conn.execute("PRAGMA busy_timeout = 5000")
                names = [
                    row[0]
                    for row in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        " AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY rowid"
                    )
                ]
                ours = (
                    "_sqlite_migrations" in names
                    and conn.execute(
                        "SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? LIMIT 1",
                        (migrations.name,),
                    ).fetchone()
                )
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            if n + 1 < len(uris):  # a writer came in between: read through its WAL
                continue
            raise DatabaseUnusable(path, str(exc)) from None
        break
    if ours:
        return FAKEWATCH, names
    return (FOREIGN if names else NO_TABLES), names


def _check_schema(path: Path, *, must_be_fakewatch: bool) -> None:
    """Refuse another program's SQLite database always, and with ``must_be_fakewatch`` an
    empty file or a database without tables too (see ``check_database_path``)."""
    kind, names = schema_of(path)
    if kind == FAKEWATCH:
        return
    if kind == FOREIGN:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise DatabasePathError(
            path,
            f"{path} is an SQLite database but not FakeWatch's (no FakeWatch tables; it holds"
            f" {shown})",
            "check the path; FakeWatch never turns another program's database into its own"
            + ("" if must_be_fakewatch else " (name a new file to create one)"),
        )
    if must_be_fakewatch:
        what = "an empty file" if kind == EMPTY else "an SQLite database with no tables"
        raise DatabasePathError(
            path,
            f"{path} is {what}, not a FakeWatch database",
            "check the path, or run `fakewatch serve` once to create the database there",
        )


def read_only_uri(path: Path) -> str:
    """A ``file:`` URI opening ``path`` read-only. ``as_uri`` percent-encodes the path: a raw
    '#', '?' or '%' would otherwise cut it short (and a reader would create a stray database at
    the truncated path) or be decoded into another name."""
    return Path(path).resolve().as_uri() + "?mode=ro"


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700. An existing folder keeps its mode:
    it may be shared (``/tmp``, a home folder, a backup disk), and what FakeWatch writes in it
    is 0600 anyway; ``warn_if_open`` says so for the data folder."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)


def warn_if_open(path: Path) -> None:
    """Log a warning when the folder ``path`` lets other users in (systemd's
    ``StateDirectory=`` default 0755, a ``mkdir`` under umask 022). It is not changed: the
    operator may have pointed FakeWatch at a folder others use."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode) and mode & 0o077:
        log.warning(
            "%s is open to other users (%s); FakeWatch's files in it are owner-only, but a "
            "folder of its own is safer: run chmod 700 %s (systemd: StateDirectoryMode=0700)",
            path,
            stat.filemode(mode),
            path,
        )


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, readable by its owner only (0600 whatever the umask): kept
    pictures are reporters' and fakes' media, not for every user of the machine."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # a file that existed keeps its mode through O_CREAT
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; returns whether it created it.
    An existing file (and its -wal/-shm) readable by group or others is tightened."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        tighten_database_files(path)
        return False
    os.close(fd)
    return True


def tighten_database_files(path: Path) -> None:
    """Drop group/other permissions from ``path``, ``path-wal`` and ``path-shm``, saying so
    (regular files only: a database path naming a folder, ``--db /tmp``, changes nothing)."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        _make_owner_only(file, "it holds signing keys and secrets", f"chmod 600 {file}")


def _make_owner_only(path: Path, holds: str, fix: str) -> None:
    """Drop group/other permissions from the regular file ``path`` if it has any, and log a
    warning saying what it was and what it is now, or the command that would fix it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return
    try:
        os.chmod(path, stat.S_IMODE(mode) & ~0o077)
    except OSError as exc:
        log.warning(
            "%s is readable by other users (%s) and could not be made private: %s; %s, run: %s",
            path,
            stat.filemode(mode),
            exc.strerror,
            holds,
            fix,
        )
        return
    log.warning(
        "%s was readable by other users (%s); %s, so it is now %s",
        path,
        stat.filemode(mode),
        holds,
        stat.filemode(mode & ~0o077),
    )


def connect(path: Path, *, read_only: bool = False) -> SqliteUtilsDatabase:
    """Open (and, unless read-only, create and migrate) the database at ``path``.

    A path that cannot be the database raises ``DatabasePathError`` before anything is created
    or changed; a folder or file that cannot be created, or a file SQLite refuses, raises
    ``DatabaseUnusable`` (both are ``sqlite3.DatabaseError``). The file's header is not read
    here: the server opens a connection per reader thread while its writer holds SQLite's
    locks, which closing a descriptor of ours would drop (``cli.main`` reads it first)."""
    check_database_path(path, must_exist=read_only, writes=not read_only)
    if read_only:
        conn = sqlite3.connect(read_only_uri(path), uri=True, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        return SqliteUtilsDatabase(conn)
    try:
        if not path.parent.exists():
            make_private_dir(path.parent)
        create_private_file(path)
    except OSError as exc:
        raise DatabaseUnusable(path, f"cannot create it: {exc.strerror or exc}") from None
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        _use_wal(conn)
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnusable(path, str(exc)) from None
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = SqliteUtilsDatabase(conn)
    migrate(db)
    return db


def _use_wal(conn: sqlite3.Connection, timeout_s: float = 5.0) -> None:
    """Switch the file to WAL (a no-op once it is). Two processes converting one new file at
    once each hold a shared lock and want the exclusive one: SQLite fails one of them at once
    with "database is locked" (calling the busy handler could only deadlock), so retry, for as
    long as the busy timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(db: SqliteUtilsDatabase) -> None:
    """Apply pending migrations under the write lock.

    Several processes may open one file at once (``serve`` processes sharing a port, a cron'd
    CLI command beside ``serve`` just after an upgrade). Deciding what is pending outside the
    lock let two of them run the same migration ("table ... already exists") or fail their
    deferred transaction (SQLITE_BUSY_SNAPSHOT). ``BEGIN IMMEDIATE`` waits for the lock
    (busy_timeout); ``apply`` then re-reads what is pending, so the later opener finds nothing
    left to do.
    """
    if not migrations.pending(db):
        return
    with immediate(db):
        if not migrations.applied(db):
            _refuse_foreign_tables(db)
        migrations.apply(db)


def _refuse_foreign_tables(db: SqliteUtilsDatabase) -> None:
    """Raise ``DatabaseUnusable`` when a database with no FakeWatch migration has tables:
    it is another program's (a mistyped --db), and FakeWatch's schema never goes into it.
    ``cli.main`` refuses it first; this holds for every other caller of ``connect``."""
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
        )
    ]
    if names:
        path = Path(db.execute("PRAGMA database_list").fetchone()[2] or ":memory:")
        raise DatabaseUnusable(
            path,
            f"it is an SQLite database but not FakeWatch's (no FakeWatch tables; it holds"
            f" {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}); nothing was changed",
        )


@contextlib.contextmanager
def immediate(db: SqliteUtilsDatabase) -> Iterator[SqliteUtilsDatabase]:
    """A write transaction that takes the write lock before it reads anything (a savepoint
    when already inside one). Use it instead of ``db.atomic()`` for anything that writes.

    A deferred transaction (``BEGIN``, what ``atomic()`` opens) that reads and then writes
    fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT, which busy_timeout never
    retries) when another process -- the server, a second `serve --workers` worker, the CLI --
    committed in between. ``BEGIN IMMEDIATE`` waits for the lock (busy_timeout) instead.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:  # an error may already have rolled it back
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def snapshot(db: SqliteUtilsDatabase) -> Iterator[SqliteUtilsDatabase]:
    """A read transaction (``BEGIN``): every read inside sees one committed state, and writes to
    TEMP tables inside take no lock on the database file, so other writers carry on (WAL). Inside
    a caller's transaction, that transaction is the snapshot. Long imports read and stage their
    rows in one of these, then take ``immediate`` only to apply them.
    """
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN")
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class Database:
    """Async access for the server: ``await db.read(fn)`` and ``await db.write(fn)``.

    ``fn`` receives a ``sqlite_utils.Database`` and runs in a worker thread; writes run one at
    a time on the single writer connection, inside a transaction.
    """

    def __init__(self, path: Path, readers: int = 2) -> None:
        self.path = path
        self._writer_db = connect(path)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="db-reader")
        self._local = threading.local()
        self._reader_conns: list[SqliteUtilsDatabase] = []
        self._lock = threading.Lock()

    def _reader_db(self) -> SqliteUtilsDatabase:
        db: SqliteUtilsDatabase | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, read_only=True)
            self._local.db = db
            with self._lock:
                self._reader_conns.append(db)
        return db

    async def read(self, fn: Callable[[SqliteUtilsDatabase], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: fn(self._reader_db()))

    async def write(self, fn: Callable[[SqliteUtilsDatabase], T]) -> T:
        loop = asyncio.get_running_loop()

        def run() -> T:
            with immediate(self._writer_db) as db:
                return fn(db)

        return await loop.run_in_executor(self._writer, run)

    #: Whether ``close`` checkpoints the WAL into the database file (see ``close``); off in
    #: all but one of `serve --workers N` (``server/serve_workers.py``).
    checkpoint_on_close = True
    #: What ``close``'s checkpoint reported, for the server's "stopped" log line.
    checkpointed: dict[str, int] | None = None

    def close(self) -> dict[str, int] | None:
        """Finish queued work and close every connection; returns the checkpoint's counts.

        The readers close first, then the writer checkpoints with ``TRUNCATE``: every frame of
        the -wal file goes into the database and the -wal shrinks to 0 bytes, so a stopped
        server leaves no large -wal behind (a read-only connection closing last could not).
        The checkpoint waits at most the busy timeout for another process's readers; if they
        still hold it, it reports ``busy`` and the frames stay in the -wal for the next one."""
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._lock:
            for db in self._reader_conns:
                db.close()
            self._reader_conns.clear()
        result = None
        if self.checkpoint_on_close:
            # TRUNCATE reports the -wal after emptying it (always 0 pages): a PASSIVE pass
            # first says how much there was and how much of it went into the database.
            passive = self._writer_db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            row = self._writer_db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            pages, done = max(int(passive[1]), 0), max(int(passive[2]), 0)
            busy = int(row[0])
            result = {"busy": busy, "wal_pages": pages, "checkpointed": done if busy else pages}
            self.checkpointed = result
        self._writer_db.close()
        return result
