"""The command line's bad-input boundary, as a user meets it: a data folder or database path
that cannot work, a mistyped --db, a value out of range, a server whose models are missing.

Each answer is one line on stderr, ``fakewatch: what is wrong (which setting); what to do``,
with exit status 2 for a setting to correct (argparse's usage convention, as for any bad
setting, an empty file or another program's SQLite database given as FakeWatch's) or 1 for a
file that is there but no SQLite database (``cannot open the database``, as before). Never a traceback, and nothing is created or changed that the user did not ask for.
Every case runs the real ``fakewatch`` in a subprocess.
"""

from __future__ import annotations

import argparse
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import cli_env


def fakewatch(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        cwd=cwd,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The single ``fakewatch: ...`` line the command answered with, its exit status checked."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fakewatch: "), lines
    assert result.returncode == code, (result.returncode, result.stderr)
    return lines[0]


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


#: A way to run every command, arguments filled in (what they name need not exist: the
#: database is checked first). ``bot`` keeps its state in the data folder, not the database.
EXAMPLES: dict[str, list[str]] = {
    "serve": ["serve", "--host", "127.0.0.1", "--port", "0"],
    "check": ["check", "https://example.org/"],
    "feeds import": ["feeds", "import", "feed.txt", "--format", "plain"],
    "feeds list": ["feeds", "list"],
    "keys create": ["keys", "create"],
    "keys list": ["keys", "list"],
    "keys revoke": ["keys", "revoke", "1"],
    "lists allow": ["lists", "allow", "honest.example"],
    "lists block": ["lists", "block", "claim-gift.top"],
    "lists list": ["lists", "list"],
    "lists remove": ["lists", "remove", "1"],
    "db backup": ["db", "backup", "copy.db"],
    "db restore": ["db", "restore", "copy.db"],
    "bot": ["bot"],
    "persons add": ["persons", "add", "Jane Example"],
    "persons list": ["persons", "list"],
    "persons show": ["persons", "show", "1"],
    "persons edit": ["persons", "edit", "1", "--name", "Jane"],
    "persons retire": ["persons", "retire", "1"],
    "persons enrol": ["persons", "enrol", "1", "photo.jpg"],
    "persons import": ["persons", "import", "persons.json"],
    "known-fakes add": ["known-fakes", "add", "fake.jpg", "--label", "fake"],
    "known-fakes list": ["known-fakes", "list"],
    "known-fakes retire": ["known-fakes", "retire", "1"],
    "known-fakes confirm": ["known-fakes", "confirm", "1"],
    "known-fakes import": ["known-fakes", "import", "hashes.json"],
    "known-fakes export": ["known-fakes", "export"],
    "known-fakes check": ["known-fakes", "check", "picture.jpg"],
    "known-fakes rehash": ["known-fakes", "rehash"],
    "community purge": ["community", "purge"],
    "community counts": ["community", "counts"],
    "community unchecked-bank": ["community", "unchecked-bank"],
    "federation pull": ["federation", "pull", "feed.json", "--name", "peer"],
    "federation peers add": [
        "federation",
        "peers",
        "add",
        "peer",
        "https://peer.example/v1/federation/feed",
        "--key",
        "A" * 43 + "=",
    ],
    "federation peers list": ["federation", "peers", "list"],
    "federation peers remove": ["federation", "peers", "remove", "peer"],
    "federation sync": ["federation", "sync"],
}


#: The commands that only read, or change what must already be there: a missing database is
#: a mistyped path to them, never one to create.
READING = [
    "feeds list",
    "keys list",
    "keys revoke",
    "lists list",
    "lists remove",
    "db backup",
    "persons list",
    "persons show",
    "persons edit",
    "persons retire",
    "persons enrol",
    "known-fakes list",
    "known-fakes retire",
    "known-fakes confirm",
    "known-fakes export",
    "known-fakes check",
    "known-fakes rehash",
    "community purge",
    "community counts",
    "community unchecked-bank",
    "federation peers list",
    "federation peers remove",
    "federation sync",
]


def _commands() -> list[str]:
    """Every command the parser knows, by its full name (``federation peers list``)."""
    from server.cli import build_parser

    leaves: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            leaves.append(path)
        for action in subs:
            for name, sub in action.choices.items():
                walk(sub, f"{path} {name}".strip())

    walk(build_parser(), "")
    return leaves


COMMANDS = _commands()
USING_THE_DATABASE = [c for c in EXAMPLES if c != "bot" and c in COMMANDS]


def test_every_command_says_what_it_does_with_the_database() -> None:
    """A new command must be placed in ``cli.DATABASE_USE`` (and given an example here)."""
    from server.cli import DATA_DIR, DATABASE_USE, EXISTING, OPTIONAL, REPLACES

    assert [c for c in COMMANDS if c not in DATABASE_USE] == []
    assert [c for c in COMMANDS if c not in EXAMPLES] == []
    existing = [c for c in COMMANDS if DATABASE_USE[c] == EXISTING]
    assert sorted(existing) == sorted(c for c in READING if c in COMMANDS)
    assert DATABASE_USE["check"] == OPTIONAL and DATABASE_USE["bot"] == DATA_DIR
    assert DATABASE_USE["db restore"] == REPLACES


# --- 1: a data folder or database path that cannot work -------------------------------------


@pytest.mark.parametrize("command", [*USING_THE_DATABASE, "bot"])
def test_a_data_folder_that_is_a_file_is_one_line_naming_the_flag(
    command: str, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "passwd"
    not_a_folder.write_text("root:x:0:0::/root:/bin/sh\n")
    before = tree(tmp_path)
    line = one_line(fakewatch(*EXAMPLES[command], "--data-dir", str(not_a_folder), cwd=tmp_path), 2)
    assert f"{not_a_folder} is a file, not a folder (from --data-dir)" in line
    assert "name a folder" in line
    assert tree(tmp_path) == before


def test_a_data_folder_from_the_environment_is_named_by_its_variable(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "passwd"
    not_a_folder.write_text("x\n")
    result = fakewatch(
        "keys", "create", cwd=tmp_path, env={"FAKEWATCH_DATA_DIR": str(not_a_folder)}
    )
    assert "(from FAKEWATCH_DATA_DIR)" in one_line(result, 2)
    assert tree(tmp_path) == ["passwd"]


@pytest.mark.parametrize("command", USING_THE_DATABASE)
def test_a_database_under_a_file_is_one_line_naming_the_flag(command: str, tmp_path: Path) -> None:
    a_file = tmp_path / "passwd"
    a_file.write_text("x\n")
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(a_file / "x.db"), cwd=tmp_path), 2)
    assert f"{a_file} is a file, not a folder (from --db)" in line
    assert tree(tmp_path) == ["passwd"]


@pytest.mark.parametrize("command", USING_THE_DATABASE)
def test_a_database_that_is_a_folder_is_refused_and_left_alone(
    command: str, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(folder), cwd=tmp_path), 2)
    assert f"{folder} is a folder, not a database file (from --db)" in line
    assert f"e.g. {folder / 'fakewatch.db'}" in line
    assert tree(tmp_path) == ["data"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


@pytest.mark.parametrize("command", [c for c in USING_THE_DATABASE if c != "db restore"])
def test_a_text_file_as_database_is_refused_unchanged(command: str, tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("my notes, not a database\n")
    text.chmod(0o644)
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(text), cwd=tmp_path), 1)
    assert f"cannot open the database {text}: file is not a database" in line
    assert text.read_text() == "my notes, not a database\n"
    assert stat.S_IMODE(text.stat().st_mode) == 0o644, "a file that is no database is not chmodded"
    assert tree(tmp_path) == ["notes.db"]


@pytest.mark.skipif(
    not Path("/proc/1").is_dir() or os.access("/proc/1", os.W_OK),
    reason="needs /proc/1, a folder nobody may create files in",
)
def test_a_data_folder_nobody_may_write_in_is_one_line() -> None:
    cwd = Path("/tmp")
    created = one_line(fakewatch("keys", "create", "--data-dir", "/proc/1", cwd=cwd), 2)
    assert "/proc/1/fakewatch.db cannot be created: this user cannot write in /proc/1" in created
    assert "(from --data-dir)" in created
    listed = one_line(fakewatch("keys", "list", "--data-dir", "/proc/1", cwd=cwd), 2)
    assert "no FakeWatch database at /proc/1/fakewatch.db (from --data-dir)" in listed


def test_the_bot_needs_a_data_folder_it_can_write(tmp_path: Path) -> None:
    """The bot keeps DATA_DIR/bot.db: a folder under a file is refused before it starts."""
    a_file = tmp_path / "passwd"
    a_file.write_text("x\n")
    line = one_line(fakewatch("bot", "--data-dir", str(a_file / "state"), cwd=tmp_path), 2)
    assert f"{a_file / 'state'} cannot be a folder: {a_file} is a file (from --data-dir)" in line


# --- 2: commands that only read never create a database --------------------------------------


@pytest.mark.parametrize("command", [c for c in READING if c in COMMANDS])
def test_a_reading_command_refuses_a_missing_database_and_creates_nothing(
    command: str, tmp_path: Path
) -> None:
    typo = tmp_path / "nosuchdir_xyz" / "typo.db"
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(typo), cwd=tmp_path), 2)
    assert f"no FakeWatch database at {typo} (from --db)" in line
    assert "run `fakewatch serve` once to create the database there" in line
    assert tree(tmp_path) == [], "nothing is created at a mistyped path"


def test_a_missing_database_in_the_default_data_folder_says_so(tmp_path: Path) -> None:
    line = one_line(fakewatch("known-fakes", "list", cwd=tmp_path), 2)
    assert "no FakeWatch database at var/fakewatch.db (the default data folder" in line
    assert tree(tmp_path) == []


def test_a_writing_command_still_creates_the_database_and_its_folder(tmp_path: Path) -> None:
    db = tmp_path / "new" / "fakewatch.db"
    created = fakewatch("lists", "block", "claim-gift.top", "--db", str(db), cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    listed = fakewatch("lists", "list", "--db", str(db), cwd=tmp_path)
    assert listed.returncode == 0 and "claim-gift.top" in listed.stdout


def test_a_damaged_database_can_still_be_restored_over(tmp_path: Path) -> None:
    """`db restore` replaces what is there: a file that is no database any more is moved
    aside, not refused."""
    good = tmp_path / "good.db"
    assert (
        fakewatch("lists", "block", "claim-gift.top", "--db", str(good), cwd=tmp_path).returncode
        == 0
    )
    backup = tmp_path / "backup.db"
    assert fakewatch("db", "backup", str(backup), "--db", str(good), cwd=tmp_path).returncode == 0
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"\0garbage" * 512)
    restored = fakewatch("db", "restore", str(backup), "--db", str(damaged), cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    listed = fakewatch("lists", "list", "--db", str(damaged), cwd=tmp_path)
    assert "claim-gift.top" in listed.stdout, listed.stderr


def test_check_still_runs_without_a_database(tmp_path: Path) -> None:
    result = fakewatch(
        "check", "https://example.org/", "--db", str(tmp_path / "none.db"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path) == []


# --- 3: a value out of range names what gave it -----------------------------------------------


@pytest.mark.parametrize(
    ("flags", "env", "named"),
    [
        (["--port", "99999"], {}, "--port must be between 0 and 65535"),
        ([], {"FAKEWATCH_PORT": "99999"}, "FAKEWATCH_PORT must be between 0 and 65535"),
        (["--port", "-1"], {"FAKEWATCH_PORT": "8000"}, "--port must be between 0 and 65535"),
        (["--workers", "0"], {}, "--workers must be between 1 and 64"),
        (["--workers", "65"], {"FAKEWATCH_WORKERS": "2"}, "--workers must be between 1 and 64"),
        ([], {"FAKEWATCH_WORKERS": "0"}, "FAKEWATCH_WORKERS must be between 1 and 64"),
        (
            ["--workers", "2"],
            {"FAKEWATCH_MAX_BODY_BYTES": "0"},
            "FAKEWATCH_MAX_BODY_BYTES must be a positive number",
        ),
    ],
)
def test_a_value_out_of_range_names_the_flag_or_variable_that_gave_it(
    flags: list[str], env: dict[str, str], named: str, tmp_path: Path
) -> None:
    result = fakewatch("serve", "--host", "127.0.0.1", *flags, cwd=tmp_path, env=env)
    line = one_line(result, 2)
    assert line == f"fakewatch: {named}" or line.startswith(f"fakewatch: {named} ")
    assert tree(tmp_path) == []


# --- 4: a worker that cannot start is one line ------------------------------------------------


@pytest.mark.skipif(
    sys.platform != "linux" or not hasattr(socket, "SO_REUSEPORT"), reason="--workers: Linux"
)
def test_serve_workers_with_missing_models_prints_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    result = fakewatch(
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--workers",
        "2",
        "--db",
        str(tmp_path / "fakewatch.db"),
        cwd=tmp_path,
        env={"FAKEWATCH_MODELS_DIR": str(empty)},
    )
    line = one_line(result, 1)
    assert line.startswith("fakewatch: cannot load the models: "), line
    assert "FAKEWATCH_MODELS_DIR" in line
    assert "READY" not in result.stdout


# --- 5: a file that is not FakeWatch's database is never turned into one ----------------------


def _other_programs_database(path: Path) -> bytes:
    """An SQLite file of another program (one table, one row, WAL off), mode 0644; its bytes."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES ('theirs')")
    conn.commit()
    conn.close()
    path.chmod(0o644)
    return path.read_bytes()


READING_OR_OPTIONAL = [c for c in READING if c in COMMANDS] + ["check"]


@pytest.mark.parametrize("command", READING_OR_OPTIONAL)
def test_a_reading_command_refuses_another_programs_sqlite_database(
    command: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    before = _other_programs_database(other)
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(other), cwd=tmp_path), 2)
    assert f"{other} is an SQLite database but not FakeWatch's (no FakeWatch tables" in line
    assert "(from --db)" in line
    assert other.read_bytes() == before, "never migrated"
    assert stat.S_IMODE(other.stat().st_mode) == 0o644, "never chmodded"
    assert tree(tmp_path) == ["other.db"], "no -wal, -shm or lock left beside it"


@pytest.mark.parametrize("command", READING_OR_OPTIONAL)
def test_a_reading_command_refuses_an_empty_file(command: str, tmp_path: Path) -> None:
    empty = tmp_path / "afile"
    empty.touch(mode=0o644)
    empty.chmod(0o644)
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(empty), cwd=tmp_path), 2)
    assert f"{empty} is an empty file, not a FakeWatch database (from --db)" in line
    assert empty.stat().st_size == 0
    assert stat.S_IMODE(empty.stat().st_mode) == 0o644
    assert tree(tmp_path) == ["afile"]


def test_a_reading_command_refuses_the_bots_own_state_database(tmp_path: Path) -> None:
    """`--db var/bot.db` (the bot's state, in the same folder) is a mistype, not a database to
    convert: refused whether it has FakeWatch-like bookkeeping or not."""
    import sqlite3

    from bot.state import BotState

    data = tmp_path / "var"
    data.mkdir()
    BotState(data / "bot.db").close()
    tables = (
        sqlite3.connect(data / "bot.db").execute("SELECT count(*) FROM sqlite_master").fetchone()
    )
    line = one_line(fakewatch("keys", "list", "--db", str(data / "bot.db"), cwd=tmp_path), 2)
    assert "is an SQLite database but not FakeWatch's" in line
    after = (
        sqlite3.connect(data / "bot.db").execute("SELECT count(*) FROM sqlite_master").fetchone()
    )
    assert after == tables


@pytest.mark.parametrize("command", ["keys create", "lists block", "serve"])
def test_a_creating_command_refuses_another_programs_database(command: str, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    before = _other_programs_database(other)
    line = one_line(fakewatch(*EXAMPLES[command], "--db", str(other), cwd=tmp_path), 2)
    assert f"{other} is an SQLite database but not FakeWatch's" in line
    assert "name a new file to create one" in line
    assert other.read_bytes() == before
    assert tree(tmp_path) == ["other.db"]


def test_a_creating_command_makes_its_database_in_an_empty_file(tmp_path: Path) -> None:
    """An empty file holds nothing to lose: `keys create` makes it the database, as it does
    a missing one, and `keys list` reads it afterwards."""
    empty = tmp_path / "fw.db"
    empty.touch()
    assert fakewatch("keys", "create", "--db", str(empty), cwd=tmp_path).returncode == 0
    listed = fakewatch("keys", "list", "--db", str(empty), cwd=tmp_path)
    assert listed.returncode == 0 and "client" in listed.stdout, listed.stderr


def test_connect_never_migrates_another_programs_tables(tmp_path: Path) -> None:
    """Below the command line too (the bot, a test, a worker that lost a race): ``connect``
    refuses a database with tables and no FakeWatch migration, and changes nothing."""
    from server.storage.database import DatabaseUnusable, connect

    other = tmp_path / "other.db"
    _other_programs_database(other)
    with pytest.raises(DatabaseUnusable, match="not FakeWatch's"):
        connect(other)
    import sqlite3

    names = sqlite3.connect(other).execute("SELECT name FROM sqlite_master").fetchall()
    assert names == [("t",)]


# --- 6: a creating command checks its argument before it creates the database ---------------


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["known-fakes", "add", "nofile.png", "--label", "x"], 1, "nofile.png: No such file"),
        (
            ["federation", "pull", "http://127.0.0.1:9/v1/federation/feed", "--name", "p"],
            2,
            "the first pull needs --key",
        ),
    ],
)
def test_a_bad_argument_creates_no_database(
    args: list[str], code: int, said: str, tmp_path: Path
) -> None:
    line = one_line(fakewatch(*args, "--db", str(tmp_path / "new" / "fw.db"), cwd=tmp_path), code)
    assert said in line
    assert tree(tmp_path) == []


@pytest.mark.parametrize("backup", ["bad.json", "other.db", "empty.db"])
def test_restoring_what_is_no_backup_leaves_nothing_behind(backup: str, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{}\n")
    _other_programs_database(tmp_path / "other.db")
    (tmp_path / "empty.db").touch()
    before = tree(tmp_path)
    result = fakewatch("db", "restore", backup, "--db", str(tmp_path / "d" / "fw.db"), cwd=tmp_path)
    line = one_line(result, 1)
    assert f"reading the backup {backup}: " in line
    assert "not a database" in line or "not a FakeWatch database" in line
    assert tree(tmp_path) == before, "no folder, no fw.db.lock"
