"""A webhook alert's ``verdict_url`` is built like the polled one: on FAKEWATCH_PUBLIC_URL when
the operator set it (and the signature covers the body as sent), else the stored path."""

from __future__ import annotations

import json
from pathlib import Path

from server.alerts.signing import ReplayGuard, verify
from tests.support.server import RunningServer, start_server
from tests.test_alerts import Receiver, confirm
from tests.test_reports import client_key, report


def test_a_webhook_alert_links_to_the_public_url_and_its_signature_verifies(
    tmp_path: Path,
) -> None:
    receiver = Receiver()
    server = start_server(
        tmp_path,
        env={
            "FAKEWATCH_PUBLIC_URL": "https://fw.example/",
            # The receiver listens on 127.0.0.1.
            "FAKEWATCH_WEBHOOK_ALLOW_PRIVATE": "true",
        },
    )
    try:
        added = server.request("POST", "/v1/webhooks", json_body={"url": receiver.url})
        assert added.status == 201
        receiver.secret = added.json()["secret"]
        key = client_key(server)
        _, filed = report(server, key, kind="link", value="https://public-link.example/")
        case_id = filed["case_id"]
        confirm(server, case_id)

        delivery = receiver.wait_for(case_id)
        assert delivery["alert"]["verdict_url"] == f"https://fw.example/r/c{case_id}"
        # The receiver accepted it only after checking the signature; check the raw body
        # once more, with a guard that has not seen it, against what was delivered.
        headers, body = receiver.raw[-1]
        assert json.loads(body) == delivery
        assert verify(receiver.secret, headers, body, ReplayGuard()) == delivery["delivery"]

        polled = server.request("GET", "/v1/alerts?since=0", key=key).json()["alerts"]
        (same,) = [a for a in polled if a["case_id"] == case_id]
        assert same["verdict_url"] == delivery["alert"]["verdict_url"]
    finally:
        assert server.stop() == 0, server.stderr()
        receiver.server.shutdown()
    assert "Traceback" not in server.stderr()


def test_without_a_public_url_a_webhook_alert_carries_the_relative_path(
    community_server: RunningServer,
) -> None:
    """No request to take an origin from: the body keeps ``/r/c<id>`` (docs/community.md)."""
    receiver = Receiver()
    added = community_server.request("POST", "/v1/webhooks", json_body={"url": receiver.url})
    try:
        receiver.secret = added.json()["secret"]
        _, filed = report(
            community_server,
            client_key(community_server),
            kind="link",
            value="https://relative-link.example/",
        )
        confirm(community_server, filed["case_id"])
        delivery = receiver.wait_for(filed["case_id"])
        assert delivery["alert"]["verdict_url"] == f"/r/c{filed['case_id']}"
    finally:
        community_server.request("DELETE", f"/v1/webhooks/{added.json()['id']}")
        receiver.server.shutdown()
