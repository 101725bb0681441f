"""The prefix list the extension checks navigations against, and the full-hash lookup behind it."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.lists import Action, EntryKind, ListEntry, ListIndex
from server.prefixes import PrefixSet, prefix_of, rice_decode, rice_encode, set_checksum
from tests.support.server import RunningServer, start_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server of this module's own: the tests add and remove list entries."""
    running = start_server(tmp_path_factory.mktemp("prefix-server"))
    yield running
    running.stop()


def prefix(host: str) -> str:
    return hashlib.sha256(host.encode()).hexdigest()[:8]


def as_set(body: dict) -> set[int]:
    return set(rice_decode(body["add"]))


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), unique=True, max_size=300))
def test_rice_coding_round_trips_any_sorted_prefix_set(values: list[int]) -> None:
    values.sort()
    assert rice_decode(rice_encode(values)) == values


def test_a_set_built_from_the_previous_version_equals_one_built_afresh() -> None:
    def index(hosts: list[str], urls: list[str], version: int) -> ListIndex:
        entries = [
            ListEntry("t", Action.BLOCK, EntryKind.DOMAIN, h, "t", "2026-01-01") for h in hosts
        ] + [ListEntry("t", Action.BLOCK, EntryKind.URL, u, "t", "2026-01-01") for u in urls]
        return ListIndex(entries, version=version)

    hosts = [f"h{i}.example" for i in range(400)]
    old = PrefixSet.build(index(hosts, ["a.example/x"], 1))
    changed = index([*hosts[50:], "new-1.example", "new-2.example"], ["b.example/y"], 2)
    incremental, fresh = PrefixSet.build(changed, old), PrefixSet.build(changed)
    assert incremental.prefixes == fresh.prefixes
    assert incremental.matches(prefix_of("new-1.example")) == [("new-1.example", EntryKind.DOMAIN)]
    assert incremental.matches(prefix_of("h0.example")) == []
    assert incremental.matches(prefix_of("b.example/y")) == [("b.example/y", EntryKind.URL)]


def test_full_set_holds_bundled_hosts_and_its_checksum(srv: RunningServer) -> None:
    body = srv.request("GET", "/v1/lists/prefixes").json()
    assert body["full"] is True and body["prefix_bytes"] == 4 and body["encoding"] == "rice"
    prefixes = sorted(as_set(body))
    assert len(prefixes) == body["count"] > 50_000
    assert set_checksum(prefixes) == body["checksum"]
    # 0-chain.com is in the bundled polkadot-js deny list; example.org is in no list.
    assert int(prefix("0-chain.com"), 16) in prefixes
    assert int(prefix("example.org"), 16) not in prefixes
    # ~2 bytes per prefix, not the 4 of raw prefixes
    assert len(body["add"]["data"]) * 3 / 4 < 2.5 * len(prefixes)


def test_full_set_is_gzipped_for_clients_that_accept_it(srv: RunningServer) -> None:
    plain = srv.request("GET", "/v1/lists/prefixes")
    zipped = srv.request("GET", "/v1/lists/prefixes", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers.get("Content-Encoding") == "gzip"
    assert len(zipped.body) < 0.85 * len(plain.body)
    assert json.loads(gzip.decompress(zipped.body)) == plain.json()


def test_operator_entry_arrives_as_a_diff_and_leaves_as_one(srv: RunningServer) -> None:
    first = srv.request("GET", "/v1/lists/prefixes").json()
    local = as_set(first)
    host = "wallet-verify-prefix.example"
    added = srv.request(
        "POST", "/v1/lists/entries", json_body={"value": host, "action": "block"}
    ).json()
    diff = srv.request("GET", f"/v1/lists/prefixes?since={first['version']}").json()
    assert diff["full"] is False and diff["since"] == first["version"]
    assert diff["version"] == added["lists_version"] > first["version"]
    assert rice_decode(diff["add"]) == [int(prefix(host), 16)]
    assert rice_decode(diff["remove"]) == []
    local |= set(rice_decode(diff["add"]))
    assert set_checksum(sorted(local)) == diff["checksum"]

    assert srv.request("DELETE", f"/v1/lists/entries/{added['id']}").status == 200
    back = srv.request("GET", f"/v1/lists/prefixes?since={diff['version']}").json()
    assert rice_decode(back["remove"]) == [int(prefix(host), 16)]
    assert back["checksum"] == first["checksum"]
    # Nothing changed since the newest version: an empty diff.
    same = srv.request("GET", f"/v1/lists/prefixes?since={back['version']}").json()
    assert same["add"]["count"] == same["remove"]["count"] == 0


def test_unknown_version_gets_the_full_set(srv: RunningServer) -> None:
    body = srv.request("GET", "/v1/lists/prefixes?since=999999").json()
    assert body["full"] is True and body["since"] == 999999
    assert body["add"]["count"] == body["count"]


def test_a_cached_full_set_echoes_each_callers_own_since(srv: RunningServer) -> None:
    """Full answers are cached once per version: the ``since`` in them is still the caller's."""
    unknown = srv.request("GET", "/v1/lists/prefixes?since=999998").json()
    fresh = srv.request("GET", "/v1/lists/prefixes").json()
    other = srv.request("GET", "/v1/lists/prefixes?since=999997").json()
    assert (unknown["full"], fresh["full"], other["full"]) == (True, True, True)
    assert (unknown["since"], fresh["since"], other["since"]) == (999998, None, 999997)
    assert unknown["add"] == fresh["add"] == other["add"]


def test_lookup_answers_full_hash_and_verdict_for_a_listed_prefix(srv: RunningServer) -> None:
    body = srv.request(
        "POST",
        "/v1/lists/lookup",
        json_body={"prefixes": [prefix("0-chain.com"), prefix("example.org")], "lang": "zh"},
    ).json()
    mine = [m for m in body["matches"] if m["hash"] == hashlib.sha256(b"0-chain.com").hexdigest()]
    assert len(mine) == 1
    assert mine[0]["verdict"] == "likely_scam" and mine[0]["kind"] == "domain"
    assert mine[0]["reasons"][0]["code"] == "lists.blocked_domain"
    assert "黑名单" in mine[0]["summary"]
    assert all(m["prefix"] != prefix("example.org") for m in body["matches"])


@pytest.mark.parametrize(
    "payload",
    [
        {"prefixes": []},
        {"prefixes": "0a0b0c0d"},
        {"prefixes": ["0A0B0C0D"]},
        {"prefixes": ["0a0b0c"]},
        {"prefixes": [12345678]},
        {"prefixes": ["0a0b0c0d"] * 65},
        {"prefixes": ["0a0b0c0d"], "url": "https://leak.example/"},
    ],
)
def test_lookup_refuses_malformed_prefixes(srv: RunningServer, payload: object) -> None:
    response = srv.request("POST", "/v1/lists/lookup", json_body=payload)
    assert response.status == 400
    assert response.json()["code"] == "validation_failed"


def test_since_must_be_a_version(srv: RunningServer) -> None:
    response = srv.request("GET", "/v1/lists/prefixes?since=-1")
    assert response.status == 400 and response.json()["code"] == "validation_failed"
