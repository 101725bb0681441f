"""URL parsing's fast paths answer exactly what its general steps answer.

Most links are ``https://`` + a plain ASCII name, and parsing them is on every link check's
path, so ``LinkParser`` takes shortcuts for them: a host that needs no IDNA or IPv4 reading,
a one-lookup-a-label Public Suffix List walk, and constructors that skip the frozen
dataclasses' ``__init__``. Each is compared here with the long way on real and generated input.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.engine import Engine
from server.links.domains import DomainParts, SuffixList, _domain_parts
from server.links.redirectors import Wrapper
from server.links.url import _NAME_HOST, Host, InvalidUrl, Link, LinkParser, _host, _link
from server.list_sources import bundled_entries

DATA = Path(__file__).resolve().parents[1] / "server" / "data"


@pytest.fixture(scope="module")
def parser(engine: Engine) -> LinkParser:
    return engine.resources.parser


@pytest.fixture(scope="module")
def blocklist_hosts() -> list[str]:
    """90k real scam hosts from the bundled lists: the shapes links really have."""
    return sorted({entry.value for entry in bundled_entries(DATA)})


# --- the Public Suffix List walk ---------------------------------------------------------------


def psl_walk(suffixes: SuffixList, host: str) -> DomainParts:
    """The walk as first written: the rule set asked up to three times a label."""
    rules, nodes, private = suffixes._rules, suffixes._nodes, suffixes._private
    labels = host.split(".")
    start_of_suffix: int | None = None
    candidate = ""
    for start in range(len(labels) - 1, -1, -1):
        parent = candidate
        candidate = labels[start] + "." + parent if parent else labels[start]
        if "!" + candidate in rules:
            start_of_suffix = start + 1
            break
        if candidate in rules or (parent and "*." + parent in rules):
            start_of_suffix = start
        if candidate not in nodes:
            break
    if start_of_suffix is None and len(labels) > 1:
        start_of_suffix = len(labels) - 1
    if start_of_suffix is None:
        return DomainParts("", "", "", False)
    suffix = ".".join(labels[start_of_suffix:])
    if start_of_suffix == 0:
        return DomainParts("", "", suffix, suffix in private)
    wildcard = "*." + ".".join(labels[start_of_suffix + 1 :])
    return DomainParts(
        ".".join(labels[: start_of_suffix - 1]),
        labels[start_of_suffix - 1],
        suffix,
        suffix in private or wildcard in private,
    )


def same_parts(got: DomainParts, expected: DomainParts) -> bool:
    # ``registrable`` is left out of ``==`` (compare=False): check it too.
    return got == expected and got.registrable == expected.registrable


def test_the_walk_reads_every_rule_exception_and_wildcard_as_the_rule_set_does(
    parser: LinkParser,
) -> None:
    suffixes = parser.suffixes
    hosts: list[str] = []
    for rule in sorted(suffixes._rules):
        bare = rule.removeprefix("!").removeprefix("*.")
        hosts += [rule, bare, "x." + bare, "a.b." + bare, bare + "."]
        if rule.startswith("*."):
            hosts += ["any." + bare, "brand.any." + bare, "a.brand.any." + bare]
        if rule.startswith("!"):
            hosts += ["brand." + bare, "a.brand." + bare]
    assert len(hosts) > 40_000
    for host in hosts:
        assert same_parts(suffixes._split(host), psl_walk(suffixes, host)), host


def test_the_walk_agrees_on_real_hosts(parser: LinkParser, blocklist_hosts: list[str]) -> None:
    suffixes = parser.suffixes
    for host in blocklist_hosts:
        assert same_parts(suffixes._split(host), psl_walk(suffixes, host)), host


_SPLIT_PIECES = st.sampled_from(
    [
        *[
            "com",
            "uk",
            "co",
            "jp",
            "kobe",
            "city",
            "ck",
            "www",
            "dev",
            "pages",
            "github",
            "io",
            "amazonaws",
            "s3",
            "elb",
            "cn",
        ],
        *["公司", "xn--55qx5d", "CN", "*", "!", "x", "brand"],
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SPLIT_PIECES, max_size=6).map(".".join))
def test_the_walk_agrees_on_odd_names_too(parser: LinkParser, host: str) -> None:
    # ``split`` also reads whatever text extraction hands ``is_suffix``: empty labels,
    # trailing dots, Unicode, ``*`` and ``!`` as labels.
    assert same_parts(parser.suffixes._split(host), psl_walk(parser.suffixes, host))


# --- the host fast path ------------------------------------------------------------------------


def outcome(normalise: object, raw: str) -> object:
    assert callable(normalise)
    try:
        host = normalise(raw)
    except InvalidUrl as exc:
        return exc.code, str(exc)
    assert isinstance(host, Host)
    return host, host.parts.registrable


def test_plain_hosts_are_normalised_as_the_general_steps_do(
    parser: LinkParser, blocklist_hosts: list[str]
) -> None:
    hosts = random.Random(2).sample(blocklist_hosts, 15_000)
    hosts += [h.upper() for h in hosts[:500]] + [h + "." for h in hosts[:500]]
    # The fast path is really taken: most real hosts are plain names.
    assert sum(bool(_NAME_HOST.fullmatch(h)) for h in hosts) > 0.9 * len(hosts)
    for raw in hosts:
        assert outcome(parser._normalise_host, raw) == outcome(
            parser._normalise_host_general, raw
        ), raw


@pytest.mark.parametrize(
    "raw",
    [
        "",
        ".",
        "..",
        "example.com..",
        "a..b",
        ".a.com",
        "-a.com",
        "a-.com",
        "a.-com",
        "a.com-",
        "_dmarc.example.com",
        "a._",
        "a.b_",
        "1.2.3.4",
        "1.2.3.4.",
        "256.1.1.1",
        "a.1",
        "a.0x",
        "a.0x1f",
        "a.0xg",
        "a.08",
        "a.07",
        "a.1e",
        "3232235777",
        "0xC0A80101",
        "XN--80AK6AA92E.COM",
        "xn--zz.com",
        "ex%61mple.com",
        "Kelvin.com",
        "例子.中国",
        "ｅｘａｍｐｌｅ.com",
        "a" * 63 + ".com",
        "a" * 64 + ".com",
        "x." + "a" * 63,
        "x." + "a" * 64,
        ".".join(["abcdefghi"] * 25) + ".com",
        ".".join(["abcdefghi"] * 25) + ".co",
        ".".join(["abcdefghi"] * 26),
    ],
)
def test_tricky_hosts_are_normalised_as_the_general_steps_do(parser: LinkParser, raw: str) -> None:
    assert outcome(parser._normalise_host, raw) == outcome(parser._normalise_host_general, raw)


_HOST_PIECES = st.sampled_from(
    [
        "a",
        "Z",
        "q",
        "0",
        "1",
        "7",
        "8",
        "9",
        "x",
        "0x",
        "0X",
        "f",
        "-",
        "_",
        ".",
        "..",
        "xn--",
        "xn--80ak6aa92e",
        "%2e",
        "%41",
        "例",
        "８",
        "K",
        "İ",
        "。",
        "com",
        "co.uk",
        "255",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_HOST_PIECES, max_size=10).map("".join))
def test_generated_hosts_are_normalised_as_the_general_steps_do(
    parser: LinkParser, raw: str
) -> None:
    assert outcome(parser._normalise_host, raw) == outcome(parser._normalise_host_general, raw)


# --- URLs: control characters and the plain-URL pattern ---------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/#x\x00y", "invalid_url"),
        ("https://example.com/#x\x7f", "invalid_url"),
        # Browsers drop tabs and line breaks (WHATWG): the general steps do, the pattern
        # refuses them and leaves the URL to those steps.
        ("https://example.com/#a\nb", "https://example.com/"),
        ("https://exam\tple.com/a\r\nb", "https://example.com/ab"),
        ("https://example.com/#a b\x85", "https://example.com/"),
        ("  https://example.com/a?b=c#d  ", "https://example.com/a?b=c"),
        ("https://example.com/" + "a" * 5000, "url_too_long"),
    ],
)
def test_the_plain_url_pattern_lets_no_control_character_through(
    parser: LinkParser, raw: str, expected: str
) -> None:
    for plain in (True, False):
        try:
            got = parser._parse_one(raw, plain=plain).url
        except InvalidUrl as exc:
            got = exc.code
        assert got == expected


# --- constructors ------------------------------------------------------------------------------


def field_values(obj: object) -> tuple[object, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))  # type: ignore[arg-type]


def test_the_fast_constructors_make_what_the_dataclasses_make() -> None:
    for args in [("a.b", "example", "co.uk", True), ("", "", "com", False), ("", "", "", False)]:
        fast, slow = _domain_parts(*args), DomainParts(*args)
        assert type(fast) is DomainParts
        assert field_values(fast) == field_values(slow)
        assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    parts = DomainParts("", "example", "com", False)
    host = _host("example.com", "example.com", parts, None, None)
    assert type(host) is Host
    assert field_values(host) == field_values(Host("example.com", "example.com", parts))
    assert hash(host) == hash(Host("example.com", "example.com", parts))
    wrappers = (Wrapper("Google redirect", "www.google.com"),)
    fields = ("raw", "https://example.com/?q", "https", host, None, "/", "q", None, False, wrappers)
    link = _link(*fields)
    assert type(link) is Link
    assert field_values(link) == field_values(Link(*fields))
    assert (
        link == Link(*fields)
        and hash(link) == hash(Link(*fields))
        and repr(link) == repr(Link(*fields))
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        _domain_parts("", "a", "b", False).label = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        host.ascii = "evil.example"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.url = "https://evil.example/"  # type: ignore[misc]


def test_parsed_links_are_real_frozen_links(parser: LinkParser) -> None:
    link = parser.parse("https://WWW.Example.co.uk./path?x=1")
    parts = DomainParts("www", "example", "co.uk", False)
    assert type(link) is Link and type(link.host) is Host and type(link.host.parts) is DomainParts
    assert link == Link(
        "https://WWW.Example.co.uk./path?x=1",
        "https://www.example.co.uk/path?x=1",
        "https",
        Host("www.example.co.uk", "www.example.co.uk", parts),
        None,
        "/path",
        "x=1",
        None,
        False,
    )
    assert link.host.registrable == "example.co.uk"
