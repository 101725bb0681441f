"""Federation: a peer pulls our signed feed; a tampered feed or a wrong key is refused;
block trust lists the peer's confirmed domain, review trust queues it for our moderators."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.server import RunningServer, cli_env
from tests.test_reports import client_key, report


def pull(db: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "federation", "pull", url, "--db", str(db), *args],
        env=cli_env(),
        capture_output=True,
        text=True,
    )


def test_a_peer_pulls_our_signed_feed_with_its_own_trust_level(
    community_server: RunningServer, tmp_path: Path
) -> None:
    origin = community_server
    _, filed = report(origin, client_key(origin), kind="link", value="https://fed-scam.example/")
    origin.request("POST", f"/v1/cases/{filed['case_id']}/confirm", json_body={"note": "x"})
    key = origin.request("GET", "/v1/federation/key", key=None).json()["public_key"]
    feed_url = origin.url + "/v1/federation/feed"

    blocked_db = tmp_path / "peer-block.db"
    done = pull(blocked_db, feed_url, "--name", "origin", "--key", key, "--trust", "block")
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["listed"] >= 1
    with sqlite3.connect(blocked_db) as db:
        listed = db.execute(
            "SELECT list, reference FROM list_entries WHERE value = 'fed-scam.example'"
        ).fetchone()
    assert listed == ("peer:origin", f"{feed_url}#case:{filed['case_id']}")

    review_db = tmp_path / "peer-review.db"
    queued = pull(review_db, feed_url, "--name", "origin", "--key", key)
    assert queued.returncode == 0 and json.loads(queued.stdout)["queued"] >= 1
    with sqlite3.connect(review_db) as db:
        case = db.execute("SELECT status FROM cases WHERE key = 'fed-scam.example'").fetchone()
        entries = db.execute("SELECT COUNT(*) FROM list_entries").fetchone()
    assert case == ("pending",) and entries == (0,)


def test_a_feed_signed_by_another_key_is_refused(
    community_server: RunningServer, tmp_path: Path
) -> None:
    real = community_server.request("GET", "/v1/federation/feed", key=None).json()
    forged = dict(real, payload=real["payload"].replace('"changes":[', '"changes":[ '))
    forged_file = tmp_path / "forged.json"
    forged_file.write_text(json.dumps(forged))
    refused = pull(tmp_path / "p.db", str(forged_file), "--name", "x", "--key", real["key"])
    assert refused.returncode == 1 and "signature" in refused.stdout


def test_a_pull_without_trust_keeps_the_trust_the_peer_was_given(
    community_server: RunningServer, tmp_path: Path
) -> None:
    """A manual pull of a `block` peer without --trust must not turn it into a `review` one."""
    origin = community_server
    key = origin.request("GET", "/v1/federation/key", key=None).json()["public_key"]
    feed_url = origin.url + "/v1/federation/feed"
    peer_db = tmp_path / "peer.db"
    first = pull(peer_db, feed_url, "--name", "origin", "--key", key, "--trust", "block")
    assert first.returncode == 0, first.stdout + first.stderr
    assert json.loads(first.stdout)["trust"] == "block"
    _, filed = report(origin, client_key(origin), kind="link", value="https://fed-later.example/")
    origin.request("POST", f"/v1/cases/{filed['case_id']}/confirm", json_body={"note": "x"})
    later = pull(peer_db, feed_url, "--name", "origin")
    assert later.returncode == 0, later.stdout + later.stderr
    assert json.loads(later.stdout)["trust"] == "block"
    with sqlite3.connect(peer_db) as db:
        listed = db.execute(
            "SELECT list FROM list_entries WHERE value = 'fed-later.example'"
        ).fetchone()
        trust = db.execute("SELECT trust FROM federation_peers WHERE name = 'origin'").fetchone()
    assert listed == ("peer:origin",) and trust == ("block",)
    # A new peer pulled without --trust is reviewed.
    fresh = pull(tmp_path / "new.db", feed_url, "--name", "origin", "--key", key)
    assert json.loads(fresh.stdout)["trust"] == "review"
