"""Operator lists: the allowlist wins, a block entry is decisive, and changes made by
another process reach a running server."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.support.server import RunningServer, cli_env


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
