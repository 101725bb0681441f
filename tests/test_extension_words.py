"""The extension in the person's language and words, in real headless Chromium against the real
server (review 33 #11, #12, #14, #16): a refused API key is said as such, not as "offline";
server errors come back in Chinese inside the Chinese UI; the chat hears which browser was
linked in its language; an empty report cannot be sent; the warning page focuses "Go back",
labels its form and says at once when a warning cannot be appealed; scanned links are marked
with words, not colour alone; reasons name lists in words.

Screenshots land in ``test-artifacts/extension-words/``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support.browser import Browser, ready_extension, require_chromium, wait_until
from tests.support.pages import LocalSites, page, start_sites
from tests.support.server import RunningServer, start_server
from tests.test_extension_browser import await_url, configure, tab_id, tab_state, visit

LISTED = "wallet-words-e2e.example"
HOME = "quiet-words-home.example"
HOSTS = [LISTED, HOME]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def fw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    require_chromium()
    running = start_server(tmp_path_factory.mktemp("ext-words-server"))
    added = running.request(
        "POST", "/v1/lists/entries", json_body={"value": LISTED, "action": "block"}
    )
    assert added.status == 201, added.body
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sites(fw: RunningServer) -> Iterator[LocalSites]:
    running = start_sites(fw.url)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client_key(fw: RunningServer) -> str:
    made = fw.request("POST", "/v1/keys", json_body={"role": "client", "label": "extension"})
    return str(made.json()["key"])


@pytest.fixture(scope="module")
def browser(
    tmp_path_factory: pytest.TempPathFactory, sites: LocalSites, client_key: str
) -> Iterator[Browser]:
    with ready_extension(
        tmp_path_factory,
        sites.proxy_url,
        hosts=HOSTS,
        artifacts="extension-words",
        apiKey=client_key,
        lang="zh-Hans",
    ) as (running, update):
        assert update["updated"], update
        yield running


def stored_problem(browser: Browser) -> Any:
    return browser.sw_eval("async () => ((await chrome.storage.local.get('status')).status || {})")


def test_a_refused_key_is_said_and_never_shown_as_offline(
    browser: Browser, sites: LocalSites, client_key: str
) -> None:
    # A newsroom whose key was revoked, on a fresh install: no local list could be fetched.
    configure(browser, apiKey="fw_wrongkey")
    wait_until(lambda: stored_problem(browser).get("problem") == "unauthorized")
    browser.sw_eval(
        "async () => { await chrome.storage.local.remove(['prefixSet', 'prefixServer']);"
        " self.fakewatch.dropCaches(); }"
    )
    try:
        tab = visit(browser, sites.url(HOME, "/"))
        tid = tab_id(browser, sites.url(HOME))
        state = wait_until(lambda: tab_state(browser, tid))
        assert state["offline"] is True and state["problem"] == "unauthorized"
        title = wait_until(
            lambda: (
                browser.sw_eval("id => chrome.action.getTitle({tabId: id})", tid)
                if browser.sw_eval("id => chrome.action.getBadgeText({tabId: id})", tid)
                else None
            )
        )
        assert "拒绝了此扩展的 API 密钥" in title and "无法连接" not in title
        assert browser.sw_eval("id => chrome.action.getBadgeText({tabId: id})", tid) == "密钥"
        popup = browser.context.new_page()
        popup.set_viewport_size({"width": 380, "height": 420})
        popup.goto(browser.extension_url(f"popup.html?tab={tid}"))
        popup.wait_for_selector("#verdict-name:not(:empty)")
        assert "拒绝了此扩展的 API 密钥" in popup.inner_text("#verdict-name")
        browser.screenshot(popup, "popup-refused-key")
        popup.close()
        tab.close()
    finally:
        configure(browser, apiKey=client_key)
        browser.refresh_prefixes()
        wait_until(lambda: not stored_problem(browser).get("problem"))


def test_server_errors_come_back_in_the_pages_language_and_empty_reports_are_blocked(
    browser: Browser,
) -> None:
    report = browser.context.new_page()
    query = urlencode({"kind": "link", "value": "javascript:alert(1)", "page": ""})
    report.goto(browser.extension_url(f"report.html?{query}"))
    report.wait_for_selector("#submit")
    report.check("#consent")
    report.click("#submit")
    report.wait_for_selector("#msg.err")
    said = report.inner_text("#msg")
    # The server's own sentence, in Chinese (the extension sends Accept-Language).
    assert "not a link" not in said and CJK.search(said.split("：", 1)[-1]), said
    # Opened with nothing to report: no button to press, and the page says why.
    report.goto(browser.extension_url("report.html"))
    report.wait_for_selector("#msg.err")
    assert report.is_disabled("#submit")
    assert report.inner_text("#msg").startswith("没有可举报的内容")
    browser.screenshot(report, "report-empty")
    report.close()


def test_the_chat_hears_which_browser_was_linked_in_its_language(
    browser: Browser, fw: RunningServer
) -> None:
    code = fw.request("POST", "/v1/relay/codes", json_body={"chat_id": 5151}).json()["code"]
    assert browser.sw_eval("c => self.fakewatch.linkTelegram(c)", code) == {"linked": True}
    pending = fw.request("GET", "/v1/relay/pending").json()["items"]
    linked = [i for i in pending if i["chat_id"] == 5151 and i["kind"] == "linked"]
    assert linked and linked[0]["summary"] == "FakeWatch 浏览器扩展"
    options = browser.context.new_page()
    options.goto(browser.extension_url("options.html"))
    options.wait_for_selector("#linked:not([hidden])")
    # The bot's words: "选项 → 发送到我的 Telegram", a 关联码, 断开 (bot/texts.py).
    assert options.title() == "FakeWatch 选项"
    assert "发送到我的 Telegram" in options.inner_text("h2")
    assert options.inner_text("#unlink") == "断开"
    options.click("#unlink")
    options.wait_for_selector("#unlinked:not([hidden])")
    assert options.inner_text("label[for=code]").startswith("关联码")
    options.close()


def test_the_warning_page_focuses_go_back_and_says_at_once_it_cannot_be_appealed(
    browser: Browser, sites: LocalSites
) -> None:
    tab = visit(browser, sites.url(HOME, "/before"))
    tab.wait_for_selector("h1")
    blocked = browser.extension_url("blocked.html")
    visit_listed = sites.url(LISTED, "/login")
    with contextlib.suppress(Exception):  # the warning page aborts the original navigation
        tab.goto(visit_listed, wait_until="domcontentloaded")
    await_url(tab, lambda u: u.startswith(blocked))
    tab.wait_for_selector("#reasons li")
    reasons = tab.inner_text("#reasons")
    # The list is named in words, with the day it was added; its id and timestamp are details.
    assert "本服务器管理员的黑名单" in reasons and "operator" not in reasons
    assert (
        re.search(r"收录于 \d{4}-\d{2}-\d{2}。", reasons) and "T" not in reasons.split("收录于")[1]
    )
    wait_until(
        lambda: tab.evaluate("document.activeElement && document.activeElement.id") == "back"
    )
    assert tab.inner_text("label[for=mistake-text]") == "为什么这个提醒有误"
    tab.click("#mistake")
    tab.wait_for_function("document.getElementById('msg').textContent.length > 0")
    assert tab.inner_text("#msg").startswith("此提醒来自黑名单")
    assert not tab.is_visible("#mistake-form")
    assert "安全的" not in tab.content()
    browser.screenshot(tab, "blocked-mistake")
    tab.close()


def test_scanned_links_carry_words_and_a_reason_a_keyboard_can_reach(
    browser: Browser, sites: LocalSites
) -> None:
    body = f"<p><a href='http://{LISTED}/offer'>Claim</a> and <a href='/ok'>fine</a></p>"
    sites.routes["/words-scan"] = lambda _request: page("Scan", body)
    tab = visit(browser, sites.url(HOME, "/words-scan"))
    tab.wait_for_selector("h1")
    tid = tab_id(browser, sites.url(HOME, "/words-scan"))
    scanned = browser.sw_eval("id => self.fakewatch.scanTab(id)", tid)
    assert scanned["flagged"] == 1 and scanned["marked"] == 1
    mark = f"a[href='http://{LISTED}/offer'] + button[data-fakewatch-mark]"
    assert tab.inner_text(mark) == "\u26a0 很可能是诈骗"
    assert tab.get_attribute(f"a[href='http://{LISTED}/offer']", "aria-description")
    tab.focus(mark)
    tab.keyboard.press("Enter")
    assert tab.get_attribute(mark, "aria-expanded") == "true"
    assert "黑名单" in tab.inner_text(mark)
    assert tab.locator("button[data-fakewatch-mark]").count() == 1
    browser.screenshot(tab, "scanned-marks")
    tab.close()
