"""Shareable verdict pages: zh/en, phone-readable, what to do, escaped, no reporter data."""

from __future__ import annotations

import re

import pytest

from server.community.items import item_hash, text_key
from server.web.urls import decode_link
from tests.support.server import RunningServer
from tests.test_reports import client_key, report

SCRIPT_TEXT = "<script>alert('x')</script> Your account 6222 0012 3456 is frozen, pay the fee now"


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def page(server: RunningServer, path: str, **headers: str) -> tuple[int, str]:
    response = server.request("GET", path, key=None, headers=headers)
    assert response.headers["Content-Type"].startswith("text/html")
    return response.status, response.body.decode()


def confirmed_page(server: RunningServer, case_id: int) -> str:
    """Confirm the case as a moderator; its public page's path (the unguessable form)."""
    answer = server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "seen"})
    assert answer.status == 200, answer.body
    return str(server.request("GET", f"/v1/cases/{case_id}").json()["verdict_path"])


def test_a_case_page_escapes_the_item_and_shows_no_reporter_data(
    community: RunningServer,
) -> None:
    _, filed = report(
        community,
        client_key(community),
        kind="text",
        value=SCRIPT_TEXT,
        category="official",
        description="<img src=x onerror=alert(1)> my neighbour Zhang Wei sent me this",
        seen_on={"platform": "wechat", "url": "https://chat.example/private/room"},
        reporter="victim-17",
    )
    status, html = page(community, confirmed_page(community, filed["case_id"]) + "?lang=en")
    assert status == 200
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "6222" not in html  # a victim's account number in a message is masked
    assert "Zhang Wei" not in html and "onerror" not in html and "chat.example" not in html
    assert "victim-17" not in html
    assert "96110" in html and '<meta name="viewport"' in html
    assert "Confirmed scam · fake police or official" in html


def test_the_page_speaks_chinese_when_asked(community: RunningServer) -> None:
    _, filed = report(
        community, client_key(community), kind="phone", value="+86 21 5555 0000", reporter="zh"
    )
    path = confirmed_page(community, filed["case_id"])
    _, by_query = page(community, f"{path}?lang=zh")
    _, by_header = page(community, path, **{"Accept-Language": "zh-CN"})
    for html in (by_query, by_header):
        assert '<html lang="zh-CN">' in html
        assert "国家反诈中心" in html and "96110" in html and "已确认为诈骗" in html


def test_taiwan_and_hong_kong_readers_get_traditional_characters_and_their_own_hotlines(
    community: RunningServer,
) -> None:
    _, filed = report(
        community, client_key(community), kind="phone", value="+886 2 5555 0000", reporter="tw"
    )
    path = confirmed_page(community, filed["case_id"])
    _, taiwan = page(community, f"{path}?lang=zh-TW")
    assert '<html lang="zh-TW">' in taiwan
    assert "165" in taiwan and "96110" not in taiwan and "已確認" in taiwan

    assert "?lang=en" in taiwan
    _, english = page(community, f"{path}?lang=en", **{"Accept-Language": "zh-TW"})
    assert '<html lang="en">' in english and "?lang=zh-TW" in english  # back to Traditional

    response = community.request("GET", path, key=None, headers={"Accept-Language": "zh-HK"})
    assert response.headers["Vary"] == "Accept-Language"  # shared caches keep each language
    hong_kong = response.body.decode()
    assert '<html lang="zh-HK">' in hong_kong
    assert "18222" in hong_kong and "96110" not in hong_kong

    checked = community.request(
        "GET", "/v1/check/link?url=" + "https%3A%2F%2Fpolkadot-dot.info%2Fclaim"
    ).json()
    path = checked["verdict_url"].split(community.url, 1)[1]
    _, link_page = page(community, path + "?lang=zh-TW")
    assert "很可能是詐騙" in link_page and "黑名單" in link_page
    assert "polkadot-dot.info" in link_page


def test_every_link_check_carries_a_verdict_url_that_opens(community: RunningServer) -> None:
    checked = community.request(
        "GET", "/v1/check/link?url=" + "https%3A%2F%2Fpolkadot-dot.info%2Fclaim"
    ).json()
    path = checked["verdict_url"].split(community.url, 1)[1]
    status, html = page(community, path + "?lang=en")
    assert status == 200
    assert "Likely a scam" in html and "polkadot-dot.info" in html
    batch = community.request(
        "POST", "/v1/check/links", json_body={"urls": ["https://a.example/", "notaurl:::"]}
    ).json()["results"]
    assert batch[0]["verdict_url"].startswith(community.url + "/r/l")
    assert batch[1]["verdict_url"] is None


def test_an_item_page_finds_the_case_by_hash_only(community: RunningServer) -> None:
    message = "Congratulations, you won 5000 USDT, claim within 24 hours at our support desk"
    _, filed = report(
        community,
        client_key(community),
        kind="text",
        value=message,
        reporter="h",
        category="giveaway",
    )
    key = text_key(message)
    item_page = f"/r/i{item_hash('text', key.key)}?lang=en"
    _, unknown = page(community, f"/r/i{'0' * 64}?lang=en")
    # A moderation status page, which says it is not the automatic check.
    assert "moderation status" in unknown and "does not repeat the automatic check" in unknown
    assert "No moderator of this server has decided about it yet" in unknown
    # Reported but not reviewed: word for word the page of an item nobody reported.
    status, html = page(community, item_page)
    assert status == 200 and html == unknown.replace("0" * 64, item_page[4:-8])
    confirmed_page(community, filed["case_id"])
    status, html = page(community, item_page)
    assert status == 200 and "Confirmed scam · giveaway scam" in html


@pytest.mark.parametrize("bad", ["c999999999", "x1", "l%25%25", "c1<script>"])
def test_unknown_pages_are_a_plain_404(community: RunningServer, bad: str) -> None:
    status, html = page(community, f"/r/{bad}")
    assert status == 404 and "<script>" not in html


def test_a_text_check_links_to_the_page_of_its_template(community: RunningServer) -> None:
    message = "【通知】您的快递丢失，理赔请加客服QQ 12345678 领取 300 元赔偿"
    checked = community.request("POST", "/v1/check/text", json_body={"text": message}).json()
    path = checked["verdict_url"].split(community.url, 1)[1]
    before = page(community, path + "?lang=en")[1]
    assert "No moderator of this server has decided about it yet" in before
    _, filed = report(
        community,
        client_key(community),
        kind="text",
        value=message.replace("300", "500"),
        category="shopping",
    )
    assert page(community, path + "?lang=en")[1] == before  # a report alone changes nothing
    confirmed_page(community, filed["case_id"])
    assert "Confirmed scam · shopping scam" in page(community, path + "?lang=en")[1]


def test_a_verdict_url_never_carries_credentials_from_the_pasted_link(
    community: RunningServer,
) -> None:
    checked = community.request(
        "POST", "/v1/check/links", json_body={"urls": ["https://bob:hunter2@shop.example/cart"]}
    ).json()["results"][0]
    token = checked["verdict_url"].split("/r/l", 1)[1]
    assert decode_link(token) == "https://shop.example/cart"


def test_a_malformed_merge_target_rides_along_with_no_moderator_action(
    community: RunningServer,
) -> None:
    # Found by schemathesis: a key holder posting the page's form directly with "into="
    # confirmed the case instead of being refused.
    _, filed = report(
        community, client_key(community), kind="link", value="https://into.example/", reporter="in"
    )
    answer = community.request(
        "POST",
        f"/moderate/cases/{filed['case_id']}/confirm",
        body=b"note=x&into=",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 400 and answer.json()["code"] == "validation_failed"
    assert community.request("GET", f"/v1/cases/{filed['case_id']}").json()["status"] == "pending"


def test_a_weak_sign_is_not_shown_as_no_known_signs_in_green(community: RunningServer) -> None:
    """``no_known_signals`` whose one reason is the domain model's weak one
    (tests/test_relay_weak_reason.py): the bar names "some warning signs" in the neutral colour,
    never "no known warning signs" in green above a summary that names a sign."""
    checked = community.request(
        "GET", "/v1/check/link?url=" + "https%3A%2F%2Fsecure-login.net%2F"
    ).json()
    assert checked["verdict"] == "no_known_signals"
    assert [r["code"] for r in checked["reasons"]] == ["domain_model.scam_like_weak"]
    path = checked["verdict_url"].split(community.url, 1)[1]
    for lang, bar, clean in (
        ("en", "Some warning signs, not enough for a warning", "No known warning signs"),
        ("zh", "有一些风险迹象，但不足以发出警告", "未发现已知风险信号"),
        ("zh-TW", "有一些風險跡象，但不足以發出警告", "未發現已知風險訊號"),
    ):
        status, html = page(community, f"{path}?lang={lang}")
        assert status == 200
        assert f'<div class="verdict no_known_signals_weak">{bar}</div>' in html, html
        assert clean not in html and 'class="verdict no_known_signals"' not in html
        assert "secure-login.net" in html  # the summary's note, and the reason under "Why"
    style = re.search(r"\.no_known_signals_weak\{background:(#[0-9a-f]{6})\}", html)
    assert style and style.group(1) not in {"#2e6b3a", "#b3261e", "#a15c00"}  # green, red, amber
