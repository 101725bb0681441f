"""The extension's picture reports and its context-menu "Send to my Telegram", in real headless
Chromium against the real FakeWatch server (review 2026-11-24, "dog": s7 and s6).

A picture reported from a page is a picture case: the extension fetches the picture again (the
relay's fetch, same 10 MB cap) and sends it as the multipart ``file`` of ``POST /v1/reports``,
so the server hashes it and a moderator's confirm puts it in the known-fakes bank. It never
files the page's site as a link. Every "Send to my Telegram" from the menu says what happened,
for a link, a page or a picture, in the person's language.

One server, one page server + counting proxy and one browser for the module (see
``tests/test_extension_browser.py`` and ``../shared/TESTING.md``).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from tests.support.browser import Browser, ready_extension, require_chromium, wait_until
from tests.support.pages import LocalSites, page, start_sites
from tests.support.server import RunningServer, start_server

pytest.importorskip("playwright.sync_api")
NEWS = "news-ad-e2e.example"  # a news site whose sidebar shows a fake ad
SCAM_LINK = "https://paypal-secure-login-e2e.top/verify"
HOSTS = [NEWS]


@pytest.fixture(scope="module")
def fw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    require_chromium()
    running = start_server(tmp_path_factory.mktemp("ext-reports-server"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sites(fw: RunningServer) -> Iterator[LocalSites]:
    running = start_sites(fw.url)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(
    tmp_path_factory: pytest.TempPathFactory, fw: RunningServer, sites: LocalSites
) -> Iterator[Browser]:
    made = fw.request("POST", "/v1/keys", json_body={"role": "client", "label": "extension"})
    with ready_extension(
        tmp_path_factory,
        sites.proxy_url,
        hosts=HOSTS,
        artifacts="extension-reports",
        apiKey=str(made.json()["key"]),
        mode="private",
        lang="en",
    ) as (running, _update):
        yield running


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG of a smooth random texture with shapes (no photo of anyone): detailed enough to
    hash."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(low, "RGB").resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.integers(0, size[0] - 80), rng.integers(0, size[1] - 80)
        w, h = rng.integers(30, 160, 2)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def check_media(fw: RunningServer, data: bytes) -> dict[str, Any]:
    boundary = "fw-reports-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = fw.request(
        "POST",
        "/v1/check/media",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status == 200, answer.body
    return dict(answer.json())


#: The text of the extension's closed-shadow bubble, ``[tabId, selector]``.
_SHADOW_TEXT = """async ([tabId, selector]) => {
  const [done] = await chrome.scripting.executeScript({
    target: { tabId },
    func: (sel) => {
      const host = document.querySelector(sel);
      return host ? chrome.dom.openOrClosedShadowRoot(host).textContent : null;
    },
    args: [selector],
  });
  return done.result;
}"""

_MENU = "([info, tab]) => self.fakewatch.onContextMenu(info, tab)"


def news_tab(browser: Browser, sites: LocalSites, path: str) -> tuple[Any, int]:
    tab = browser.context.new_page()
    tab.goto(sites.url(NEWS, path), wait_until="domcontentloaded", timeout=15_000)
    tab.wait_for_selector("h1")
    tid = wait_until(
        lambda: browser.sw_eval(
            "async u => (await chrome.tabs.query({})).find(t => t.url === u)?.id",
            sites.url(NEWS, path),
        )
    )
    return tab, int(tid)


def report_form(browser: Browser, before: set[Any]) -> Any:
    """The report tab the menu just opened."""

    def opened() -> Any:
        browser.sw_eval("() => 0")  # lets playwright learn of the new page
        return [p for p in browser.context.pages if p not in before and "report.html" in p.url]

    form = wait_until(opened)[0]
    form.wait_for_selector("#what:not(:empty)")
    return form


def report_from_menu(browser: Browser, sites: LocalSites, tid: int, src: str) -> Any:
    before = set(browser.context.pages)
    info = {
        "menuItemId": "fw-report",
        "mediaType": "image",
        "srcUrl": src,
        "pageUrl": sites.url(NEWS, "/news"),
        "frameId": 0,
    }
    opened = browser.sw_eval(_MENU, [info, {"id": tid, "url": sites.url(NEWS, "/news")}])
    assert opened == {"opened": "report"}
    return report_form(browser, before)


def bubble(browser: Browser, tab: Any, tid: int, state: str) -> str:
    tab.wait_for_selector(f'[data-fakewatch-bubble][data-fakewatch-verdict="{state}"]')
    return str(browser.sw_eval(_SHADOW_TEXT, [tid, "[data-fakewatch-bubble]"]))


def clear_bubble(tab: Any) -> None:
    tab.evaluate("() => document.querySelector('[data-fakewatch-bubble]')?.remove()")


def test_a_reported_ad_picture_is_a_picture_case_never_the_news_site(
    browser: Browser, fw: RunningServer, sites: LocalSites
) -> None:
    ad = picture(21)
    sites.routes["/ad.jpg"] = lambda _r: web.Response(body=ad, content_type="image/jpeg")
    sites.routes["/news"] = lambda _r: page(
        "Daily News", "<p>Today's headlines.</p><img id='ad' src='/ad.jpg' width='320'>"
    )
    tab, tid = news_tab(browser, sites, "/news")
    src = sites.url(NEWS, "/ad.jpg")
    # The volunteer checks the ad first (the reviewer's path), then reports it.
    checked = browser.sw_eval(
        _MENU, [{"menuItemId": "fw-check-image", "mediaType": "image", "srcUrl": src}, {"id": tid}]
    )
    assert "verdict" in checked, checked
    form = report_from_menu(browser, sites, tid, src)
    form.select_option("#category", "celebrity")
    form.fill("#description", "Fake Elon giveaway ad on a news site's sidebar")
    form.check("#consent")
    asked = len(sites.requests("/v1/reports"))
    form.click("#submit")
    form.wait_for_selector("#msg[data-case-id]", timeout=20_000)
    browser.screenshot(form, "report-picture")
    case_id = int(form.get_attribute("#msg", "data-case-id") or 0)

    sent = sites.requests("/v1/reports")[asked:]
    assert len(sent) == 1
    assert b'name="file"' in sent[0].body and ad in sent[0].body  # the picture itself
    report_part = sent[0].body.split(b'name="report"', 1)[1].split(b"\r\n\r\n", 1)[1]
    body = json.loads(report_part.split(b"\r\n--", 1)[0])
    assert body["kind"] == "media" and "value" not in body  # no page, no address as the item
    assert body["seen_on"] == {"platform": "web", "url": sites.url(NEWS, "/news")}
    assert body["consent"] == {"share_with_authorities": False, "keep_media": False}

    # What the moderator sees: a picture case the server hashed itself, seen on the news page.
    case = fw.request("GET", f"/v1/cases/{case_id}").json()
    assert case["kind"] == "media", case
    assert case["hash_checked"] is True and "hash_note" not in case
    assert NEWS not in case["key"] and NEWS not in case["display"]
    [shown] = case["reports_shown"]
    assert shown["hashes_source"] == "server" and shown["seen_url"] == sites.url(NEWS, "/news")
    assert shown["keep_media"] == 0 and shown["category"] == "celebrity"

    # Confirmed, the picture joins the known-fakes bank; the news site is blocked for nobody.
    confirmed = fw.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "fake ad"})
    assert confirmed.status == 200, confirmed.body
    assert check_media(fw, ad)["verdict"] == "likely_scam"
    site = fw.request("GET", f"/v1/check/link?url=http://{NEWS}/news").json()
    assert site["verdict"] != "likely_scam", site
    assert NEWS not in json.dumps(fw.request("GET", "/v1/lists/entries?list=community").json())
    form.close()
    tab.close()


def test_the_picture_report_form_says_what_goes_and_asks_before_a_copy_is_kept(
    browser: Browser, fw: RunningServer, sites: LocalSites
) -> None:
    ad = picture(23)
    sites.routes["/ad3.jpg"] = lambda _r: web.Response(body=ad, content_type="image/jpeg")
    tab, tid = news_tab(browser, sites, "/news")
    form = report_from_menu(browser, sites, tid, sites.url(NEWS, "/ad3.jpg"))
    # The picture itself is what goes, and the consent names exactly that.
    assert "picture itself" in form.inner_text("#picture-note")
    assert "it is not reported" in form.inner_text("#picture-note")
    assert "this picture" in form.inner_text("label:has(#consent)")
    form.check("#consent")
    form.check("#keep")
    asked = len(sites.requests("/v1/reports"))
    form.click("#submit")
    form.wait_for_selector("#msg[data-case-id]", timeout=20_000)
    case_id = int(form.get_attribute("#msg", "data-case-id") or 0)
    [sent] = sites.requests("/v1/reports")[asked:]
    assert b'"keep_media":true' in sent.body
    [shown] = fw.request("GET", f"/v1/cases/{case_id}").json()["reports_shown"]
    assert shown["keep_media"] == 1
    # A link or page report shows neither the picture note nor the copy question.
    form.goto(browser.extension_url(f"report.html?kind=link&value={SCAM_LINK}&page={SCAM_LINK}"))
    form.wait_for_selector("#what:not(:empty)")
    assert not form.is_visible("#picture-note") and not form.is_visible("#keep")
    assert "this address" in form.inner_text("label:has(#consent)")
    form.close()
    tab.close()


def test_a_picture_that_cannot_be_fetched_again_is_said_and_no_report_is_filed(
    browser: Browser, fw: RunningServer, sites: LocalSites
) -> None:
    sent = {"bytes": 0}

    async def endless() -> Any:  # chunked: no Content-Length to refuse it by
        chunk = b"\x89PNG" + bytes(1 << 20)
        while sent["bytes"] < 300 << 20:  # bounded, so a regression fails instead of hanging
            sent["bytes"] += len(chunk)
            yield chunk

    sites.routes["/gone.jpg"] = lambda _r: web.Response(status=404)
    sites.routes["/huge.png"] = lambda _r: web.Response(body=endless(), content_type="image/png")
    tab, tid = news_tab(browser, sites, "/news")
    cases_before = fw.request("GET", "/v1/cases").json()["cases"]
    asked = len(sites.requests("/v1/reports"))
    for path, words in (
        ("/gone.jpg", "could not be fetched again"),
        ("/huge.png", "too large to send with a report (over 10 MB"),
    ):
        form = report_from_menu(browser, sites, tid, sites.url(NEWS, path))
        form.check("#consent")
        form.click("#submit")
        form.wait_for_selector("#msg.err:not(:empty)", timeout=20_000)
        said = form.inner_text("#msg")
        assert words in said and "Nothing was sent" in said, said
        browser.screenshot(form, f"report-picture-{path.strip('/').split('.')[0]}")
        form.close()
    assert sent["bytes"] < 40 << 20, sent  # stopped near the cap
    assert len(sites.requests("/v1/reports")) == asked  # no link report about the page instead
    assert fw.request("GET", "/v1/cases").json()["cases"] == cases_before
    tab.close()


def test_every_send_to_telegram_from_the_menu_says_what_happened(
    browser: Browser, fw: RunningServer, sites: LocalSites
) -> None:
    ad = picture(22)
    sites.routes["/ad2.jpg"] = lambda _r: web.Response(body=ad, content_type="image/jpeg")
    sites.routes["/story"] = lambda _r: page(
        "A story",
        f"<p>Read <a id='scam' href='{SCAM_LINK}'>this offer</a>.</p>"
        "<img id='ad' src='/ad2.jpg' width='320'>",
    )
    tab, tid = news_tab(browser, sites, "/story")
    story = sites.url(NEWS, "/story")
    link = {"menuItemId": "fw-telegram", "linkUrl": SCAM_LINK, "pageUrl": story, "frameId": 0}
    whole_page = {"menuItemId": "fw-telegram", "pageUrl": story, "frameId": 0}
    image = {
        "menuItemId": "fw-telegram",
        "mediaType": "image",
        "srcUrl": sites.url(NEWS, "/ad2.jpg"),
        "pageUrl": story,
        "frameId": 0,
    }
    target = {"id": tid, "url": story}

    # Not linked yet: each of the three says so, under a title about sending, not checking.
    browser.sw_eval("() => chrome.storage.local.remove('relayToken')")
    for item in (link, whole_page, image):
        clear_bubble(tab)
        failed = browser.sw_eval(_MENU, [item, target])
        assert failed["error"] == "not_linked", failed
        text = bubble(browser, tab, tid, "error")
        assert "Could not send to your Telegram" in text and "Could not check" not in text, text
        assert "Link your Telegram first" in text, text
    browser.screenshot(tab, "telegram-not-linked")

    code = fw.request("POST", "/v1/relay/codes", json_body={"chat_id": 5151}).json()["code"]
    assert browser.sw_eval("c => self.fakewatch.linkTelegram(c)", code) == {"linked": True}
    for item, words in (
        (link, "paypal-secure-login-e2e.top"),
        (whole_page, NEWS),
        (image, "the picture"),
    ):
        clear_bubble(tab)
        done = browser.sw_eval(_MENU, [item, target])
        assert done["ok"] is True, done
        text = bubble(browser, tab, tid, "sent")
        assert "Sent to your Telegram" in text and words in text, text
    browser.screenshot(tab, "telegram-sent")
    pending = fw.request("GET", "/v1/relay/pending").json()["items"]
    mine = [(i["kind"], i["url"]) for i in pending if i["chat_id"] == 5151]
    assert ("link", SCAM_LINK) in mine and ("link", story) in mine
    assert ("image", image["srcUrl"]) in mine

    # A failure says why (here: the server cannot be reached), in the person's language.
    browser.sw_eval("s => chrome.storage.local.set(s)", {"lang": "zh-Hans"})
    try:
        sites.down = True
        clear_bubble(tab)
        browser.sw_eval(_MENU, [link, target])
        text = bubble(browser, tab, tid, "error")
        assert "无法发送到你的 Telegram" in text and "无法连接 FakeWatch 服务器" in text, text
        sites.down = False
        clear_bubble(tab)
        browser.sw_eval(_MENU, [whole_page, target])
        text = bubble(browser, tab, tid, "sent")
        assert "已发送到你的 Telegram" in text, text
        browser.screenshot(tab, "telegram-sent-zh")
    finally:
        sites.down = False
        browser.sw_eval("s => chrome.storage.local.set(s)", {"lang": "en"})
        time.sleep(0.2)  # the menus are re-titled on a language change
    tab.close()
