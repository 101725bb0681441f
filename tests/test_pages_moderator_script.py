"""A moderator in Taiwan or Hong Kong reads the moderator pages in Traditional characters and
keeps them through every link, form and redirect; what reporters wrote is shown as they wrote it."""

from __future__ import annotations

import http.client
import re
import urllib.parse

from tests.support.server import ADMIN_KEY, RunningServer
from tests.test_reports import report

#: Written by a reporter in Simplified characters: evidence, never converted.
REPORTED_WORDS = "这个网站骗了我的钱，说是投资返利"


def _case(server: RunningServer, domain: str) -> int:
    status, filed = report(
        server,
        None,
        ip="10.9.8.7",
        kind="link",
        value=f"https://{domain}/",
        category="investment",
        description=REPORTED_WORDS,
    )
    assert status == 201
    return int(filed["case_id"])


def test_a_case_page_asked_for_in_zh_tw_is_written_in_taiwan_traditional(
    community_server: RunningServer,
) -> None:
    case_id = _case(community_server, "paypa1-secure-login.example")
    page = community_server.request("GET", f"/moderate/cases/{case_id}?lang=zh-TW")
    assert page.status == 200
    html = page.body.decode()
    assert '<html lang="zh-TW">' in html
    # Taiwan's words (队列 → 佇列), not only its characters; 审核 stays 審核 (not 稽核, an audit).
    assert (
        "FakeWatch 審核" in html
        and "佇列" in html
        and "稽核" not in html
        and "舉報內容" in html
        and "操作記錄" in html
    )
    assert "审核" not in html and "举报内容" not in html
    assert REPORTED_WORDS in html  # the reporter's own words, unconverted
    # Every form and link keeps the script, and the switch leads to English and back.
    assert html.count('name="lang" value="zh-TW"') >= 2
    public = community_server.request("GET", f"/v1/cases/{case_id}").json()["verdict_path"]
    assert 'href="/moderate?lang=zh-TW"' in html and f'href="{public}?lang=zh-TW"' in html
    assert f'href="/moderate/cases/{case_id}?lang=en"' in html

    english = community_server.request("GET", f"/moderate/cases/{case_id}?lang=en").body.decode()
    assert "What reporters said" in english and REPORTED_WORDS in english
    assert f'href="/moderate/cases/{case_id}?lang=zh-TW"' not in english  # asked for en only


def test_the_queue_follows_accept_language_zh_hk_and_simplified_stays_simplified(
    community_server: RunningServer,
) -> None:
    _case(community_server, "hk-queue-scam.example")
    hk = community_server.request("GET", "/moderate", headers={"Accept-Language": "zh-HK"})
    html = hk.body.decode()
    assert '<html lang="zh-HK">' in html and "隊列" in html and "队列" not in html
    assert "/moderate?status=confirmed&amp;lang=zh-HK" in html

    simplified = community_server.request("GET", "/moderate?lang=zh-CN").body.decode()
    assert '<html lang="zh-CN">' in simplified and "队列" in simplified


def test_an_action_redirects_back_in_the_script_the_form_carried(
    community_server: RunningServer,
) -> None:
    case_id = _case(community_server, "redirect-script.example")
    page = community_server.request("GET", f"/moderate/cases/{case_id}?lang=zh-TW").body.decode()
    csrf = re.search(r'name="csrf" value="([0-9a-f]*)"', page)
    assert csrf is not None
    parsed = urllib.parse.urlsplit(community_server.url)
    conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=30)
    form = {"csrf": csrf.group(1), "note": "查证属实", "lang": "zh-TW"}
    conn.request(
        "POST",
        f"/moderate/cases/{case_id}/confirm",
        body=urllib.parse.urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Bearer {ADMIN_KEY}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 303
    assert response.getheader("Location") == f"/moderate/cases/{case_id}?lang=zh-TW"
    after = community_server.request("GET", f"/moderate/cases/{case_id}?lang=zh-TW").body.decode()
    assert "已確認為詐騙" in after
    assert "查证属实" in after  # the moderator's note, as written
