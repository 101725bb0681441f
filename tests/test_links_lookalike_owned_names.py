"""Names a brand owns itself: its services named after it, its own TLD, sponsored endings.

These rules came from the development slice of ``bench/links_quality.py`` (Tranco ranks
5,001-10,000 judged with ``top_sites`` cut to ranks 1-5,000), where huaweicloud.com,
googlemail.com, rakuten-card.co.jp, gemini.google, amazon.jobs and google.cat were primary
lookalikes, and epicgames/exitgames, aliexpress/l'express were two-edit typos. The hosts below are made up or not in ``top_sites``, so the rules, not the
protected set, decide.
"""

from __future__ import annotations

import pytest

from server.detectors.lookalike import LookalikeDetector
from server.links.lookalikes import (
    BRAND_TLDS,
    PRODUCTLESS_CATEGORIES,
    SPONSORED_TLDS,
    read_brand_rows,
    reads_alike_twice,
)
from server.scoring.combiner import Verdict, combine
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources, read_lines
from server.settings import Settings


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture(scope="module")
def detector(resources: Resources) -> LookalikeDetector:
    return LookalikeDetector(resources)


def judge(detector: LookalikeDetector, resources: Resources, host: str) -> list[Evidence]:
    assert host not in resources.top_sites
    return list(detector.score(resources.parser.parse(f"https://{host}/")))


def only(detector: LookalikeDetector, resources: Resources, host: str) -> Evidence:
    found = judge(detector, resources, host)
    assert len(found) == 1, f"{host}: {[e.code for e in found]}"
    return found[0]


# A brand's name followed by its own kind of service words


@pytest.mark.parametrize(
    "host", ["netflix-team.com", "netflixmail.com", "netflix-app.co.uk", "shopify-apps.de"]
)
def test_brand_then_service_words_where_brands_live_is_only_supporting(
    detector: LookalikeDetector, resources: Resources, host: str
) -> None:
    evidence = only(detector, resources, host)
    assert evidence.code == "lookalike.combosquat"
    assert evidence.role is Role.SUPPORTING
    assert evidence.details["product_words"] is True
    # Alone it no longer makes the link suspicious; it is still shown and still counts.
    assert combine([evidence]).verdict is Verdict.NO_KNOWN_SIGNALS


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("team-netflix.com", "a word before the name copies an address (app.x.com)"),
        ("netflix-team-login.com", "a lure word beside the service word"),
        ("netflix-team.top", "an ending brands rarely use"),
        ("netflix-web.pages.dev", "a tenant of a shared host"),
        ("metamask-app.com", "a crypto brand: drainers copy its app's address"),
        ("chase-online.com", "a bank: online banking is what phishing wants"),
        ("paypal-card.com", "a payment brand"),
    ],
)
def test_service_words_stay_primary_where_they_read_as_a_copy(
    detector: LookalikeDetector, resources: Resources, host: str, why: str
) -> None:
    evidence = only(detector, resources, host)
    assert evidence.code == "lookalike.combosquat", why
    assert evidence.role is Role.PRIMARY, why
    assert combine([evidence]).verdict is Verdict.SUSPICIOUS, why


def test_service_words_are_lure_words_and_nouns(resources: Resources) -> None:
    # A product word must already be a lure word (otherwise the rule has nothing to soften),
    # and action or account words never soften a combosquat.
    products = set(read_lines(resources.data_dir / "product_words.txt"))
    lures = set(read_lines(resources.data_dir / "lookalike_words.txt"))
    assert products <= lures, products - lures
    assert not products & {"login", "verify", "claim", "connect", "support", "secure", "official"}


def test_money_categories_exist_in_the_curated_table(resources: Resources) -> None:
    categories = {r.category for r in read_brand_rows(resources.data_dir / "protected_brands.tsv")}
    assert categories >= PRODUCTLESS_CATEGORIES


# Endings only the brand, or only eligible registrants, can register under


@pytest.mark.parametrize(
    "host", ["paypal.google", "binance.microsoft", "login.paypal.google", "coinbase.google"]
)
def test_names_under_a_brand_tld_are_that_brands_own(
    detector: LookalikeDetector, resources: Resources, host: str
) -> None:
    assert judge(detector, resources, host) == []


def test_a_brand_name_on_an_open_ending_named_like_a_brand_is_still_a_lookalike(
    detector: LookalikeDetector, resources: Resources
) -> None:
    # .live is Microsoft's brand name (live.com) but an open ending anyone registers under.
    evidence = only(detector, resources, "paypal.live")
    assert evidence.code == "lookalike.tld_swap"
    assert evidence.role is Role.PRIMARY


def test_brand_tlds_are_curated_brands_and_real_endings(resources: Resources) -> None:
    keys = set()
    for row in read_brand_rows(resources.data_dir / "protected_brands.tsv"):
        label = resources.suffixes.split(row.domain).label
        if label:
            keys.add(label)
    assert keys >= BRAND_TLDS, BRAND_TLDS - keys
    for tld in BRAND_TLDS:
        assert resources.suffixes.is_suffix(tld), tld
    # Brand names that are open or country endings are not anyone's own TLD.
    assert not BRAND_TLDS & {"live", "cash", "ing", "td", "healthcare", "safe", "circle"}


@pytest.mark.parametrize("host", ["paypal.jobs", "paypal.cat", "netflix.travel"])
def test_a_brand_name_on_a_sponsored_ending_is_a_weak_cue(
    detector: LookalikeDetector, resources: Resources, host: str
) -> None:
    assert {host.rpartition(".")[2]} <= SPONSORED_TLDS
    evidence = only(detector, resources, host)
    assert evidence.code == "lookalike.tld_swap"
    assert evidence.role is Role.SUPPORTING


def test_an_open_sponsored_ending_stays_strong(
    detector: LookalikeDetector, resources: Resources
) -> None:
    # .tel is sponsored on paper but open to anyone: walletconnect.tel is a scam.
    evidence = only(detector, resources, "paypal.tel")
    assert evidence.code == "lookalike.tld_swap"
    assert evidence.role is Role.PRIMARY


# Two edits in a name of nine or ten letters


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("epuxgames.com", "epicgames with two letters replaced by others"),
        ("aexpress.com", "aliexpress with two letters dropped"),
    ],
)
def test_two_plain_edits_in_a_nine_or_ten_letter_name_make_another_name(
    detector: LookalikeDetector, resources: Resources, host: str, why: str
) -> None:
    assert judge(detector, resources, host) == [], why


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("eqicqames.com", "look-alike letters: q for p and for g"),
        ("epicgarnes.com", "rn for m"),
        ("epiccgamess.com", "two letters doubled"),
        ("epicgaemss.com", "a swap and a letter doubled"),
        ("pe1cgames.com", "a swap and 1 for i"),
        ("microsesoft.com", "letters added, the whole name still there in order"),
        ("steamcomunlty.com", "an eleven-letter name or longer: any two edits"),
    ],
)
def test_two_edits_that_read_alike_are_still_named(
    detector: LookalikeDetector, resources: Resources, host: str, why: str
) -> None:
    evidence = only(detector, resources, host)
    assert evidence.details["distance"] == 2, why
    assert evidence.role is Role.PRIMARY, why


def test_reads_alike_twice_says_which_changes_the_eye_passes_over() -> None:
    assert reads_alike_twice("epicgames", "epicgamess")
    assert reads_alike_twice("moneygram", "rnoneygrarn")
    assert reads_alike_twice("etherscan", "ehterscann")  # a swap, a letter doubled
    assert not reads_alike_twice("epicgames", "exitgames")
    assert not reads_alike_twice("etherscan", "otterscan")
    assert not reads_alike_twice("etherscan", "ethercap")
