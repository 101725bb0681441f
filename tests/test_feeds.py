"""Feed import: parsers per format, the importer's rules, and reading sources.

Fixtures in ``tests/fixtures/feeds`` are invented entries in each feed's real shape. The
importer runs on real SQLite files; downloads go to a real aiohttp server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlite_utils import Database

from server.feeds.errors import (
    EmptyFeed,
    FeedError,
    FeedFormatError,
    FetchError,
    FetchTimeout,
    SourceNotFound,
    SourceTooLarge,
)
from server.feeds.fetch import MAX_GZIP_MEMBERS, public_source, read_source, unpack
from server.feeds.formats import FORMATS, FeedItem, get_format
from server.feeds.importer import ImportSummary, import_feed
from server.list_sources import load_index
from server.lists import Action, EntryKind, url_key
from server.scoring.resources import Resources
from server.settings import Settings
from server.storage import queries
from server.storage.database import connect
from tests.support.server import cli_env

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"

#: One fixture per (format, file); every format must appear (checked below).
FIXTURE_FILES = {
    ("polkadot", "polkadot_all.json"),
    ("metamask", "metamask_config_old.json"),
    ("metamask", "metamask_config_new.json"),
    ("scamsniffer", "scamsniffer_domains.json"),
    ("scamsniffer", "scamsniffer_archive.json"),
    ("scamsniffer", "scamsniffer_combined.json"),
    ("plain", "plain.txt"),
    ("urlhaus", "urlhaus.csv"),
    ("urlhaus", "urlhaus_old.csv"),
    ("phishtank-json", "phishtank.json"),
    ("phishtank-csv", "phishtank.csv"),
    ("openphish", "openphish.txt"),
}

T1 = "2025-07-01T10:00:00Z"
T2 = "2025-07-02T10:00:00Z"
T3 = "2025-07-03T10:00:00Z"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(fmt: str, data: bytes) -> list[FeedItem]:
    return list(get_format(fmt).parse(data))


def values(items: list[FeedItem]) -> list[str]:
    return [item.value for item in items]


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = connect(tmp_path / "fakewatch.db")
    yield database
    database.close()


def run_import(
    db: Database,
    resources: Resources,
    data: bytes,
    *,
    fmt: str,
    name: str = "test",
    action: str = "block",
    source: str = "https://feeds.example/list",
    now: str = T1,
    **extra: Any,
) -> ImportSummary:
    return import_feed(
        db,
        data,
        name=name,
        fmt=fmt,
        source=source,
        action=action,
        parser=resources.parser,
        popular=frozenset(resources.top_sites),
        now=now,
        **extra,
    )


def entries(db: Database, list_name: str = "feed:test") -> dict[str, dict[str, Any]]:
    cursor = db.execute(
        "SELECT action, kind, value, source, added_at, seen_at, removed_at, reference"
        " FROM list_entries WHERE list = ? ORDER BY value",
        [list_name],
    )
    columns = [c[0] for c in cursor.description]
    return {row[2]: dict(zip(columns, row, strict=True)) for row in cursor}


def active(db: Database, list_name: str = "feed:test") -> set[str]:
    return {v for v, row in entries(db, list_name).items() if row["removed_at"] is None}


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


# --- parsers ----------------------------------------------------------------------------------


def test_every_format_has_a_fixture() -> None:
    assert {fmt for fmt, _ in FIXTURE_FILES} == set(FORMATS)


@pytest.mark.parametrize(("fmt", "name"), sorted(FIXTURE_FILES))
def test_fixture_kinds_match_the_format(fmt: str, name: str) -> None:
    items = parse(fmt, fixture(name))
    assert items
    assert {item.kind for item in items} == {FORMATS[fmt].kind}


def test_polkadot_reads_deny_and_denysub_not_allow() -> None:
    items = parse("polkadot", fixture("polkadot_all.json"))
    assert values(items) == [
        "polkadot-claim.example",
        "dot-airdrop-rewards.test",
        "Polkadot-Claim.example",
        "staking-dot.pages.dev",
        "subwallet-sync.example",
    ]


def test_polkadot_allow_side_reads_allow() -> None:
    parser = FORMATS["polkadot"].parser(Action.ALLOW)
    assert values(list(parser(fixture("polkadot_all.json")))) == ["pages.dev", "vercel.app"]


@pytest.mark.parametrize("name", ["metamask_config_old.json", "metamask_config_new.json"])
def test_metamask_old_and_new_key_names(name: str) -> None:
    items = parse("metamask", fixture(name))
    assert values(items) == [
        "metamask-restore.example",
        "walletconnect-sync.test",
        "opensea-mint-free.example",
    ]  # fuzzylist and whitelist/allowlist are not blocked


@pytest.mark.parametrize("name", ["metamask_config_old.json", "metamask_config_new.json"])
def test_metamask_allow_side(name: str) -> None:
    parser = FORMATS["metamask"].parser(Action.ALLOW)
    assert values(list(parser(fixture(name)))) == ["metamask-fan-club.example"]


@pytest.mark.parametrize(
    "name", ["scamsniffer_domains.json", "scamsniffer_archive.json", "scamsniffer_combined.json"]
)
def test_scamsniffer_three_shapes(name: str) -> None:
    assert values(parse("scamsniffer", fixture(name))) == [
        "claim-airdrop-now.example",
        "drainer-mint.test",
        "xn--metamsk-8ya.example",
    ]


def test_plain_skips_comments_and_reads_hosts_lines() -> None:
    assert values(parse("plain", fixture("plain.txt"))) == [
        "phish-login.example",
        "Fake-Bank.test",
        "hosts-evil.example",
        "hosts-evil2.example",
        "not",  # "not a domain": only the first word counts; the importer refuses it
    ]


def test_urlhaus_header_in_a_comment() -> None:
    items = parse("urlhaus", fixture("urlhaus.csv"))
    assert items[0] == FeedItem(
        "http://192.0.2.10:41234/i",
        EntryKind.URL,
        added="2025-06-30",
        reference="https://urlhaus.abuse.ch/url/9100001/",
    )
    assert values(items)[1:] == [
        "https://cdn.malware.example/payload.exe?id=7",
        "https://drive.google.com/uc?id=FAKE-ID&export=download",
    ]


def test_urlhaus_older_dump_without_last_online() -> None:
    items = parse("urlhaus", fixture("urlhaus_old.csv"))
    assert items[1] == FeedItem(
        "http://old-malware.example/doc.php",
        EntryKind.URL,
        added="2019-02-27",
        reference="https://urlhaus.abuse.ch/url/8100002/",
    )


def test_urlhaus_plain_header_row_and_headerless_files() -> None:
    with_header = lines(
        "id,dateadded,url,url_status,threat,tags,urlhaus_link,reporter",
        '"1","2020-01-02 03:04:05","http://a.example/x","online","m","t","https://r.example/1","r"',
    )
    assert parse("urlhaus", with_header)[0].added == "2020-01-02"
    nine = lines('"1","2021-01-01 00:00:00","http://b.example/y","online","","m","t","L","r"')
    assert parse("urlhaus", nine) == [
        FeedItem("http://b.example/y", EntryKind.URL, added="2021-01-01", reference="L")
    ]
    with pytest.raises(FeedFormatError, match="no header and 3 columns"):
        parse("urlhaus", lines('"1","2021-01-01","http://c.example/"'))


def test_urlhaus_short_row_is_kept_as_an_invalid_value() -> None:
    data = fixture("urlhaus.csv") + b'"9100009","2025-06-30"\n'
    assert parse("urlhaus", data)[-1] == FeedItem("9100009,2025-06-30", EntryKind.URL)


def test_phishtank_json_and_csv_agree() -> None:
    from_json = parse("phishtank-json", fixture("phishtank.json"))
    from_csv = parse("phishtank-csv", fixture("phishtank.csv"))
    assert from_json == from_csv
    assert from_json[0] == FeedItem(
        "https://secure-bank.example/login.php",
        EntryKind.URL,
        added="2025-06-28",
        reference="http://www.phishtank.com/phish_detail.php?phish_id=9000001",
    )


def test_openphish_one_url_per_line() -> None:
    assert values(parse("openphish", fixture("openphish.txt"))) == [
        "https://login-verify.example/account/",
        "http://203.0.113.7/paypal/signin.html",
        "https://docs.google.com/forms/d/e/FAKE-FORM-ID/viewform",
        "https://login-verify.example/account/#step2",
    ]


@pytest.mark.parametrize(
    ("fmt", "data", "message"),
    [
        ("metamask", b'{"version": 2, "fuzzylist": []}', "'blacklist' or 'blocklist'"),
        ("metamask", b'{"blacklist": "evil.example"}', "should be a list"),
        ("polkadot", b'["evil.example"]', "should be a JSON object"),
        ("polkadot", b'{"deny": ["ok.example", 7]}', r"deny\[1\] should be a string"),
        ("scamsniffer", b'"evil.example"', "should be a JSON array"),
        ("phishtank-json", b'{"url": "http://x.example/"}', "should be a JSON array"),
        ("phishtank-csv", lines("id,link", "1,http://x.example/"), "no header and 2 columns"),
        ("openphish", b"\xff\xfeh\x00t\x00", "not UTF-8"),
        ("scamsniffer", b"[1, 2", "not valid JSON"),
    ],
)
def test_wrong_shape_is_a_format_error(fmt: str, data: bytes, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse(fmt, data)


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(FeedFormatError, match="expected one of polkadot, metamask"):
        get_format("adblock")


# --- importer ---------------------------------------------------------------------------------


def test_import_writes_entries_feed_row_audit_and_bumps_version(
    db: Database, resources: Resources
) -> None:
    before = queries.lists_version(db)
    summary = run_import(db, resources, fixture("polkadot_all.json"), fmt="polkadot")
    assert (summary.total, summary.entries, summary.added) == (5, 4, 4)
    assert active(db) == {
        "dot-airdrop-rewards.test",
        "polkadot-claim.example",  # "Polkadot-Claim.example" folded into it
        "staking-dot.pages.dev",  # its own site on a hosting suffix
        "subwallet-sync.example",
    }
    row = entries(db)["polkadot-claim.example"]
    assert row | {"seen_at": None} == {
        "action": "block",
        "kind": "domain",
        "value": "polkadot-claim.example",
        "source": "https://feeds.example/list",
        "added_at": "2025-07-01",  # no date in the feed: the first import's
        "seen_at": None,
        "removed_at": None,
        "reference": None,
    }
    assert queries.lists_version(db) == before + 1
    assert queries.feed_rows(db) == [
        {
            "name": "test",
            "format": "polkadot",
            "source": "https://feeds.example/list",
            "action": "block",
            "imported_at": T1,
            "entries": 4,
            "added": 4,
            "removed": 0,
            "skipped": 0,
        }
    ]
    audit = db.execute("SELECT actor, action, target, details FROM audit_log").fetchall()
    assert [(a, b, c) for a, b, c, _ in audit] == [("cli", "feed.import", "feed:test")]
    assert json.loads(audit[0][3])["added"] == 4


def test_imported_entries_reach_the_list_index(db: Database, resources: Resources) -> None:
    run_import(db, resources, fixture("scamsniffer_domains.json"), fmt="scamsniffer")
    index = load_index(db, ())
    link = resources.parser.parse("https://app.claim-airdrop-now.example/connect")
    found = index.match_host(Action.BLOCK, link.host.ascii, link.host.registrable)
    assert [(e.list, e.value, e.source) for e in found] == [
        ("feed:test", "claim-airdrop-now.example", "https://feeds.example/list")
    ]


def test_reimport_changes_nothing_but_seen_at(db: Database, resources: Resources) -> None:
    data = fixture("urlhaus.csv")
    run_import(db, resources, data, fmt="urlhaus", now=T1)
    first = entries(db)
    again = run_import(db, resources, data, fmt="urlhaus", now=T2)
    second = entries(db)
    assert (again.added, again.updated, again.restored, again.removed) == (0, 3, 0, 0)
    assert {v: r | {"seen_at": None} for v, r in second.items()} == {
        v: r | {"seen_at": None} for v, r in first.items()
    }
    assert {r["seen_at"] for r in second.values()} == {T2}
    assert db.execute("SELECT count(*) FROM list_entries").fetchone()[0] == 3


def test_missing_entries_are_removed_and_come_back(db: Database, resources: Resources) -> None:
    full = lines("one.example", "two.example", "three.example")
    run_import(db, resources, full, fmt="plain", now=T1)

    shorter = run_import(db, resources, lines("one.example", "three.example"), fmt="plain", now=T2)
    assert (shorter.added, shorter.updated, shorter.removed) == (0, 2, 1)
    assert active(db) == {"one.example", "three.example"}
    assert entries(db)["two.example"]["removed_at"] == T2  # kept, not deleted

    back = run_import(db, resources, full, fmt="plain", now=T3)
    assert (back.added, back.updated, back.restored, back.removed) == (0, 2, 1, 0)
    two = entries(db)["two.example"]
    assert (two["removed_at"], two["added_at"], two["seen_at"]) == (None, "2025-07-01", T3)


def test_other_lists_are_left_alone(db: Database, resources: Resources) -> None:
    run_import(db, resources, lines("a.example"), fmt="plain", name="first")
    run_import(db, resources, lines("b.example"), fmt="plain", name="second")
    run_import(db, resources, lines("c.example"), fmt="plain", name="second", now=T2)
    assert active(db, "feed:first") == {"a.example"}
    assert active(db, "feed:second") == {"c.example"}


def test_suffixes_and_popular_domains_are_refused(db: Database, resources: Resources) -> None:
    data = lines(
        "pages.dev",
        "co.uk",
        "google.com",
        "docs.google.com",
        "scam.pages.dev",
        "real-scam.example",
        "localhost",
        "bad_host!.example",
    )
    summary = run_import(db, resources, data, fmt="plain")
    assert active(db) == {"scam.pages.dev", "real-scam.example"}
    assert (summary.skipped_suffix, summary.skipped_popular, summary.skipped_invalid) == (2, 2, 2)
    assert summary.examples["popular"] == ("google.com", "docs.google.com")
    text = summary.describe()
    assert "2 public suffixes (e.g. pages.dev, co.uk)" in text
    assert "2 domains of popular sites (e.g. google.com, docs.google.com)" in text
    assert "to block a scam page there, list its URL" in text


def test_url_entries_on_popular_hosts_are_kept(db: Database, resources: Resources) -> None:
    summary = run_import(db, resources, fixture("openphish.txt"), fmt="openphish")
    assert summary.skipped == 0
    assert active(db) == {
        "login-verify.example/account/",  # twice in the feed (once with a #fragment)
        "203.0.113.7/paypal/signin.html",
        "docs.google.com/forms/d/e/FAKE-FORM-ID/viewform",
    }
    assert {row["kind"] for row in entries(db).values()} == {"url"}


def test_url_entries_match_the_page_not_the_host(db: Database, resources: Resources) -> None:
    run_import(db, resources, fixture("urlhaus.csv"), fmt="urlhaus")
    index = load_index(db, ())

    def blocked_url(url: str) -> list[str]:
        link = resources.parser.parse(url)
        key = url_key(link.host.ascii, link.port, link.path, link.query)
        return [e.reference or "" for e in index.match_url(Action.BLOCK, key)]

    assert blocked_url("HTTPS://Drive.Google.com/uc?id=FAKE-ID&export=download") == [
        "https://urlhaus.abuse.ch/url/9100003/"
    ]
    assert blocked_url("http://192.0.2.10:41234/i") == ["https://urlhaus.abuse.ch/url/9100001/"]
    assert blocked_url("https://drive.google.com/uc?id=another") == []
    link = resources.parser.parse("https://drive.google.com/")
    assert index.match_host(Action.BLOCK, link.host.ascii, link.host.registrable) == ()


def test_feed_dates_and_references_are_kept(db: Database, resources: Resources) -> None:
    run_import(db, resources, fixture("phishtank.json"), fmt="phishtank-json", now=T3)
    row = entries(db)["secure-bank.example/login.php"]
    assert row["added_at"] == "2025-06-28"
    assert row["reference"] == "http://www.phishtank.com/phish_detail.php?phish_id=9000001"


def test_duplicates_keep_the_earliest_date(db: Database, resources: Resources) -> None:
    data = lines(
        "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target",
        "2,http://dup.example/a,,2025-06-20T00:00:00+00:00,yes,,yes,Other",
        "1,http://DUP.example/a,,2025-06-10T00:00:00+00:00,yes,,yes,Other",
    )
    summary = run_import(db, resources, data, fmt="phishtank-csv")
    assert (summary.total, summary.entries) == (2, 1)
    assert entries(db)["dup.example/a"]["added_at"] == "2025-06-10"
    assert "1 duplicates were merged" in summary.describe()


def test_domain_feed_values_with_a_path_become_url_entries(
    db: Database, resources: Resources
) -> None:
    data = b'["pqwnsa.example:448", "about.example/vitalik.buterin", "https://whole.example/"]'
    run_import(db, resources, data, fmt="scamsniffer")
    assert {(row["kind"], value) for value, row in entries(db).items()} == {
        ("domain", "pqwnsa.example"),
        ("url", "about.example/vitalik.buterin"),
        ("domain", "whole.example"),
    }


def test_idn_values_are_stored_as_punycode(db: Database, resources: Resources) -> None:
    run_import(db, resources, lines("MÉTAMASK.example", "xn--mtamask-bya.example"), fmt="plain")
    assert active(db) == {"xn--mtamask-bya.example"}


def test_allow_import_reads_the_allow_side_and_keeps_popular(
    db: Database, resources: Resources
) -> None:
    summary = run_import(
        db, resources, fixture("metamask_config_new.json"), fmt="metamask", action="allow"
    )
    assert summary.action is Action.ALLOW
    assert {(r["action"], v) for v, r in entries(db).items()} == {
        ("allow", "metamask-fan-club.example")
    }
    run_import(db, resources, lines("google.com"), fmt="plain", name="mine", action="allow")
    assert active(db, "feed:mine") == {"google.com"}


def test_reimport_under_another_action_retires_the_old_one(
    db: Database, resources: Resources
) -> None:
    run_import(db, resources, lines("flip.example"), fmt="plain", action="block", now=T1)
    summary = run_import(db, resources, lines("flip.example"), fmt="plain", action="allow", now=T2)
    assert (summary.added, summary.removed) == (1, 1)
    index = load_index(db, ())
    assert index.match_host(Action.BLOCK, "flip.example", "flip.example") == ()
    assert index.match_host(Action.ALLOW, "flip.example", "flip.example") != ()


def test_source_never_keeps_a_query_string(db: Database, resources: Resources) -> None:
    secret = "https://user:pw@feeds.example/dump.csv?auth-key=SECRET123"
    summary = run_import(db, resources, fixture("urlhaus.csv"), fmt="urlhaus", source=secret)
    assert summary.source == "https://feeds.example/dump.csv?…"
    stored = [
        *db.execute("SELECT source FROM list_entries").fetchall(),
        *db.execute("SELECT source FROM feeds").fetchall(),
        *db.execute("SELECT details FROM audit_log").fetchall(),
    ]
    assert stored
    assert not [row for row in stored if "SECRET123" in row[0] or "pw@" in row[0]]
    assert "SECRET123" not in summary.describe()


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("plain", lines("# nothing but comments", "")),
        ("plain", lines("pages.dev", "co.uk", "google.com")),
        ("scamsniffer", b"[]"),
    ],
)
def test_a_feed_with_nothing_usable_changes_nothing(
    db: Database, resources: Resources, fmt: str, data: bytes
) -> None:
    run_import(db, resources, lines("keep.example"), fmt="plain")
    version = queries.lists_version(db)
    with pytest.raises(EmptyFeed, match="nothing was changed"):
        run_import(db, resources, data, fmt=fmt, now=T2)
    assert active(db) == {"keep.example"}
    assert queries.lists_version(db) == version


def test_a_malformed_feed_changes_nothing(db: Database, resources: Resources) -> None:
    run_import(db, resources, lines("keep.example"), fmt="plain")
    with pytest.raises(FeedFormatError):
        run_import(db, resources, fixture("plain.txt"), fmt="metamask", now=T2)
    assert active(db) == {"keep.example"}
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [({"name": "Bad Name"}, "bad_feed_name"), ({"action": "quarantine"}, "bad_feed_action")],
)
def test_bad_name_or_action(
    db: Database, resources: Resources, changes: dict[str, str], code: str
) -> None:
    with pytest.raises(FeedError) as caught:
        run_import(db, resources, lines("a.example"), fmt="plain", **changes)
    assert caught.value.code == code


def test_progress_is_reported(db: Database, resources: Resources) -> None:
    data = json.dumps([f"site{i}.example" for i in range(12_000)]).encode()
    calls: list[tuple[int, int]] = []
    run_import(db, resources, data, fmt="scamsniffer", progress=lambda d, t: calls.append((d, t)))
    assert calls == [(5_000, 12_000), (10_000, 12_000), (12_000, 12_000)]


def test_describe_is_one_paragraph(db: Database, resources: Resources) -> None:
    summary = run_import(db, resources, fixture("plain.txt"), fmt="plain")
    text = summary.describe()
    assert "\n" not in text
    assert text.startswith("Imported feed:test (plain, block list) from https://feeds.example/list")
    assert "5 values read, 4 entries kept — 4 added" in text
    assert "1 unreadable (e.g. not)" in text


# --- reading sources --------------------------------------------------------------------------


def test_public_source() -> None:
    assert public_source("https://h.example/a/b.json?key=S#frag") == "https://h.example/a/b.json?…"
    assert public_source("http://u:p@h.example:8080/x") == "http://h.example:8080/x"
    assert public_source("/var/feeds/list.txt") == "/var/feeds/list.txt"
    key = "0123456789abcdef" * 4
    assert (
        public_source(f"http://data.phishtank.com/data/{key}/online-valid.json.gz")
        == "http://data.phishtank.com/data/…/online-valid.json.gz"
    )


def test_read_file_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "feed.txt"
    path.write_bytes(b"evil.example\n")
    assert read_source(str(path), max_bytes=100, timeout_s=1) == b"evil.example\n"
    assert read_source(path.as_uri(), max_bytes=100, timeout_s=1) == b"evil.example\n"
    with pytest.raises(SourceTooLarge, match="larger than the 5-byte limit"):
        read_source(str(path), max_bytes=5, timeout_s=1)


@pytest.mark.parametrize(
    ("source", "error", "code"),
    [
        ("missing.txt", SourceNotFound, "source_not_found"),
        (".", FetchError, "not_a_file"),
        ("ftp://feeds.example/list.txt?k=SECRET", FetchError, "unsupported_source"),
        ("file://otherhost/etc/feed.txt", FetchError, "unsupported_source"),
    ],
)
def test_unreadable_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, error: type[FeedError], code: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error) as caught:
        read_source(source, max_bytes=100, timeout_s=1)
    assert caught.value.code == code
    assert "SECRET" not in str(caught.value)


def test_gzip_and_zip_are_unpacked_within_the_cap(tmp_path: Path) -> None:
    text = b"evil.example\n" * 10
    assert unpack(gzip.compress(text), max_bytes=1000) == text
    assert unpack(gzip.compress(text) + gzip.compress(text), max_bytes=1000) == text * 2
    assert unpack(zipped({"csv.txt": text}), max_bytes=1000) == text
    path = tmp_path / "feed.json.gz"
    path.write_bytes(gzip.compress(b"[]"))
    assert read_source(str(path), max_bytes=100, timeout_s=1) == b"[]"

    bomb = b"\0" * 100_000
    with pytest.raises(SourceTooLarge):
        unpack(gzip.compress(bomb), max_bytes=1000)
    with pytest.raises(SourceTooLarge):
        unpack(zipped({"csv.txt": bomb}), max_bytes=1000)
    with pytest.raises(FetchError, match="holds 2 files") as caught:
        unpack(zipped({"a.txt": text, "b.txt": text}), max_bytes=1000)
    assert caught.value.code == "bad_archive"
    with pytest.raises(FetchError, match="truncated"):
        unpack(gzip.compress(text)[:-12], max_bytes=1000)


def test_a_gzip_of_many_tiny_members_is_refused_quickly(tmp_path: Path) -> None:
    """Empty 20-byte members cost a hostile host nothing to serve; unpacking them must not take
    time in the square of their number (4 MB of them once took 15 s), so their count is capped
    and unpacking stops at the feed timeout."""
    lines = b"".join(b"host-%d.example\n" % n for n in range(2_000))  # members over many slices
    padded = gzip.compress(lines) + gzip.compress(b"") + gzip.compress(lines) + b"\0" * 5000
    assert unpack(padded, max_bytes=100_000) == lines * 2

    empty = gzip.compress(b"", mtime=0)
    with pytest.raises(FetchTimeout, match=r"took longer than 0\.001 s"):
        unpack(empty * 50_000, max_bytes=1000, timeout_s=0.001)

    feed = tmp_path / "feed.txt.gz"
    feed.write_bytes(empty * (MAX_GZIP_MEMBERS + 1))
    command = ["feeds", "import", str(feed), "--format", "plain", "--name", "members"]
    done = subprocess.run(
        [sys.executable, "-m", "server", *command, "--db", str(tmp_path / "fw.db")],
        capture_output=True,
        text=True,
        env=cli_env({"FAKEWATCH_FEED_TIMEOUT_S": "5"}),
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"holds more than {MAX_GZIP_MEMBERS:,} members" in done.stderr


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class FeedServer:
    """A real aiohttp server on 127.0.0.1, in its own thread, serving test feeds."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.release = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.base = ""

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.release.set)
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/openphish.txt", self._openphish)
        app.router.add_get("/openphish.txt.gz", self._openphish_gz)
        app.router.add_get("/redirect", self._redirect)
        app.router.add_get("/declared-big", self._declared_big)
        app.router.add_get("/streamed-big", self._streamed_big)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/broken", self._broken)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def _openphish(self, request: web.Request) -> web.Response:
        return web.Response(body=fixture("openphish.txt"), content_type="text/plain")

    async def _openphish_gz(self, request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(fixture("openphish.txt")))

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/openphish.txt")

    async def _declared_big(self, request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    async def _streamed_big(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to refuse up front
        await response.prepare(request)
        try:
            for _ in range(50):
                await response.write(b"x" * 1000)
            await response.write_eof()
        except ConnectionError:
            pass  # the client stopped at its cap
        return response

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"evil.example\n")
        await self.release.wait()  # never finishes while the test waits
        return response

    async def _broken(self, request: web.Request) -> web.Response:
        return web.Response(status=503, reason="Service Unavailable")


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.start()
    yield server
    server.stop()


def test_download_and_import(feed_server: FeedServer, db: Database, resources: Resources) -> None:
    url = feed_server.base + "/openphish.txt?token=SECRET"
    data = read_source(url, max_bytes=10_000, timeout_s=5)
    assert data == fixture("openphish.txt")
    summary = run_import(db, resources, data, fmt="openphish", source=url)
    assert summary.entries == 3
    assert summary.source == feed_server.base + "/openphish.txt?…"


@pytest.mark.parametrize("path", ["/redirect", "/openphish.txt.gz"])
def test_download_follows_redirects_and_unpacks(feed_server: FeedServer, path: str) -> None:
    data = read_source(feed_server.base + path, max_bytes=10_000, timeout_s=5)
    assert data == fixture("openphish.txt")


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/missing?key=SECRET", SourceNotFound, "/missing?… answered HTTP 404"),
        ("/broken?key=SECRET", FetchError, "/broken?… answered HTTP 503 Service Unavailable"),
        ("/declared-big?key=SECRET", SourceTooLarge, "larger than the 1,000-byte limit"),
        ("/streamed-big?key=SECRET", SourceTooLarge, "larger than the 1,000-byte limit"),
        ("/slow?key=SECRET", FetchTimeout, "did not finish downloading within 0.5 s"),
    ],
)
def test_download_errors_are_clear(
    feed_server: FeedServer, path: str, error: type[FeedError], message: str
) -> None:
    with pytest.raises(error, match=message.replace("?", r"\?")) as caught:
        read_source(feed_server.base + path, max_bytes=1000, timeout_s=0.5)
    assert "SECRET" not in str(caught.value)


def test_unreachable_host_is_named() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        read_source(f"http://127.0.0.1:{port}/feed?key=SECRET", max_bytes=100, timeout_s=5)
    assert caught.value.code == "unreachable"
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "SECRET" not in str(caught.value)


@pytest.mark.parametrize(
    ("fmt", "header"),
    [
        ("urlhaus", "id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter"),
        (
            "phishtank-csv",
            "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target",
        ),
    ],
    ids=["urlhaus", "phishtank-csv"],
)
def test_a_csv_cell_past_the_csv_field_limit_is_a_one_line_cli_error(
    tmp_path: Path, fmt: str, header: str
) -> None:
    """csv refuses cells over 131,072 characters; the CLI says which row, without a traceback."""
    feed = tmp_path / "feed.csv"
    feed.write_text(f'{header}\n1,http://a.example/,"{"t" * 140_000}",,,,,\n', encoding="utf-8")
    command = ["feeds", "import", str(feed), "--format", fmt, "--name", "hostile"]
    done = subprocess.run(
        [sys.executable, "-m", "server", *command, "--db", str(tmp_path / "fw.db")],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    message = done.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "CSV row 2 cannot be read" in message and "field limit" in message
