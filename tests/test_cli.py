"""The ``fakewatch`` command as a newcomer uses it."""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.server import ADMIN_KEY, cli_env, start_server


def fakewatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=120,
    )


def test_help_lists_every_subcommand() -> None:
    result = fakewatch("--help")
    assert result.returncode == 0
    for command in ("serve", "check", "feeds", "keys", "db"):
        assert command in result.stdout
    assert "FAKEWATCH_ADMIN_KEY" in result.stdout


def test_every_argument_of_every_subcommand_says_what_it_takes() -> None:
    from server.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{path} {name}")
            elif not action.help and not isinstance(action, argparse._HelpAction):
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "fakewatch")
    assert missing == []


def test_check_explains_a_verdict_without_a_server(tmp_path: Path) -> None:
    result = fakewatch(
        "check", "https://polkadot-dot.info/claim", "--db", str(tmp_path / "none.db")
    )
    assert result.returncode == 0, result.stderr
    assert "LIKELY A SCAM" in result.stdout
    assert "bundled:polkadot-js" in result.stdout
    assert not (tmp_path / "none.db").exists(), "check must not create a database"


def test_check_json_prints_the_api_shape_in_chinese(tmp_path: Path) -> None:
    result = fakewatch(
        "check",
        "--json",
        "--lang",
        "zh",
        "https://polkadot-dot.info/",
        "--db",
        str(tmp_path / "x.db"),
    )
    body = json.loads(result.stdout)
    assert body["results"][0]["verdict"] == "likely_scam"
    assert "黑名单" in body["results"][0]["reasons"][0]["message"]


def test_check_takes_the_apis_language_tags_traditional_included(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    taiwan = fakewatch("check", "--lang", "zh-TW", "https://polkadot-dot.info/", "--db", db)
    assert taiwan.returncode == 0, taiwan.stderr
    assert "很可能是詐騙" in taiwan.stdout and "黑名單" in taiwan.stdout
    assert "诈骗" not in taiwan.stdout  # no Simplified sentence left


def test_check_piped_into_a_reader_that_stops_early_exits_quietly(tmp_path: Path) -> None:
    reader = subprocess.Popen(
        [sys.executable, "-m", "server", "check", "--db", str(tmp_path / "x.db")]
        + [f"https://scam-{i}.example/claim" for i in range(300)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.readline()  # `| head -1`
    reader.stdout.close()
    error = reader.stderr.read().decode()
    assert reader.wait(timeout=120) == 0
    assert "Traceback" not in error and "BrokenPipe" not in error


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    db = tmp_path / "fw.db"
    result = fakewatch("keys", "create", "--role", "moderator", "--label", "ops", "--db", str(db))
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("fw_")
    assert key.encode() not in db.read_bytes()
    listing = fakewatch("keys", "list", "--db", str(db)).stdout
    assert key[:10] in listing and key not in listing and "moderator" in listing


def test_a_key_from_the_cli_works_against_the_server(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        key = fakewatch("keys", "create", "--db", str(server.db)).stdout.strip().splitlines()[-1]
        assert server.request("GET", "/v1/check/link?url=example.com", key=key).status == 200
    finally:
        server.stop()


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=15) == 0
    assert "Traceback" not in server.stderr()


def test_serve_reports_a_port_in_use_clearly(tmp_path: Path) -> None:
    first = start_server(tmp_path / "a")
    try:
        port = first.url.rsplit(":", 1)[1]
        result = fakewatch("serve", "--port", port, "--db", str(tmp_path / "b.db"))
        assert result.returncode == 1
        assert "cannot listen" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        first.stop()


def test_a_bad_setting_names_its_variable() -> None:
    result = fakewatch("check", "x.example", env={"FAKEWATCH_MAX_URLS_PER_REQUEST": "many"})
    assert result.returncode == 2
    assert "FAKEWATCH_MAX_URLS_PER_REQUEST" in result.stderr


def test_a_bad_admin_key_is_never_echoed() -> None:
    result = fakewatch("check", "x.example", env={"FAKEWATCH_ADMIN_KEY": "short"})
    assert result.returncode == 2
    assert "FAKEWATCH_ADMIN_KEY" in result.stderr and "short" not in result.stderr.replace(
        "at least", ""
    )


def test_db_backup_copies_a_live_database(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        server.request(
            "POST", "/v1/lists/entries", json_body={"value": "backed-up.example", "action": "block"}
        )
        dest = tmp_path / "backup" / "copy.db"
        result = fakewatch("db", "backup", str(dest), "--db", str(server.db))
        assert result.returncode == 0, result.stderr
        with sqlite3.connect(dest) as conn:
            values = [row[0] for row in conn.execute("SELECT value FROM list_entries")]
        assert values == ["backed-up.example"]
        again = fakewatch("db", "backup", str(dest), "--db", str(server.db))
        assert again.returncode == 1 and "already exists" in again.stderr
    finally:
        server.stop()


def test_the_admin_key_from_the_environment_is_an_admin(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        assert server.request("GET", "/v1/keys", key=ADMIN_KEY).status == 200
    finally:
        server.stop()
