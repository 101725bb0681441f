"""Federation both ways: a running server pulls a configured peer on its own interval, and our
moderators' confirm/reject of the peer's item goes back to the peer, signed, recorded once
against its case; unsigned, forged or unknown-key feedback is refused."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from server.federation import feedback
from server.storage.database import connect
from tests.support.server import RunningServer, cli_env, start_server
from tests.test_reports import client_key, report


def fw(db: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "server", "federation", *args, "--db", str(db)],
        env=cli_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def wait_until(what: str, check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_scheduled_pull_queues_the_peer_item_and_our_reject_reaches_the_origin(
    community_server: RunningServer, tmp_path: Path
) -> None:
    origin = community_server
    origin_key = origin.request("GET", "/v1/federation/key", key=None).json()["public_key"]
    _, filed = report(origin, client_key(origin), kind="link", value="https://fb-scam.example/")
    origin.request("POST", f"/v1/cases/{filed['case_id']}/confirm", json_body={"note": "seen"})

    peer_dir = tmp_path / "peer"
    connect(peer_dir / "fakewatch.db").close()  # migrated, so the CLI can add the peer first
    fw(
        peer_dir / "fakewatch.db",
        *("peers", "add", "origin", origin.url + "/v1/federation/feed"),
        *("--key", origin_key, "--trust", "review"),
    )
    peer = start_server(peer_dir, env={"FAKEWATCH_FEDERATION_PULL_INTERVAL_S": "0.5"})
    try:
        peer_key = peer.request("GET", "/v1/federation/key", key=None).json()["public_key"]
        # The origin accepts feedback only from peers it knows by key.
        fw(
            origin.db,
            *("peers", "add", "fb-peer", peer.url + "/v1/federation/feed"),
            *("--key", peer_key, "--trust", "review"),
        )

        def queued() -> dict[str, Any] | None:
            cases = peer.request("GET", "/v1/cases?status=pending&limit=500").json()["cases"]
            return next((c for c in cases if c["key"] == "fb-scam.example"), None)

        ours = wait_until("the scheduled pull", queued)  # no CLI pull: the server did it
        rejected = peer.request(
            "POST", f"/v1/cases/{ours['id']}/reject", json_body={"note": "a real shop"}
        )
        assert rejected.status == 200

        def told() -> list[dict[str, Any]]:
            shown = origin.request("GET", f"/v1/cases/{filed['case_id']}").json()
            return [f for f in shown["peer_feedback"] if f["peer"] == "fb-peer"]

        feedback_rows = wait_until("the feedback at the origin", told)
        assert [f["verdict"] for f in feedback_rows] == ["reject"]
        audit = origin.request("GET", f"/v1/cases/{filed['case_id']}").json()["audit"]
        assert any(a["action"] == "federation.feedback.reject" for a in audit)
        with sqlite3.connect(peer.db) as db:
            sent = db.execute("SELECT sent_at, attempts FROM federation_feedback_out").fetchall()
        assert len(sent) == 1 and sent[0][0] is not None
    finally:
        peer.stop()

    # The same signed message again (a retry after a lost answer) is stored once.
    peer_db = connect(peer.db)
    row = dict(  # already sent, so not pending: the row as the sender read it
        zip(
            ("id", "peer", "origin_case_id", "verdict", "kind", "value", "created_at", "url"),
            peer_db.execute(
                "SELECT o.id, o.peer, o.origin_case_id, o.verdict, o.kind, o.value,"
                " o.created_at, p.url FROM federation_feedback_out o"
                " JOIN federation_peers p ON p.name = o.peer"
            ).fetchone(),
            strict=True,
        )
    )
    message = feedback.envelope(peer_db, row, "peer")
    peer_db.close()
    headers = {"Content-Type": "application/json"}
    again = origin.request(
        "POST", "/v1/federation/feedback", body=message, key=None, headers=headers
    )
    assert again.status == 200 and again.json()["duplicate"] is True
    with sqlite3.connect(origin.db) as db:
        stored = db.execute(
            "SELECT COUNT(*) FROM federation_feedback_in WHERE peer = 'fb-peer'"
        ).fetchone()[0]
    assert stored == 1

    # Tampered: the verdict flipped after signing.
    outer = json.loads(message)
    outer["payload"] = outer["payload"].replace('"reject"', '"confirm"')
    forged = origin.request(
        "POST",
        "/v1/federation/feedback",
        body=json.dumps(outer).encode(),
        key=None,
        headers=headers,
    )
    assert forged.status == 401 and forged.json()["code"] == "federation_signature"

    # Well signed, but by a key no peer of the origin has.
    stranger_db = connect(tmp_path / "stranger.db")
    stranger = feedback.envelope(stranger_db, {**row, "id": 999}, "stranger")
    stranger_db.close()
    unknown = origin.request(
        "POST", "/v1/federation/feedback", body=stranger, key=None, headers=headers
    )
    assert unknown.status == 403 and unknown.json()["code"] == "federation_unknown_peer"
