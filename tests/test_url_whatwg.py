"""Links are read as a browser reads them (WHATWG URL rules for http and https): ``\\`` is
``/`` before the query, any run of ``/`` and ``\\`` may follow ``https:``, tabs and line
breaks are dropped. Otherwise ``https://blocked.top\\@bank.com/`` would be judged as the
bank's site while the browser opens the blocked one. ``javascript:`` and ``data:`` links are
judged by the http(s) address they carry, and named as such."""

from __future__ import annotations

import base64
import gzip
import json
import random
import shutil
import subprocess
from urllib.parse import quote

import pytest

from server.engine import Engine
from server.links.url import InvalidUrl, LinkParser
from server.scoring.resources import bundled_data_dir
from tests.support.server import RunningServer

#: Input -> (host, path) as Node 20's ``new URL(input)`` gives them (``hostname``,
#: ``pathname``), recorded when this table was written.
NODE_URL = [
    ("https://polkadot-dot.info\\@polkadot.network/claim", ("polkadot-dot.info", "/@polkadot.network/claim")),
    ("https://evil-login.top\\@www.paypal.com/", ("evil-login.top", "/@www.paypal.com/")),
    ("https://paypal.com\\@evil-login.top/", ("paypal.com", "/@evil-login.top/")),
    ("https:/polkadot-dot.info/claim", ("polkadot-dot.info", "/claim")),
    ("https:polkadot-dot.info/claim", ("polkadot-dot.info", "/claim")),
    ("https:\\\\polkadot-dot.info/claim", ("polkadot-dot.info", "/claim")),
    ("https://evil-login.top\\.paypal.com/", ("evil-login.top", "/.paypal.com/")),
    ("HTTPS:\\/\\/Example.COM\\a\\b?c\\d#e\\f", ("example.com", "/a/b")),
    ("http:////example.com///x", ("example.com", "///x")),
    ("https://example.com?next\\@evil.top", ("example.com", "/")),
    ("https://example.com#\\@evil.top", ("example.com", "/")),
    ("https://user:pass@example.com\\@evil.top/", ("example.com", "/@evil.top/")),
    ("https://example.com\\:8443/x", ("example.com", "/:8443/x")),
    ("https://exa\tmple.com/a\nb\rc", ("example.com", "/abc")),
    ("https:\n//example.com/", ("example.com", "/")),
    ("http:\\\\\\\\example.com\\path", ("example.com", "/path")),
    ("https://evil.top\\\\paypal.com", ("evil.top", "//paypal.com")),
    ("https://a@b\\@c.com/", ("b", "/@c.com/")),
    ("https://evil.top/\\\\@paypal.com", ("evil.top", "///@paypal.com")),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), NODE_URL)
def test_hosts_and_paths_are_the_ones_a_browser_opens(
    engine: Engine, raw: str, expected: tuple[str, str]
) -> None:
    link = engine.resources.parser.parse(raw)
    assert (link.host.ascii, link.path) == expected


def test_generated_urls_name_the_host_and_port_nodes_url_parser_names(engine: Engine) -> None:
    """Differential check against Node's WHATWG ``URL`` on 2,000 generated http(s) URLs made
    of hosts, slashes, backslashes, ``@``, ``?``, ``#``, ports, dots, tabs and line breaks.
    Two deliberate differences: we drop a host's trailing dot, and refuse a host with an
    empty label (``.paypal.com``), which no DNS name has."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rng = random.Random(7)
    pieces = ["example.com", "evil.top", "paypal.com", "/", "\\", "@", "?", "#", ":8080"]
    pieces += ["x", ".", "\t", "\n", "u:p@", "/", "\\"]
    schemes = ["https:", "http:", "HTTPS:", "https://", "http:\\\\", "https:/\\"]
    inputs = [
        rng.choice(schemes) + "".join(rng.choice(pieces) for _ in range(rng.randint(1, 7)))
        for _ in range(2000)
    ]
    script = (
        "const a = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(a.map(s => { try { const u = new URL(s);"
        " return [u.hostname, u.port] } catch (e) { return null } })))"
    )
    answer = subprocess.run(
        [node, "-e", script], input=json.dumps(inputs), capture_output=True, text=True, check=True
    )
    parser = engine.resources.parser
    wrong = []
    for raw, browser in zip(inputs, json.loads(answer.stdout), strict=True):
        expected = None
        if browser is not None and "" not in browser[0].rstrip(".").split("."):
            expected = (browser[0].rstrip("."), int(browser[1]) if browser[1] else None)
        got = _host_and_port(parser, raw)
        if got != expected:
            wrong.append((raw, expected, got))
    assert not wrong, wrong[:10]


def _host_and_port(parser: LinkParser, raw: str) -> tuple[str, int | None] | None:
    try:
        link = parser.parse(raw)
    except InvalidUrl:
        return None
    return link.host.ascii, link.port


def _bundled_hosts() -> set[str]:
    with gzip.open(bundled_data_dir() / "blocklist_default.tsv.gz", "rt", encoding="utf-8") as f:
        return {line.split("\t", 1)[0] for line in f if not line.startswith("#")}


BLOCKED = "polkadot-dot.info"


def check(server: RunningServer, urls: list[str]) -> list[dict]:
    answer = server.request("POST", "/v1/check/links", json_body={"urls": urls})
    assert answer.status == 200, answer.body
    results: list[dict] = answer.json()["results"]
    return results


def codes(result: dict) -> list[str]:
    return [reason["code"] for reason in result["reasons"]]


def test_a_blocked_host_before_a_backslash_and_a_brand_is_the_blocked_host(
    server: RunningServer,
) -> None:
    assert BLOCKED in _bundled_hosts()
    urls = [
        f"https://{BLOCKED}\\@polkadot.network/claim",
        f"https:{BLOCKED}/claim",
        f"https:\\\\{BLOCKED}\\claim",
        f"https://{BLOCKED}\\.polkadot.network/",
        f"https://{BLOCKED}/cl\naim",
    ]
    for url, result in zip(urls, check(server, urls), strict=True):
        assert result["verdict"] == "likely_scam", url
        assert "lists.blocked_domain" in codes(result), url
        assert result["normalized"]["host"] == BLOCKED, url
    # The other way round, the brand is the host the browser opens.
    (official,) = check(server, [f"https://polkadot.network\\@{BLOCKED}/"])
    assert official["normalized"]["host"] == "polkadot.network"
    assert "lists.blocked_domain" not in codes(official)


def test_a_backslash_that_shows_one_site_and_opens_another_is_named(
    server: RunningServer,
) -> None:
    shown = {
        "https://evil-login.top\\@www.paypal.com/": "www.paypal.com",
        "https:evil-login.top\\.paypal.com": "paypal.com",
    }
    for (url, host), result in zip(shown.items(), check(server, list(shown)), strict=True):
        assert result["normalized"]["host"] == "evil-login.top", url
        (trick,) = [r for r in result["reasons"] if r["code"] == "url_cues.backslash_trick"]
        assert trick["details"] == {"shown_host": host, "real_host": "evil-login.top"}
        assert host in trick["message"] and "evil-login.top" in trick["message"]
    # A backslash once the path has begun hides nothing.
    (plain,) = check(server, ["https://example.com/a\\b"])
    assert "url_cues.backslash_trick" not in codes(plain)


def _carried(server: RunningServer, url: str) -> dict:
    (result,) = check(server, [url])
    return result


@pytest.mark.parametrize(
    "url",
    [
        f"javascript:location='https://{BLOCKED}/claim'",
        f"JavaScript:window.open(%22https:\\/\\/{BLOCKED}\\/claim%22)",
        "javascript:eval(atob('"
        + base64.b64encode(f"location='https://{BLOCKED}/'".encode()).decode()
        + "'))",
        "data:text/html;base64,"
        + base64.b64encode(
            f'<link href="https://cdn.example/a.css"><form action="https://{BLOCKED}/post">'
            '<input name="seed"></form>'.encode()
        ).decode(),
        "data:text/html,"
        + quote(f'<meta http-equiv="refresh" content="0;url=https://{BLOCKED}/">'),
    ],
)
def test_javascript_and_data_links_are_judged_by_the_address_inside(
    server: RunningServer, url: str
) -> None:
    result = _carried(server, url)
    assert result["verdict"] == "likely_scam"
    assert result["normalized"]["host"] == BLOCKED
    blocked = [r for r in result["reasons"] if r["code"] == "lists.blocked_domain"]
    assert blocked and BLOCKED in blocked[0]["message"]
    (cue,) = [r for r in result["reasons"] if r["code"] == "url_cues.script_url"]
    assert cue["details"]["scheme"] in ("javascript", "data")
    assert cue["details"]["leads_to"].startswith(f"https://{BLOCKED}/")


def test_a_script_link_to_an_unknown_site_is_suspicious_for_that_alone(
    server: RunningServer,
) -> None:
    result = _carried(server, "javascript:location.href='https://example.org/welcome'")
    assert result["verdict"] == "suspicious"
    assert codes(result) == ["url_cues.script_url"]
    assert result["normalized"]["unwrapped_from"] == ["javascript:"]


def test_a_script_link_with_no_address_inside_stays_unknown_and_says_why(
    server: RunningServer,
) -> None:
    unreadable = ["javascript:alert(1)", "data:text/plain,hello", "data:;base64,@@@"]
    for url, result in zip(unreadable, check(server, unreadable), strict=True):
        assert result["verdict"] == "unknown", url
        assert result["error"]["code"] == "unsupported_scheme"
    single = server.request("GET", "/v1/check/link?url=" + quote("javascript:void(0)"))
    assert single.status == 400
    assert single.json()["code"] == "unsupported_scheme"
    assert "runs code" in single.json()["error"], single.json()


def test_a_message_with_the_backslash_trick_names_the_blocked_host(server: RunningServer) -> None:
    text = f"Claim your DOT airdrop: https://{BLOCKED}\\@polkadot.network/claim today"
    answer = server.request("POST", "/v1/check/text", json_body={"text": text})
    assert answer.status == 200, answer.body
    (link,) = answer.json()["links"]
    assert link["registrable_domain"] == BLOCKED
    assert {"lists.blocked_domain", "url_cues.backslash_trick"} <= set(link["codes"])
