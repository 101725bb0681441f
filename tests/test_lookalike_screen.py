"""The lookalike finder's quick screen turns a host away only when the full match names nothing.

``LookalikeFinder.find`` first asks a few set lookups whether any rule could name a plain-ASCII
label (``_may_match``); only then does it compute distances. These tests run ``find`` with and
without the screen on hosts made to sit right at the rules' edges (every one-letter edit of every
curated name and of the top typo targets, look-alike letter pairs, names with extra words, split
names, names on other endings) and on the real domain lists in ``../shared``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.links.lookalikes import (
    MIN_TOP_TYPO_LEN,
    TOP_TARGET_RANK,
    LookalikeFinder,
    read_brand_rows,
)
from server.links.url import Host, InvalidUrl, LinkParser
from server.scoring.resources import Resources, read_lines
from server.settings import Settings

DOMAINS = Path(__file__).resolve().parents[2] / "shared" / "data" / "domains"

#: Letters the one-edit variants put in: look-alikes (0/o, 1/l/i, rn/m), vowels, neighbours
#: on the keyboard, a hyphen, and one Cyrillic letter (such labels skip the screen).
VARIANT_LETTERS = "aeio01lmnrs-а"

#: Endings cycled through the variants: a brand's own, legacy, new generic, hosting, country.
ENDINGS = ("com", "top", "net", "pages.dev", "co.uk", "cn", "io")


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture(scope="module")
def finder(resources: Resources) -> LookalikeFinder:
    data = resources.data_dir
    return LookalikeFinder(
        resources.suffixes,
        resources.top_sites,
        read_brand_rows(data / "protected_brands.tsv"),
        read_lines(data / "known_legit.txt"),
        read_lines(data / "lookalike_words.txt"),
        read_lines(data / "risky_tlds.txt"),
        read_lines(data / "product_words.txt"),
    )


def one_edits(name: str, letters: str) -> set[str]:
    """Every string one deletion, swap, replacement or insertion (of ``letters``) away."""
    out = {name[:i] + name[i + 1 :] for i in range(len(name))}
    out |= {name[:i] + name[i + 1] + name[i] + name[i + 2 :] for i in range(len(name) - 1)}
    for i in range(len(name) + 1):
        for letter in letters:
            out.add(name[:i] + letter + name[i + 1 :])
            out.add(name[:i] + letter + name[i:])
    return out


def brand_names(resources: Resources) -> list[tuple[str, str]]:
    """(name, its ending) for every curated row and the top sites long enough for typos."""
    names = []
    curated = [row.domain for row in read_brand_rows(resources.data_dir / "protected_brands.tsv")]
    for domain in curated + list(resources.top_sites[:TOP_TARGET_RANK]):
        parts = resources.suffixes.split(domain)
        if parts.label and (domain in curated or len(parts.label) >= MIN_TOP_TYPO_LEN - 1):
            names.append((parts.label, parts.suffix))
    return names


def edge_hosts(resources: Resources) -> Iterator[str]:
    for n, (name, suffix) in enumerate(brand_names(resources)):
        ending = ENDINGS[n % len(ENDINGS)]
        letters = "".join(VARIANT_LETTERS[(n + j) % len(VARIANT_LETTERS)] for j in range(2))
        # Every third variant, on the brand's own ending or another in turn (a sample: all
        # of them take seconds, and the rules treat neighbouring variants alike).
        for m, variant in enumerate(sorted(one_edits(name, letters))[::3]):
            yield f"{variant}.{suffix if m % 2 else ending}"
        folded = name.replace("m", "rn").replace("w", "vv").replace("d", "cl")
        yield from (f"{folded}.{suffix}", f"{name}.{ending}", f"www.{name}.{ending}")
        yield from (f"{name}-login.{ending}", f"my{name}.{suffix}", f"{name}support.xyz")
        yield from (f"{name[:3]}.{name[3:]}.{suffix}", f"{name}.{suffix}.verify-{n}.top")
        yield f"{name}{suffix.replace('.', '')}.com"


def hosts(parser: LinkParser, names: Iterator[str]) -> Iterator[Host]:
    for name in names:
        try:
            host = parser.parse_host(name)
        except InvalidUrl:
            continue  # a variant that is no hostname ("-paypal")
        if not host.is_ip:
            yield host


def differences(finder: LookalikeFinder, found: Iterator[Host]) -> tuple[int, int, list[str]]:
    """How many hosts were compared, how many the full match named, and where they differ."""
    compared = named = 0
    wrong = []
    for host in found:
        full = finder.find(host.ascii, host.unicode, host.parts, screen=False)
        compared += 1
        named += bool(full)
        if finder.find(host.ascii, host.unicode, host.parts) != full:
            wrong.append(host.ascii)
    return compared, named, wrong


def test_the_screen_keeps_every_finding_at_the_edges_of_the_rules(
    finder: LookalikeFinder, resources: Resources
) -> None:
    compared, named, wrong = differences(finder, hosts(resources.parser, edge_hosts(resources)))
    assert wrong == []
    # The hosts really do sit at the edges: many are named, many are not.
    assert compared > 20_000
    assert 0.2 < named / compared < 0.8, (named, compared)


@pytest.mark.skipif(not DOMAINS.is_dir(), reason="needs ../shared/data/domains")
def test_the_screen_keeps_every_finding_on_real_domains(
    finder: LookalikeFinder, resources: Resources
) -> None:
    names = []
    for name in ("tranco_top_20k.txt", "polkadot_deny_before_2025-07-01.txt"):
        names += (DOMAINS / name).read_text(encoding="utf-8").lower().split()[:6_000]
    compared, named, wrong = differences(finder, hosts(resources.parser, iter(names)))
    assert wrong == []
    assert compared > 10_000 and named > 100, (compared, named)
