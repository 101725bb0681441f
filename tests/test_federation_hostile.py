"""A peer's signed page is still hostile input: a media hash of the wrong size must never
reach the known-fakes bank (one such row stopped every bank build, start-up included) nor
join another case, and a page may not hold more changes than our own pages do."""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.api.federation import FEED_FETCHES_PER_MINUTE
from server.community.reputation import BrigadeRule
from server.engine import Engine
from server.federation.feed import PAGE, FeedSignatureError, open_envelope, public_key_b64
from server.federation.pull import apply
from server.media.hashing import HashKind, RegionHash
from server.settings import Settings
from server.storage.database import connect, immediate
from tests.support.server import cli_env, start_server

RULE = BrigadeRule(window_s=3600, min_reporters=10)
REAL_PDQ = "f0e1d2c3b4a59687" * 4
MALFORMED = [
    "pdq:00",  # too short
    "pdq:" + "0" * 4000,  # too long: its own merge limit would span any case
    "pdq:" + "zz" * 32,  # not hex
    "phash:" + "0" * 15,
    "sha256:" + "0" * 64,  # not a kind we match
    "no-colon",
]


def page_of(*values: str) -> dict[str, object]:
    changes = [
        {"version": i + 1, "op": "add", "kind": "media", "value": value, "case_id": i + 1}
        for i, value in enumerate(values)
    ]
    return {"format": "fakewatch-federation/1", "version": len(values), "changes": changes}


def test_a_block_peers_malformed_hashes_are_skipped_and_the_bank_still_builds(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "f.db")
    with immediate(db):
        done = apply(db, "evil", "https://evil.example/feed", "block", page_of(*MALFORMED))
    with immediate(db):
        good = apply(db, "good", "https://good.example/feed", "block", page_of("pdq:" + REAL_PDQ))
    assert (done["banked"], done["skipped"]) == (0, len(MALFORMED))
    assert good["banked"] == 1

    engine = Engine.build(Settings(), db)  # what start-up does
    query = RegionHash("full", {HashKind.PDQ: bytes.fromhex(REAL_PDQ)}, quality=100)
    matches = engine.resources.known_fakes.current.match([query], pdq_alone=True)
    assert [match.distance for _, match in matches] == [0]


def test_a_hash_of_the_wrong_size_already_in_the_bank_is_left_out_not_fatal(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "f.db")
    with immediate(db):
        apply(db, "good", "https://good.example/feed", "block", page_of("pdq:" + REAL_PDQ))
        # A row an older version let in (before peers' hashes were checked).
        db.execute("UPDATE known_fake_hashes SET pdq = '00' WHERE rowid = 1")
        apply(db, "good", "https://good.example/feed", "block", page_of("pdq:" + "0f" * 32))

    engine = Engine.build(Settings(), db)
    query = RegionHash("full", {HashKind.PDQ: bytes.fromhex("0f" * 32)}, quality=100)
    assert len(engine.resources.known_fakes.current.match([query], pdq_alone=True)) == 1


def test_an_over_long_hash_from_a_review_peer_joins_no_case(tmp_path: Path) -> None:
    db = connect(tmp_path / "f.db")
    with immediate(db):
        apply(db, "good", "https://good.example/feed", "review", page_of("pdq:" + REAL_PDQ), RULE)
    with immediate(db):
        done = apply(db, "evil", "https://evil.example/feed", "review", page_of(*MALFORMED), RULE)
    assert (done["queued"], done["skipped"]) == (0, len(MALFORMED))
    platforms = db.execute("SELECT platform FROM reports").fetchall()
    assert platforms == [("federation:good",)]


def test_a_page_with_more_changes_than_ours_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()

    def signed(page: dict[str, object]) -> bytes:
        payload = json.dumps(page)
        signature = base64.b64encode(key.sign(payload.encode())).decode()
        return json.dumps({"payload": payload, "signature": signature, "key": public}).encode()

    links = [f"pdq:{i:064x}" for i in range(PAGE)]
    assert len(open_envelope(signed(page_of(*links)), public)["changes"]) == PAGE
    with pytest.raises(FeedSignatureError, match="at most 5,000"):
        open_envelope(signed(page_of(*links, "pdq:" + REAL_PDQ)), public)
    with pytest.raises(FeedSignatureError, match="not a list of objects"):
        open_envelope(signed({"format": "fakewatch-federation/1", "changes": ["x"]}), public)


def test_the_public_feed_is_signed_once_per_version_and_budgeted_per_address(
    tmp_path: Path,
) -> None:
    running = start_server(tmp_path)
    try:
        first = running.request("GET", "/v1/federation/feed", key=None)
        again = running.request("GET", "/v1/federation/feed", key=None)
        assert first.status == again.status == 200
        assert first.json() == again.json()  # the page signed for the first fetch
        public = running.request("GET", "/v1/federation/key", key=None).json()["public_key"]
        assert open_envelope(first.body, public)["changes"] == []

        statuses, refused = [], None
        for _ in range(3 * FEED_FETCHES_PER_MINUTE):  # the budget refills as this runs
            answer = running.request("GET", "/v1/federation/feed?since=1", key=None)
            statuses.append(answer.status)
            if answer.status != 200:
                refused = answer
                break
    finally:
        running.stop()
    assert len(statuses) >= FEED_FETCHES_PER_MINUTE - 2  # two were spent above
    assert refused is not None and refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["code"] == "rate_limited"


class _Origin:
    """An HTTP server on 127.0.0.1 that answers every GET with ``answer(path)`` and records
    the paths it was asked for."""

    def __init__(self, answer: Callable[[str], tuple[int, dict[str, str]]]) -> None:
        hits: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                status, headers = answer(self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": "0"}.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_peer_cannot_redirect_our_pulls_to_a_private_address(tmp_path: Path) -> None:
    """The peer's URL is the operator's choice; where the peer redirects us is not: a hop to
    loopback (here another port on 127.0.0.1, standing in for an internal service) is refused
    before any request is made, unless FAKEWATCH_FEDERATION_ALLOW_PRIVATE says peers live on
    a closed network."""
    internal = _Origin(lambda path: (200, {}))
    peer = _Origin(lambda path: (302, {"Location": internal.url + "/internal-only"}))
    db = tmp_path / "f.db"
    connect(db).close()
    key = public_key_b64(Ed25519PrivateKey.generate())
    try:
        fakewatch(
            "federation", "peers", "add", "redirecting", peer.url + "/v1/federation/feed",
            "--key", key, "--trust", "review", "--db", str(db),
        )  # fmt: skip
        refused = json.loads(fakewatch("federation", "sync", "--db", str(db)).stdout)
        assert "redirected to a non-public address" in refused["redirecting"]["error"]
        assert "127.0.0.1" in refused["redirecting"]["error"]
        assert len(peer.hits) == 1 and internal.hits == []

        allowed = fakewatch(
            "federation",
            "sync",
            "--db",
            str(db),
            env={"FAKEWATCH_FEDERATION_ALLOW_PRIVATE": "true"},
        )
        assert "non-public" not in json.loads(allowed.stdout)["redirecting"]["error"]
        assert internal.hits == ["/internal-only"]
    finally:
        peer.close()
        internal.close()


def test_a_redirect_to_a_name_that_resolves_to_a_private_address_is_refused(
    tmp_path: Path,
) -> None:
    """A hop to a name is judged by what the name resolves to when we connect (so DNS
    rebinding cannot get round it): this machine's own host name stands in for an internal
    name, since it resolves to a loopback or private address on almost any test host."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if any(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        pytest.skip(f"{name} resolves to a public address here")
    internal = _Origin(lambda path: (200, {}))
    port = internal.url.rsplit(":", 1)[1]
    peer = _Origin(lambda path: (307, {"Location": f"http://{name}:{port}/internal-only"}))
    db = tmp_path / "f.db"
    connect(db).close()
    try:
        fakewatch(
            "federation", "peers", "add", "by-name", peer.url + "/v1/federation/feed",
            "--key", public_key_b64(Ed25519PrivateKey.generate()), "--db", str(db),
        )  # fmt: skip
        refused = json.loads(fakewatch("federation", "sync", "--db", str(db)).stdout)
        error = refused["by-name"]["error"]
        assert "redirected to a non-public address" in error and name in error
        assert internal.hits == []
    finally:
        peer.close()
        internal.close()


def fakewatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done
