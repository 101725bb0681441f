"""The moderator page in real headless Chromium: sign in with a key, see the queue ordered by
urgency and reach with the automatic verdict, open a case, confirm it; HTML in reports stays
text. Screenshots land in test-artifacts/moderation/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import Browser, launch, require_chromium
from tests.support.server import ADMIN_KEY, RunningServer
from tests.test_reports import client_key, report

XSS = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    require_chromium()
    with launch(tmp_path_factory.mktemp("profile"), artifacts="moderation") as running:
        yield running


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def sign_in(page: Any, server: RunningServer, key: str, lang: str = "en") -> None:
    page.context.clear_cookies()  # each test signs in afresh
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/moderate?lang={lang}")
    page.fill("#key", key)
    page.click("#sign-in")
    page.wait_for_selector("#queue")


def test_a_moderator_signs_in_reviews_and_confirms_a_case(
    community: RunningServer, browser: Browser
) -> None:
    key = client_key(community)
    _, urgent = report(
        community,
        key,
        kind="link",
        value="https://police-notice.ui-case.example/",
        category="official",
        impersonates="公安局",
        description=XSS,
        reporter="ui1",
    )
    for i in range(3):
        report(
            community,
            key,
            kind="link",
            value="https://cheap-shoes.ui-case2.example/",
            category="shopping",
            reporter=f"ui-s{i}",
        )
    page = browser.context.new_page()
    page.context.clear_cookies()
    page.goto(f"{community.url}/moderate?lang=en")
    browser.screenshot(page, "01-login")
    page.fill("#key", "fw_wrong-key")
    page.click("#sign-in")
    assert "not a moderator key" in page.inner_text("body")

    sign_in(page, community, client_key(community, "moderator"))
    browser.screenshot(page, "02-queue", full_page=True)
    order = page.eval_on_selector_all("tr.case-row", "rows => rows.map(r => r.dataset.case)")
    ids = [int(x) for x in order]
    # Fake police (urgent) before a wider-reaching shopping case.
    shopping = community.request("GET", "/v1/cases?limit=500").json()["cases"]
    shopping_id = next(c["id"] for c in shopping if c["key"] == "ui-case2.example")
    assert ids.index(urgent["case_id"]) < ids.index(shopping_id)

    page.click(f"a[href^='/moderate/cases/{urgent['case_id']}?']")
    page.wait_for_selector("#actions")
    assert page.title() != "pwned"
    assert XSS in page.inner_text("#evidence")  # shown as text, never run
    browser.screenshot(page, "03-case", full_page=True)

    page.fill("form[action$='/confirm'] input[name=note]", "fake police notice")
    page.click("#do-confirm")
    page.wait_for_selector("#status.confirmed")
    assert "case.confirm" in page.inner_text("#audit")
    assert "fake police notice" in page.inner_text("#audit")
    browser.screenshot(page, "04-confirmed", full_page=True)
    page.close()
    verdict = community.request(
        "POST", "/v1/check/links", json_body={"urls": ["https://ui-case.example/"]}
    ).json()["results"][0]
    assert verdict["verdict"] == "likely_scam"


def test_the_page_in_chinese_and_on_a_phone(community: RunningServer, browser: Browser) -> None:
    _, filed = report(
        community, client_key(community), kind="wallet", value="0x" + "9" * 40, reporter="zh-ui"
    )
    page = browser.context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, community, ADMIN_KEY, lang="zh")
    assert "审核" in page.inner_text("body")
    browser.screenshot(page, "05-queue-zh-phone", full_page=True)
    public = community.request("GET", f"/v1/cases/{filed['case_id']}").json()["verdict_path"]
    page.goto(f"{community.url}{public}?lang=zh")  # not reviewed yet: what to do, nothing else
    assert "96110" in page.inner_text("body")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no sideways scrolling on a phone
    browser.screenshot(page, "06-verdict-page-zh-phone", full_page=True)
    page.close()


def test_a_forged_form_post_without_the_session_token_is_refused(
    community: RunningServer, browser: Browser, tmp_path: Path
) -> None:
    _, filed = report(
        community, client_key(community), kind="link", value="https://csrf.example/", reporter="cs"
    )
    page = browser.context.new_page()
    sign_in(page, community, ADMIN_KEY)
    answer = page.request.post(
        f"{community.url}/moderate/cases/{filed['case_id']}/confirm",
        form={"note": "forged", "csrf": "guess"},
    )
    assert answer.status == 403
    unsigned = community.request(
        "POST",
        f"/moderate/cases/{filed['case_id']}/confirm",
        body=b"note=x",
        key=None,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert unsigned.status == 401
    status = community.request("GET", f"/v1/cases/{filed['case_id']}").json()["status"]
    assert status == "pending"
    page.close()


def test_the_queue_tells_held_cases_from_pending_ones() -> None:
    """The public page says "under review" for both; a moderator must see which is which."""
    from server.web.moderator_page import queue

    for lang in ("en", "zh"):
        page = queue(lang, "pending", [], {"pending": 2, "quarantined": 1}, {}, "token")
        pending = "Pending review (2)" if lang == "en" else "待审核 (2)"
        held = "surge of reports (1)" if lang == "en" else "突然激增的一批举报 (1)"
        assert pending in page and held in page, page
