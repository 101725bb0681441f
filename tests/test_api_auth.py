"""Keys, roles and limits: nobody on the network can write, and floods cost the flooder."""

from __future__ import annotations

from pathlib import Path

from server.api.auth import KeyCache, Principal
from server.keys import KeyRole
from tests.support.server import RunningServer, start_server


def make_key(server: RunningServer, role: str) -> str:
    response = server.request("POST", "/v1/keys", json_body={"role": role, "label": f"test {role}"})
    assert response.status == 201, response.body
    body = response.json()
    assert body["key"].startswith("fw_") and body["role"] == role
    return body["key"]


def test_a_client_key_can_check_but_not_write(fresh_server: RunningServer) -> None:
    client = make_key(fresh_server, "client")
    assert fresh_server.request("GET", "/v1/check/link?url=example.com", key=client).status == 200
    denied = fresh_server.request(
        "POST",
        "/v1/lists/entries",
        json_body={"value": "evil.example", "action": "block"},
        key=client,
    )
    assert denied.status == 403
    assert denied.json()["code"] == "forbidden"
    assert (
        fresh_server.request("POST", "/v1/keys", json_body={"role": "admin"}, key=client).status
        == 403
    )


def test_a_moderator_key_can_edit_lists_but_not_keys(fresh_server: RunningServer) -> None:
    moderator = make_key(fresh_server, "moderator")
    added = fresh_server.request(
        "POST",
        "/v1/lists/entries",
        json_body={"value": "evil.example", "action": "block"},
        key=moderator,
    )
    assert added.status == 201
    assert fresh_server.request("GET", "/v1/keys", key=moderator).status == 403


def test_keys_are_stored_hashed_and_listed_by_prefix_only(fresh_server: RunningServer) -> None:
    key = make_key(fresh_server, "client")
    listed = fresh_server.request("GET", "/v1/keys").json()["keys"]
    assert any(row["prefix"] == key[:10] for row in listed)
    assert key not in fresh_server.request("GET", "/v1/keys").body.decode()
    assert key.encode() not in fresh_server.db.read_bytes()


def test_a_revoked_key_stops_working(fresh_server: RunningServer) -> None:
    created = fresh_server.request("POST", "/v1/keys", json_body={"role": "client"}).json()
    assert (
        fresh_server.request("GET", "/v1/check/link?url=example.com", key=created["key"]).status
        == 200
    )
    assert fresh_server.request("DELETE", f"/v1/keys/{created['id']}").status == 200
    response = fresh_server.request("GET", "/v1/check/link?url=example.com", key=created["key"])
    assert response.status == 401


def test_open_checks_need_no_key_but_are_rate_limited_per_ip(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, env={"FAKEWATCH_OPEN_CHECKS": "true", "FAKEWATCH_OPEN_CHECKS_PER_MINUTE": "5"}
    )
    try:
        statuses = [
            server.request("GET", "/v1/check/link?url=example.com", key=None).status
            for _ in range(7)
        ]
        assert statuses[:5] == [200] * 5
        limited = server.request("GET", "/v1/check/link?url=example.com", key=None)
        assert limited.status == 429
        assert limited.json()["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        # Writes stay closed even when checks are open.
        write = server.request(
            "POST",
            "/v1/lists/entries",
            json_body={"value": "a.example", "action": "block"},
            key=None,
        )
        assert write.status == 401
    finally:
        server.stop()


def test_guessing_keys_is_throttled(tmp_path: Path) -> None:
    server = start_server(tmp_path, env={"FAKEWATCH_AUTH_FAILURES_PER_MINUTE": "3"})
    try:
        statuses = [
            server.request("GET", "/v1/check/link?url=x.example", key=f"fw_guess{i}").status
            for i in range(5)
        ]
        assert statuses[:3] == [401, 401, 401]
        assert statuses[3:] == [429, 429]
    finally:
        server.stop()


def test_keys_and_checked_urls_never_reach_the_log(fresh_server: RunningServer) -> None:
    key = make_key(fresh_server, "client")
    fresh_server.request(
        "GET", "/v1/check/link?url=https%3A%2F%2Fsecret-victim-page.example%2Fpii", key=key
    )
    fresh_server.request(
        "POST", "/v1/check/links", json_body={"urls": ["https://another-private.example/"]}, key=key
    )
    fresh_server.stop()
    log = fresh_server.stderr()
    assert '"route": "/v1/check/link"' in log
    for secret in (
        key,
        "secret-victim-page",
        "another-private",
        fresh_server.env["FAKEWATCH_ADMIN_KEY"],
    ):
        assert secret not in log


def test_a_key_read_before_a_revocation_is_not_cached_after_it() -> None:
    cache = KeyCache()
    stale = Principal(KeyRole.CLIENT, 7, "key:7:fw_abc")
    # Request A misses the cache and starts reading the key (not yet revoked) ...
    generation = cache.generation
    # ... the key is revoked and request B's revocation check empties the cache ...
    cache.clear()
    # ... then A's read comes back: what it found must not outlive the revocation.
    assert cache.put("digest", stale, 0.0, generation) is False
    assert cache.get("digest", 0.0) is None
    # A read begun after the clear is cached as usual.
    assert cache.put("digest", None, 0.0, cache.generation) is True
    assert cache.get("digest", 1.0) == (None,)


def test_a_key_with_bytes_that_are_not_utf8_is_a_wrong_key(tmp_path: Path) -> None:
    """``Authorization: Bearer fw_\\xff`` (a raw 0xff byte) is refused like any wrong key: 401
    in the error shape, counted in the per-IP budget, and no traceback in the log."""
    server = start_server(tmp_path, env={"FAKEWATCH_AUTH_FAILURES_PER_MINUTE": "3"})
    try:
        # urllib sends header text as Latin-1, so "\xff" goes out as the single byte 0xff.
        answers = [
            server.request("GET", "/v1/check/link?url=x.example", key=f"fw_\xff{i}")
            for i in range(5)
        ]
        assert [a.status for a in answers] == [401, 401, 401, 429, 429]
        assert answers[0].json()["code"] == "unauthorized"
        assert answers[3].json()["code"] == "rate_limited"
        assert server.request("GET", "/moderate", key="fw_\xff").status == 429
    finally:
        server.stop()
    assert "unhandled error" not in server.stderr()
    assert "Traceback" not in server.stderr()
