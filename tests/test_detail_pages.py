"""The "Details" address a text or media check hands out never contradicts the verdict it came
with (review 33 #4): a message's page says it shows only the moderators' decision, and a
picture that matched a known fake links to that bank entry's page, which names it.

Pictures are generated (tests/test_known_fakes_api.py); no photo of anyone is used.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import add_fake, jpeg, picture, post_form
from tests.test_reports import report


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("detail_pages"))
    yield running
    running.stop()


def page(server: RunningServer, url: str, lang: str = "en") -> tuple[int, str]:
    path = url.split(server.url, 1)[1] if url.startswith(server.url) else url
    response = server.request("GET", f"{path}?lang={lang}", key=None)
    return response.status, response.body.decode()


def check_media(server: RunningServer, data: bytes, lang: str = "en") -> dict:
    response = post_form(server, f"/v1/check/media?lang={lang}", {}, data)
    assert response.status == 200, response.body
    return dict(response.json())


def test_a_scam_message_links_to_a_page_that_says_it_is_not_the_automatic_check(
    server: RunningServer,
) -> None:
    text = "您的账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不要告诉家人"
    checked = server.request("POST", "/v1/check/text", json_body={"text": text}).json()
    assert checked["verdict"] in ("likely_scam", "suspicious")
    status, html = page(server, checked["verdict_url"], "zh")
    assert status == 200
    assert "审核状态" in html and "不重复自动检测" in html
    assert "和这个链接一起收到的结论就是自动检测的结果" in html
    # Not the old page, which read like reassurance under a "likely a scam" verdict.
    assert "尚未确认此内容为诈骗" not in html and "风险结论" not in html
    _, english = page(server, checked["verdict_url"], "en")
    assert (
        "FakeWatch: moderation status" in english and "if the automatic check warned you" in english
    )


def test_a_known_fake_match_names_the_entry_and_links_to_its_page(server: RunningServer) -> None:
    fake_id = add_fake(server, picture(41), label="Fake Dr Chen cure ad", person="Dr Chen")
    verdict = check_media(server, jpeg(picture(41).resize((480, 360)), quality=70))
    assert verdict["verdict"] == "likely_scam"
    reason = verdict["reasons"][0]["message"]
    assert f"“Fake Dr Chen cure ad” (#{fake_id}, impersonating Dr Chen)" in reason
    assert "distance" not in reason and "pdq" not in reason.lower()
    assert verdict["matches"][0]["distance"] <= verdict["matches"][0]["threshold"]

    url = verdict["verdict_url"]
    assert f"/r/k{fake_id}-" in url
    status, html = page(server, url)
    assert status == 200
    assert f"Known fake #{fake_id}: “Fake Dr Chen cure ad”" in html
    assert "confirmed by this server&#x27;s moderators" in html and "Dr Chen" in html
    status, chinese = page(server, url, "zh-TW")
    assert status == 200 and f"已知偽造 #{fake_id}" in chinese and "審核員確認" in chinese

    # The address cannot be guessed or walked: a wrong MAC, or none, is a plain 404.
    # The MAC is URL-safe base64: it may hold '-' itself (ending with one, rsplit left '').
    mac = url.split(f"/r/k{fake_id}-", 1)[1]
    wrong = ("A" if mac[0] != "A" else "B") + mac[1:]
    assert page(server, f"/r/k{fake_id}-{wrong}")[0] == 404
    assert page(server, f"/r/k{fake_id}")[0] == 404
    assert page(server, f"/r/k{fake_id + 1}-{mac}")[0] == 404

    retired = server.request("POST", f"/v1/known-fakes/{fake_id}/retire")
    assert retired.status == 200, retired.body
    status, html = page(server, url)
    assert status == 200 and "no longer count as a known fake" in html
    again = check_media(server, jpeg(picture(41), quality=70))
    assert again["matches"] == [] and "/r/i" in again["verdict_url"]


def test_a_picture_without_a_match_links_to_its_moderation_status(server: RunningServer) -> None:
    verdict = check_media(server, jpeg(picture(43)), lang="zh")
    assert verdict["matches"] == []
    status, html = page(server, verdict["verdict_url"], "zh")
    assert status == 200 and "审核状态" in html and "尚未对它作出决定" in html


def test_a_moderator_still_sees_the_list_id_behind_a_reason_in_plain_words(
    community_server: RunningServer,
) -> None:
    status, filed = report(
        community_server,
        None,
        ip="10.7.7.7",
        kind="link",
        value="https://polkadot-dot.info/claim",
        category="investment",
    )
    assert status == 201, filed
    html = community_server.request(
        "GET", f"/moderate/cases/{filed['case_id']}?lang=en"
    ).body.decode()
    assert "is on the blocklist of phishing sites kept by the Polkadot project" in html
    # The list's id, entry and timestamp are there for the moderator, folded under the reason.
    folded = html.split("<details>", 1)[1].split("</details>", 1)[0]
    assert "bundled:polkadot-js" in folded and "polkadot-dot.info" in folded
