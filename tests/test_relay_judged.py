"""What a relayed item says is the server's own judgement, in the sender's language.

Three defects this file pins (real server, real port, real SQLite file; the extension in real
headless Chromium for the last):

- ``POST /v1/relay/items`` rendered a link's summary in English whatever the browser spoke.
- For ``kind: image`` it passed on the ``verdict`` and ``summary`` the client claimed, so any
  relay-token holder could make a family chat read "no known signals" (or any sentence) under
  any picture. Now the browser sends the picture (multipart ``file``) or its ``hashes`` and the
  server judges it as ``/v1/check/media`` does; an address alone is queued ``unknown``.
- The extension sent no language with a relayed item, and a picture's verdict of its own.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from tests.support.browser import Browser, ready_extension, require_chromium
from tests.support.pages import LocalSites, start_sites
from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import add_fake, jpeg, multipart, picture

SCAM_LINK = "https://polkadot-dot.info/claim"
PICTURE_URL = "https://news.example/ad.jpg"
#: What a hostile token holder would like the chat to read under a scam picture.
FORGED = "Checked by FakeWatch: this picture is genuine, safe to share."
FAKE = picture(31)
#: A re-encoded copy of the banked fake: what a browser fetched from a page.
COPY = jpeg(FAKE.resize((480, 360)), quality=80)
#: This module's server caps (small, so a test of them sends no 20 MB); every picture the other
#: tests send (640x480 at most, ~100 kB) is well under both.
MAX_MEDIA_BYTES = 400_000
MAX_MEDIA_PIXELS = 500_000
CHAT = 5151
#: How a likely-scam summary opens in each language the sender may ask for.
OPENING = {"zh": "很可能是诈骗：", "en": "Likely a scam: ", "zh-TW": "很可能是詐騙："}


@dataclass
class Relay:
    server: RunningServer
    bot: str
    browser: str
    token: str

    def send(self, item: dict[str, Any], **kw: Any) -> Any:
        return self.server.request(
            "POST",
            "/v1/relay/items",
            json_body={"token": self.token, **item},
            key=self.browser,
            **kw,
        )

    def send_picture(self, fields: dict[str, str], data: bytes, **kw: Any) -> Any:
        body, content_type = multipart({"token": self.token, **fields}, data)
        headers = {"Content-Type": content_type, **kw.pop("headers", {})}
        return self.server.request(
            "POST", "/v1/relay/items", body=body, headers=headers, key=self.browser, **kw
        )

    def queued(self, item_id: int) -> dict[str, Any]:
        items = self.server.request("GET", "/v1/relay/pending?limit=500", key=self.bot).json()
        [item] = [i for i in items["items"] if i["id"] == item_id]
        return dict(item)


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    # A server of its own: the test adds a known fake to its bank.
    server = start_server(
        tmp_path_factory.mktemp("relay-judged"),
        env={
            "FAKEWATCH_MAX_MEDIA_BYTES": str(MAX_MEDIA_BYTES),
            "FAKEWATCH_MAX_MEDIA_PIXELS": str(MAX_MEDIA_PIXELS),
        },
    )
    keys = [
        server.request("POST", "/v1/keys", json_body={"role": role}).json()["key"]
        for role in ("moderator", "client")
    ]
    add_fake(server, FAKE, label="Fake minister interview")
    code = server.request(
        "POST", "/v1/relay/codes", json_body={"chat_id": CHAT}, key=keys[0]
    ).json()["code"]
    token = server.request("POST", "/v1/relay/link", json_body={"code": code}, key=keys[1]).json()[
        "token"
    ]
    yield Relay(server, keys[0], keys[1], token)
    assert server.stop() == 0, server.stderr()


def check_link(server: RunningServer, url: str, lang: str) -> dict[str, Any]:
    quoted = urllib.parse.quote(url, safe="")
    return dict(server.request("GET", f"/v1/check/link?url={quoted}&lang={lang}").json())


def check_media(server: RunningServer, data: bytes, lang: str) -> dict[str, Any]:
    body, content_type = multipart({"lang": lang}, data)
    response = server.request(
        "POST", "/v1/check/media", body=body, headers={"Content-Type": content_type}
    )
    assert response.status == 200, response.body
    return dict(response.json())


def test_a_relayed_link_is_summarised_in_the_senders_language(relay: Relay) -> None:
    link = {"kind": "link", "url": SCAM_LINK}
    cases = [
        ({"headers": {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}}, {}, "zh"),
        ({}, {"lang": "zh-TW"}, "zh-TW"),  # the body's lang, as /v1/check/links reads it
        ({"headers": {"Accept-Language": "zh-HK"}}, {}, "zh-HK"),
        ({}, {}, "en"),
    ]
    for request, extra, lang in cases:
        response = relay.send(link | extra, **request)
        assert response.status == 201, response.body
        item = relay.queued(response.json()["id"])
        expected = check_link(relay.server, SCAM_LINK, lang)["summary"]
        assert item["verdict"] == "likely_scam"
        assert item["summary"] == expected, lang
        assert response.json()["summary"] == expected
    zh = relay.queued(relay.send(link | {"lang": "zh"}).json()["id"])
    assert zh["summary"].startswith("很可能是诈骗：")
    assert zh["summary"].endswith("不要输入密码、验证码或付款信息。")


def test_a_verdict_the_browser_claims_for_a_picture_is_not_passed_on(relay: Relay) -> None:
    for claimed in ("no_known_signals", "likely_scam"):
        response = relay.send(
            {
                "kind": "image",
                "url": PICTURE_URL,
                "verdict": claimed,
                "summary": FORGED,
                "verdict_url": relay.server.url + "/r/c1",
            }
        )
        assert response.status == 201, response.body
        answer = response.json()
        item = relay.queued(answer["id"])
        assert (item["verdict"], item["summary"], item["verdict_url"]) == ("unknown", "", None)
        assert answer["verdict"] == "unknown" and answer["judged"] is False
    # A malformed claim is still refused, as it always was.
    bad = relay.send({"kind": "image", "url": PICTURE_URL, "verdict": "safe"})
    assert bad.status == 400 and bad.json()["field"] == "verdict"


def test_a_picture_sent_with_the_item_is_judged_as_a_media_check_judges_it(
    relay: Relay,
) -> None:
    for lang in ("zh", "en", "zh-TW"):
        fields = {"kind": "image", "url": PICTURE_URL, "lang": lang}
        forged = fields | {"verdict": "no_known_signals", "summary": FORGED}
        response = relay.send_picture(forged, COPY)
        assert response.status == 201, response.body
        assert response.json()["judged"] is True
        item = relay.queued(response.json()["id"])
        checked = check_media(relay.server, COPY, lang)
        assert checked["verdict"] == item["verdict"] == "likely_scam"
        assert item["summary"] == checked["summary"] and FORGED not in item["summary"]
        assert item["verdict_url"] == checked["verdict_url"]
        assert item["verdict_url"].startswith(relay.server.url + "/r/k")  # the bank entry's page
        assert item["summary"].startswith(OPENING[lang]), item["summary"]
        assert item["kind"] == "image" and item["url"] == PICTURE_URL
    # A picture the bank does not know: the server's words, not the browser's alarm either.
    other = jpeg(picture(77))
    response = relay.send_picture(
        {"kind": "image", "url": PICTURE_URL, "verdict": "likely_scam", "summary": FORGED}, other
    )
    item = relay.queued(response.json()["id"])
    assert item["verdict"] == check_media(relay.server, other, "en")["verdict"]
    assert item["verdict"] != "likely_scam" and FORGED not in item["summary"]


def test_a_pictures_hashes_are_judged_by_the_server(relay: Relay) -> None:
    exported = relay.server.request("GET", "/v1/known-fakes/export?format=json").json()
    [fake] = exported["known_fakes"]
    full = next(h for h in fake["hashes"] if h["region"] == "full")
    hashes = {"pdq": [full["pdq"]]}
    response = relay.send(
        {"kind": "image", "url": PICTURE_URL, "hashes": hashes, "verdict": "no_known_signals"}
    )
    assert response.status == 201, response.body
    item = relay.queued(response.json()["id"])
    checked = relay.server.request(
        "POST", "/v1/check/media", json_body={"hashes": hashes, "lang": "en"}
    ).json()
    assert item["verdict"] == checked["verdict"] == "likely_scam"
    assert item["summary"] == checked["summary"]
    # Hashes with a link would be judged as neither.
    link = relay.send({"kind": "link", "url": SCAM_LINK, "hashes": hashes})
    assert link.status == 400 and link.json()["field"] == "kind"
    bad = relay.send({"kind": "image", "url": PICTURE_URL, "hashes": {"pdq": ["zz"]}})
    assert bad.status == 400 and bad.json()["field"] == "hashes"


def test_a_picture_the_server_cannot_read_is_unknown_not_the_claim(relay: Relay) -> None:
    response = relay.send_picture(
        {"kind": "image", "url": PICTURE_URL, "verdict": "no_known_signals", "summary": FORGED},
        b"<html>login wall</html>",
    )
    assert response.status == 201, response.body
    assert response.json()["judged"] is False
    item = relay.queued(response.json()["id"])
    assert (item["verdict"], item["summary"]) == ("unknown", "")
    # A file with a link is refused rather than guessed at.
    link = relay.send_picture({"kind": "link", "url": SCAM_LINK}, jpeg(picture(5)))
    assert link.status == 400 and link.json()["field"] == "kind"


def test_a_link_the_server_cannot_read_keeps_none_of_the_claim(relay: Relay) -> None:
    response = relay.send(
        {"kind": "link", "url": "http://;/", "verdict": "no_known_signals", "summary": FORGED}
    )
    assert response.status == 201, response.body
    item = relay.queued(response.json()["id"])
    assert item["verdict"] == "unknown" and FORGED not in (item["summary"] or "")
    assert item["verdict_url"] is None


def pending_in_chat(relay: Relay) -> int:
    items = relay.server.request("GET", "/v1/relay/pending?limit=500", key=relay.bot).json()
    return sum(1 for item in items["items"] if item["chat_id"] == CHAT)


def test_a_forged_host_header_never_becomes_the_link_a_chat_reads(relay: Relay) -> None:
    # /v1/check/media names the Host header it was asked on; a relayed item is read by someone
    # else, so its link is on this server's own address whatever Host said.
    forged = {"Host": "fakewatch-verdicts.example"}
    sent = [
        relay.send_picture({"kind": "image", "url": PICTURE_URL}, COPY, headers=forged),
        relay.send({"kind": "link", "url": SCAM_LINK}, headers=forged),
    ]
    for response in sent:
        assert response.status == 201, response.body
        item = relay.queued(response.json()["id"])
        assert item["verdict"] == "likely_scam"
        assert item["verdict_url"].startswith(relay.server.url + "/r/"), item
        assert response.json()["verdict_url"] == item["verdict_url"]


def test_a_picture_over_the_media_caps_is_refused_as_a_media_check_refuses_it(
    relay: Relay,
) -> None:
    before = pending_in_chat(relay)
    wide = jpeg(picture(9, (1000, 800)))  # 800,000 pixels, 500,000 allowed
    assert len(wide) < MAX_MEDIA_BYTES  # refused for its pixels, not its bytes
    heavy = b"\xff\xd8" + bytes(MAX_MEDIA_BYTES)  # one byte-pair over the byte cap
    for data, code in ((wide, "media_too_many_pixels"), (heavy, "media_too_large")):
        relayed = relay.send_picture({"kind": "image", "url": PICTURE_URL}, data)
        body, content_type = multipart({}, data)
        checked = relay.server.request(
            "POST", "/v1/check/media", body=body, headers={"Content-Type": content_type}
        )
        assert relayed.status == checked.status == 413, (relayed.body, checked.body)
        assert relayed.json()["code"] == checked.json()["code"] == code
    assert pending_in_chat(relay) == before  # nothing queued


NEWS = "news-site.example"


@pytest.fixture(scope="module")
def sites(relay: Relay) -> Iterator[LocalSites]:
    require_chromium()
    running = start_sites(relay.server.url)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(
    tmp_path_factory: pytest.TempPathFactory, sites: LocalSites, relay: Relay
) -> Iterator[Browser]:
    # A Taiwanese reader's extension: what it relays must be judged in Traditional characters.
    with ready_extension(
        tmp_path_factory,
        sites.proxy_url,
        hosts=[NEWS],
        artifacts="relay-judged",
        apiKey=relay.browser,
        lang="zh-TW",
    ) as (running, _update):
        yield running


def relayed_bodies(sites: LocalSites, since: int) -> list[bytes]:
    return [r.body for r in sites.requests("/v1/relay/items")[since:]]


def test_the_extension_sends_the_picture_and_its_language_never_a_verdict(
    browser: Browser, sites: LocalSites, relay: Relay
) -> None:
    code = relay.server.request(
        "POST", "/v1/relay/codes", json_body={"chat_id": CHAT}, key=relay.bot
    ).json()["code"]
    assert browser.sw_eval("c => self.fakewatch.linkTelegram(c)", code) == {"linked": True}
    sites.routes["/ad.jpg"] = lambda _r: web.Response(body=COPY, content_type="image/jpeg")
    sites.routes["/gone.jpg"] = lambda _r: web.Response(status=404)
    send = "item => self.fakewatch.sendToTelegram(item)"
    # What the popup holds for the page: a verdict of the extension's own, which must not travel.
    claim = {"verdict": "no_known_signals", "summary": FORGED}
    mark = len(sites.requests("/v1/relay/items"))

    link = browser.sw_eval(send, {"kind": "link", "url": SCAM_LINK, "verdict": claim})
    item = relay.queued(link["id"])
    assert item["summary"] == check_link(relay.server, SCAM_LINK, "zh-TW")["summary"]
    assert item["summary"].startswith(OPENING["zh-TW"])

    ad = sites.url(NEWS, "/ad.jpg")
    image = browser.sw_eval(send, {"kind": "image", "url": ad, "page_url": sites.url(NEWS, "/")})
    assert image["judged"] is True, image
    item = relay.queued(image["id"])
    checked = check_media(relay.server, COPY, "zh-TW")
    assert (item["verdict"], item["summary"]) == ("likely_scam", checked["summary"])
    assert item["summary"].startswith(OPENING["zh-TW"]) and item["url"] == ad

    # A picture the browser cannot fetch goes by its address: the chat reads "unknown".
    gone = sites.url(NEWS, "/gone.jpg")
    unread = browser.sw_eval(send, {"kind": "image", "url": gone, "verdict": claim})
    assert unread["judged"] is False
    assert relay.queued(unread["id"])["verdict"] == "unknown"

    link_body, picture_body, address_body = relayed_bodies(sites, mark)
    for sent in (json.loads(link_body), json.loads(address_body)):
        assert sent["lang"] == "zh-TW" and not {"verdict", "summary", "verdict_url"} & set(sent)
    assert COPY in picture_body  # the picture itself, for the server to judge
    assert b'name="lang"\r\n\r\nzh-TW\r\n' in picture_body
    assert b'name="verdict"' not in picture_body and b'name="summary"' not in picture_body
