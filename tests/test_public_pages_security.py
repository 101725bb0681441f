"""What strangers can and cannot do with the public pages and the throttles in front of keys.

- an anonymous accusation never reaches a public page until a moderator decided it, and case
  page addresses cannot be counted through;
- pages that run a check spend the same per-IP budget as an open check;
- X-Forwarded-For counts only as the nearest trusted proxy wrote it;
- past the wrong-key budget even the right key (or relay code) is refused;
- a relayed verdict link always names this server, whatever Host the request carried;
- the moderator cookie is Secure when the server is reached over https.
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.server import ADMIN_KEY, RunningServer, start_server
from tests.test_reports import client_key, report

PUBLIC_URL = "https://fakewatch.example"
LIMIT = 5


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Checks closed, small budgets, reached at an https public URL behind one proxy."""
    running = start_server(
        tmp_path_factory.mktemp("guarded"),
        env={
            "FAKEWATCH_TRUST_FORWARDED_FOR": "true",
            "FAKEWATCH_TRUSTED_PROXIES": "127.0.0.1",
            "FAKEWATCH_OPEN_CHECKS_PER_MINUTE": str(LIMIT),
            "FAKEWATCH_AUTH_FAILURES_PER_MINUTE": str(LIMIT),
            "FAKEWATCH_ANONYMOUS_REPORTS_PER_MINUTE": str(LIMIT),
            "FAKEWATCH_PUBLIC_URL": PUBLIC_URL,
        },
    )
    yield running
    assert running.stop() == 0, running.stderr()
    assert "Traceback" not in running.stderr()


def raw(
    server: RunningServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
) -> http.client.HTTPResponse:
    """One request without following redirects (their Set-Cookie is what we look at), from
    ``source`` (any 127.x address is this machine)."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(
        parts.hostname or "", parts.port, timeout=30, source_address=(source, 0)
    )
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def verdict_path(server: RunningServer, case_id: int) -> str:
    return str(server.request("GET", f"/v1/cases/{case_id}").json()["verdict_path"])


def html_of(server: RunningServer, path: str) -> tuple[int, str]:
    response = server.request("GET", path, key=None)
    return response.status, response.body.decode()


# --- 1. unreviewed accusations stay off public pages ------------------------------------------


def test_an_anonymous_accusation_shows_nothing_until_a_moderator_confirms_it(
    community_server: RunningServer,
) -> None:
    server = community_server
    status, filed = report(
        server,
        None,
        ip="198.51.100.7",
        kind="phone",
        value="+1 202 555 0143",
        category="investment",
        impersonates="Refunds: only call +1-800-555-0199",
    )
    assert status == 201
    case_id = filed["case_id"]
    secret_path = verdict_path(server, case_id)
    assert secret_path.startswith(f"/r/c{case_id}-")

    # The sequential address of an undecided case is the same 404 as a case that never was.
    assert html_of(server, f"/r/c{case_id}?lang=en")[0] == 404
    assert html_of(server, "/r/c987654321?lang=en")[0] == 404
    assert html_of(server, f"/r/c{case_id}-AAAAAAAAAAAAAAAA?lang=en")[0] == 404

    status, html = html_of(server, secret_path + "?lang=en")
    assert status == 200 and "has not been reviewed yet" in html
    for accusation in ("investment", "Refunds", "555", "Reported", "reporter"):
        assert accusation not in html

    confirmed = server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "ok"})
    assert confirmed.status == 200
    status, html = html_of(server, secret_path + "?lang=en")
    assert status == 200 and "Confirmed scam · investment scam" in html
    assert "It pretends to be Refunds: only call +1-800-555-0199." in html  # now confirmed
    # Alerts link to the sequential address: it opens for a confirmed case.
    assert html_of(server, f"/r/c{case_id}?lang=en") == (
        200,
        html.replace(secret_path, f"/r/c{case_id}"),
    )


def test_a_rejected_case_says_so_without_repeating_the_accusation(
    community_server: RunningServer,
) -> None:
    server = community_server
    _, filed = report(
        server,
        client_key(server),
        kind="link",
        value="https://honest-bakery.example/",
        category="shopping",
        impersonates="the tax office",
        reporter="grudge",
    )
    case_id = filed["case_id"]
    rejected = server.request("POST", f"/v1/cases/{case_id}/reject", json_body={"note": "fine"})
    assert rejected.status == 200
    status, html = html_of(server, verdict_path(server, case_id) + "?lang=en")
    assert status == 200 and "Reviewed: not confirmed as a scam" in html
    assert "shopping scam" not in html and "tax office" not in html
    assert html_of(server, f"/r/c{case_id}?lang=en")[0] == 404  # never alerted: no old address


# --- 2. pages that run checks are rate-limited like open checks -------------------------------


def test_a_link_page_is_not_a_free_unlimited_link_check(guarded: RunningServer) -> None:
    url = "https://polkadot-dot.info/claim"
    assert guarded.request("GET", "/v1/check/link?url=" + url, key=None).status == 401
    path = "/r/l" + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    me = {"X-Forwarded-For": "203.0.113.20"}
    answers = [guarded.request("GET", path, key=None, headers=me) for _ in range(LIMIT + 1)]
    assert [a.status for a in answers] == [200] * LIMIT + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "Too many checks" in answers[-1].body.decode()
    assert "Likely a scam" in answers[0].body.decode()
    other = guarded.request("GET", path, key=None, headers={"X-Forwarded-For": "203.0.113.21"})
    assert other.status == 200  # the flooder's budget, not everyone's


# --- 3. X-Forwarded-For as the nearest proxy wrote it -----------------------------------------


def _anonymous_reports(server: RunningServer, forwarded: list[str]) -> list[int]:
    return [
        server.request(
            "POST",
            "/v1/reports",
            json_body={"kind": "link", "value": f"https://spoof{i}.example/"},
            key=None,
            headers={"X-Forwarded-For": value},
        ).status
        for i, value in enumerate(forwarded)
    ]


def test_a_client_written_forwarded_for_entry_does_not_buy_more_reports(
    guarded: RunningServer,
) -> None:
    # The client writes any first entry; the proxy appends the address it saw.
    spoofed = [f"10.{i}.{i}.{i}, 203.0.113.30" for i in range(LIMIT + 1)]
    assert _anonymous_reports(guarded, spoofed) == [201] * LIMIT + [429]


def test_ipv6_clients_are_counted_by_their_64(guarded: RunningServer) -> None:
    same_64 = [f"2001:db8:7:7::{i + 1:x}" for i in range(LIMIT + 1)]
    assert _anonymous_reports(guarded, same_64) == [201] * LIMIT + [429]
    assert _anonymous_reports(guarded, ["2001:db8:7:8::1"]) == [201]  # the next /64


def test_forwarded_for_from_a_peer_that_is_no_configured_proxy_is_ignored(
    guarded: RunningServer,
) -> None:
    # 127.0.0.2 is on this machine but is not the configured proxy (127.0.0.1).
    statuses = [
        raw(
            guarded,
            "POST",
            "/v1/reports",
            body=json.dumps({"kind": "link", "value": f"https://direct{i}.example/"}).encode(),
            headers={"Content-Type": "application/json", "X-Forwarded-For": f"10.1.1.{i}"},
            source="127.0.0.2",
        ).status
        for i in range(LIMIT + 1)
    ]
    assert statuses == [201] * LIMIT + [429]


# --- 4. past the wrong-key budget, the right key is refused too --------------------------------


def test_after_too_many_wrong_keys_the_right_key_is_refused_as_well(
    guarded: RunningServer,
) -> None:
    guesser = {"X-Forwarded-For": "203.0.113.40"}
    wrong = [
        guarded.request("GET", "/v1/keys", key=f"fw_wrong{i}", headers=guesser).status
        for i in range(LIMIT + 1)
    ]
    assert wrong == [401] * LIMIT + [429]
    assert guarded.request("GET", "/v1/keys", headers=guesser).status == 429
    login = raw(
        guarded,
        "POST",
        "/moderate/login",
        body=f"key={ADMIN_KEY}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **guesser},
    )
    assert login.status == 429 and login.getheader("Set-Cookie") is None
    elsewhere = {"X-Forwarded-For": "203.0.113.41"}
    assert guarded.request("GET", "/v1/keys", headers=elsewhere).status == 200


def test_moderator_sign_in_is_refused_past_the_budget_even_with_the_right_key(
    guarded: RunningServer,
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "203.0.113.45"}
    statuses = [
        raw(guarded, "POST", "/moderate/login", body=f"key=wrong{i}".encode(), headers=form).status
        for i in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]
    right = raw(guarded, "POST", "/moderate/login", body=f"key={ADMIN_KEY}".encode(), headers=form)
    assert right.status == 429


def test_relay_code_guesses_are_throttled_per_key_and_per_ip_before_the_lookup(
    guarded: RunningServer,
) -> None:
    code = guarded.request("POST", "/v1/relay/codes", json_body={"chat_id": 5150}).json()["code"]
    guesser, other = client_key(guarded), client_key(guarded)

    def redeem(key: str, ip: str, value: str) -> int:
        return guarded.request(
            "POST",
            "/v1/relay/link",
            json_body={"code": value},
            key=key,
            headers={"X-Forwarded-For": ip},
        ).status

    wrong = [redeem(guesser, "203.0.113.50", f"ZZZZ-ZZZ{i}") for i in range(LIMIT + 1)]
    assert wrong == [404] * LIMIT + [429]
    assert redeem(other, "203.0.113.50", code) == 429  # a new key: the IP is still spent
    # The key is shared by many browsers: one IP's guesses leave the others able to link...
    assert redeem(guesser, "203.0.113.51", "ZZZZ-ZZZZ") == 404
    # ...until the key has wasted ten IPs' budgets, from however many addresses (one guess an
    # address here, so only the key's budget can run out).
    guesses = 0
    while redeem(guesser, f"198.51.100.{guesses}", f"ZZZZ-ZZY{guesses}") == 404:
        guesses += 1
        assert guesses < 15 * LIMIT, "the key's budget never ran out"
    assert guesses >= 8 * LIMIT  # ten IPs' worth, less the 1 + LIMIT already spent
    assert redeem(guesser, "203.0.113.99", code) == 429  # a new IP: the key is spent
    assert redeem(other, "203.0.113.98", code) == 201  # the code was never consumed


# --- 5. relayed links name this server, whatever the Host header said -------------------------


def _relay_token(server: RunningServer, chat_id: int) -> tuple[str, str]:
    code = server.request("POST", "/v1/relay/codes", json_body={"chat_id": chat_id}).json()["code"]
    browser = client_key(server)
    linked = server.request("POST", "/v1/relay/link", json_body={"code": code}, key=browser)
    return browser, str(linked.json()["token"])


def _queued_links(server: RunningServer, chat_id: int) -> list[str | None]:
    items = server.request("GET", "/v1/relay/pending?limit=500").json()["items"]
    return [item["verdict_url"] for item in items if item["chat_id"] == chat_id][1:]


@pytest.mark.parametrize("public", [False, True])
def test_a_forged_host_header_never_reaches_a_chat_as_a_verdict_link(
    community_server: RunningServer, guarded: RunningServer, public: bool
) -> None:
    server = guarded if public else community_server
    own = PUBLIC_URL if public else server.url
    chat_id = 8080 + int(public)
    browser, token = _relay_token(server, chat_id)
    evil = {"Host": "evil.example", "X-Forwarded-For": "203.0.113.60"}
    for extra in (
        {"kind": "link", "url": "https://polkadot-dot.info/claim"},
        {
            "kind": "image",
            "url": "https://cdn.example/a.jpg",
            "verdict_url": "http://evil.example/r/phish",
        },
        {
            "kind": "image",
            "url": "https://cdn.example/b.jpg",
            "verdict_url": "http://evil.example/login",
        },
    ):
        body = json.dumps({"token": token, **extra}).encode()
        answer = raw(
            server,
            "POST",
            "/v1/relay/items",
            body=body,
            headers={
                "Authorization": f"Bearer {browser}",
                "Content-Type": "application/json",
                **evil,
            },
        )
        assert answer.status == 201
    link, image, not_a_page = _queued_links(server, chat_id)
    assert link is not None and link.startswith(own + "/r/l")
    # A verdict_url the client sends is never passed on, even one of our own pages: an image
    # the server did not judge has no details page (tests/test_relay_judged.py pins a judged
    # picture's page on this server's own address under a forged Host).
    assert image is None and not_a_page is None


# --- 6. the moderator cookie over https --------------------------------------------------------


def _session_cookie(server: RunningServer, ip: str, **headers: str) -> str:
    login = raw(
        server,
        "POST",
        "/moderate/login",
        body=f"key={ADMIN_KEY}".encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": ip,
            **headers,
        },
    )
    assert login.status == 303
    return login.getheader("Set-Cookie") or ""


def test_the_moderator_cookie_is_secure_when_the_server_is_reached_over_https(
    guarded: RunningServer, community_server: RunningServer
) -> None:
    https_cookie = _session_cookie(guarded, "203.0.113.70")
    assert "fw_mod=" in https_cookie and "Secure" in https_cookie and "HttpOnly" in https_cookie
    # Plain-http development on loopback: a Secure cookie would never come back.
    plain = _session_cookie(community_server, "203.0.113.71")
    assert "fw_mod=" in plain and "Secure" not in plain
    # Behind a TLS-terminating proxy the server trusts: its X-Forwarded-Proto says https.
    proxied = _session_cookie(community_server, "203.0.113.72", **{"X-Forwarded-Proto": "https"})
    assert "fw_mod=" in proxied and "Secure" in proxied
