"""Webhooks never reach private, loopback or link-local addresses unless the operator allows it:
refused when registered, and refused again when delivering (a URL stored earlier, or a name
that resolves to such an address)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from server.alerts.targets import GuardedResolver
from tests.support.server import RunningServer
from tests.test_alerts import Receiver, confirm, receiver  # noqa: F401  (fixture)
from tests.test_reports import client_key, report


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number, which the C resolver accepts
        "http://[::ffff:127.0.0.1]/hook",
        "http://[2002:7f00:1::]/hook",  # 6to4 for 127.0.0.1
        "http://①②⑦.0.0.1/hook",  # circled digits: the HTTP client connects to 127.0.0.1
        "http://１６９.２５４.１６９.２５４/latest",  # full-width digits: cloud metadata
        "http://[fec0::1]/hook",  # IPv6 site-local
    ],
)
def test_a_webhook_to_a_private_address_is_refused_with_its_code(
    server: RunningServer, url: str
) -> None:
    refused = server.request("POST", "/v1/webhooks", json_body={"url": url})
    assert refused.status == 400
    assert refused.json()["code"] == "webhook_private_target"
    assert "FAKEWATCH_WEBHOOK_ALLOW_PRIVATE" in refused.json()["error"]
    listed = server.request("GET", "/v1/webhooks").json()["webhooks"]
    assert url not in [w["url"] for w in listed]


def test_a_public_address_is_accepted(server: RunningServer) -> None:
    added = server.request("POST", "/v1/webhooks", json_body={"url": "https://93.184.215.14/h"})
    assert added.status == 201
    server.request("DELETE", f"/v1/webhooks/{added.json()['id']}")


def test_a_private_webhook_stored_earlier_is_refused_at_delivery(
    server: RunningServer,
    receiver: Receiver,  # noqa: F811
) -> None:
    # Written straight into the database, as a webhook registered before this guard existed
    # (or while FAKEWATCH_WEBHOOK_ALLOW_PRIVATE was on) would be.
    with sqlite3.connect(server.db) as db:
        latest = db.execute("SELECT COALESCE(MAX(id), 0) FROM alerts").fetchone()[0]
        webhook_id = db.execute(
            "INSERT INTO webhooks (url, secret, created_at, cursor) VALUES (?, 's', 'now', ?)",
            [receiver.url, latest],
        ).lastrowid
    _, filed = report(server, client_key(server), kind="link", value="https://ssrf-late.example/")
    confirm(server, filed["case_id"])
    deadline = time.monotonic() + 15
    error = None
    while time.monotonic() < deadline and not error:
        hooks = server.request("GET", "/v1/webhooks").json()["webhooks"]
        error = next(w["last_error"] for w in hooks if w["id"] == webhook_id)
        time.sleep(0.2)
    assert error is not None and error.startswith("refused"), error
    assert receiver.accepted == [] and receiver.raw == []
    server.request("DELETE", f"/v1/webhooks/{webhook_id}")


def test_the_delivery_resolver_drops_names_that_resolve_to_loopback() -> None:
    async def resolve() -> None:
        resolver = GuardedResolver()
        try:
            await resolver.resolve("localhost", 80)  # /etc/hosts: no DNS query
        finally:
            await resolver.close()

    with pytest.raises(OSError, match="non-public"):
        asyncio.run(resolve())
