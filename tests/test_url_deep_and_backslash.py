"""Review 35 #3 and #8: a link wrapped deeper than we unwrap is judged at the innermost layer
reached and the depth itself is named; a ``\\`` is a trick only when it changes which host a
reader sees, never a Windows-style path."""

from __future__ import annotations

import urllib.parse

import pytest

from server.detectors.url_cues import UrlCuesDetector
from server.links.url import MAX_UNWRAP_DEPTH
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.settings import Settings
from tests.support.server import RunningServer

AMP_LAYER = "www.google.com/amp/s/"
GOOGLE = "https://www.google.com/url?q="
#: In the shipped MetaMask block list.
BLOCKED = "0101.systems/login"


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture(scope="module")
def detector(resources: Resources) -> UrlCuesDetector:
    return UrlCuesDetector(resources)


def cues(detector: UrlCuesDetector, resources: Resources, url: str) -> dict[str, Evidence]:
    return {e.code: e for e in detector.score(resources.parser.parse(url))}


def amp_nest(depth: int, target: str) -> str:
    return "https://" + AMP_LAYER * depth + target


def google_nest(depth: int, target: str) -> str:
    url = target
    for _ in range(depth):
        url = GOOGLE + urllib.parse.quote(url, safe="")
    return url


# Deep wrapping (#3)


@pytest.mark.parametrize("depth", [1, 4, MAX_UNWRAP_DEPTH])
def test_every_layer_up_to_the_bound_is_unwrapped(resources: Resources, depth: int) -> None:
    amp = resources.parser.parse(amp_nest(depth, BLOCKED))
    google = resources.parser.parse(google_nest(depth, "https://" + BLOCKED))
    for link in (amp, google):
        assert link.host.ascii == "0101.systems"
        assert len(link.wrappers) == depth
        assert not link.wrapped_deeper


def test_a_link_deeper_than_the_bound_is_judged_at_the_innermost_layer_reached(
    detector: UrlCuesDetector, resources: Resources
) -> None:
    link = resources.parser.parse(amp_nest(MAX_UNWRAP_DEPTH + 2, BLOCKED))
    assert link.wrapped_deeper
    assert len(link.wrappers) == MAX_UNWRAP_DEPTH
    assert link.host.ascii == "www.google.com"  # two AMP layers are still left
    evidence = cues(detector, resources, link.input)["url_cues.deeply_wrapped"]
    assert evidence.role is Role.SUPPORTING
    assert evidence.weight >= 0.5
    assert evidence.details["depth_limit"] == MAX_UNWRAP_DEPTH
    assert evidence.details["judged"] == link.url


def test_a_shallow_wrap_is_not_called_deep(detector: UrlCuesDetector, resources: Resources) -> None:
    found = cues(detector, resources, amp_nest(4, "example.org/"))
    assert "url_cues.unwrapped" in found
    assert "url_cues.deeply_wrapped" not in found


@pytest.mark.parametrize(
    "url",
    [amp_nest(4, BLOCKED), google_nest(4, "https://" + BLOCKED)],
    ids=["amp", "google"],
)
def test_a_blocked_site_four_wrappers_deep_is_a_scam_over_http(
    server: RunningServer, url: str
) -> None:
    response = server.request("POST", "/v1/check/links", json_body={"urls": [url]})
    assert response.status == 200, response.body
    verdict = response.json()["results"][0]
    assert verdict["verdict"] == "likely_scam", verdict
    assert verdict["normalized"]["host"] == "0101.systems"


def test_a_link_wrapped_past_the_bound_is_not_clean_over_http(server: RunningServer) -> None:
    url = amp_nest(MAX_UNWRAP_DEPTH + 1, "example.org/")
    response = server.request("POST", "/v1/check/links", json_body={"urls": [url]})
    assert response.status == 200, response.body
    verdict = response.json()["results"][0]
    assert verdict["verdict"] in ("suspicious", "likely_scam"), verdict
    assert "url_cues.deeply_wrapped" in [r["code"] for r in verdict["reasons"]]


# Backslashes (#8)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.gov.uk\\guidance.html",
        "https://example.com\\report.pdf",
        "https://example.com\\index.html",
        "https://example.com\\files\\report.pdf",
        "https://www.bbc.com\\news\\world",
        "https://example.com\\readme.md",
        "https://www.paypal.com\\@evil.top/",
        "https://www.paypal.com\\.evil.top/",
    ],
)
def test_a_backslash_that_does_not_change_the_host_a_reader_sees_is_no_trick(
    detector: UrlCuesDetector, resources: Resources, url: str
) -> None:
    assert "url_cues.backslash_trick" not in cues(detector, resources, url), url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://evil.top\\@www.paypal.com/", "www.paypal.com"),
        ("https://evil.top\\@example.org/", "example.org"),
        ("https://evil.top\\.paypal.com/login", "paypal.com"),
        ("https://evil.top\\www.paypal.com/login", "www.paypal.com"),
    ],
)
def test_a_backslash_that_shows_another_host_is_named(
    detector: UrlCuesDetector, resources: Resources, url: str, shown: str
) -> None:
    evidence = cues(detector, resources, url)["url_cues.backslash_trick"]
    assert evidence.details["shown_host"] == shown
    assert evidence.details["real_host"] == "evil.top"


# A decoy beside the real destination in a javascript:/data: link (#4)


@pytest.mark.parametrize(
    ("url", "decoy"),
    [
        (
            "javascript:/*location='https://www.paypal.com/'*/location='https://0101.systems/login'",
            "https://www.paypal.com/",
        ),
        (
            "javascript:fetch('https://www.paypal.com/');location.href='https://0101.systems/login'",
            "https://www.paypal.com/",
        ),
        (
            'data:text/html,<meta http-equiv=refresh content="0;url=https://www.google.com/">'
            '<form action="https://0101.systems/p">',
            "https://www.google.com/",
        ),
    ],
)
def test_a_decoy_address_does_not_hide_a_blocked_one_over_http(
    server: RunningServer, url: str, decoy: str
) -> None:
    response = server.request("POST", "/v1/check/links", json_body={"urls": [url]})
    assert response.status == 200, response.body
    verdict = response.json()["results"][0]
    assert verdict["verdict"] == "likely_scam", verdict
    assert verdict["normalized"]["host"] == "0101.systems"
    cue = {r["code"]: r for r in verdict["reasons"]}["url_cues.script_url"]
    assert cue["details"]["leads_to"].startswith("https://0101.systems/")
    assert decoy in cue["details"]["addresses"]


def test_a_single_address_carrier_names_no_list(server: RunningServer) -> None:
    url = "javascript:location='https://0101.systems/login'"
    verdict = server.request("POST", "/v1/check/links", json_body={"urls": [url]}).json()
    result = verdict["results"][0]
    assert result["verdict"] == "likely_scam"
    cue = {r["code"]: r for r in result["reasons"]}["url_cues.script_url"]
    assert "addresses" not in cue["details"]


def test_without_a_ranker_the_navigating_address_is_judged_and_all_are_named(
    resources: Resources,
) -> None:
    # This module's resources have no engine, so their parser has no ranker.
    assert resources.parser.rank_carried is None
    link = resources.parser.parse(
        "javascript:x='https://example.org/a';location='https://example.com/b'"
    )
    assert link.url == "https://example.com/b"
    assert link.carried_urls == ("https://example.com/b", "https://example.org/a")
