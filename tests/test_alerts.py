"""Alerts: pollers see confirmed cases after their cursor, webhooks get signed bodies that a
receiver can verify and that cannot be replayed, and retroactive subscriptions keep only a hash."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from server.alerts.signing import ReplayGuard, WebhookRejected, sign, verify
from server.community.items import item_hash
from tests.support.server import RunningServer, start_server
from tests.test_reports import client_key, report


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


class Receiver:
    """A webhook subscriber on 127.0.0.1 that verifies every delivery like a real one would."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.secret = ""
        #: When given, every answer waits for it: a receiver that is slow to respond.
        self.hold = hold
        self.guard = ReplayGuard()
        self.accepted: list[dict] = []
        self.rejected: list[str] = []
        self.raw: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: v for k, v in self.headers.items()}
                try:
                    verify(receiver.secret, headers, body, receiver.guard)
                except WebhookRejected as exc:
                    receiver.rejected.append(exc.reason)
                    self.send_response(401)
                else:
                    with receiver.arrived:
                        receiver.accepted.append(json.loads(body))
                        receiver.raw.append((headers, body))
                        receiver.arrived.notify_all()
                    if receiver.hold is not None:
                        receiver.hold.wait(60)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, case_id: int, timeout: float = 15.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while time.monotonic() < deadline:
                for delivery in self.accepted:
                    if delivery["alert"]["case_id"] == case_id:
                        return delivery
                self.arrived.wait(0.2)
        raise AssertionError(f"no alert for case {case_id}; rejected: {self.rejected}")

    def resend(self, headers: dict[str, str], body: bytes) -> int:
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()


def confirm(server: RunningServer, case_id: int) -> None:
    done = server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "ok"})
    assert done.status == 200, done.body


def test_a_confirmed_case_reaches_a_webhook_signed_and_a_replay_is_refused(
    community: RunningServer, receiver: Receiver
) -> None:
    added = community.request("POST", "/v1/webhooks", json_body={"url": receiver.url})
    assert added.status == 201
    receiver.secret = added.json()["secret"]
    _, filed = report(
        community,
        client_key(community),
        kind="link",
        value="https://hook-me.example/",
        category="celebrity",
        impersonates="Elon Musk",
    )
    confirm(community, filed["case_id"])
    delivery = receiver.wait_for(filed["case_id"])
    alert = delivery["alert"]
    assert alert["item"] == "hook-me.example"
    assert "Elon Musk" in alert["advice"]["en"] and "96110" in alert["advice"]["zh"]
    # An English reader may be anywhere: not told to call China's police number.
    assert "call the police (110)" not in alert["advice"]["en"]
    assert "Action Fraud" in alert["advice"]["en"] and "165" in alert["advice"]["en"]

    headers, body = receiver.raw[-1]
    assert receiver.resend(headers, body) == 401
    assert receiver.rejected[-1] == "replayed"
    forged = body.replace(b"hook-me", b"hook-us")
    assert receiver.resend(headers, forged) == 401
    assert receiver.rejected[-1] == "bad_signature"
    community.request("DELETE", f"/v1/webhooks/{added.json()['id']}")


def test_a_slow_webhook_does_not_delay_another_webhooks_alerts(tmp_path: Path) -> None:
    """Each webhook has its own delivery loop: while one receiver is still answering, the
    next alert reaches the other at once, not when the slow one is done."""
    hold = threading.Event()
    slow, fast = Receiver(hold=hold), Receiver()
    server = start_server(
        tmp_path,
        env={"FAKEWATCH_WEBHOOK_ALLOW_PRIVATE": "true", "FAKEWATCH_WEBHOOK_TIMEOUT_S": "60"},
    )
    try:
        for hook in (slow, fast):
            added = server.request("POST", "/v1/webhooks", json_body={"url": hook.url})
            hook.secret = added.json()["secret"]
        key = client_key(server)
        cases = []
        for i in range(2):
            _, filed = report(server, key, kind="link", value=f"https://hol-{i}.example/")
            cases.append(filed["case_id"])
        confirm(server, cases[0])
        slow.wait_for(cases[0])  # ...and its answer is held
        fast.wait_for(cases[0])
        confirm(server, cases[1])
        fast.wait_for(cases[1])
        assert [d["alert"]["case_id"] for d in slow.accepted] == [cases[0]]
        hold.set()
        slow.wait_for(cases[1])
    finally:
        hold.set()
        server.stop()
        slow.server.shutdown()
        fast.server.shutdown()


def test_the_receiver_check_refuses_stale_and_malformed_deliveries() -> None:
    guard = ReplayGuard()
    body = b'{"alert": {}}'
    old = {"X-FakeWatch-Delivery": "1-1", "X-FakeWatch-Signature": sign("s", "1-1", body, 1000.0)}
    with pytest.raises(WebhookRejected, match="stale"):
        verify("s", old, body, guard, now=1000.0 + 301)
    with pytest.raises(WebhookRejected, match="malformed"):
        verify("s", {"X-FakeWatch-Signature": "v1=abc"}, body, guard)
    assert verify("s", old, body, guard, now=1000.0 + 10) == "1-1"


def test_pollers_get_alerts_after_their_cursor_only(community: RunningServer) -> None:
    key = client_key(community)
    start = community.request("GET", "/v1/alerts?since=999999999", key=key).json()
    assert start == {"alerts": [], "cursor": "999999999"}
    everything = community.request("GET", "/v1/alerts?limit=500", key=key).json()
    cursor = everything["cursor"]
    _, filed = report(community, key, kind="wallet", value="0x" + "ab" * 20, reporter="poll")
    confirm(community, filed["case_id"])
    fresh = community.request("GET", f"/v1/alerts?since={cursor}", key=key).json()
    assert [a["case_id"] for a in fresh["alerts"]] == [filed["case_id"]]
    assert fresh["alerts"][0]["verdict_url"].endswith(f"/r/c{filed['case_id']}")
    assert int(fresh["cursor"]) > int(cursor)
    again = community.request("GET", f"/v1/alerts?since={fresh['cursor']}", key=key).json()
    assert again["alerts"] == []
    bad = community.request("GET", "/v1/alerts?since=abc", key=key)
    assert (bad.status, bad.json()["code"]) == (400, "validation_failed")


def test_a_retroactive_subscription_keeps_only_a_hash_and_tells_only_its_key(
    community: RunningServer,
) -> None:
    subscriber_key, other_key = client_key(community), client_key(community)
    url = "https://later-confirmed.example/login?user=victim"
    subscribed = community.request(
        "POST",
        "/v1/alerts/subscriptions",
        json_body={"kind": "link", "value": url, "subscriber": "tg:4242"},
        key=subscriber_key,
    )
    assert subscribed.status == 201
    assert subscribed.json()["item_hash"] == item_hash("link", "later-confirmed.example")
    with sqlite3.connect(f"file:{community.db}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT * FROM alert_subscriptions").fetchall()
    assert not any("later-confirmed" in str(value) for row in rows for value in row)

    cursor = community.request("GET", "/v1/alerts?limit=500", key=other_key).json()["cursor"]
    _, filed = report(community, other_key, kind="link", value="https://later-confirmed.example/")
    confirm(community, filed["case_id"])
    mine = community.request("GET", f"/v1/alerts?since={cursor}", key=subscriber_key).json()
    retro = [a for a in mine["alerts"] if a.get("retroactive")]
    assert [(a["case_id"], a["subscriber"]) for a in retro] == [(filed["case_id"], "tg:4242")]
    theirs = community.request("GET", f"/v1/alerts?since={cursor}", key=other_key).json()
    assert not any(a.get("retroactive") for a in theirs["alerts"])


def test_a_key_holds_a_bounded_number_of_subscriptions_and_a_confirm_tells_each(
    tmp_path: Path,
) -> None:
    """One client key cannot turn a moderator's confirm into an unbounded fan-out: past
    FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY live subscriptions it is told to wait; renewals and
    other keys are not affected, and a confirm frees the slots it used."""
    server = start_server(tmp_path, env={"FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY": "3"})
    try:
        key, other = client_key(server), client_key(server)
        url = "https://fan-out.example/login"

        def subscribe(who: str, subscriber: str, value: str = url) -> tuple[int, dict, str]:
            response = server.request(
                "POST",
                "/v1/alerts/subscriptions",
                json_body={"kind": "link", "value": value, "subscriber": subscriber},
                key=who,
            )
            return response.status, response.json(), response.headers.get("Retry-After", "")

        assert [subscribe(key, f"tg:{i}")[0] for i in range(3)] == [201, 201, 201]
        status, error, retry_after = subscribe(key, "tg:3")
        assert (status, error["code"]) == (429, "alert_subscriptions_full")
        assert "FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY" in error["error"]
        assert 29 * 86400 < int(retry_after) <= 30 * 86400 + 1
        assert subscribe(key, "tg:4", "https://another.example/")[0] == 429
        assert subscribe(key, "tg:1")[0] == 201  # a renewal adds no row
        assert subscribe(other, "tg:3")[0] == 201

        cursor = server.request("GET", "/v1/alerts", key=key).json()["cursor"]
        _, filed = report(server, other, kind="link", value="https://fan-out.example/")
        confirm(server, filed["case_id"])
        alerts = server.request("GET", f"/v1/alerts?since={cursor}", key=key).json()["alerts"]
        broadcast = [a for a in alerts if not a.get("retroactive")]
        retro = [a for a in alerts if a.get("retroactive")]
        assert [a["case_id"] for a in broadcast] == [filed["case_id"]]
        assert sorted(a["subscriber"] for a in retro) == ["tg:0", "tg:1", "tg:2"]
        for alert in retro:
            assert {
                k: v for k, v in alert.items() if k not in ("id", "retroactive", "subscriber")
            } == {k: v for k, v in broadcast[0].items() if k != "id"}
        theirs = server.request("GET", f"/v1/alerts?since={cursor}", key=other).json()["alerts"]
        assert [a["subscriber"] for a in theirs if a.get("retroactive")] == ["tg:3"]
        # Told once: the confirmed item's subscriptions are gone, and so are their slots.
        assert subscribe(key, "tg:5", "https://another.example/")[0] == 201
    finally:
        server.stop()
