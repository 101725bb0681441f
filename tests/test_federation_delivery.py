"""Federation feedback reaches the origin's own item and never clogs: a peer item that ends up
on a case with another key (merge, media near-match) is answered by the peer's own kind/value;
refusals that cannot change are given up on, others retried later; the operator's brigading rule
applies to pulled items; the feedback endpoint reads a body that arrives in pieces and turns an
over-budget IP away before doing any work."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

from server.community.items import CaseKey, Category, ItemKind
from server.community.store import NewReport, decide, insert_reports, merge
from server.federation import feedback
from server.federation.feed import (
    FeedSignatureError,
    open_envelope,
    private_key,
    public_key_b64,
)
from server.federation.pull import apply, pin_key
from server.federation.sync import send_feedback
from server.settings import Settings
from server.storage.database import Database, connect
from tests.support.server import RunningServer, cli_env
from tests.test_reports import client_key, report


def federation(db: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "server", "federation", *args, "--db", str(db)],
        env=cli_env(env),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def local_report(db: sqlite3.Connection | Any, value: str) -> int:
    item = CaseKey(ItemKind.LINK, value, value, "domain")
    report = NewReport(
        item=item,
        reporter="local-user",
        reporter_kind="key",
        category=Category.OTHER,
    )
    return insert_reports(db, [report])[0].case_id


def test_feedback_on_a_case_that_absorbed_a_peer_item_reaches_the_origin_case(
    community_server: RunningServer, tmp_path: Path
) -> None:
    origin = community_server
    _, filed = report(origin, client_key(origin), kind="link", value="https://absorbed.example/")
    origin.request("POST", f"/v1/cases/{filed['case_id']}/confirm", json_body={"note": "seen"})
    origin_key = origin.request("GET", "/v1/federation/key", key=None).json()["public_key"]

    peer_db = tmp_path / "peer.db"
    connect(peer_db).close()
    federation(
        peer_db,
        *("peers", "add", "origin", origin.url + "/v1/federation/feed"),
        *("--key", origin_key, "--trust", "review"),
    )
    # The operator's brigading rule applies to pulled items: one low-weight report is a surge.
    federation(peer_db, "sync", env={"FAKEWATCH_BRIGADE_MIN_REPORTERS": "1"})
    db = connect(peer_db)
    queued = db.execute("SELECT id, status FROM cases WHERE key = 'absorbed.example'").fetchone()
    assert queued is not None and queued[1] == "quarantined"

    # Our moderators fold the peer's item into a case of ours with another key and confirm it.
    with db.atomic():
        survivor = local_report(db, "absorbing-local.example")
        merge(db, int(queued[0]), survivor, actor="test", note="same campaign")
        decide(db, survivor, "confirm", actor="test", note="scam")
    peer_key = public_key_b64(private_key(db))
    db.close()
    federation(
        origin.db,
        *("peers", "add", "absorbing-peer", "http://127.0.0.1:9/v1/federation/feed"),
        *("--key", peer_key, "--trust", "review"),
    )

    done = federation(peer_db, "sync")
    assert done["feedback"]["feedback_sent"] == 1, done
    shown = origin.request("GET", f"/v1/cases/{filed['case_id']}").json()
    assert [(f["peer"], f["verdict"]) for f in shown["peer_feedback"]] == [
        ("absorbing-peer", "confirm")
    ]


def test_two_peer_media_items_on_one_case_each_keep_their_origin(tmp_path: Path) -> None:
    db = connect(tmp_path / "peer.db")
    near_a = "pdq:" + "f" * 64
    near_b = "pdq:" + "f" * 62 + "00"  # 8 bits apart: our near-match puts it on a's case
    page = {
        "version": 2,
        "changes": [
            {"op": "add", "kind": "media", "value": near_a, "case_id": 11, "category": "other"},
            {"op": "add", "kind": "media", "value": near_b, "case_id": 12, "category": "other"},
        ],
    }
    with db.atomic():
        apply(db, "media-peer", "http://127.0.0.1:9/v1/federation/feed", "review", page)
    (case_id,) = db.execute("SELECT id FROM cases WHERE kind = 'media'").fetchone()
    with db.atomic():
        decide(db, int(case_id), "reject", actor="test", note="not a fake")
    sent = db.execute(
        "SELECT origin_case_id, kind, value FROM federation_feedback_out ORDER BY origin_case_id"
    ).fetchall()
    assert sent == [(11, "media", near_a), (12, "media", near_b)]


class _Peer(BaseHTTPRequestHandler):
    """A peer that answers feedback with the status its path names (/s404/...)."""

    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Peer.hits.append(self.path)
        status = int(self.path.split("/")[1][1:])
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering_peer() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_refused_feedback_is_given_up_and_failing_feedback_waits(
    tmp_path: Path, answering_peer: str
) -> None:
    path = tmp_path / "peer.db"
    db = connect(path)
    peers = {
        "gone": f"{answering_peer}/s404/v1/federation/feed",
        "down": f"{answering_peer}/s500/v1/federation/feed",
        "file": str(tmp_path / "saved-feed.json"),
    }
    with db.atomic():
        for n, (name, url) in enumerate(peers.items()):
            value = f"{name}-item.example"
            change = {"op": "add", "kind": "link", "value": value, "case_id": 100 + n}
            apply(db, name, url, "review", {"version": 1, "changes": [change]})
            (case_id,) = db.execute("SELECT id FROM cases WHERE key = ?", [value]).fetchone()
            decide(db, int(case_id), "confirm", actor="test", note="scam")
    queued = dict(db.execute("SELECT peer, id FROM federation_feedback_out").fetchall())
    assert set(queued) == {"gone", "down"}  # a peer read from a file has nowhere to be told
    db.close()

    async def one_round() -> dict[str, int]:
        database = Database(path)
        try:
            async with aiohttp.ClientSession(trust_env=False) as session:
                return await send_feedback(database, session, Settings(feed_timeout_s=5), "t")
        finally:
            database.close()

    _Peer.hits = []
    assert asyncio.run(one_round()) == {
        "feedback_sent": 0,
        "feedback_failed": 1,
        "feedback_gave_up": 1,
    }
    assert sorted(_Peer.hits) == ["/s404/v1/federation/feedback", "/s500/v1/federation/feedback"]
    db = connect(path)
    rows = {
        r[0]: r[1:]
        for r in db.execute(
            "SELECT peer, attempts, gave_up_at IS NOT NULL, next_attempt_at, last_error"
            " FROM federation_feedback_out"
        )
    }
    assert rows["gone"][:2] == (1, 1) and rows["gone"][3] == "HTTP 404"
    assert rows["down"][:2] == (1, 0) and rows["down"][3] == "HTTP 500"
    assert rows["down"][2] > feedback.queries.now_iso()  # retried later, not every round
    gave_up = db.execute(
        "SELECT details FROM audit_log WHERE action = 'federation.feedback.gave_up'"
    ).fetchall()
    assert len(gave_up) == 1 and json.loads(gave_up[0][0])["peer"] == "gone"
    # Neither is due now; the failing one is once its time comes, the refused one never.
    assert feedback.pending(db) == []
    later = [r["peer"] for r in feedback.pending(db, now="9999-01-01T00:00:00Z")]
    assert later == ["down"]
    db.close()
    _Peer.hits = []
    assert asyncio.run(one_round())["feedback_failed"] == 0 and _Peer.hits == []


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [feedback.retry_delay_s(n) for n in (1, 2, 3, 50)]
    assert delays == [60, 120, 240, feedback.RETRY_MAX_S]


def _stranger_message(tmp_path: Path, pad: int) -> bytes:
    stranger = connect(tmp_path / "stranger.db")
    row = {
        "id": 1,
        "origin_case_id": 1,
        "verdict": "confirm",
        "kind": "link",
        "value": "x.example",
        "created_at": "2026-01-01T00:00:00Z",
    }
    message = feedback.envelope(stranger, row, "stranger")
    stranger.close()
    return b" " * pad + message  # JSON allows leading blanks: the message comes last


def test_a_feedback_body_that_arrives_in_pieces_is_read_whole(
    community_server: RunningServer, tmp_path: Path
) -> None:
    body = _stranger_message(tmp_path, 12_000)
    host, port = community_server.url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/federation/feedback HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/json\r\nX-Forwarded-For: 198.51.100.77\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + body[:4000])
        time.sleep(0.3)  # the handler is reading by now and has only the first piece
        sock.sendall(body[4000:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    # Read whole, the message parses and is refused for its (unknown) key, not as garbage.
    assert b" 403 " in status_line, answer[:300]
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["code"] == "federation_unknown_peer"


def test_an_ip_over_its_failure_budget_is_turned_away_before_any_work(
    community_server: RunningServer, tmp_path: Path
) -> None:
    message = _stranger_message(tmp_path, 0)
    known = connect(tmp_path / "stranger.db")
    federation(
        community_server.db,
        *("peers", "add", "budget-peer", "http://127.0.0.1:9/v1/federation/feed"),
        *("--key", public_key_b64(private_key(known)), "--trust", "review"),
    )
    known.close()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.78"}
    codes = []
    for _ in range(21):  # FAKEWATCH_AUTH_FAILURES_PER_MINUTE is 20
        codes.append(
            community_server.request(
                "POST", "/v1/federation/feedback", body=b"{}", key=None, headers=headers
            ).status
        )
    assert codes[:20] == [401] * 20 and codes[20] == 429
    # From a configured peer (about no case of ours: 404 if it were looked at), yet turned
    # away: the IP has no budget left.
    turned_away = community_server.request(
        "POST", "/v1/federation/feedback", body=message, key=None, headers=headers
    )
    assert turned_away.status == 429 and turned_away.json()["code"] == "rate_limited"


def test_a_dead_peers_full_queue_does_not_hold_up_a_live_peers_feedback(
    tmp_path: Path, answering_peer: str
) -> None:
    path = tmp_path / "peer.db"
    db = connect(path)
    peers = {
        "dead": f"{answering_peer}/s500/v1/federation/feed",
        "live": f"{answering_peer}/s200/v1/federation/feed",
    }
    cases = {}
    with db.atomic():
        for n, (name, url) in enumerate(peers.items()):
            value = f"{name}-queue.example"
            change = {"op": "add", "kind": "link", "value": value, "case_id": 200 + n}
            apply(db, name, url, "review", {"version": 1, "changes": [change]})
            (cases[name],) = db.execute("SELECT id FROM cases WHERE key = ?", [value]).fetchone()
        decide(db, int(cases["dead"]), "confirm", actor="test", note="scam")
        # 150 messages for the dead peer, all older than the live peer's one.
        for _ in range(149):
            db.execute(
                "INSERT INTO federation_feedback_out (peer, case_id, origin_case_id, verdict,"
                " kind, value, created_at) SELECT peer, case_id, origin_case_id, verdict, kind,"
                " value, created_at FROM federation_feedback_out WHERE peer = 'dead' LIMIT 1"
            )
        decide(db, int(cases["live"]), "confirm", actor="test", note="scam")
    counts = dict(db.execute("SELECT peer, COUNT(*) FROM federation_feedback_out GROUP BY peer"))
    assert counts == {"dead": 150, "live": 1}
    db.close()

    async def one_round() -> dict[str, int]:
        database = Database(path)
        try:
            async with aiohttp.ClientSession(trust_env=False) as session:
                return await send_feedback(database, session, Settings(feed_timeout_s=5), "t")
        finally:
            database.close()

    _Peer.hits = []
    assert asyncio.run(one_round()) == {
        "feedback_sent": 1,
        "feedback_failed": 1,
        "feedback_gave_up": 0,
    }
    # The dead peer was tried once; the live one got its message in the same round.
    assert sorted(_Peer.hits) == ["/s200/v1/federation/feedback", "/s500/v1/federation/feedback"]
    db = connect(path)
    waiting = db.execute(
        "SELECT COUNT(*), SUM(attempts) FROM federation_feedback_out WHERE peer = 'dead'"
        " AND sent_at IS NULL AND next_attempt_at > ?",
        [feedback.queries.now_iso()],
    ).fetchone()
    assert waiting == (150, 1)  # all wait for the retry time; only the one tried counts it
    assert feedback.pending(db) == []
    db.close()


class _BrokenFeed(BaseHTTPRequestHandler):
    """A peer whose feed is an envelope with a number for a payload, and that takes feedback."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        body = b'{"payload":1,"signature":""}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _BrokenFeed.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_peer_with_a_broken_feed_does_not_stop_the_others_or_the_feedback(
    community_server: RunningServer, tmp_path: Path
) -> None:
    origin = community_server
    _, filed = report(
        origin, client_key(origin), kind="link", value="https://after-broken.example/"
    )
    origin.request("POST", f"/v1/cases/{filed['case_id']}/confirm", json_body={"note": "seen"})
    origin_key = origin.request("GET", "/v1/federation/key", key=None).json()["public_key"]

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenFeed)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        broken_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1/federation/feed"
        peer_db = tmp_path / "peer.db"
        db = connect(peer_db)
        with db.atomic():
            # "a-broken" sorts first, is pulled first, and has a decision of ours to hear.
            change = {"op": "add", "kind": "link", "value": "broken-item.example", "case_id": 7}
            apply(db, "a-broken", broken_url, "review", {"version": 1, "changes": [change]})
            pin_key(db, "a-broken", origin_key)
            (case_id,) = db.execute(
                "SELECT id FROM cases WHERE key = 'broken-item.example'"
            ).fetchone()
            decide(db, int(case_id), "confirm", actor="test", note="scam")
        db.close()
        federation(
            peer_db,
            *("peers", "add", "b-origin", origin.url + "/v1/federation/feed"),
            *("--key", origin_key, "--trust", "review"),
        )
        _BrokenFeed.hits = []
        done = federation(peer_db, "sync")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "error" in done["a-broken"], done
    assert "error" not in done["b-origin"], done
    assert done["feedback"]["feedback_sent"] == 1, done
    assert _BrokenFeed.hits == ["/v1/federation/feedback"]
    db = connect(peer_db)
    pulled = db.execute("SELECT status FROM cases WHERE key = 'after-broken.example'").fetchone()
    db.close()
    assert pulled == ("pending",)  # pulled and queued for our moderators (trust review)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"payload":1,"signature":""}',
        b"[" * 20000,
        b'{"payload":"\\ud800","signature":""}',
    ],
    ids=["payload-not-a-string", "nested-too-deep", "lone-surrogate"],
)
def test_a_malformed_feed_envelope_is_refused_as_such(raw: bytes, tmp_path: Path) -> None:
    db = connect(tmp_path / "any.db")
    key = public_key_b64(private_key(db))
    db.close()
    with pytest.raises(FeedSignatureError, match="not a FakeWatch federation feed"):
        open_envelope(raw, key)


def test_a_signed_page_with_a_bad_version_is_refused(tmp_path: Path) -> None:
    db = connect(tmp_path / "any.db")
    key = private_key(db)
    db.close()
    payload = json.dumps({"format": "fakewatch-federation/1", "version": "x", "changes": []})
    raw = json.dumps(
        {
            "payload": payload,
            "signature": base64.b64encode(key.sign(payload.encode())).decode(),
            "key": public_key_b64(key),
        }
    ).encode()
    with pytest.raises(FeedSignatureError, match="'version' is not an integer"):
        open_envelope(raw, public_key_b64(key))


def test_deeply_nested_feedback_is_refused_and_charged_to_the_ip(
    community_server: RunningServer,
) -> None:
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.79"}
    nested = b"[" * 16_000  # under the size cap, deeper than the JSON parser goes
    answers = [
        community_server.request(
            "POST", "/v1/federation/feedback", body=nested, key=None, headers=headers
        )
        for _ in range(21)  # FAKEWATCH_AUTH_FAILURES_PER_MINUTE is 20
    ]
    assert [a.status for a in answers[:20]] == [401] * 20
    assert answers[0].json()["code"] == "federation_signature"
    assert answers[20].status == 429 and answers[20].json()["code"] == "rate_limited"


def test_feedback_from_a_peer_with_text_that_is_not_utf8_is_a_400(
    community_server: RunningServer, tmp_path: Path
) -> None:
    sender = connect(tmp_path / "sender.db")
    key = private_key(sender)
    sender.close()
    federation(
        community_server.db,
        *("peers", "add", "surrogate-peer", "http://127.0.0.1:9/v1/federation/feed"),
        *("--key", public_key_b64(key), "--trust", "review"),
    )
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.80"}
    for field in ("id", "decided_at"):
        message = {
            "format": feedback.FORMAT,
            "instance": "surrogate",
            "id": "feedback-1",
            "case_id": 1,
            "kind": "link",
            "value": "x.example",
            "verdict": "confirm",
            "decided_at": "2026-01-01T00:00:00Z",
        }
        message[field] = "\udc00"  # JSON's "\udc00": valid JSON, no UTF-8 for it
        payload = json.dumps(message)  # ASCII, so the signature covers the escape as sent
        body = json.dumps(
            {
                "payload": payload,
                "signature": base64.b64encode(key.sign(payload.encode())).decode(),
                "key": public_key_b64(key),
            }
        ).encode()
        answer = community_server.request(
            "POST", "/v1/federation/feedback", body=body, key=None, headers=headers
        )
        assert answer.status == 400, (field, answer.status, answer.body[:300])
        assert answer.json()["code"] == "validation_failed"
        assert f"'{field}'" in answer.json()["error"]
