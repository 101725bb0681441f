"""Operator lists: the allowlist wins, a block entry is decisive, and changes made by
another process reach a running server."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support.server import RunningServer, cli_env, start_server


def verdict_of(server: RunningServer, url: str) -> dict:
    return server.request("POST", "/v1/check/links", json_body={"urls": [url]}).json()["results"][0]


def test_an_operator_block_entry_makes_a_domain_likely_scam(fresh_server: RunningServer) -> None:
    assert (
        verdict_of(fresh_server, "https://shop.fresh-scam.example/")["verdict"]
        == "no_known_signals"
    )
    added = fresh_server.request(
        "POST",
        "/v1/lists/entries",
        json_body={"value": "fresh-scam.example", "action": "block", "note": "case 12"},
    )
    assert added.status == 201
    verdict = verdict_of(fresh_server, "https://shop.fresh-scam.example/")
    assert verdict["verdict"] == "likely_scam"
    assert verdict["reasons"][0]["details"]["matched"][0]["list"] == "operator"


def test_the_operator_allowlist_wins_over_the_bundled_blocklist(
    fresh_server: RunningServer,
) -> None:
    assert verdict_of(fresh_server, "https://polkadot-dot.info/")["verdict"] == "likely_scam"
    fresh_server.request(
        "POST", "/v1/lists/entries", json_body={"value": "polkadot-dot.info", "action": "allow"}
    )
    verdict = verdict_of(fresh_server, "https://polkadot-dot.info/")
    assert verdict["verdict"] == "no_known_signals"
    assert verdict["reasons"][0]["code"] == "lists.allowed"


def test_a_retired_entry_stops_matching_and_its_history_stays(fresh_server: RunningServer) -> None:
    entry = fresh_server.request(
        "POST", "/v1/lists/entries", json_body={"value": "gone.example", "action": "block"}
    ).json()
    assert fresh_server.request("DELETE", f"/v1/lists/entries/{entry['id']}").status == 200
    assert verdict_of(fresh_server, "https://gone.example/")["verdict"] == "no_known_signals"
    assert fresh_server.request("DELETE", f"/v1/lists/entries/{entry['id']}").status == 404


def test_public_suffixes_cannot_be_listed(fresh_server: RunningServer) -> None:
    response = fresh_server.request(
        "POST", "/v1/lists/entries", json_body={"value": "pages.dev", "action": "block"}
    )
    assert response.status == 400
    assert response.json()["code"] == "validation_failed"


def test_an_entry_added_from_the_cli_reaches_the_running_server(
    fresh_server: RunningServer,
) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "lists",
            "block",
            "cli-added.example",
            "--db",
            str(fresh_server.db),
        ],
        check=True,
        env=cli_env(),
        capture_output=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if verdict_of(fresh_server, "https://cli-added.example/")["verdict"] == "likely_scam":
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the server never picked up the CLI's entry")
    summary = fresh_server.request("GET", "/v1/lists").json()
    assert summary["lists"]["operator"] == 1
    assert summary["version"] >= 1


def test_a_list_entry_shown_to_anyone_names_the_key_by_id_not_by_its_prefix(
    tmp_path: Path,
) -> None:
    """A verdict quotes the entry's ``source`` to anonymous checkers: the moderator's key is
    named ``key:ID``, never ``key:ID:fw_XXXXXXX`` (7 characters of the secret), and entries
    written before this rule are shown the same way."""
    server = start_server(tmp_path, env={"FAKEWATCH_OPEN_CHECKS": "true"})
    try:
        made = server.request("POST", "/v1/keys", json_body={"role": "moderator"}).json()
        key, key_id = made["key"], made["id"]
        added = server.request(
            "POST",
            "/v1/lists/entries",
            json_body={"value": "bad-shop.example", "action": "block"},
            key=key,
        )
        assert added.status == 201
        anonymous = server.request(
            "GET", "/v1/check/link?url=https%3A%2F%2Fbad-shop.example%2F", key=None
        )
        assert anonymous.status == 200
        matched = anonymous.json()["reasons"][0]["details"]["matched"][0]
        assert matched["source"] == f"operator (key:{key_id})"
        assert key[3:10] not in anonymous.body.decode()

        # An entry stored by an older version, with the whole actor in its source:
        version = server.request("GET", "/v1/lists").json()["version"]
        with sqlite3.connect(server.db) as db:
            db.execute(
                "UPDATE list_entries SET source = ? WHERE value = 'bad-shop.example'",
                [f"operator (key:{key_id}:{key[:10]})"],
            )
            db.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'lists_version'"
            )
        deadline = time.monotonic() + 20
        while server.request("GET", "/v1/lists").json()["version"] == version:
            assert time.monotonic() < deadline, "the server never reloaded the lists"
            time.sleep(0.3)
        later = server.request("GET", "/v1/check/link?url=https%3A%2F%2Fbad-shop.example%2F")
        assert later.json()["reasons"][0]["details"]["matched"][0]["source"] == (
            f"operator (key:{key_id})"
        )
        assert key[3:10] not in later.body.decode()
    finally:
        server.stop()


def test_only_operator_entries_are_retired_by_id_others_say_what_to_do(
    fresh_server: RunningServer, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.txt"
    feed.write_text("feed-scam.example\n")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server", *args, "--db", str(fresh_server.db)],
            env=cli_env(),
            capture_output=True,
            text=True,
        )

    assert cli("feeds", "import", str(feed), "--format", "plain", "--name", "f1").returncode == 0
    with sqlite3.connect(fresh_server.db) as db:
        (feed_entry,) = db.execute(
            "SELECT id FROM list_entries WHERE value = 'feed-scam.example'"
        ).fetchone()

    refused = fresh_server.request("DELETE", f"/v1/lists/entries/{feed_entry}")
    assert refused.status == 409 and refused.json()["code"] == "not_an_operator_entry"
    assert "feed:f1" in refused.json()["error"] and "lists allow" in refused.json()["error"]
    by_cli = cli("lists", "remove", str(feed_entry))
    assert by_cli.returncode != 0 and "feed:f1" in by_cli.stderr
    with sqlite3.connect(fresh_server.db) as db:
        (removed_at,) = db.execute(
            "SELECT removed_at FROM list_entries WHERE id = ?", [feed_entry]
        ).fetchone()
    assert removed_at is None  # still listed

    own = fresh_server.request(
        "POST", "/v1/lists/entries", json_body={"value": "own.example", "action": "block"}
    ).json()
    listed = cli("lists", "list")  # where an operator finds the ids `lists remove` takes
    assert listed.returncode == 0, listed.stderr
    assert f"#{own['id']}  block  own.example" in listed.stdout
    assert "feed-scam.example" not in listed.stdout
    assert fresh_server.request("DELETE", f"/v1/lists/entries/{own['id']}").status == 200
    assert "own.example" not in cli("lists", "list").stdout
